"""The organisations' count on the desk (chainboard/desk.py)."""

from django.utils.translation import gettext_lazy as _

from chainboard import desk

desk.register_count(
    desk.Count(
        _("Organisations"), "organisations.Organisation", "organisations:organisation_list", "building", 40
    )
)
