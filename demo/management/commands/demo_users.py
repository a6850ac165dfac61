from django.core.management.base import BaseCommand
from django.db import transaction

from chainboard import audit
from chainboard.scope import SystemActor
from demo import investment, problems, projects, users


class Command(BaseCommand):
    help = "Create the demo log-ins (one per role) if missing, and print user names and passwords."

    def handle(self, *args, **options):
        actor = SystemActor("command:demo_users")
        with (
            audit.operation(user=actor, source=audit.Source.COMMAND, label="command:demo_users"),
            transaction.atomic(),
        ):
            rows = users.ensure(actor)
            # Sample projects and rounds name demo users as responsible (示例数据, docs/projects.md).
            projects.load_samples(actor)
            # Sample teams, leads, visits and follow-ups: the investment user's work (docs/investment.md).
            investment.load_samples(actor)
            # Sample problems across the loop, raised by and handled by demo users (docs/closed-loop.md).
            problems.load_samples(actor)
        width = max(len(r[0]) for r in rows)
        self.stdout.write("Demo log-ins (http://127.0.0.1:8000/login/):")
        for username, password, description in rows:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {description}")
