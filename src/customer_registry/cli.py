"""The `customer-registry` command: serve, migrate, openapi, users, audit, retention, and more.

Every subcommand documents itself with `--help`; a failure is one line on stderr and exit
code 1, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import SecretStr, ValidationError

from customer_registry import __version__
from customer_registry.config import ConfigurationError, Settings, get_settings
from customer_registry.core.logs import configure_logging, log_event
from customer_registry.core.progress import Progress
from customer_registry.models import Role

if TYPE_CHECKING:
    from customer_registry.accounts.schemas import UserCreate

T = TypeVar("T")
MAX_REPORTED_LINES = 20


class CommandError(Exception):
    """A failure to report as one line on stderr, with a non-zero exit code."""


class DatabaseUnreachable(CommandError):
    """The database could not be reached (refused, timed out, shut down)."""


def _describe_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"]) or "settings"
        problems.append(f"{location}: {item['msg']}")
    return "; ".join(problems)


def _settings() -> Settings:
    """The settings; from here on the command's log records are JSON lines on stderr."""
    try:
        settings = get_settings()
    except ValidationError as error:
        raise CommandError(f"invalid configuration: {_describe_validation_error(error)}") from None
    configure_logging(settings.log_level)
    return settings


def command_migrate(_arguments: argparse.Namespace) -> None:
    from customer_registry.migrations_runner import upgrade

    settings = _settings()
    with Progress("migrations") as progress:
        upgrade(settings.database_url, progress=progress)
    print("database schema is at the newest migration")  # noqa: T201


def command_openapi(arguments: argparse.Namespace) -> None:
    document = openapi_document()
    if arguments.output:
        with open(arguments.output, "w", encoding="utf-8") as handle:
            handle.write(document)
    else:
        sys.stdout.write(document)


def command_policy(arguments: argparse.Namespace) -> None:
    from customer_registry.policy import policy_table_markdown

    sys.stdout.write(policy_table_markdown())


def openapi_document() -> str:
    """The OpenAPI document, as committed in `openapi/openapi.json`."""
    from customer_registry.app import create_app

    settings = Settings(database_url="sqlite+aiosqlite://", secret_key=SecretStr("x" * 32))
    return json.dumps(create_app(settings).openapi(), indent=2, ensure_ascii=False) + "\n"


def _prepare_database(settings: Settings) -> None:
    """Migrate the embedded database; refuse an unmigrated PostgreSQL."""
    from sqlalchemy.exc import SQLAlchemyError

    from customer_registry.core.database import scoped_engine
    from customer_registry.migrations_runner import current_revision, head_revision, upgrade

    if settings.is_sqlite:
        upgrade(settings.database_url)
        return

    async def revision() -> str | None:
        async with scoped_engine(settings, job=False) as engine:
            return await current_revision(engine)

    try:
        current = asyncio.run(revision())
    except (SQLAlchemyError, OSError) as error:
        raise DatabaseUnreachable(f"cannot reach the database: {type(error).__name__}") from None
    if current != head_revision():
        raise CommandError(
            "the database schema is not at the newest migration; run `customer-registry migrate`"
        )


def _bootstrap_admin_data(settings: Settings) -> UserCreate | None:
    """The first administrator the settings ask for, if any; invalid settings stop here."""
    from customer_registry.accounts.schemas import UserCreate

    if not (settings.bootstrap_admin_username and settings.bootstrap_admin_password):
        return None
    try:
        return UserCreate(
            username=settings.bootstrap_admin_username,
            full_name="Administrator",
            role=Role.admin,
            password=settings.bootstrap_admin_password.get_secret_value(),
            confidentiality_committed=True,
        )
    except ValidationError as error:
        raise CommandError(
            f"invalid bootstrap admin: {_describe_validation_error(error)}"
        ) from None


def _bootstrap_admin(settings: Settings, data: UserCreate | None) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from customer_registry.accounts.bootstrap import create_account

    if data is None:
        return
    try:
        created = asyncio.run(create_account(settings, data, only_if_none=True))
    except (SQLAlchemyError, OSError) as error:
        raise DatabaseUnreachable(f"cannot reach the database: {type(error).__name__}") from None
    if created is not None:
        print(f"created the first administrator account {created.username}")  # noqa: T201


