"""What each role may do with regions (accounts/roles.py composes every app's declarations)."""

from accounts.roles import REFERENCE_READERS, VIEW

# Reference data, loaded by command and edited by nobody.
PERMISSIONS = dict.fromkeys(REFERENCE_READERS, {"regions.region": VIEW})
