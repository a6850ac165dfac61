"""Availability under a busy database: sessions are not written on every request, a lock held too long
answers 503 with Retry-After (never 500 or 400), and a task worker that died is noticed at the next
worker's start, its jobs failed and its committed rows made searchable."""

import time
from io import StringIO

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chainboard.middleware import SESSION_REFRESHED_KEY


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def session_writes(ctx) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]


def signed_in(client, world, username="office"):
    client.force_login(world.users[username])
    client.get(reverse("home"))  # the first page after signing in stamps the session once
    return Session.objects.get(pk=client.session.session_key)


# ---- sessions ---------------------------------------------------------------------------------------


def test_a_plain_get_does_not_write_the_session(client, world):
    before = signed_in(client, world)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200
    assert session_writes(ctx) == []
    assert Session.objects.get(pk=before.pk).expire_date == before.expire_date


def test_a_session_idle_past_the_refresh_interval_is_extended_by_the_next_request(client, world):
    signed_in(client, world)
    store = SessionStore(client.session.session_key)
    store[SESSION_REFRESHED_KEY] = int(time.time()) - 3600
    store.set_expiry(120)  # about to time out
    store.save()
    old_expiry = Session.objects.get(pk=store.session_key).expire_date
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200
    row = Session.objects.get(pk=store.session_key)
    assert row.get_decoded()[SESSION_REFRESHED_KEY] >= int(time.time()) - 60
    assert row.expire_date > old_expiry


def test_a_busy_database_does_not_fail_a_page_for_the_session_refresh(client, world, monkeypatch):
    signed_in(client, world)
    store = SessionStore(client.session.session_key)
    store[SESSION_REFRESHED_KEY] = 0
    store.save()

    def busy_save(self, must_create=False):
        try:
            locked()
        except OperationalError as exc:
            raise UpdateError from exc

    monkeypatch.setattr(SessionStore, "save", busy_save)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 200


def test_a_busy_database_when_saving_a_changed_session_answers_503_not_400(client, world, monkeypatch):
    signed_in(client, world)

    def busy_save(self, must_create=False):
        try:
            locked()
        except OperationalError as exc:
            raise UpdateError from exc

    def changes_the_session(self, request):
        request.session["filters"] = "changed"
        return HttpResponse("ok")

    monkeypatch.setattr(SessionStore, "save", busy_save)
    monkeypatch.setattr("chainboard.views.generic.ListView.get", changes_the_session)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


# ---- a locked database in a view ----------------------------------------------------------------------


def test_a_locked_database_in_a_view_answers_503_with_retry_after_and_a_translated_page(
    client, world, monkeypatch
):
    signed_in(client, world)
    monkeypatch.setattr("chainboard.views.generic.ListView.get", locked)
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "数据库正忙" in response.content.decode()


def test_a_locked_database_in_an_api_call_answers_503_problem_json(client, world, monkeypatch, settings):
    settings.BUSY_RETRY_SECONDS = 7
    out = StringIO()
    call_command("token", "create", "office", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    monkeypatch.setattr("chainboard.api.RowReader.rows", locked)
    response = client.get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503


def test_other_database_errors_are_not_taken_for_a_busy_database(client, world, monkeypatch):
    signed_in(client, world)

    def broken(*args, **kwargs):
        raise OperationalError("no such table: nowhere")

    monkeypatch.setattr("chainboard.views.generic.ListView.get", broken)
    client.raise_request_exception = False
    response = client.get(reverse("enterprises:enterprise_list"))
    assert response.status_code == 500


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's busy time-out")
def test_sqlite_waits_for_the_write_lock_as_long_as_configured(db, settings):
    from django.db import connections

    with connections["default"].cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == settings.SQLITE_BUSY_SECONDS * 1000 == 60_000
