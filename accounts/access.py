"""What each role may do with users, grants and locked accounts (accounts/roles.py composes every app's
declarations).

三员 (separation of duties, docs/roles.md): the system administrator manages users and grants; the
security administrator reviews who holds what and looks after the security policies (log-in locks).
"""

from .roles import VIEW, all_of

PERMISSIONS = {
    "admin": {
        **all_of("accounts.user", "accounts.grant"),
        # Locked accounts (django-axes' attempt rows): see them, and lift a lock (deletes the rows, audited).
        "axes.accessattempt": ("view", "delete"),
    },
    "security_admin": {"accounts.user": VIEW, "accounts.grant": VIEW, "axes.accessattempt": VIEW},
}
