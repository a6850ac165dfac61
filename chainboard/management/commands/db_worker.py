import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as WorkerCommand

from chainboard import workers


class Command(WorkerCommand):
    help = (
        "Run the background task worker (django-tasks-db's db_worker). At start it fails the tasks of "
        "workers that died (their import jobs settled), then keeps a "
        "heartbeat so that the next worker can tell if this one dies. A busy or dropped database "
        "pauses it (logged) instead of stopping it."
    )

    def handle(self, *args, worker_id: str, reload: bool, batch: bool, **options):
        if reload and not batch and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":
            # The autoreloader's parent only watches files; its child runs this again and does the work.
            return super().handle(*args, worker_id=worker_id, reload=reload, batch=batch, **options)
        self.configure_logging(options["verbosity"])
        queues = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queues:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = workers.SturdyWorker(
            queue_names=queues,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        heartbeat = workers.Heartbeat(worker_id).start()
        try:
            worker.configure_signals()
            if reload and not batch:
                run_with_reloader(worker.run)
            else:
                worker.run()
        finally:
            heartbeat.stop()
