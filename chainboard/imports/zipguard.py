"""A workbook's zip parts inflated as a stream and counted, before any parser opens the file.

A zip bomb is a small file that inflates to a great deal: a 1.5 MB workbook whose sheet inflates to
480 MiB, or one whose zip directory declares small sizes and holds a deflate stream that does not stop
there. The sizes the directory declares are not trusted: every part is inflated here, 64 KiB of input
at a time and at most 1 MiB of output per step, and the bytes that come out are counted. A part that
inflates to more than it declares, or to other than it declares, is refused (a parser that trusts the
stream instead of the directory would inflate all of it), as is a workbook whose parts inflate to more
than ``IMPORT_MAX_UNCOMPRESSED_BYTES`` in all. Memory stays at a few megabytes whatever the file.

Each worksheet is scanned as it inflates, before calamine builds its cell grid (which is as large as the
sheet's extent, rows × columns, however few cells are filled): its rows (``<row>`` elements and their
``r`` numbers), its columns (cell references such as ``AB7``; a cell without a reference counts in its
row) and its cells in all. A sheet past ``IMPORT_MAX_ROWS`` rows, ``IMPORT_MAX_COLUMNS`` columns or an
extent of ``IMPORT_MAX_CELLS`` cells is refused.

:class:`Refusal` carries what was wrong; ``chainboard.tabular`` words it for the user.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

IN_CHUNK = 64 * 1024
OUT_CHUNK = 1024 * 1024
PROLOG_BYTES = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="[A-Z]{1,4}\d{1,9}:([A-Z]{1,4})(\d{1,9})"')
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")


class Refusal(Exception):  # noqa: N818 - it is what the caller reports
    """``kind``: "entries", "total", "lying", "method", "damaged", "xml", "rows", "columns", "cells"."""

    def __init__(self, kind: str, **details):
        super().__init__(kind)
        self.kind = kind
        self.details = details


@dataclass
class Limits:
    entries: int
    total: int  # bytes, all parts inflated
    rows: int  # per sheet
    columns: int
    cells: int  # a sheet's extent, rows × columns


@dataclass
class SheetScan:
    """What a worksheet holds, counted as it inflates."""

    part: str
    limits: Limits
    rows: int = 0
    last_row: int = 0  # the highest row number a <row r="…"> names
    columns: int = 0  # the widest row: its last column reference, or its cells counted
    cells: int = 0
    _row: bytes = b"<row"
    _cell: bytes = b"<c"
    _carry: bytes = b""
    _open_row_cells: int = 0
    _started: bool = False
    _numbers: re.Pattern | None = field(default=None, repr=False)
    _refs: re.Pattern | None = field(default=None, repr=False)

    def feed(self, data: bytes, final: bool = False) -> None:
        data = self._carry + data
        if not final:
            # Whole tags only: what follows the last ">" waits for the next chunk (a long text aside).
            end = data.rfind(b">") + 1
            if end == 0 and len(data) < OUT_CHUNK:
                self._carry = data
                return
            data, self._carry = (data[:end], data[end:]) if end else (data, b"")
        if not self._started:
            root = _ROOT.search(data)
            prefix = (root.group(1) or b"") if root else b""
            self._row, self._cell = b"<" + prefix + b"row", b"<" + prefix + b"c"
            # Only a row number past the cap matters (a search, not a match object per row).
            self._numbers = re.compile(
                re.escape(self._row) + rb' r="(' + _greater_than(self.limits.rows) + rb')"'
            )
            self._refs = re.compile(re.escape(self._cell) + rb' r="([A-Z]{2,4})\d')
            self._started = True
            # What the sheet says of its own extent, when it says more than the caps: refused at once
            # (a sheet that says less is still counted, row by row).
            dimension = _DIMENSION.search(data)
            if dimension and int(dimension.group(2)) > self.limits.rows:
                raise Refusal("rows", part=self.part, rows=int(dimension.group(2)), max=self.limits.rows)
            if dimension and _column_number(dimension.group(1)) > self.limits.columns:
                columns = _column_number(dimension.group(1))
                raise Refusal("columns", part=self.part, columns=columns, max=self.limits.columns)
        self._scan(data)

    def _scan(self, data: bytes) -> None:
        # Counted by their opening tags ("<c" also opens <cols>, <col> and <cfRule>: a few more cells
        # than there are, which only a cap reads). Excel, WPS, openpyxl and XlsxWriter write the
        # reference first (<c r="B7" …>), which the fast path reads; any other cell is counted in its row.
        limits = self.limits
        self.rows += data.count(self._row)
        cells = data.count(self._cell)
        self.cells += cells
        beyond = self._numbers.search(data)
        if beyond:
            self.last_row = max(self.last_row, int(beyond.group(1)))
        else:  # rows come in order: the last one names the sheet's height so far
            last = data.rfind(self._row + b' r="')
            if last >= 0:
                digits = data[last + len(self._row) + 4 : last + len(self._row) + 14].split(b'"', 1)[0]
                self.last_row = max(self.last_row, int(digits) if digits.isdigit() else 0)
        # The widest reference: past Z, found by a pattern that matches only those; else the last
        # letter any reference starts with (a search each, not a match object per cell).
        refs = set(self._refs.findall(data))
        if refs:
            widest = max(refs, key=lambda r: (len(r), r))
            self.columns = max(self.columns, _column_number(widest))
        elif self.columns < 26:
            wider = re.compile(re.escape(self._cell) + rb' r="([%c-Z])\d' % (65 + self.columns))
            if wider.search(data):
                self.columns = max(self.columns, *(letter[0] - 64 for letter in set(wider.findall(data))))
        if data.count(self._cell + b' r="') < cells:
            parts = data.split(self._row)
            self._open_row_cells += parts[0].count(self._cell)
            self.columns = max(self.columns, self._open_row_cells)
            for part in parts[1:]:
                self._open_row_cells = part.count(self._cell)
                self.columns = max(self.columns, self._open_row_cells)
        height = max(self.rows, self.last_row)
        if height > limits.rows:
            raise Refusal("rows", part=self.part, rows=height, max=limits.rows)
        if self.columns > limits.columns:
            raise Refusal("columns", part=self.part, columns=self.columns, max=limits.columns)
        if height * max(self.columns, 1) > limits.cells or self.cells > limits.cells:
            raise Refusal(
                "cells", part=self.part, cells=max(height * self.columns, self.cells), max=limits.cells
            )


def _greater_than(n: int) -> bytes:
    """A pattern for the decimal numbers greater than ``n`` (no leading zeros)."""
    digits = str(n)
    options = [rb"[1-9]\d{%d,}" % len(digits)]  # more digits
    for i, d in enumerate(digits):
        if d != "9":
            rest = len(digits) - i - 1
            options.append(
                digits[:i].encode() + b"[%d-9]" % (int(d) + 1) + (rb"\d{%d}" % rest if rest else b"")
            )
    return b"(?:" + b"|".join(options) + b")"


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def inspect(path: str, limits: Limits) -> list[SheetScan]:
    """Inflate every part of the zip at ``path`` under ``limits``; the worksheets' scans, or Refusal."""
    scans = []
    with open(path, "rb") as handle:
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise Refusal("damaged") from exc
        entries = archive.infolist()
        if len(entries) > limits.entries:
            raise Refusal("entries", n=len(entries), max=limits.entries)
        declared = sum(e.file_size for e in entries)
        if declared > limits.total:
            raise Refusal("total", size=declared, max=limits.total)
        size = handle.seek(0, 2)
        total = 0
        for entry in entries:
            scan = SheetScan(entry.filename, limits) if _SHEET_PART.match(entry.filename) else None
            total += _inflate(handle, size, entry, scan, limits.total - total)
            if scan is not None:
                scans.append(scan)
    return scans


