from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from chainboard import audit, planner
from chainboard.scope import SystemActor
from demo import investment, jincheng, problems, projects


class Command(BaseCommand):
    help = (
        "Load the Jincheng demo: the facts of the TA0302 reply (each with its source) and sample data "
        "marked 示例数据. Sets the city up first if needed. Idempotent. Audited."
    )

    def handle(self, *args, **options):
        from regions.models import Region

        if not Region.objects.filter(code="140500").exists():
            call_command("load_regions", stdout=self.stdout)
        call_command("load_industries", stdout=self.stdout)
        call_command("setup", stdout=self.stdout)
        actor = SystemActor("command:load_demo")
        with (
            audit.operation(user=actor, source=audit.Source.COMMAND, label="command:load_demo"),
            transaction.atomic(),
        ):
            counts = jincheng.load(actor)
            counts.update(projects.load(actor))
            counts.update(investment.load(actor))
            counts.update(problems.load(actor))
        planner.refresh_after("load-demo")  # SQLite's statistics for what was loaded (docs/planner.md)
        self.stdout.write(
            f"demo: {counts['enterprises']} enterprises, {counts['organisations']} organisations, "
            f"{counts['projects']} projects, {counts['events']} investment events, {counts['tasks']} tasks"
        )