def command_serve(arguments: argparse.Namespace) -> None:
    from customer_registry.server import run_server

    settings = _settings()
    admin = _bootstrap_admin_data(settings)
    settings.signing_secret()  # created once, before any worker starts
    try:
        _prepare_database(settings)
        _bootstrap_admin(settings, admin)
    except DatabaseUnreachable as error:
        if arguments.fail_fast or not settings.wait_for_database or settings.is_sqlite:
            raise
        # The port opens all the same: /readyz answers 503 until the database answers, and
        # each worker checks the schema and makes the first administrator then.
        log_event("database_unreachable_at_start", logging.WARNING, detail=str(error))
        run_server(
            settings,
            host=arguments.host,
            port=arguments.port,
            workers=arguments.workers,
            wait_for_database=True,
        )
        return
    run_server(settings, host=arguments.host, port=arguments.port, workers=arguments.workers)


def command_users_create(arguments: argparse.Namespace) -> None:
    from customer_registry.accounts.bootstrap import create_account
    from customer_registry.accounts.schemas import UserCreate
    from customer_registry.core.errors import RegistryError

    settings = _settings()
    password = arguments.password
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise CommandError("the passwords differ")
    try:
        data = UserCreate(
            username=arguments.username,
            full_name=arguments.full_name,
            role=Role(arguments.role),
            password=password,
            confidentiality_committed=arguments.confidentiality_committed,
        )
    except ValidationError as error:
        raise CommandError(_describe_validation_error(error)) from None
    try:
        user = asyncio.run(create_account(settings, data, only_if_none=False))
    except RegistryError as error:
        raise CommandError(error.detail) from None
    assert user is not None
    print(f"created account {user.username} ({user.role.value}), id {user.id}")  # noqa: T201


def command_retention_run(arguments: argparse.Namespace) -> None:
    from customer_registry.auth.principal import SYSTEM_ACTOR
    from customer_registry.core.database import create_session_factory, scoped_engine
    from customer_registry.core.progress import Progress
    from customer_registry.retention.service import RetentionReport, run_per_customer

    settings = _settings()
    _prepare_database(settings)

    async def run() -> RetentionReport:
        async with scoped_engine(settings, job=True) as engine:
            with Progress("retention") as progress:

                def advance(done: int, total: int) -> None:
                    progress.total = total
                    progress.advance()

                return await run_per_customer(
                    create_session_factory(engine),
                    settings,
                    SYSTEM_ACTOR,
                    dry_run=arguments.dry_run,
                    progress=advance,
                )

    report = asyncio.run(run())
    verb = "would erase" if report.dry_run else "erased"
    print(  # noqa: T201
        f"retention {report.retention_years} years, relationships ended before "
        f"{report.cutoff.isoformat()}: {report.candidates} due, {verb} {report.erased}, "
        f"{verb} in part {report.partially_erased}, blocked {len(report.blocked)}"
    )
    for decision in report.customers:
        blockers = f" (blockers: {', '.join(decision.blockers)})" if decision.blockers else ""
        print(  # noqa: T201
            f"  {decision.customer_id} {decision.outcome.value}: {decision.reason.value}{blockers}"
        )


def command_erasures_replay(arguments: argparse.Namespace) -> None:
    from pathlib import Path

    from customer_registry.core.database import create_session_factory, scoped_engine
    from customer_registry.erasure_log.journal import ErasureLogError, read
    from customer_registry.erasure_log.replay import ReplayReport, replay_log

    settings = _settings()
    path = Path(arguments.log) if arguments.log else settings.erasure_log_path()
    try:
        log = read(path)
    except ErasureLogError as error:
        raise CommandError(str(error)) from None
    _prepare_database(settings)

    async def run() -> ReplayReport:
        async with scoped_engine(settings, job=True) as engine:
            with Progress("erasure replay") as progress:
                return await replay_log(
                    create_session_factory(engine),
                    settings,
                    log,
                    path,
                    dry_run=arguments.dry_run,
                    progress=progress,
                )

    print(asyncio.run(run()).describe())  # noqa: T201


def command_purge_idempotency_keys(_arguments: argparse.Namespace) -> None:
    from customer_registry.core.database import create_session_factory, scoped_engine
    from customer_registry.idempotency.service import purge_expired

    settings = _settings()

    async def purge() -> int:
        async with (
            scoped_engine(settings, job=True) as engine,
            create_session_factory(engine)() as session,
            session.begin(),
        ):
            return await purge_expired(session)

    print(f"deleted {asyncio.run(purge())} idempotency keys older than 24 hours")  # noqa: T201


