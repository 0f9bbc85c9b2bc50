"""The access report as streamed JSON or HTML, and the portability archive as a ZIP."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import AsyncIterator, Callable, Sequence
from html import escape
from typing import Any

from customer_registry.gdpr_requests.report_texts import PORTABILITY_README, WORDS

PORTABILITY_SCHEMA = "customer-registry/portability/v1"

Batches = AsyncIterator[list[dict[str, Any]]]
# The report's sections that grow with the person's history, by name, in report order.
Sections = list[tuple[str, Batches]]


async def json_report(summary: dict[str, Any], sections: Sections) -> AsyncIterator[bytes]:
    """One JSON object: the summary's keys, then each section as an array."""
    yield json.dumps(summary, ensure_ascii=False)[:-1].encode()
    for name, batches in sections:
        yield f', "{name}": ['.encode()
        first = True
        async for batch in batches:
            if not batch:
                continue
            # One chunk a batch: every chunk is a message through the server's stack.
            entries = ",".join(json.dumps(entry, ensure_ascii=False) for entry in batch)
            yield (("" if first else ",") + entries).encode()
            first = False
        yield b"]"
    yield b"}"


async def html_report(
    summary: dict[str, Any], sections: Sections, language: str
) -> AsyncIterator[bytes]:
    """A stand-alone HTML page: the summary, then a table per section."""
    words = WORDS[language]
    consents = summary["consents"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        f"<title>{escape(words['title'])}</title></head><body>",
        f"<h1>{escape(words['title'])}</h1>",
        f"<p>{escape(summary['controller']['name'])}, {escape(summary['generated_at'])}</p>",
        f"<h2>{escape(words['subject'])}</h2>",
        _definition_list(summary["subject"]),
        f"<h2>{escape(words['sources'])}</h2><ul>",
        *(f"<li>{escape(item['description'])}</li>" for item in summary["sources"]),
        f"</ul><h2>{escape(words['purposes'])}</h2><ul>",
        *(
            f"<li>{escape(item['description'])}: {escape(item['legal_basis_description'])}</li>"
            for item in summary["purposes"]
        ),
        f"</ul><h2>{escape(words['consents'])}</h2>",
        _definition_list(consents["state"] or {}),
        _table(
            [words["when"], words["purpose"], words["status"]],
            [
                [event["recorded_at"], event["purpose"], event["decision"]]
                for event in consents["ledger"]
            ],
        ),
        f"<h2>{escape(words['recipients'])}</h2><ul>",
        *(
            f"<li>{escape(r['name'])} ({escape(r['country'])}, {escape(r['role'])})</li>"
            for r in summary["recipients"]
        ),
        f"</ul><h2>{escape(words['retention'])}</h2>",
        _definition_list(summary["retention"]),
    ]
    yield "\n".join(parts).encode()
    columns: dict[str, tuple[list[str], Callable[[dict[str, Any]], list[str]]]] = {
        "orders": (
            [words["when"], words["number"], words["total"], words["status"], words["invoice"]],
            lambda o: [
                o["ordered_on"],
                o["number"],
                f"{o['gross_total']} {o['currency']}",
                o["status"],
                _invoice_text(o["invoice"]),
            ],
        ),
        "disclosures": (
            [words["when"], words["who"], words["purpose"], words["fields"]],
            lambda d: [
                d["occurred_at"],
                d["recipient"],
                d["purpose_description"] or d["purpose"] or "-",
                ", ".join(d["fields"]),
            ],
        ),
        "processing_log": (
            [words["when"], words["action"], words["who"], words["fields"]],
            lambda e: [e["occurred_at"], e["action"], _actor_text(e), ", ".join(e["fields"])],
        ),
    }
    for name, batches in sections:
        headings, cells = columns[name]
        yield (
            f"<h2>{escape(words[name])}</h2><table><thead><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in headings)
            + "</tr></thead><tbody>"
        ).encode()
        async for batch in batches:
            yield "".join(_row(cells(entry)) for entry in batch).encode()
        yield b"</tbody></table>"
    yield b"</body></html>"


def portability_archive(tables: dict[str, Any]) -> bytes:
    """The tables as one JSON file and a CSV per table, with a README, zipped."""
    document = {"schema": PORTABILITY_SCHEMA, **tables}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(document, ensure_ascii=False, indent=2))
        for name, rows in tables.items():
            archive.writestr(f"{name}.csv", _csv(rows if isinstance(rows, list) else [rows]))
        archive.writestr("README.txt", PORTABILITY_README)
    return buffer.getvalue()


def _invoice_text(invoice: dict[str, Any] | None) -> str:
    if not invoice:
        return "-"
    return f"{invoice['number']} ({invoice['status']})"


def _actor_text(entry: dict[str, Any]) -> str:
    return " / ".join(
        str(part)
        for part in (entry["actor_name"], entry["actor_role"] or entry["actor_type"])
        if part
    )


def _row(cells: list[str]) -> str:
    return "<tr>" + "".join(f"<td>{escape(str(cell))}</td>" for cell in cells) + "</tr>"


def _table(headings: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(map(_row, rows))}</tbody></table>"


def _definition_list(values: dict[str, Any]) -> str:
    items = "".join(
        f"<dt>{escape(str(name))}</dt><dd>{escape(_text(value))}</dd>"
        for name, value in values.items()
    )
    return f"<dl>{items}</dl>"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items() if v is not None)
    return str(value)


def _csv(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return ""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return output.getvalue()
