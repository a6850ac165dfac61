from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chainboard import actions, audit
from chainboard.models import ApiToken
from chainboard.models.tokens import hash_token
from chainboard.scope import SystemActor


class Command(BaseCommand):
    help = (
        "Manage API tokens. `token create USERNAME [--name NAME]` prints the new token alone on its last "
        "line (it is not stored, only its hash); `token revoke PREFIX` revokes; `token list USERNAME`."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=["create", "revoke", "list"])
        parser.add_argument("target", help="a user name (create, list) or a token prefix (revoke)")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, verb: str, target: str, name: str, **options):
        actor = SystemActor(f"command:token {verb}")
        with audit.operation(user=actor, source=audit.Source.COMMAND, label=f"command:token {verb}"):
            if verb == "create":
                user = get_user_model().objects.filter(username=target, is_active=True).first()
                if user is None:
                    raise CommandError(f"no active user named {target}")
                raw = ApiToken.generate()
                actions.create_direct(
                    actor, ApiToken(user=user, name=name, prefix=raw[:8], key_hash=hash_token(raw))
                )
                self.stdout.write(f"token for {user.username} (shown once; keep it secret):")
                self.stdout.write(raw)
            elif verb == "revoke":
                tokens = list(ApiToken.objects.filter(prefix=target, revoked=False))
                if not tokens:
                    raise CommandError(f"no active token starts with {target}")
                for token in tokens:
                    actions.save_fields(actor, token, revoked=True)
                self.stdout.write(f"revoked {len(tokens)} token(s)")
            else:
                for token in ApiToken.objects.filter(user__username=target).order_by("-created_at"):
                    state = "revoked" if token.revoked else "active"
                    self.stdout.write(
                        f"{token.prefix}…  {state}  {token.name}  last used {token.last_used or '—'}"
                    )
