"""What the server tells browsers (等保 2.0 level 3; docs/http-security.md): a Content-Security-Policy on
every page, no caching of what a logged-in user sees, HSTS with secure cookies, and a clean
``check --deploy`` with the production environment the documentation gives."""

from __future__ import annotations

import io
import re
import runpy
import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs" / "http-security.md"
SETTINGS = Path(settings.BASE_DIR) / "chainboard" / "settings.py"
# The settings check --deploy reads; the others (databases, apps) stay as the test run has them.
DEPLOY_SETTINGS = re.compile(
    r"^(DEBUG|SECRET_KEY|ALLOWED_HOSTS|SILENCED_SYSTEM_CHECKS|X_FRAME_OPTIONS|(SECURE|SESSION|CSRF)_\w+)$"
)


def production_environment() -> dict[str, str]:
    """The variables of the production block in docs/http-security.md, with a freshly generated key."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- production-env -->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert block, "docs/http-security.md has no production-env block"
    variables = dict(line.split("=", 1) for line in block.group(1).splitlines() if "=" in line)
    variables["CHAINBOARD_SECRET_KEY"] = secrets.token_urlsafe(50)
    return variables


def settings_under(monkeypatch, environment: dict[str, str]) -> dict:
    """chainboard/settings.py evaluated afresh under these environment variables."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


def test_check_deploy_reports_no_issue_with_the_documented_production_environment(monkeypatch):
    # Set for the browser tests when their module is collected; a server never has it (async.E001).
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    produced = settings_under(monkeypatch, production_environment())
    deploy = {name: value for name, value in produced.items() if DEPLOY_SETTINGS.match(name)}
    stdout, stderr = io.StringIO(), io.StringIO()
    with override_settings(**deploy):
        call_command("check", deploy=True, stdout=stdout, stderr=stderr)
    assert stderr.getvalue() == ""
    assert "System check identified no issues" in stdout.getvalue()


def test_secure_cookies_turn_on_hsts_and_the_https_redirect(monkeypatch):
    produced = settings_under(monkeypatch, {"CHAINBOARD_SECURE_COOKIES": "true"})
    assert produced["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert produced["SECURE_SSL_REDIRECT"] is True
    plain = settings_under(monkeypatch, {"CHAINBOARD_SECURE_COOKIES": "false"})
    assert plain["SECURE_HSTS_SECONDS"] == 0 and plain["SECURE_SSL_REDIRECT"] is False


def test_an_https_response_carries_hsts_under_the_production_settings(client, monkeypatch):
    produced = settings_under(monkeypatch, production_environment())
    deploy = {name: value for name, value in produced.items() if DEPLOY_SETTINGS.match(name)}
    with override_settings(**{**deploy, "ALLOWED_HOSTS": ["testserver"]}):
        response = client.get(reverse("login"), secure=True)
        redirected = client.get(reverse("login"))
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def test_every_page_carries_a_policy_without_inline_script_or_style(client):
    response = client.get(reverse("login"))
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in response["Content-Security-Policy"]


def test_pages_for_a_logged_in_user_are_not_stored_but_static_files_may_be(client, world, settings):
    from chainboard import settings as project_settings

    settings.MIDDLEWARE = project_settings.MIDDLEWARE  # with WhiteNoise, which conftest leaves out
    client.force_login(world.users["office"])
    page = client.get(reverse("enterprises:enterprise_list"))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    export = client.get(reverse("enterprises:enterprise_list"), {"export": "csv"})
    assert "no-store" in export["Cache-Control"]
    static = client.get(settings.STATIC_URL + "chainboard/css/app.css")
    assert static.status_code == 200
    assert "no-store" not in static.get("Cache-Control", "")


def test_api_answers_to_a_token_are_not_stored(client, world):
    out = io.StringIO()
    call_command("token", "create", "office", stdout=out)
    token = out.getvalue().strip().splitlines()[-1]
    response = client.get("/api/v1/enterprises", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_api_docs_are_served_from_our_own_static_files(client):
    response = client.get(reverse("api:openapi-view"))
    html = response.content.decode()
    assert settings.STATIC_URL + "ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html
