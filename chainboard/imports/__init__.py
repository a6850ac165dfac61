"""Import rows from a spreadsheet into any entity that has a ViewSet with a form.

The columns are the entity's form fields, found in the file's header by their labels in Chinese or
English, their field names or aliases the model declares (``import_aliases``). A header may carry a
money unit, "总投资（万元）": the value is multiplied into yuan. A title row above the header, a
two-row (merged) header and a 序号 column are recognised; blank rows and 合计 rows are skipped.

A key column means update: ``id`` (or the primary key the form shows, such as a region code) and any
field the model lists in ``import_keys`` (the enterprise's USCC). A row whose key finds a record the
user may change updates it, using only the columns the file fills in (a blank cell leaves the value
as it is); a row without a key, or whose natural key finds nothing, creates a record.

Every row is validated by the entity's own form (the same messages as the web page), with the
relation columns resolved in one query per column instead of one per row, and uniqueness checked in
bulk. :meth:`Importer.run` writes all rows in one transaction, checks that every written row lies in
the user's scope, and writes one audit row per record and the search index; with ``commit=False`` it
does all of that except the audit and search work and rolls back (the preview is a dry run, so scope
and database constraints are checked before the user commits). Any error means nothing is written.

The package, along the import's seams:

- ``headers``: finding the header row, merged group titles, units in a title (``find_header``).
- ``mapping``: the entity's columns, their names and aliases, the default mapping (``Spec``).
- ``rows``: the data rows below the header, and which are skipped.
- ``values``: cell text as the form expects it (numbers, units, booleans, choices, lists, codes).
- ``lookups``: relation values (primary key, code or name) resolved in bulk.
- ``regions``: region names as offices write them (泽州, 晋城市城区), the city's own first.
- ``scoping``: the user's one chain or county as a default, and each row checked against the scope.
- ``validation``: each row through the entity's form (``RowValidator``).
- ``checking`` / ``parallel``: the check, in this process or in forked workers.
- ``writing``: the transaction, relations, audit and search index.
- ``related`` / ``relatedrows``: wide ledgers, records of related entities a row also fills (the
  ViewSet's ``import_related``), the file's period, where each column goes.
- ``importer``: ``Importer``, the check and the write of one file.
- ``jobs``: the web flow's background tasks.
- ``reading``: the file read as a table: its sheet or sheets, its header, what the user is told.
- ``zipguard``: a workbook's parts inflated as a stream and counted, before any parser opens it.
- ``outcome``: errors, counts and preview; the limits on them.

Parsing the file itself is ``chainboard.tabular`` (python-calamine, xlrd, csv).
"""

from chainboard.imports.checking import Checking
from chainboard.imports.headers import (
    _HEADER_SPACE,
    _UNIT,
    HEADER_SCAN_ROWS,
    IGNORED_HEADERS,
    UNITS,
    find_header,
    merge_header_rows,
    normalise_header,
)
from chainboard.imports.importer import Importer
from chainboard.imports.jobs import (
    job_rows,
    run_job,
    settle_lost,
    settle_stalled,
    start_job,
)
from chainboard.imports.lookups import _default_lookup_fields, _Lookup, _typed
from chainboard.imports.mapping import Column, Spec, _labels, auto_mapping
from chainboard.imports.outcome import (
    BATCH,
    CHUNK,
    MAX_ERRORS,
    PREVIEW_ROWS,
    ImportError_,
    Outcome,
    RowError,
    _Params,
    _Rollback,
)
from chainboard.imports.parallel import SHARE_ROWS, _check_share, _parallel_check, _Restorer
from chainboard.imports.reading import Table, read_table
from chainboard.imports.rows import TOTAL_MARKERS, _Row, data_rows, skip_reason, skip_reasons
from chainboard.imports.scoping import ScopeCheck, scope_defaults
from chainboard.imports.validation import ResolvedField, RowValidator, _CheckContext, import_form
from chainboard.imports.values import FALSE_WORDS, LIST_SPLIT, NUMBER_BLANKS, TRUE_WORDS, convert
from chainboard.imports.writing import Writing, _all_related, _current_related

__all__ = [
    "BATCH",
    "CHUNK",
    "FALSE_WORDS",
    "HEADER_SCAN_ROWS",
    "IGNORED_HEADERS",
    "LIST_SPLIT",
    "MAX_ERRORS",
    "NUMBER_BLANKS",
    "PREVIEW_ROWS",
    "SHARE_ROWS",
    "TOTAL_MARKERS",
    "TRUE_WORDS",
    "UNITS",
    "_HEADER_SPACE",
    "_UNIT",
    "Checking",
    "Column",
    "ImportError_",
    "Importer",
    "Outcome",
    "RowError",
    "ResolvedField",
    "RowValidator",
    "ScopeCheck",
    "Spec",
    "Table",
    "Writing",
    "_CheckContext",
    "_Lookup",
    "_Params",
    "_Restorer",
    "_Rollback",
    "_Row",
    "_all_related",
    "_check_share",
    "_current_related",
    "_default_lookup_fields",
    "_labels",
    "_parallel_check",
    "_typed",
    "auto_mapping",
    "convert",
    "data_rows",
    "find_header",
    "job_rows",
    "merge_header_rows",
    "read_table",
    "skip_reason",
    "skip_reasons",
    "import_form",
    "normalise_header",
    "run_job",
    "scope_defaults",
    "settle_lost",
    "settle_stalled",
    "start_job",
]
