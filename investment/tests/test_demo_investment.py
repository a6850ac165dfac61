"""The demo's investment attraction: the TA0302 reply's facts with their sources and nothing invented (no
dates beyond "before 2024-07-25", 广州 the only place, no outcomes), and sample work for the investment
demo user (docs/investment.md, The demo's investment facts)."""

from __future__ import annotations

import datetime as dt

import pytest

from chainboard import actions, scope
from chainboard.scope import SystemActor
from chainboard.testing import build_world

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("test:demo")
TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def w():
    w = build_world()
    actions.save_fields(ACTOR, w.chains["silk"], yearly_landing_target=2)
    return w


def test_the_demo_holds_every_event_the_reply_names_and_nothing_it_does_not_say(w):
    from demo import investment as demo
    from investment.models import Event

    counts = demo.load(ACTOR)
    assert counts["events"] == 9
    events = Event.objects.order_by("pk")
    names = [e.name for e in events]
    assert "中国国际纺织面料及辅料博览会" in names and "晋城市产业链专业镇推介大会" in names
    assert "专业镇龙头企业优质产品展销推介会" in names
    matchmaking = events.filter(series="工业产品供需对接推介活动")
    assert sorted(e.edition for e in matchmaking) == [1, 2, 3]  # 连续举办三届
    assert events.filter(series="山西特色专业镇投资贸易博览会").count() == 2  # 参加两届
    for e in events:
        assert e.source.startswith("TA0302 reply, 二(五)") and not e.is_sample
        assert (e.date_value, e.date_precision) == (dt.date(2024, 7, 25), "before")  # no invented dates
        assert (e.reported_leads, e.reported_deals, e.reported_amount) == (None, None, None)  # no outcomes
    assert {e.place for e in events} == {"", "广州"}
    assert events.get(place="广州").series == "山西之夜"
    assert demo.load(ACTOR)["events"] == 0  # idempotent


def test_the_demo_keeps_the_regions_visited_the_model_and_the_yearly_target(w, time_machine):
    from chains.models import ChainAttribute
    from demo import investment as demo
    from investment.models import MacroRegion, Target

    time_machine.move_to(dt.datetime(2026, 6, 15, 9, tzinfo=dt.UTC), tick=False)
    demo.load(ACTOR)
    assert set(MacroRegion.objects.values_list("name", flat=True)) >= {
        "京津冀",
        "长三角",
        "珠三角",
        "中原城市群",
        "成渝",
    }
    visited = ChainAttribute.objects.get(chain=w.chains["silk"], name=demo.VISITED)
    assert visited.source.startswith("TA0302 reply, 二(五)")
    target = Target.objects.get(chain=w.chains["silk"], team=None, year=2026)
    assert target.landed == 2 and target.source.startswith("TA0302 reply, 三(二)")


def test_the_investment_demo_user_has_work_on_the_first_log_in(w, client, time_machine):
    from demo import investment as demo
    from demo import users as demo_users
    from investment.models import FollowUp, Lead, Team
    from regions.models import Region

    time_machine.move_to(dt.datetime(2026, 6, 15, 9, tzinfo=dt.UTC), tick=False)
    Region.objects.create(
        code="140522", name="阳城县", level=3, parent=w.regions["140500"], path="140522", full_name="阳城县"
    )
    demo_users.ensure(ACTOR)
    demo.load(ACTOR)
    counts = demo.load_samples(ACTOR, today=TODAY)
    from accounts.models import User

    user = User.objects.get(username="investment")
    leads = Lead.objects.restrict(user, "view")
    assert {lead.stage for lead in leads} == {
        "contact",
        "negotiating",
        "signed",
        "landed",
        "in_production",
        "abandoned",
    }
    assert all(lead.is_sample for lead in leads)
    assert (
        Team.objects.restrict(user, "view").filter(is_sample=True, model_note="政府+链主企业+产业园").count()
        == 2
    )
    converted = leads.filter(project__isnull=False)
    assert counts["converted"] >= 1 and converted.exists()
    assert all(lead.project.is_sample for lead in converted)
    overdue = FollowUp.objects.filter(responsible_person__user=user, done_on=None, due_on__lt=TODAY)
    assert overdue.count() == 1 and overdue.get().is_sample
    assert any(scope.can(user, "change", lead) for lead in leads)  # the user can act, not only look
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'id="investment-targets"' in home
    assert demo.load_samples(ACTOR, today=TODAY) == {"sample_leads": 0}
