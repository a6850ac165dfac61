"""Hostile workbooks, generated (never copied from elsewhere): for the import's tests and
``bench/hostile_bench.py``. Each function returns the file's bytes.

A workbook here is the smallest valid .xlsx: [Content_Types].xml, the package and workbook
relationships, xl/workbook.xml and one worksheet, written entry by entry so that a test can lie in the
zip directory (declare sizes the deflate stream does not keep to).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    b'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    b'Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_START = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = b"</sheetData></worksheet>"


def _row(number: int, cells: Iterable[tuple[str, str]]) -> bytes:
    inner = b"".join(
        f'<c r="{ref}{number}" t="inlineStr"><is><t>{text}</t></is></c>'.encode() for ref, text in cells
    )
    return f'<row r="{number}">'.encode() + inner + b"</row>"


def sheet_rows(n: int, width: int = 3) -> Iterator[bytes]:
    """A worksheet of ``n`` rows of ``width`` short text cells, in pieces."""
    yield SHEET_START
    letters = [chr(65 + i) for i in range(width)]
    for number in range(1, n + 1):
        yield _row(number, [(letter, "x") for letter in letters])
    yield SHEET_END


def _entry(name: str, pieces: Iterable[bytes], *, declare: int | None = None) -> tuple[bytes, int, int, int]:
    """(deflated data, crc, size, declared size). ``declare`` makes the directory say another size and
    carry the CRC of just that many first bytes, as a bomb built to pass a size check would."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out, crc, size, prefix_crc = [], 0, 0, 0
    for piece in pieces:
        if declare is not None and size < declare:
            prefix_crc = zlib.crc32(piece[: declare - size], prefix_crc)
        crc = zlib.crc32(piece, crc)
        size += len(piece)
        out.append(compressor.compress(piece))
    out.append(compressor.flush())
    if declare is None:
        return b"".join(out), crc, size, size
    return b"".join(out), prefix_crc, size, declare


def workbook(
    sheet: Iterable[bytes], *, declare: int | None = None, extra: dict[str, bytes] | None = None
) -> bytes:
    """A one-sheet .xlsx whose sheet part is made of ``sheet``'s pieces."""
    parts = [
        ("[Content_Types].xml", [CONTENT_TYPES], None),
        ("_rels/.rels", [ROOT_RELS], None),
        ("xl/workbook.xml", [WORKBOOK], None),
        ("xl/_rels/workbook.xml.rels", [WORKBOOK_RELS], None),
        ("xl/worksheets/sheet1.xml", sheet, declare),
        *((name, [data], None) for name, data in (extra or {}).items()),
    ]
    body, central = bytearray(), bytearray()
    for name, pieces, declared in parts:
        data, crc, _size, size = _entry(name, pieces, declare=declared)
        encoded = name.encode()
        offset = len(body)
        body += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
        )
        body += encoded + data
        central += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), len(central), len(body), 0)
    return bytes(body + central + end)


def bomb(megabytes: int, *, lying: bool = False) -> bytes:
    """A workbook whose sheet inflates to about ``megabytes`` MiB of rows; ``lying``: its zip directory
    declares 4 KiB for it."""
    row = _row(1, [("A", "x" * 20), ("B", "y" * 20)])
    count = megabytes * 1024 * 1024 // len(row)
    pieces = (SHEET_START, *(row * 1000 for _ in range(count // 1000)), SHEET_END)
    return workbook(pieces, declare=4096 if lying else None)


def wide(column: str = "XFD") -> bytes:
    """One row whose second cell stands in ``column``: a tiny file whose grid is as wide as Excel's."""
    return workbook([SHEET_START, _row(1, [("A", "a"), (column, "b")]), SHEET_END])


def tall(row: int = 1_048_576) -> bytes:
    """Two cells, in A1 and in row ``row``: a tiny file whose grid is as tall as Excel's."""
    return workbook([SHEET_START, _row(1, [("A", "a")]), _row(row, [("A", "b")]), SHEET_END])


def without_references(cells: int) -> bytes:
    """One row of ``cells`` cells that carry no reference (the format allows it; each takes the next
    column)."""
    return workbook([SHEET_START, b"<row>", b"<c><v>1</v></c>" * cells, b"</row>", SHEET_END])
