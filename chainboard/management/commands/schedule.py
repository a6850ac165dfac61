from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chainboard import audit, scheduler
from chainboard.scope import SystemActor


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"


class Command(BaseCommand):
    help = (
        "Periodic jobs: `schedule` lists every job with its cron, last run (time, status, error) and next "
        "run; `schedule run NAME` enqueues that job's task now for the task worker (audited); its next "
        "scheduled run stays as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", nargs="?", choices=["list", "run"], default="list")
        parser.add_argument("name", nargs="?", help="run: the job's name")

    def handle(self, *args, verb: str, name: str | None, **options):
        jobs = scheduler.sync()
        if verb == "list":
            for job in jobs.values():
                state = "on" if job.enabled and job.cron else "off"
                self.stdout.write(
                    f"{job.name}  [{state}]  cron {job.cron or '-'}  next {_when(job.next_run_at)}  "
                    f"last {_when(job.last_run_at)} {job.last_status or 'never'}"
                    + (f": {job.last_error}" if job.last_error else "")
                    + ("" if job.name in scheduler.REGISTRY else "  (no longer registered)")
                )
            return
        job = jobs.get(name or "")
        if job is None:
            raise CommandError(f"no job named {name!r}; `chainboard schedule` lists them")
        label = f"command:schedule run {job.name}"
        with audit.operation(user=SystemActor(label), source=audit.Source.COMMAND, label=label):
            result = scheduler.run_now(SystemActor(label), job)
        self.stdout.write(f"{job.name}: task {result.id} {str(result.status).lower()}")
