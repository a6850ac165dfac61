import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the web server and the background task worker (db_worker) together; Ctrl-C stops both. "
        "For production, run a WSGI server (gunicorn chainboard.wsgi) and `chainboard db_worker` separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="address:port to listen on")

    def handle(self, *args, addr: str, **options):
        python = sys.executable
        worker = subprocess.Popen([python, "-m", "chainboard.cli", "db_worker"])
        web = subprocess.Popen([python, "-m", "chainboard.cli", "runserver", addr, "--noreload"])
        self.stdout.write(f"chainboard on http://{addr}/ (worker pid {worker.pid}, web pid {web.pid})")
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
            for proc in (web, worker):
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
