import sys

from django.core.management.base import BaseCommand

from chainboard.supervisor import Supervisor


class Command(BaseCommand):
    help = (
        "Run the web server and the background task worker (db_worker) together; the worker is restarted "
        "if it dies, and Ctrl-C or SIGTERM stops both. For production, run a WSGI server (gunicorn "
        "chainboard.wsgi) and `chainboard db_worker` separately, each under a service manager."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to listen on")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        supervisor = Supervisor(
            web=[python, "-m", "chainboard.cli", "runserver", addr, "--noreload"],
            worker=[python, "-m", "chainboard.cli", "db_worker"],
            log=lambda text: self.stderr.write(f"chainboard serve: {text}"),
        )
        self.stdout.write(f"chainboard on http://{addr}/")
        status = supervisor.run()
        if status:
            sys.exit(status)
