from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainsConfig(AppConfig):
    name = "chains"
    verbose_name = _("Chains")

    def ready(self) -> None:
        from chainboard import sources
        from chainboard.history import register_operation
        from chainboard.navigation import register_group

        register_operation("command:setup", _("Set-up of the city's chains"))

        # The source letter the city's chains are set up from (cities/jincheng.yaml, the demo): its
        # sources read "TA0302 reply, <section>", shown as TA0302号提案答复 <section> in Chinese.
        sources.register_document("TA0302 reply", _("TA0302 reply"))
        sources.register_note("Sample data", _("Sample data"), "示例数据")
        sources.register_note(
            "Sample data: segment links inferred from the TA0302 reply",
            _("Sample data: segment links inferred from the TA0302 reply"),
            "示例数据: graph edges inferred from the TA0302 reply",
        )

        register_group("chains", _("Chains"), 10)
