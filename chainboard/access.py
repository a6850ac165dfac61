"""What each role may do with the framework's own records: journal entries, attachments and the audit
trail (accounts/roles.py composes every app's declarations)."""

from accounts.roles import ALL, VIEW

# Working roles comment on and attach files to the records they see.
_COLLAB = {"chainboard.journalentry": ("view", "add"), "chainboard.attachment": ("view", "add", "delete")}

PERMISSIONS = {
    "chief": {
        "chainboard.journalentry": ("view", "add"),
        "chainboard.attachment": VIEW,
        # Chiefs instruct (批示, docs/instructions.md); whoever may view the record reads its instructions,
        # and the instructed user answers them: neither is a permission of a role.
        "chainboard.instruction": ("add",),
    },
    "office": _COLLAB,
    "county": _COLLAB,
    "investment": _COLLAB,
    "enterprise": _COLLAB,
    "unit": _COLLAB,
    # The auditor only reads the trail; nobody writes it but the write path.
    "auditor": {"chainboard.auditentry": VIEW},
    # The administrator sees the scheduled jobs, runs one by hand and switches one on or off
    # (docs/scheduler.md).
    "admin": {
        "chainboard.scheduledjob": ("view", "change"),
        # The working-day schedule of a year the calendar does not cover yet (docs/workdays.md).
        "chainboard.workdayyear": ALL,
        "chainboard.workdayoverride": ALL,
        # Webhooks (docs/notices.md): endpoints are switched off, never deleted (their delivery log
        # stays); a delivery is retried by hand.
        "chainboard.webhookendpoint": ("view", "add", "change"),
        "chainboard.webhookdelivery": ("view", "change"),
    },
}
