from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainsConfig(AppConfig):
    name = "chains"
    verbose_name = _("Chains")

    def ready(self) -> None:
        from chainboard.navigation import MenuItem, register

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