def command_import_address_updates(arguments: argparse.Namespace) -> None:
    from customer_registry.address_updates.command import describe, import_file
    from customer_registry.address_updates.parser import InvalidUpdateFile

    settings = _settings()
    try:
        with open(arguments.file, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"cannot read {arguments.file}: {type(error).__name__}") from None
    try:
        report = asyncio.run(import_file(settings, text, dry_run=arguments.dry_run))
    except InvalidUpdateFile as error:
        raise CommandError(f"the file cannot be used: {error}") from None
    sys.stdout.write(describe(report))


def _run_on_database(work: Coroutine[Any, Any, T]) -> T:
    """Run database work; a database failure is one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return asyncio.run(work)
    except (SQLAlchemyError, OSError) as error:
        raise CommandError(
            f"the database failed ({type(error).__name__}); is it reachable and migrated "
            "(`customer-registry migrate`)?"
        ) from None


def command_audit_seal(arguments: argparse.Namespace) -> None:
    from customer_registry.audit.chain import seal
    from customer_registry.core.database import create_session_factory, scoped_engine

    settings = _settings()

    async def run() -> int:
        async with scoped_engine(settings, job=True) as engine:
            return await seal(create_session_factory(engine), batch_size=arguments.batch_size)

    print(f"sealed {_run_on_database(run())} audit events")  # noqa: T201


def command_audit_checkpoint(_arguments: argparse.Namespace) -> None:
    from customer_registry.audit.checkpoints import write_checkpoint
    from customer_registry.core.database import create_session_factory, scoped_engine

    settings = _settings()
    key, path = settings.audit_checkpoint_key(), settings.audit_checkpoint_path()

    async def run() -> tuple[int, str] | None:
        async with scoped_engine(settings, job=False) as engine:
            made = await write_checkpoint(create_session_factory(engine), key, path)
        return None if made is None else (made.position, made.hash)

    head = _run_on_database(run())
    if head is None:
        print("the audit chain is empty: no checkpoint written")  # noqa: T201
    else:
        print(f"checkpoint of {head[0]}:{head[1]} appended to {path}")  # noqa: T201


def _kept_head(value: str) -> tuple[int, str]:
    position, _, digest = value.partition(":")
    if not position.isdigit() or len(digest) != 64:
        raise argparse.ArgumentTypeError("expected POSITION:HASH as printed by `audit verify`")
    return int(position), digest.lower()


def command_audit_verify(arguments: argparse.Namespace) -> None:
    import datetime as dt

    from customer_registry.audit.chain import VerifyReport, verify
    from customer_registry.audit.checkpoints import read_checkpoints
    from customer_registry.core.database import create_session_factory, scoped_engine

    settings = _settings()
    checkpoint_path = arguments.checkpoint_file or settings.audit_checkpoint_path()
    checkpoints = read_checkpoints(checkpoint_path, settings.audit_checkpoint_key())
    newest = checkpoints.newest

    def progress(done: int, total: int, seconds: float) -> None:
        rate = done / seconds if seconds > 0 else 0.0
        print(f"verified {done} of {total} chain entries ({rate:,.0f} events/s)", file=sys.stderr)  # noqa: T201

    async def run() -> VerifyReport:
        async with scoped_engine(settings, job=True) as engine:
            return await verify(
                create_session_factory(engine),
                unsealed_grace=dt.timedelta(seconds=arguments.unsealed_grace),
                expected_head=arguments.expect_head,
                checkpoint=None if newest is None else (newest.position, newest.hash),
                progress=None if arguments.quiet else progress,
            )

    report = _run_on_database(run())
    print(  # noqa: T201
        f"verified {report.entries} chain entries in {report.seconds:.2f} s "
        f"({report.events_per_second:,.0f} events/s)"
    )
    if report.head is None:
        print("chain head: empty chain")  # noqa: T201
    else:
        print(f"chain head: {report.head[0]}:{report.head[1]}")  # noqa: T201
    if newest is None:
        print(  # noqa: T201
            f"checkpoint: none in {checkpoint_path}; a cut-off tail cannot be detected "
            "until the service (or `audit checkpoint`) has written one"
        )
    else:
        print(  # noqa: T201
            f"checkpoint: {newest.position}:{newest.hash} of {newest.created_at} "
            f"({checkpoints.checkpoints} correctly signed in {checkpoint_path})"
        )
    for number in checkpoints.bad_lines[:MAX_REPORTED_LINES]:
        print(  # noqa: T201
            f"TAMPERED: line {number} of {checkpoint_path} is not a correctly signed checkpoint"
        )
    for problem in report.problems:
        print(f"TAMPERED: {problem.message}")  # noqa: T201
    if report.problem_count > len(report.problems):
        print(f"TAMPERED: {report.problem_count - len(report.problems)} more problems")  # noqa: T201
    if report.unsealed_old_count:
        ids = ", ".join(str(event_id) for event_id in report.unsealed_old_ids)
        print(  # noqa: T201
            f"UNSEALED: {report.unsealed_old_count} events older than {arguments.unsealed_grace} s "
            f"are not in the chain (inserted behind the sealer's back, or their chain entry "
            f"was removed): {ids}"
        )
    if not report.ok or checkpoints.bad_lines:
        raise CommandError("the audit chain does not verify")
    print("the audit chain verifies")  # noqa: T201


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-registry",
        description="An audited GDPR customer register. Configuration comes from "
        "CUSTOMER_REGISTRY_* environment variables and an optional .env file.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the API",
        description="Run the API. The embedded SQLite database is migrated first; "
        "PostgreSQL must be migrated with `customer-registry migrate`. When PostgreSQL "
        "cannot be reached, the API starts all the same (/readyz answers 503) and serves "
        "once it answers.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (8000)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes (1); metrics are then gathered across them",
    )
    serve.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at once when the database cannot be reached, instead of waiting for it "
        "(as CUSTOMER_REGISTRY_WAIT_FOR_DATABASE=false)",
    )
    serve.set_defaults(handler=command_serve)

    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema to the newest migration",
        description="Apply every migration the database lacks (safe to repeat).",
    )
    migrate.set_defaults(handler=command_migrate)

    openapi = commands.add_parser(
        "openapi",
        help="print the OpenAPI document",
        description="Print the OpenAPI document that openapi/openapi.json holds.",
    )
    openapi.add_argument("--output", "-o", help="write to this file instead of stdout")
    openapi.set_defaults(handler=command_openapi)

    policy = commands.add_parser(
        "policy",
        help="print the processing policy table",
        description="Print the processing policy (who may do what with a person's data, in "
        "which state, and why) as the Markdown table the README holds.",
    )
    policy.set_defaults(handler=command_policy)

    users = commands.add_parser(
        "users", help="manage staff accounts", description="Manage personal staff accounts."
    )
    users_commands = users.add_subparsers(dest="users_command", required=True, metavar="COMMAND")
    create = users_commands.add_parser(
        "create",
        help="create a personal staff account",
        description="Create a personal staff account; asks for the password when not given.",
    )
    create.add_argument("--username", required=True, help="the login name (stored lower case)")
    create.add_argument("--full-name", required=True, help="the person's name")
    create.add_argument(
        "--role",
        choices=[role.value for role in Role],
        default=Role.staff.value,
        help="what the account may do (staff)",
    )
    create.add_argument("--password", help="the password (asked for when left out)")
    create.add_argument(
        "--confidentiality-committed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether the person has signed the confidentiality commitment (yes)",
    )
    create.set_defaults(handler=command_users_create)

    retention = commands.add_parser(
        "retention",
        help="apply the retention period (R15)",
        description="Apply the retention period of the privacy notice (R15).",
    )
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="COMMAND"
    )
    retention_run = retention_commands.add_parser(
        "run",
        help="erase customers whose relationship ended longer ago than the retention period",
        description="Erase customers whose relationship ended more than "
        "CUSTOMER_REGISTRY_RETENTION_YEARS ago, as far as no blocker keeps them. Each "
        "customer is erased in its own transaction: safe to interrupt and to run again.",
    )
    retention_run.add_argument(
        "--dry-run", action="store_true", help="report what would be erased, change nothing"
    )
    retention_run.set_defaults(handler=command_retention_run)

    erasures = commands.add_parser(
        "erasures",
        help="the erasure log kept outside the database",
        description="The erasure log: every complete erasure, kept in "
        "CUSTOMER_REGISTRY_ERASURE_LOG_FILE outside the database and its backups.",
    )
    erasures_commands = erasures.add_subparsers(
        dest="erasures_command", required=True, metavar="COMMAND"
    )
    erasures_replay = erasures_commands.add_parser(
        "replay",
        help="after a restore, erase again every logged customer whose data is back",
        description="After restoring a database backup, erase again every customer in the "
        "erasure log whose personal data the restored database holds. Each customer is "
        "erased in its own transaction: safe to interrupt and to run again.",
    )
    erasures_replay.add_argument(
        "--log", help="the erasure log file (CUSTOMER_REGISTRY_ERASURE_LOG_FILE by default)"
    )
    erasures_replay.add_argument(
        "--dry-run", action="store_true", help="report what would be erased, change nothing"
    )
    erasures_replay.set_defaults(handler=command_erasures_replay)

    purge = commands.add_parser(
        "purge-idempotency-keys",
        help="delete idempotency keys older than 24 hours (run daily, e.g. from cron)",
        description="Delete stored Idempotency-Key responses older than 24 hours; a retry "
        "after that creates a new record. Run it daily, e.g. from cron.",
    )
    purge.set_defaults(handler=command_purge_idempotency_keys)

    address_updates = commands.add_parser(
        "import-address-updates",
        help="apply a CSV of name and address updates from an update service",
        description="Apply a CSV of name and address updates (columns in the README) and "
        "print a report.",
    )
    address_updates.add_argument("file", help="the CSV file")
    address_updates.add_argument(
        "--dry-run", action="store_true", help="match and report without changing anything"
    )
    address_updates.set_defaults(handler=command_import_address_updates)

    audit = commands.add_parser(
        "audit",
        help="seal and verify the tamper-evident audit chain",
        description="Seal audit events into the hash chain, and verify the whole chain.",
    )
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    seal = audit_commands.add_parser(
        "seal",
        help="append every committed, unsealed audit event to the hash chain",
        description="Append every committed audit event that is not in the hash chain yet. "
        "The running service does this every second; safe to run at any time.",
    )
    seal.add_argument("--batch-size", type=int, default=5000, help="events per transaction")
    seal.set_defaults(handler=command_audit_seal)
    verify = audit_commands.add_parser(
        "verify",
        help="check the whole hash chain and print its head",
        description="Walk the hash chain, recompute every hash, and name the first event that "
        "was edited, deleted or moved, and check that the chain still holds the newest signed "
        "checkpoint (a tail cut off is reported). Prints the chain head (POSITION:HASH), which "
        "can also be passed to --expect-head later. Exits 1 on any problem.",
    )
    verify.add_argument(
        "--unsealed-grace",
        type=int,
        default=300,
        metavar="SECONDS",
        help="report events older than this that are not sealed (300)",
    )
    verify.add_argument(
        "--expect-head",
        type=_kept_head,
        metavar="POSITION:HASH",
        help="a head printed by an earlier run; fails if the chain no longer holds it",
    )
    verify.add_argument(
        "--checkpoint-file",
        type=Path,
        metavar="PATH",
        help="signed checkpoints to check the chain against (the service's by default)",
    )
    verify.add_argument("--quiet", action="store_true", help="no progress on stderr")
    verify.set_defaults(handler=command_audit_verify)
    checkpoint = audit_commands.add_parser(
        "checkpoint",
        help="sign the chain's head and append it to the checkpoint file",
        description="Sign the head of the hash chain with the checkpoint key and append it "
        "to the checkpoint file (the running service does this every "
        "CUSTOMER_REGISTRY_AUDIT_CHECKPOINT_INTERVAL_SECONDS and when it stops).",
    )
    checkpoint.set_defaults(handler=command_audit_checkpoint)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _fail(message: str) -> int:
    print(f"customer-registry: error: {message}", file=sys.stderr)  # noqa: T201
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    arguments = build_parser().parse_args(argv)
    try:
        arguments.handler(arguments)
    except (CommandError, ConfigurationError) as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except (SQLAlchemyError, OSError) as error:
        # Driver messages can quote stored values, so only the kind of failure is shown.
        return _fail(
            f"the database failed ({type(error).__name__}); check "
            "CUSTOMER_REGISTRY_DATABASE_URL and that the server is reachable"
        )
    except Exception as error:
        logging.getLogger(__name__).debug("command failed", exc_info=True)
        return _fail(
            f"unexpected {type(error).__name__}; set CUSTOMER_REGISTRY_LOG_LEVEL=DEBUG "
            "to log where it happened"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
