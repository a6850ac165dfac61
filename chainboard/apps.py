from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainboardConfig(AppConfig):
    name = "chainboard"
    verbose_name = _("Chain chief workbench")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django_tasks.signals import task_finished, task_started

        from chainboard import navigation, scheduler

        connection_created.connect(_search_functions, dispatch_uid="chainboard_search_functions")

        # The groups every app may use; an app with a domain of its own declares its group in its ready().
        navigation.register_group("reference", _("Reference data"), 90)
        navigation.register_group("system", _("System"), 100)
        # The audit trail is not a ViewSet's list: its entry is registered here.
        navigation.register(
            navigation.MenuItem(
                "system",
                _("Audit trail"),
                "audit:auditentry_list",
                "chainboard.AuditEntry",
                "shield-check",
                10,
            )
        )
        navigation.register(
            navigation.MenuItem(
                "system",
                _("Scheduled jobs"),
                "schedule:scheduledjob_list",
                "chainboard.ScheduledJob",
                "clock-play",
                50,
            )
        )
        navigation.register(
            navigation.MenuItem(
                "system",
                _("Working days"),
                "workdays:year_list",
                "chainboard.WorkdayYear",
                "calendar-event",
                55,
            )
        )
        navigation.register(
            navigation.MenuItem(
                "system", _("Webhooks"), "webhooks:endpoint_list", "chainboard.WebhookEndpoint", "webhook", 60
            )
        )

        # Periodic jobs (docs/scheduler.md); CHAINBOARD_SCHEDULE may move or switch off each one.
        scheduler.register(
            "purge-imports",
            cron="30 2 * * *",
            task="chainboard.tasks.purge_import_files",
            label=_("Delete uploaded import files past their retention"),
        )
        scheduler.register(
            "verify-audit-trail",
            cron="0 3 * * *",
            task="chainboard.tasks.verify_audit_trail",
            label=_("Verify the audit trail's hash chain"),
        )
        scheduler.register(
            "workday-reminder",
            cron="0 9 * * 1",
            task="chainboard.tasks.remind_workday_schedule",
            label=_("Remind administrators to enter next year's working days"),
        )
        scheduler.register(
            "retry-webhooks",
            cron="* * * * *",
            task="chainboard.tasks.retry_webhooks",
            label=_("Send the webhook deliveries whose next attempt is due"),
        )
        scheduler.register(
            "fold-kept-counts",
            cron="*/10 * * * *",
            task="chainboard.tasks.fold_kept_counts",
            label=_("Fold the changes of the counts kept on write (PostgreSQL)"),
        )
        scheduler.register(
            "search-merge",
            cron="15 3 * * *",
            task="chainboard.tasks.merge_search_index",
            label=_("Merge the search index's segments (SQLite)"),
        )
        scheduler.register(
            "planner-statistics",
            cron="45 3 * * *",
            task="chainboard.tasks.refresh_planner_statistics",
            label=_("Refresh the query planner's statistics of the tables that changed (SQLite)"),
        )
        scheduler.register(
            "daily-digest",
            cron="30 7 * * *",
            task="chainboard.tasks.daily_digest",
            label=_("Send each user the daily digest of their items"),
        )
        task_started.connect(scheduler.on_task_started, dispatch_uid="chainboard-scheduler-started")
        task_finished.connect(scheduler.on_task_finished, dispatch_uid="chainboard-scheduler-finished")


def _search_functions(sender, connection, **kwargs) -> None:
    """SQLite: the functions the search index's triggers call (chainboard.search)."""
    if connection.vendor == "sqlite":
        from chainboard import search

        search.register_functions(connection.connection)
