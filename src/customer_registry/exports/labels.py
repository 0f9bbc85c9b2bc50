"""Mailing labels as CSV rows or as A4 label sheets in PDF, written incrementally.

Both writers turn labels into bytes as they come, so that an export of any size is streamed
with flat memory. The PDF is written object by object (fpdf2 keeps a whole document in
memory until its output, which a million labels would not fit); fpdf2's metrics of the
standard Helvetica font fit each line to the label.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fpdf.fonts import CORE_FONTS_CHARWIDTHS

CSV_COLUMNS = ("name", "organisation", "street", "postal_code", "city", "country")
HOME_COUNTRY = "FI"

# A4 in points, 3 x 8 labels of 70 x 37.1 mm.
PAGE_WIDTH = 595.28
PAGE_HEIGHT = 841.89
COLUMNS = 3
ROWS = 8
LABELS_PER_PAGE = COLUMNS * ROWS
LABEL_WIDTH = PAGE_WIDTH / COLUMNS
LABEL_HEIGHT = PAGE_HEIGHT / ROWS
PADDING = 14.0
FONT_SIZE = 9.0
LEADING = 11.0
TEXT_WIDTH = LABEL_WIDTH - 2 * PADDING

_HELVETICA_WIDTHS: dict[str, int] = CORE_FONTS_CHARWIDTHS["helvetica"]
_ELLIPSIS = "\u2026"


@dataclass(frozen=True, slots=True)
class Label:
    """One addressee."""

    name: str
    organisation: str | None
    street: str
    postal_code: str
    city: str
    country: str

    def lines(self) -> list[str]:
        lines = [self.name] if self.name else []
        if self.organisation:
            lines.append(self.organisation)
        lines += [self.street, f"{self.postal_code} {self.city}"]
        if self.country != HOME_COUNTRY:
            lines.append(self.country)
        return lines


def _spreadsheet_safe(value: str | None) -> str:
    """Keep a spreadsheet from reading a cell as a formula (CSV injection).

    A cell starting with `= + - @`, a tab or a carriage return (OWASP), or with a form that
    spreadsheets read as one of those (full-width U+FF1D, U+FF0B, U+FF0D, U+FF20 and the small
    forms, which NFKC maps to them, and the minus sign U+2212) gets a leading apostrophe.
    """
    if value and (
        unicodedata.normalize("NFKC", value[0]) in ("=", "+", "-", "@") or value[0] in "\t\r\u2212"
    ):
        return "'" + value
    return value or ""


def csv_header() -> bytes:
    return _csv_rows([CSV_COLUMNS])


def csv_rows(labels: Iterable[Label]) -> bytes:
    return _csv_rows(
        [
            [
                _spreadsheet_safe(label.name),
                _spreadsheet_safe(label.organisation),
                _spreadsheet_safe(label.street),
                _spreadsheet_safe(label.postal_code),
                _spreadsheet_safe(label.city),
                label.country,
            ]
            for label in labels
        ]
    )


def _csv_rows(rows: Iterable[Iterable[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _width(encoded: bytes) -> float:
    """The width of WinAnsi-encoded text in points at the label font size."""
    return sum(_HELVETICA_WIDTHS.get(chr(byte), 556) for byte in encoded) * FONT_SIZE / 1000


def _fit(line: str) -> bytes:
    """The line in WinAnsi encoding, shortened with an ellipsis to fit the label."""
    encoded = line.encode("cp1252", errors="replace")
    if _width(encoded) <= TEXT_WIDTH:
        return encoded
    while encoded and _width(encoded + _ELLIPSIS.encode("cp1252")) > TEXT_WIDTH:
        encoded = encoded[:-1]
    return encoded.rstrip() + _ELLIPSIS.encode("cp1252")


def _pdf_string(text: bytes) -> bytes:
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


class LabelSheetWriter:
    """A PDF of A4 label sheets, produced page by page.

    Objects 1 (catalog) and 2 (page tree) are written last, 3 is the font, and page n has its
    content in object 4 + 2n and its page object in 5 + 2n. Only the byte offset of each
    object is kept (8 bytes) for the cross-reference table at the end.
    """

    def __init__(self) -> None:
        self._offsets = array("Q", [0, 0, 0])
        self._position = 0
        self._pages = 0
        self._pending: list[Label] = []

    def start(self) -> bytes:
        header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        self._position = len(header)
        font = self._object(
            3, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        )
        return header + font

    def add(self, labels: Iterable[Label]) -> bytes:
        """The bytes of every page these labels complete."""
        self._pending.extend(labels)
        output = bytearray()
        while len(self._pending) >= LABELS_PER_PAGE:
            output += self._page(self._pending[:LABELS_PER_PAGE])
            del self._pending[:LABELS_PER_PAGE]
        return bytes(output)

    def finish(self) -> Iterator[bytes]:
        """The last page, the page tree, the catalog and the cross-reference table."""
        if self._pending or self._pages == 0:
            yield self._page(self._pending)
            self._pending = []
        kids = b" ".join(b"%d 0 R" % (5 + 2 * page) for page in range(self._pages))
        yield self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, self._pages))
        yield self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        start = self._position
        count = len(self._offsets) + 1
        yield b"xref\n0 %d\n0000000000 65535 f \n" % count
        chunk = bytearray()
        for offset in self._offsets:
            chunk += b"%010d 00000 n \n" % offset
            if len(chunk) >= 1 << 16:
                yield bytes(chunk)
                chunk.clear()
        yield bytes(chunk)
        yield b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, start)

    def _page(self, labels: list[Label]) -> bytes:
        content = bytearray(b"BT /F1 %.1f Tf %.1f TL\n" % (FONT_SIZE, LEADING))
        for index, label in enumerate(labels):
            column, row = index % COLUMNS, index // COLUMNS
            x = column * LABEL_WIDTH + PADDING
            y = PAGE_HEIGHT - row * LABEL_HEIGHT - PADDING - FONT_SIZE
            content += b"1 0 0 1 %.2f %.2f Tm\n" % (x, y)
            for line in label.lines():
                content += _pdf_string(_fit(line)) + b" Tj T*\n"
        content += b"ET\n"
        compressed = zlib.compress(bytes(content))
        content_number = 4 + 2 * self._pages
        self._offsets.extend([0, 0])
        output = self._object(
            content_number,
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(compressed), compressed),
        )
        output += self._object(
            content_number + 1,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, content_number),
        )
        self._pages += 1
        return output

    def _object(self, number: int, body: bytes) -> bytes:
        self._offsets[number - 1] = self._position
        data = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self._position += len(data)
        return data
