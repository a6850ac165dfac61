from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo data"

    def ready(self) -> None:
        from chainboard import sources
        from chainboard.history import register_operation

        register_operation("command:load_demo", _("Load of the demo data"))
        register_operation("command:demo_users", _("Set-up of the demo users"))

        # The demo's own sources (demo/users.py), shown in the reader's language.
        sources.register_note(
            "Sample data: demo log-in", _("Sample data: demo log-in"), "示例数据: demo log-in"
        )
        sources.register_note("Sample data: demo grant", _("Sample data: demo grant"), "示例数据: demo grant")
