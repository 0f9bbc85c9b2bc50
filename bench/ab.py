"""`python -m bench ab`: versions of the service's source compared in one run.

Each variant is a directory holding the service's `src/` tree (a git worktree of the commit
to measure). The database is created and seeded once; then, round after round, the service
is started from each variant's source in the order given (A B A B ...), and the baseline once
a round, each warmed up and measured on the same load (S1's reads or S3's mix). Alternating
spreads the machine's drift over every variant instead of charging it to the last one.

The database is migrated with this checkout's code, so every variant must have the same
migrations (else its /readyz waits for `migrate` and the server never becomes ready).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.audit_chain import store_audit_events
from bench.cli import LEGEND, LOGIN_CONNECTIONS, add_run_arguments, load_generator, prepared
from bench.database import BenchDatabase
from bench.load import Load
from bench.runner import Bench, Measurement, Options
from bench.scenarios import SCENARIOS, mix_load, orders_load, read_load
from bench.table import format_table, ratio

LOADS: dict[str, Callable[[int], Load]] = {"s1": read_load, "s2": orders_load, "s3": mix_load}
BASELINE = "baseline"


@dataclass(frozen=True)
class Variant:
    label: str
    path: Path
    commit: str

    @property
    def name(self) -> str:
        return f"{self.label} ({self.commit})"


@dataclass(frozen=True)
class Sample:
    """One round's measurement of one variant (or of the baseline)."""

    name: str
    round: int
    measurement: Measurement

    @property
    def per_second(self) -> float:
        return self.measurement.results[0].per_second

    @property
    def p99_ms(self) -> float:
        return self.measurement.results[0].p99_ms


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench ab",
        description="Compare versions of the service's source in one run: the database is "
        "seeded once, then each variant and the baseline are measured in turn, round after "
        "round (A B baseline A B baseline ...).",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        required=True,
        metavar="LABEL=PATH",
        help="a version to measure: PATH holds the service's src/ (e.g. a git worktree); "
        "repeat for each version, in the order to compare them",
    )
    parser.add_argument("--rounds", type=int, default=2, help="times each variant is measured (2)")
    parser.add_argument(
        "--audit-events",
        type=int,
        default=0,
        help="audit events already stored before the first round (sealed before it starts)",
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(LOADS),
        default="s1",
        help="the load: s1 (reads), s2 (the web shop's orders) or s3 (the mix)",
    )
    add_run_arguments(parser)
    return parser


def variants(parser: argparse.ArgumentParser, values: Sequence[str]) -> list[Variant]:
    found: list[Variant] = []
    for value in values:
        label, separator, path = value.partition("=")
        label = label.strip()
        if not separator or not label or not path:
            parser.error(f"--variant {value!r}: expected LABEL=PATH")
        if label == BASELINE or label in (variant.label for variant in found):
            parser.error(f"--variant {value!r}: label {label!r} is taken")
        source = Path(path).expanduser().resolve()
        # Without it the import would fall back silently to this checkout's service.
        if not (source / "src" / "customer_registry" / "__init__.py").is_file():
            parser.error(f"--variant {value!r}: no src/customer_registry/ in {source}")
        found.append(Variant(label, source, commit(source)))
    return found


