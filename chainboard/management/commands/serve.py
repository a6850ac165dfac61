import sys

from django.conf import settings
from django.core.management.base import BaseCommand

from chainboard.supervisor import Supervisor


class Command(BaseCommand):
    help = (
        "Run the web server, the background task worker (db_worker) and the scheduler together; the worker "
        "and the scheduler are restarted if they die, and Ctrl-C or SIGTERM stops all three. "
        "CHAINBOARD_SCHEDULER=false or --no-scheduler leaves the scheduler out (an extra app server may; "
        "running it on every server is safe too). For production, run a WSGI server (gunicorn "
        "chainboard.wsgi), `chainboard db_worker` and `chainboard scheduler` separately, each under a "
        "service manager."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to listen on")
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help="do not run the scheduler (CHAINBOARD_SCHEDULER=false)",
        )

    def handle(self, *args, addr: str, no_scheduler: bool, **options):
        python = sys.executable
        with_scheduler = settings.SCHEDULER_ENABLED and not no_scheduler
        supervisor = Supervisor(
            web=[python, "-m", "chainboard.cli", "runserver", addr, "--noreload"],
            worker=[python, "-m", "chainboard.cli", "db_worker"],
            scheduler=[python, "-m", "chainboard.cli", "scheduler"] if with_scheduler else None,
            log=lambda text: self.stderr.write(f"chainboard serve: {text}"),
        )
        self.stdout.write(f"chainboard on http://{addr}/")
        status = supervisor.run()
        if status:
            sys.exit(status)
