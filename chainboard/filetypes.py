"""An attachment's content checked against its extension, and how each type is served.

等保 2.0 level 3 (docs/http-security.md). The extension decides how the file is served and so how a
browser treats it: an HTML page renamed ``.pdf`` must not be stored as a PDF. :func:`check` reads each
allowed type's signature:

- PDF ``%PDF-``; PNG, JPEG and WebP their image signatures (photos are also verified by Pillow);
- .docx, .xlsx and .pptx are zip packages whose ``[Content_Types].xml`` (parsed with defusedxml, so no
  DOCTYPE or entities) names the main part of a Word document, an Excel workbook or a PowerPoint
  presentation (not a macro-enabled one); .ofd (GB/T 33190) is a zip package with ``OFD.xml`` at its root;
- .doc and .xls are OLE2 compound files (``D0 CF 11 E0``) holding a ``WordDocument`` or ``Workbook``
  (``Book`` for Excel 5) stream;
- .txt and .csv decode as UTF-8, GB18030 or UTF-16 (with a byte-order mark), hold no control characters,
  and do not begin like an HTML or XML document (the patterns browsers sniff HTML by, WHATWG MIME
  Sniffing 7.1).

No library does this: libmagic (python-magic) names an .xlsx "application/zip" when the package's parts
are stored in another order (a valid workbook), and calls plain text what it cannot place; ``filetype``
looks only at the first bytes and knows neither OFD nor text. What is needed is not "what is this file"
but "is it what its name says", for a dozen types, which is their signature and, for zip packages, one
small part read with the standard library and defusedxml (already a dependency).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A [Content_Types].xml is a few kilobytes; a larger one is not read (nor unpacked).
_CONTENT_TYPES_MAX_BYTES = 1024 * 1024
# What a browser sniffs as HTML (WHATWG MIME Sniffing, 7.1 "rules for identifying an unknown MIME type"),
# plus SVG and any XML document, which a browser may render with scripts too.
_HTML_START = re.compile(
    r"\A\s*(<!--|<\?xml|<(!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body"
    r"|br|p|svg)[\s>/])",
    re.IGNORECASE,
)
# Control characters other than tab, line feed, form feed and carriage return mark a binary file.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_OOXML_MAIN = "application/vnd.openxmlformats-officedocument.{}.main+xml"


@dataclass(frozen=True)
class FileType:
    content_type: str
    inline: bool  # shown in the browser (images, PDF); any other type is downloaded
    description: Promise  # what the content must be, completing "...the content is not %(kind)s"
    matches: Callable[[IO[bytes]], bool]


def _starts_with(*signatures: bytes) -> Callable[[IO[bytes]], bool]:
    return lambda handle: handle.read(16).startswith(signatures)


def _webp(handle: IO[bytes]) -> bool:
    head = handle.read(12)
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _ole2(*streams: str) -> Callable[[IO[bytes]], bool]:
    # A compound file's directory lists its streams' names in UTF-16: a Word file has WordDocument, a
    # workbook Workbook (Book before Excel 97). The directory may sit anywhere, so the file is searched.
    names = [name.encode("utf-16-le") for name in streams]

    def matches(handle: IO[bytes]) -> bool:
        data = handle.read()
        return data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") and any(n in data for n in names)

    return matches


def _zip_package(handle: IO[bytes]) -> zipfile.ZipFile | None:
    if not handle.read(4).startswith(b"PK\x03\x04"):
        return None
    handle.seek(0)
    try:
        return zipfile.ZipFile(handle)
    except zipfile.BadZipFile:
        return None


def _ooxml(main: str) -> Callable[[IO[bytes]], bool]:
    wanted = _OOXML_MAIN.format(main)

    def matches(handle: IO[bytes]) -> bool:
        import defusedxml.ElementTree as ET  # noqa: N817
        from defusedxml import DefusedXmlException

        package = _zip_package(handle)
        if package is None:
            return False
        with package:
            try:
                info = package.getinfo("[Content_Types].xml")
            except KeyError:
                return False
            if info.file_size > _CONTENT_TYPES_MAX_BYTES:
                return False
            try:
                root = ET.fromstring(package.read(info))
            except (DefusedXmlException, ET.ParseError, zipfile.BadZipFile, RuntimeError, ValueError):
                return False
        return any(
            element.tag.endswith("}Override") and element.get("ContentType") == wanted for element in root
        )

    return matches


def _ofd(handle: IO[bytes]) -> bool:
    package = _zip_package(handle)
    if package is None:
        return False
    with package:
        return any(name.lower() == "ofd.xml" for name in package.namelist())


def text_of(data: bytes) -> str | None:
    """The text of a plain-text file in an encoding Chinese offices use, or None when it is not text."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [(data[len(codecs.BOM_UTF8) :], "utf-8")]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [(data, "utf-16")]
    else:
        candidates = [(data, "utf-8"), (data, "gb18030")]
    for raw, encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if _CONTROL.search(text) else text
    return None


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text.lstrip("\ufeff")))


def _plain_text(handle: IO[bytes]) -> bool:
    text = text_of(handle.read())
    return text is not None and not looks_like_html(text)


_PDF = FileType("application/pdf", True, _("a PDF document"), _starts_with(b"%PDF-"))
_JPEG = FileType("image/jpeg", True, _("a JPEG image"), _starts_with(b"\xff\xd8\xff"))
TYPES: dict[str, FileType] = {
    ".pdf": _PDF,
    ".png": FileType("image/png", True, _("a PNG image"), _starts_with(b"\x89PNG\r\n\x1a\n")),
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".webp": FileType("image/webp", True, _("a WebP image"), _webp),
    ".docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        False,
        _("a Word document"),
        _ooxml("wordprocessingml.document"),
    ),
    ".xlsx": FileType(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        False,
        _("an Excel workbook"),
        _ooxml("spreadsheetml.sheet"),
    ),
    ".pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        False,
        _("a PowerPoint presentation"),
        _ooxml("presentationml.presentation"),
    ),
    ".doc": FileType("application/msword", False, _("a Word document"), _ole2("WordDocument")),
    ".xls": FileType("application/vnd.ms-excel", False, _("an Excel workbook"), _ole2("Workbook", "Book")),
    ".ofd": FileType("application/ofd", False, _("an OFD document"), _ofd),
    ".txt": FileType("text/plain", False, _("plain text"), _plain_text),
    ".csv": FileType("text/csv", False, _("plain text"), _plain_text),
}
DOWNLOAD = FileType("application/octet-stream", False, _("a file"), lambda handle: False)


def file_type(name: str) -> FileType:
    """How a stored file of this name is served (an unknown extension: downloaded as bytes)."""
    return TYPES.get(PurePath(name).suffix.lower(), DOWNLOAD)


def check(upload: IO[bytes], name: str) -> None:
    """Refuse a file whose content is not what its extension says, naming the file and the type."""
    suffix = PurePath(name).suffix.lower()
    kind = file_type(name)
    try:
        upload.seek(0)
        if kind.matches(upload):
            return
        upload.seek(0)
        head = upload.read(1024).decode("utf-8", errors="replace")
    finally:
        upload.seek(0)
    if looks_like_html(head):
        raise forms.ValidationError(
            _("%(name)s is a web page (HTML), which cannot be attached as %(suffix)s."),
            params={"name": name, "suffix": suffix},
            code="file_content",
        )
    raise forms.ValidationError(
        _("%(name)s: the name ends in %(suffix)s but the content is not %(kind)s."),
        params={"name": name, "suffix": suffix, "kind": kind.description},
        code="file_content",
    )
