"""What each role may do with investment attraction (accounts/roles.py composes every app's
declarations; docs/investment.md, Who may do what).

The chain office holds everything; the chiefs everything but deleting. The investment team works its chain's leads (scope
comes from its grant: its chain) and reads their confidential fields; a county reads the leads that
would land in it, without the confidential fields and without their contacts. Enterprises and the
auditor hold nothing here. No role holds ``automatic``: the system makes the moves that follow a
conversion and the project's own moves (investment/models.py).
"""

from accounts.roles import ALL, VIEW

LEAD_ALL = (*ALL, "transition", "convert", "view_confidential")
_WORKED = ("view", "add", "change")
_MODELS = (
    "investment.team",
    "investment.teammember",
    "investment.target",
    "investment.event",
    "investment.leadcontact",
    "investment.visit",
    "investment.followup",
)
_EVERYTHING = {
    **dict.fromkeys(_MODELS, ALL),
    "investment.lead": LEAD_ALL,
    "investment.macroregion": VIEW,  # reference data, loaded by a migration
}

# The chiefs hold everything but deleting (docs/roles.md, Deleting: a chief deletes nothing).
_CHIEF = {label: tuple(a for a in actions if a != "delete") for label, actions in _EVERYTHING.items()}

PERMISSIONS = {
    "chief": _CHIEF,
    "office": _EVERYTHING,
    "investment": {
        "investment.lead": ("view", "add", "change", "transition", "convert", "view_confidential"),
        "investment.team": _WORKED,
        "investment.event": _WORKED,
        "investment.visit": _WORKED,
        "investment.followup": _WORKED,
        # A team's members and a lead's contacts are small rows of the records the team keeps: a wrong
        # one is removed.
        "investment.teammember": ALL,
        "investment.leadcontact": ALL,
        "investment.target": VIEW,  # set by the chain office
        "investment.macroregion": VIEW,
    },
    "county": {
        "investment.lead": VIEW,
        "investment.visit": VIEW,
        "investment.followup": VIEW,
        "investment.macroregion": VIEW,
    },
}