def commit(path: Path) -> str:
    """HEAD's short hash, with +dirty when tracked files differ from it; ? outside git."""
    git = shutil.which("git")
    if git is None:
        return "?"
    try:
        head = _git(git, path, "rev-parse", "--short", "HEAD")
        changed = _git(git, path, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return f"{head}+dirty" if changed else head


def _git(git: str, path: Path, *arguments: str) -> str:
    result = subprocess.run(
        [git, "-C", str(path), *arguments], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    chosen = variants(parser, arguments.variant)
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    options = Options(
        customers=arguments.customers,
        workers=arguments.workers,
        connections=arguments.connections,
        login_connections=LOGIN_CONNECTIONS,
        duration=arguments.duration,
        warmup=arguments.warmup,
        generator=load_generator(parser, arguments.load_generator),
        pool_size=arguments.pool_size,
        # As many staff tokens as `python -m bench` makes, so that S1 is the same load.
        staff_accounts=4 * LOGIN_CONNECTIONS,
    )
    load = LOADS[arguments.scenario](options.connections)
    for variant in chosen:
        print(f"variant {variant.name}: {variant.path}", flush=True)
    database = BenchDatabase(arguments.postgres.rstrip("/"), arguments.database)
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as directory:
        bench = Bench(options, database, Path(directory))
        with prepared(bench, arguments):
            if arguments.audit_events and not arguments.reuse_database:
                print(f"storing {arguments.audit_events:,} audit events ...", flush=True)
                store_audit_events(database, arguments.audit_events)
            if arguments.scenario == "s2":
                bench.link_web_shop()  # the web shop's key, before any server starts
            for number in range(1, arguments.rounds + 1):
                runs = [(variant.name, "service", variant.path) for variant in chosen]
                for name, target, source in [*runs, (BASELINE, BASELINE, None)]:
                    print(f"round {number}/{arguments.rounds}: {name} ...", flush=True)
                    (measurement,) = bench.measure(target, [[load]], source=source)
                    samples.append(Sample(name, number, measurement))
    print(render(options, arguments.scenario, arguments.rounds, chosen, samples))
    return 0


def render(
    options: Options, scenario: str, rounds: int, chosen: list[Variant], samples: list[Sample]
) -> str:
    header = (
        f"{scenario.upper()} ({SCENARIOS[scenario].title}), {rounds} round"
        f"{'' if rounds == 1 else 's'}; "
        f"{options.customers:,} customers, {options.workers} workers, "
        f"{options.connections} connections, {options.duration:g} s per measurement after "
        f"{options.warmup:g} s of warm-up, load from {options.generator}"
    )
    lines = [header, *(f"  {variant.name}: {variant.path}" for variant in chosen)]
    lines.extend(["", *format_table([ROUND_COLUMNS, *map(_round_cells, samples)])])
    lines.extend(["", *format_table(summary(chosen, samples), left=1)])
    lines.extend(["", LEGEND, SUMMARY_LEGEND])
    return "\n".join(lines)


ROUND_COLUMNS = (
    "variant",
    "round",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "CPU ms/req",
    "audit/2xx",
)
SUMMARY_COLUMNS = (
    "variant",
    "req/s",
    "req/s range",
    "p99 ms",
    "CPU ms/req",
    "req/s vs baseline",
    "p99 vs baseline",
    "against previous",
)
SUMMARY_LEGEND = (
    "Summary: medians over the rounds; vs baseline divides by the baseline's medians; "
    "against previous compares with the variant listed before it."
)


def _round_cells(sample: Sample) -> tuple[str, ...]:
    measurement = sample.measurement
    result = measurement.results[0]
    verdict = "ok" if measurement.audit_correct else "WRONG"
    return (
        sample.name,
        str(sample.round),
        f"{result.per_second:.0f}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        str(result.errors),
        f"{measurement.cpu_ms_per_request:.2f}",
        f"{measurement.audit_written}/{measurement.audit_expected} {verdict}",
    )


@dataclass(frozen=True)
class Medians:
    per_second: float
    low: float
    high: float
    p99_ms: float
    cpu_ms: float


def medians(samples: list[Sample], name: str) -> Medians:
    mine = [sample for sample in samples if sample.name == name]
    per_second = [sample.per_second for sample in mine]
    return Medians(
        statistics.median(per_second),
        min(per_second),
        max(per_second),
        statistics.median(sample.p99_ms for sample in mine),
        statistics.median(sample.measurement.cpu_ms_per_request for sample in mine),
    )


def summary(chosen: list[Variant], samples: list[Sample]) -> list[tuple[str, ...]]:
    baseline = medians(samples, BASELINE)
    table: list[tuple[str, ...]] = [SUMMARY_COLUMNS]
    previous: Medians | None = None
    for name in [*(variant.name for variant in chosen), BASELINE]:
        figures = medians(samples, name)
        is_variant = name != BASELINE
        change = ""
        if previous is not None and is_variant and previous.per_second:
            change = (
                f"{figures.per_second / previous.per_second - 1:+.1%} req/s, "
                f"{figures.cpu_ms - previous.cpu_ms:+.2f} ms CPU"
            )
        table.append(
            (
                name,
                f"{figures.per_second:.0f}",
                f"{figures.low:.0f}-{figures.high:.0f}",
                f"{figures.p99_ms:.1f}",
                f"{figures.cpu_ms:.2f}",
                ratio(figures.per_second, baseline.per_second) if is_variant else "",
                ratio(figures.p99_ms, baseline.p99_ms) if is_variant else "",
                change,
            )
        )
        previous = figures
    return table


if __name__ == "__main__":
    sys.exit(main())
