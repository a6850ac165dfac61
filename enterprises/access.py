"""What each role may do with enterprises and their records (accounts/roles.py composes every app's
declarations).

Individual enterprises' figures (``enterprises.indicator``) are confidential: only the chiefs, the chain
office, county staff and the enterprise itself hold ``view_indicator``.
"""

from accounts.roles import VIEW, all_of

_READ = {
    "enterprises.enterprise": VIEW,
    "enterprises.membership": VIEW,
    "enterprises.product": VIEW,
    "enterprises.contact": VIEW,
    "enterprises.abovesizestatus": VIEW,
}

PERMISSIONS = {
    "chief": {**_READ, "enterprises.indicator": VIEW},
    "office": all_of(
        "enterprises.enterprise",
        "enterprises.membership",
        "enterprises.product",
        "enterprises.contact",
        "enterprises.abovesizestatus",
        "enterprises.indicator",
    ),
    # County staff keep their county's enterprises; memberships of chains are the chain office's.
    "county": {
        **all_of(
            "enterprises.enterprise",
            "enterprises.product",
            "enterprises.contact",
            "enterprises.abovesizestatus",
            "enterprises.indicator",
        ),
        "enterprises.membership": VIEW,
    },
    "investment": _READ,  # no enterprise's figures (统计法)
    "enterprise": {
        "enterprises.enterprise": ("view", "change"),
        "enterprises.membership": VIEW,
        "enterprises.abovesizestatus": VIEW,
        **all_of("enterprises.product", "enterprises.contact", "enterprises.indicator"),
    },
}
