"""``Model.objects.restrict(user, action)`` builds the scope's conditions once per set of grants
(chainboard/scope.py, ``restrict_all``): what it gives must be what ``scope.restrict`` gives, for every
grant, whatever was asked before; and a search field's test (``ScopedFilterSet.search_when``)."""

from __future__ import annotations

import pytest

from accounts.models import Grant, User
from accounts.roles import Role
from chainboard import actions, scope
from chainboard.scope import SystemActor
from chains.models import Chain
from enterprises.models import Enterprise, Product
from organisations.models import Organisation, Person
from regions.models import Region
from regions.views import RegionFilterSet

pytestmark = pytest.mark.django_db


def ids(queryset) -> set:
    return set(queryset.values_list("pk", flat=True))


def test_every_role_sees_what_restrict_gives_and_asking_twice_changes_nothing(world):
    for user in world.users.values():
        scope.forget(user)
        for model in (Enterprise, Product, Chain, Region, Person):
            for action in ("view", "change"):
                built = ids(scope.restrict(model._default_manager.all(), user, action))
                assert ids(model.objects.restrict(user, action)) == built, (user, model, action)
                # The second answer is the kept one: the same rows.
                assert ids(model.objects.restrict(user, action)) == built, (user, model, action)


def test_a_kept_answer_is_never_changed_by_what_a_caller_adds(world):
    county = world.users["county"]
    everything = ids(Enterprise.objects.restrict(county, "view"))
    assert len(everything) > 1
    first = sorted(everything)[0]
    narrowed = Enterprise.objects.restrict(county, "view").filter(pk=first)
    assert ids(narrowed) == {first}
    list(Enterprise.objects.restrict(county, "view").order_by("-name")[:1])  # evaluated, sliced
    assert ids(Enterprise.objects.restrict(county, "view")) == everything


def test_a_grant_added_or_taken_away_is_seen_at_once(world):
    actor = SystemActor("test")
    user = User(username="grows")
    user.set_unusable_password()
    actions.create_direct(actor, user)
    assert not Enterprise.objects.restrict(user, "view").exists()
    grant = actions.create_direct(actor, Grant(user=user, role=Role.COUNTY, region=world.regions["140581"]))
    user = User.objects.get(pk=user.pk)  # a new request
    county = ids(Enterprise.objects.restrict(world.users["county"], "view"))
    assert ids(Enterprise.objects.restrict(user, "view")) == county
    actions.delete(actor, grant)
    user = User.objects.get(pk=user.pk)
    assert not Enterprise.objects.restrict(user, "view").exists()


def test_a_changed_declaration_is_not_answered_from_the_old_one(world, monkeypatch):
    actor = SystemActor("test")
    bureau = world.organisations["bureau"]
    ours = actions.create_direct(actor, Person(organisation=bureau, name="工信局承办人"))
    college = actions.create_direct(actor, Organisation(name="晋城职业技术学院", kind="college"))
    actions.create_direct(actor, Person(organisation=college, name="学院承办人"))
    unit = User(username="unit_user")
    unit.set_unusable_password()
    actions.create_direct(actor, unit)
    actions.create_direct(actor, Grant(user=unit, role=Role.UNIT, organisation=bureau))
    every_person = ids(Person.objects.restrict(unit, "view"))
    assert ours.pk in every_person and len(every_person) > 1  # unscoped: the permissions alone
    monkeypatch.setattr(Person, "scope_paths", {"unit": "organisation"}, raising=False)
    assert ids(Person.objects.restrict(unit, "view")) == {ours.pk}
    monkeypatch.undo()
    assert ids(Person.objects.restrict(unit, "view")) == every_person


def test_a_division_code_is_searched_for_digits_only(world):
    gaoping = world.regions["140581"]
    everything = Region.objects.all()
    assert gaoping.pk in ids(RegionFilterSet.matching(everything, gaoping.code))
    assert gaoping.pk in ids(RegionFilterSet.matching(everything, gaoping.code[:4]))
    assert gaoping.pk in ids(RegionFilterSet.matching(everything, "高平"))
    assert not ids(RegionFilterSet.matching(everything, f"{gaoping.code}x"))


def test_a_term_no_search_field_may_hold_finds_nothing_rather_than_everything(world):
    class CodesOnly(RegionFilterSet):
        search_fields = ("code",)

    everything = Region.objects.all()
    assert everything.exists()
    assert not CodesOnly.matching(everything, "高平").exists()
    assert CodesOnly.matching(everything, world.regions["140581"].code).exists()
