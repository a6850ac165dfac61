import logging
import signal

from django.core.management.base import BaseCommand

from chainboard import scheduler


class Command(BaseCommand):
    help = (
        "Run the scheduler: every CHAINBOARD_SCHEDULER_SECONDS (30) it enqueues the periodic jobs that are "
        "due (`chainboard schedule` lists them) for the task worker. `chainboard serve` starts it; in "
        "production run it beside `chainboard db_worker` under a service manager. Several app servers may "
        "each run one: every run is claimed by one of them only. SIGTERM or Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None, help="seconds between passes")

    def handle(self, *args, interval: float | None, **options):
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        loop = scheduler.Loop(interval)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, loop.stop)
        self.stderr.write(f"scheduler: {len(scheduler.REGISTRY)} job(s), a pass every {loop.interval:g} s")
        loop.run()
