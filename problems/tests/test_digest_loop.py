"""The closed loop through the daily digest and the webhooks, with the real registrations of the problems
app (problems/desk.py, problems/escalation.py) rather than stand-ins: time frozen, mail in Django's
outbox, webhooks through a fake sender. Each user's digest holds their own loop items only; an
escalation reaches a webhook signed so the receiver can verify it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail

from chainboard import digest, webhooks
from chainboard.models import WebhookEndpoint
from problems import escalation

from .conftest import assigned, make_problem

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Assigned on Tuesday 3 June 2025 with 10 working days: due on Tuesday 17 June. On Tuesday 1 July it is
# 10 working days late: past the office's (2) and the chief's (5) thresholds.
TODAY = dt.date(2025, 7, 1)
SENT: list[dict] = []


def fake_send(url, body, headers, timeout):
    SENT.append({"url": url, "body": body, "headers": headers})
    return 200


@pytest.fixture
def loop(world, time_machine, settings):
    time_machine.move_to(dt.datetime(2025, 7, 1, 7, 30, tzinfo=SHANGHAI), tick=False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CHAINBOARD_WEBHOOK_SENDER = f"{__name__}.fake_send"
    SENT.clear()
    for user in world.users.values():
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    bureau, college = world.organisations["bureau"], world.organisations["college"]
    world.problems = {
        "bureau": make_problem(
            world, "jingbai", title="工信局承办的超期诉求", **assigned(world, handling_unit=bureau)
        ),
        "college": make_problem(
            world, "luanfu", title="学院承办的超期诉求", **assigned(world, handling_unit=college)
        ),
    }
    return world


def mails_to(username: str) -> list:
    return [m for m in mail.outbox if m.to == [f"{username}@example.org"]]


def test_a_unit_users_digest_holds_its_own_overdue_problem_not_another_units(loop):
    mail.outbox = []
    digest.send_all(TODAY)
    (bureau_mail,) = mails_to("unit")
    assert "工信局承办的超期诉求" in bureau_mail.body
    assert "学院承办的超期诉求" not in bureau_mail.body
    (college_mail,) = mails_to("unit_college")
    assert "学院承办的超期诉求" in college_mail.body
    assert "工信局承办的超期诉求" not in college_mail.body


def test_no_digest_shows_a_problem_outside_its_readers_scope(loop):
    """Whoever gets a digest, every problem it names is one that user may view (the county user of 高平市
    never reads 泽州县's problem, the enterprise user never another enterprise's)."""
    from problems.models import Problem

    mail.outbox = []
    digest.send_all(TODAY)
    assert mail.outbox
    for message in mail.outbox:
        username = message.to[0].split("@")[0]
        visible = set(Problem.objects.restrict(loop.users[username], "view").values_list("title", flat=True))
        for problem in loop.problems.values():
            if problem.title in message.body:
                assert problem.title in visible, (username, problem.title)


def test_an_escalation_reaches_the_webhook_signed_and_verifiable(loop, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(
        url="https://hooks.example.org/loop", secret="s3cret", events="problem.escalated"
    )
    with django_capture_on_commit_callbacks(execute=True):
        raised = escalation.escalate_overdue(TODAY)
    assert {(model, level) for model, _, level in raised} == {("problem", 2)}
    assert SENT, "no delivery was sent"
    for sent in SENT:
        header = sent["headers"][webhooks.SIGNATURE_HEADER]
        timestamp = int(header.split(",")[0].removeprefix("t="))
        assert webhooks.verify("s3cret", header, sent["body"], now=timestamp)
        assert not webhooks.verify("not the secret", header, sent["body"], now=timestamp)
        assert not webhooks.verify("s3cret", header, sent["body"] + b" ", now=timestamp)  # tampered
    events = [json.loads(sent["body"]) for sent in SENT]
    titles = json.dumps(events, ensure_ascii=False)
    assert "工信局承办的超期诉求" in titles and "学院承办的超期诉求" in titles
