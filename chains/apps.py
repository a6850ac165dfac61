from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainsConfig(AppConfig):
    name = "chains"
    verbose_name = _("Chains")

    def ready(self) -> None:
        from chainboard import sources
        from chainboard.history import register_operation
        from chainboard.navigation import MenuItem, register

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

        register(MenuItem("chains", _("Chains"), "chains:chain_list", "chains.Chain", "link", 10))
        register(MenuItem("chains", _("Segments"), "chains:segment_list", "chains.Segment", "git-branch", 20))
        register(
            MenuItem(
                "chains",
                _("Segment links"),
                "chains:segmentlink_list",
                "chains.SegmentLink",
                "arrow-right",
                25,
            )
        )
        register(
            MenuItem("chains", _("Positions"), "chains:position_list", "chains.Position", "id-badge", 30)
        )
        register(
            MenuItem(
                "chains",
                _("Chain attributes"),
                "chains:chainattribute_list",
                "chains.ChainAttribute",
                "list-details",
                40,
            )
        )
        register(
            MenuItem(
                "chains",
                _("Chain statistics"),
                "chains:chainstatistic_list",
                "chains.ChainStatistic",
                "chart-bar",
                50,
            )
        )
