"""Search keys never left half-built: a durable record of the keys an import still owes.

An import commits its rows and audit rows in one transaction and writes their search keys after it, in
batches of their own (so other writers get in between). :func:`owe` runs inside the import's
transaction: the debt commits with the rows or not at all. :func:`paid` deletes it when the last batch of
keys is written. A process killed in between (``kill -9``, the OOM killer, a restart) leaves the debt
behind, and :func:`repair` (run by the task worker at its start and at every heartbeat,
``chainboard.workers.Heartbeat``) rebuilds the keys of every record the operation created or changed,
once the debt's owner is gone. This covers imports from the web (a task) and from the command line
(``chainboard import-file``) alike.

A debt is claimed before it is repaired (its owner becomes the repairing process, in one UPDATE that
only one process can win), so two workers never rebuild the same keys at once, and a worker that dies
while repairing leaves the debt to the next.
"""

from __future__ import annotations

import logging
import os

from django.contrib.contenttypes.models import ContentType
from django.db import models

from chainboard import audit, search, workers

logger = logging.getLogger(__name__)


def _me() -> dict:
    pid = os.getpid()
    return {"host": workers.HOST, "pid": pid, "process_started": workers.process_started(pid)}


def owe(model: type[models.Model], operation_id=None) -> None:
    """Record, inside the import's transaction, that ``model``'s rows of this operation need keys."""
    from chainboard.models import SearchDebt

    if not search.search_fields(model):
        return
    SearchDebt.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(model),
        operation_id=operation_id or audit.current_operation().id,
        defaults=_me(),
    )


def paid(model: type[models.Model], operation_id=None) -> None:
    """The keys of ``model``'s rows of this operation are all written."""
    from chainboard.models import SearchDebt

    SearchDebt.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        operation_id=operation_id or audit.current_operation().id,
    ).delete()


_repairing: set[int] = set()  # debts this process is repairing now (in its heartbeat thread)


def release_mine() -> int:
    """Give up the debts this process still holds (a task ended without writing its keys: an error in
    the key step): the next :func:`repair` takes them. Called by the worker after every task."""
    from chainboard.models import SearchDebt

    mine = SearchDebt.objects.filter(host=workers.HOST, pid=os.getpid()).exclude(pk__in=list(_repairing))
    return mine.update(pid=0, process_started=None)


def _owner_gone(debt) -> bool:
    if debt.pid == 0:  # released
        return True
    if debt.host == workers.HOST:
        if debt.pid == os.getpid():
            return False
        return not workers._process_alive(debt.pid, debt.process_started)
    from django.conf import settings
    from django.utils import timezone

    # Another host's process cannot be checked: its debt is taken for abandoned after the stall window.
    age = (timezone.now() - debt.created_at).total_seconds()
    return age > settings.IMPORT_STALL_SECONDS


def repair() -> int:
    """Rebuild the keys of every debt whose owner is gone; returns the number of records re-keyed."""
    from chainboard import imports
    from chainboard.models import SearchDebt

    done = 0
    for debt in list(SearchDebt.objects.select_related("content_type")):
        if not _owner_gone(debt):
            continue
        claimed = SearchDebt.objects.filter(pk=debt.pk, host=debt.host, pid=debt.pid).update(**_me())
        if not claimed:
            continue  # another process took it
        _repairing.add(debt.pk)
        try:
            model = debt.content_type.model_class()
            count = imports.reindex_operation(model, debt.operation_id) if model is not None else 0
            SearchDebt.objects.filter(pk=debt.pk).delete()
        finally:
            _repairing.discard(debt.pk)
        logger.warning(
            "search keys of %s records of operation %s rebuilt (their import stopped before writing them)",
            count,
            debt.operation_id,
        )
        done += count
    return done
