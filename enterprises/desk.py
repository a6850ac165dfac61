"""The enterprises' count on the desk (chainboard/desk.py)."""

from django.utils.translation import gettext_lazy as _

from chainboard import desk

desk.register_count(
    desk.Count(
        _("Enterprises"), "enterprises.Enterprise", "enterprises:enterprise_list", "building-store", 30
    )
)
