"""Plain-text tables: the first columns left-aligned (names), the others right (figures)."""

from __future__ import annotations

from collections.abc import Sequence


def format_table(rows: Sequence[Sequence[str]], left: int = 2) -> list[str]:
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if index < left else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in rows
    ]


def ratio(service: float, baseline: float) -> str:
    """service / baseline, or empty when there is nothing to divide by."""
    return f"{service / baseline:.2f}x" if service and baseline else ""