def _inflate(handle, size: int, entry: zipfile.ZipInfo, scan: SheetScan | None, budget: int) -> int:
    """The bytes ``entry`` inflates to, counted; refused past its declared size or the budget."""
    handle.seek(entry.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size:
        raise Refusal("damaged")
    signature, _version, flags, method, _t, _d, _crc, csize, usize, name_length, extra_length = (
        _LOCAL_HEADER.unpack(header)
    )
    if signature != b"PK\x03\x04":
        raise Refusal("damaged")
    if method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Refusal("method", part=entry.filename)
    if not flags & 0x08 and 0xFFFFFFFF not in (csize, usize):
        # The local header and the central directory must agree: a reader may believe either.
        if (csize, usize) != (entry.compress_size, entry.file_size):
            raise Refusal("lying", part=entry.filename, declared=entry.file_size)
    start = entry.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    remaining = min(entry.compress_size, max(size - start, 0))
    handle.seek(start)
    inflater = zlib.decompressobj(-15) if method == zipfile.ZIP_DEFLATED else None
    produced, crc, prolog = 0, 0, b""
    xml = entry.filename.endswith((".xml", ".rels", ".vml"))

    def take(data: bytes) -> None:
        nonlocal produced, crc, prolog
        if not data:
            return
        produced += len(data)
        if produced > entry.file_size:
            raise Refusal("lying", part=entry.filename, declared=entry.file_size)
        if produced > budget:
            raise Refusal("total", size=produced, max=budget)
        crc = zlib.crc32(data, crc)
        if xml and len(prolog) < PROLOG_BYTES:
            prolog += data[: PROLOG_BYTES - len(prolog)]
            # A DOCTYPE can only stand before the root element, so the prolog is where to look.
            if _DOCTYPE.search(prolog):
                raise Refusal("xml", part=entry.filename)
        if scan is not None:
            scan.feed(data)

    try:
        while remaining > 0:
            chunk = handle.read(min(IN_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            if inflater is None:
                take(chunk)
                continue
            take(inflater.decompress(chunk, OUT_CHUNK))
            while inflater.unconsumed_tail and not inflater.eof:
                take(inflater.decompress(inflater.unconsumed_tail, OUT_CHUNK))
            if inflater.eof:
                break
        if inflater is not None:
            take(inflater.flush())
    except zlib.error as exc:
        raise Refusal("damaged", part=entry.filename) from exc
    if produced != entry.file_size or crc != entry.CRC:
        raise Refusal("lying", part=entry.filename, declared=entry.file_size)
    if scan is not None:
        scan.feed(b"", final=True)
    return produced
