from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import login
from chainboard import audit
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "Log-in locks: list the user names locked after repeated failed sign-ins, or lift the lock on one "
        "(audited, as the administrator's page does). For when no administrator can sign in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", help="the user name to unlock; without it, list the locks")

    def handle(self, *args, username: str | None, **options):
        if not username:
            rows = login.locked_accounts()
            for row in rows:
                until = timezone.localtime(row["locked_until"]).strftime("%Y-%m-%d %H:%M")
                addresses = ", ".join(row["addresses"])
                self.stdout.write(
                    f"{row['username']}\t{row['failures']} failures\tuntil {until}\t{addresses}"
                )
            if not rows:
                self.stdout.write("No user name is locked.")
            return
        if login.locked_until(username) is None:
            raise CommandError(f"{username} is not locked.")
        with audit.operation(
            user=SystemActor("command:unlock"), source=audit.Source.COMMAND, label="command:unlock"
        ):
            login.unlock(username)
        self.stdout.write(f"The lock on {username} was lifted.")
