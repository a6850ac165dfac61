"""What each role may do with chains and their structure (accounts/roles.py composes every app's
declarations)."""

from accounts.roles import ALL, VIEW, all_of

_READ = {
    "chains.chain": VIEW,
    "chains.segment": VIEW,
    "chains.segmentlink": VIEW,
    "chains.position": VIEW,
    "chains.chainattribute": VIEW,
    "chains.chainstatistic": VIEW,
}

PERMISSIONS = {
    "chief": _READ,
    "office": {
        # The city designates its chains (`chainboard setup`): the office keeps a chain's record and its
        # structure up to date but neither adds nor deletes a chain (docs/roles.md, Deleting).
        "chains.chain": ("view", "change"),
        **all_of("chains.segment", "chains.segmentlink", "chains.chainattribute", "chains.chainstatistic"),
        # Positions give their holders roles: the office reads them, only the administrator changes them.
        "chains.position": VIEW,
    },
    "county": _READ,
    "investment": _READ,
    # What the source letter published about the chain (official statistics, special actions,
    # mechanisms) is no secret from the chain's own enterprises (docs/scope.md); its positions are.
    "enterprise": {label: actions for label, actions in _READ.items() if label != "chains.position"},
    # 三员: the administrator manages the positions that grant roles; the security administrator reviews them.
    "admin": {"chains.position": ALL},
    "security_admin": {"chains.position": VIEW},
}
