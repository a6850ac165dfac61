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


@pytest.fixture
def world(db):
    """A small city: 晋城 with two counties, two chains, enterprises in and out of each scope, and one
    user per role (see chainboard/testing.py)."""
    from chainboard.testing import build_world

    return build_world()


def pytest_report_header(config):
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"chainboard database: {engine}"
