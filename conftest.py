"""Test set-up shared by every app: fast hashing, files in a temporary folder, and the fixed cast."""

import pytest
from django.conf import settings


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # WhiteNoise scans every static file when a client starts (0.4 s a client); tests don't need it.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "whitenoise" not in m]
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}
    }


@pytest.fixture(autouse=True)
def _planner_statistics_not_kept(request, django_db_blocker):
    """A test that commits (``transactional_db``, ``live_server``) may commit SQLite's planner statistics
    too: an import analyses what it wrote (chainboard/planner.py). They outlive the flush that empties
    the tables, and the tests after it would be planned by them; so they are removed after such a test."""
    yield
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    from django.db import connection

    from chainboard import planner

    if connection.vendor != "sqlite":
        return
    with django_db_blocker.unblock():
        if planner.recorded(connection) != ({}, set()):
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM sqlite_stat1")
                cursor.execute("ANALYZE sqlite_master")  # the planner rereads them: none


@pytest.fixture
def world(db):
    """A small city: 晋城 with two counties, two chains, enterprises in and out of each scope, and one
    user per role (see chainboard/testing.py)."""
    from chainboard.testing import build_world

    return build_world()


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"chainboard database: {engine}"


@pytest.fixture(scope="module")
def _audit_triggers_back_after_module(django_db_setup, django_db_blocker):
    yield
    from chainboard.testing import set_audit_triggers

    with django_db_blocker.unblock():
        set_audit_triggers(True)


@pytest.fixture
def audit_triggers_lifted_for_flush(_audit_triggers_back_after_module, transactional_db):
    """For ``transactional_db`` tests: the audit triggers stand while the test runs and are lifted for the
    flush that empties the tables after it (see chainboard.testing.set_audit_triggers)."""
    from chainboard.testing import set_audit_triggers

    set_audit_triggers(True)
    yield
    set_audit_triggers(False)
