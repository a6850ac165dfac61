import os

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from chainboard import workers


class Command(WorkerCommand):
    help = (
        "Run the background task worker (django-tasks-db's db_worker). At start it fails the tasks of "
        "workers that died (their import jobs settled, committed rows made searchable), then keeps a "
        "heartbeat so that the next worker can tell if this one dies."
    )

    def handle(self, *args, worker_id: str, reload: bool, batch: bool, **options):
        if reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child runs this again and does the work.
            return super().handle(*args, worker_id=worker_id, reload=reload, batch=batch, **options)
        heartbeat = workers.Heartbeat(worker_id).start()
        try:
            return super().handle(*args, worker_id=worker_id, reload=reload, batch=batch, **options)
        finally:
            heartbeat.stop()
