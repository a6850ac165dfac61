"""A record's source, shown in the reader's language.

A record's ``source`` is stored as written by whoever entered it: a document and its section
(``TA0302 reply, 二(三)``) or a short note (``Sample data``). The stored text stays as it is (it is data,
audited as entered); what a page or an export shows goes through :func:`display`:

- a document an app registered (:func:`register_document`) is named in the reader's language
  (``TA0302号提案答复``) and its section keeps the reader's punctuation (``二（三）`` in Chinese);
- a note an app registered (:func:`register_note`) is translated as a whole;
- any other text is shown as stored.

Registration happens in an app's ``ready()``: the framework knows no document of its own.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

# stored key -> translatable name ("TA0302 reply" -> gettext_lazy("TA0302 reply"))
_documents: dict[str, Any] = {}
# stored text (and its older spellings) -> translatable note
_notes: dict[str, Any] = {}

# Chinese typesetting of a section reference: full-width brackets and commas, an ideographic semicolon.
_ZH_PUNCTUATION = str.maketrans({"(": "（", ")": "）", ",": "，", ";": "；"})


def register_document(key: str, name: Any) -> None:
    """Sources starting with ``key`` (then ", " and a section) name the document ``name`` (lazy text)."""
    _documents[key] = name


def register_note(text: str, note: Any, *aliases: str) -> None:
    """A source that is exactly ``text`` (or one of ``aliases``, older spellings) reads as ``note``."""
    for key in (text, *aliases):
        _notes[key] = note


def display(source: str | None) -> str:
    """``source`` as the reader should see it (see the module's docstring); "" for none."""
    if not source:
        return ""
    note = _notes.get(source.strip())
    if note is not None:
        return str(note)
    key, sep, section = source.partition(",")
    name = _documents.get(key.strip())
    if name is None:
        return source
    section = section.strip()
    if not section:
        return str(name)
    if (get_language() or "").lower().startswith("zh"):
        section = re.sub(r"([,;])\s+", r"\1", section).translate(_ZH_PUNCTUATION)
    return _("%(document)s, %(section)s") % {"document": name, "section": section}
