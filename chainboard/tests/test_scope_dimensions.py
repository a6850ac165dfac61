"""Scope dimensions by declaration (chainboard/scope.py, docs/scope.md): the registry, and the handling
unit (``unit``), which a grant naming an organisation restricts to and which hides every scoped model that
does not declare it."""

from __future__ import annotations

import pytest

from accounts.models import Grant, User
from accounts.roles import Role
from chainboard import actions, scope
from chainboard.scope import Dimension, GrantSpec, SystemActor
from chains.models import Chain, Segment
from enterprises.models import Enterprise, Indicator
from organisations.models import Organisation, Person
from projects.models import Project
from regions.models import Region

pytestmark = pytest.mark.django_db


class Holder:
    """A user object holding the given grants (the provider is not asked)."""

    is_authenticated = True
    is_active = True

    def __init__(self, *grants: GrantSpec):
        self._chainboard_grants = list(grants)


def every_permission() -> frozenset[str]:
    return SystemActor()._chainboard_grants[0].permissions


def test_the_registry_holds_the_four_dimensions_and_only_unit_is_exclusive():
    assert list(scope.DIMENSIONS) == ["enterprise", "chain", "region", "unit"]
    assert [d.name for d in scope.DIMENSIONS.values() if d.exclusive] == ["unit"]
    grant = GrantSpec(role="x", permissions=frozenset(), chain_ids=frozenset({3, 1}), unit_id=7)
    assert [grant.value(d) for d in scope.DIMENSIONS] == [None, [1, 3], None, 7]


def test_exclusion_is_decided_by_the_model_declarations_alone():
    class WithUnit:
        scope_paths = {"chain": "chain", "unit": "handling_unit"}

    class WithoutUnit:
        scope_paths = {"chain": "chain"}

    class Unscoped:  # reference data: the permissions alone decide
        scope_paths: dict = {}

    unit_grant = GrantSpec(role="unit", permissions=frozenset(), unit_id=1)
    county_grant = GrantSpec(role="county", permissions=frozenset(), region_path="1405")
    assert not scope.excluded(WithUnit, unit_grant)
    assert scope.excluded(WithoutUnit, unit_grant)
    assert not scope.excluded(Unscoped, unit_grant)
    assert not any(scope.excluded(m, county_grant) for m in (WithUnit, WithoutUnit, Unscoped))


def test_a_new_dimension_is_a_declaration(world, monkeypatch):
    # A "segment" dimension: declared once, read from the grant, followed by any model that names a path.
    monkeypatch.setitem(
        scope.DIMENSIONS, "segment", Dimension("segment", "exact", lambda g: getattr(g, "segment", None))
    )
    monkeypatch.setattr(Segment, "scope_paths", {"chain": "chain", "segment": "pk"}, raising=False)
    weaving = world.segments["织造"]
    grant = GrantSpec(role="x", permissions=every_permission())
    object.__setattr__(grant, "segment", weaving.pk)
    assert list(scope.restrict(Segment.objects.all(), Holder(grant))) == [weaving]
    # A model that does not declare it is not restricted by it.
    assert scope.restrict(Chain.objects.all(), Holder(grant)).count() == Chain.objects.count()


def test_a_unit_grant_sees_nothing_of_models_without_unit(world):
    unit = Holder(
        GrantSpec(role="unit", permissions=every_permission(), unit_id=world.organisations["bureau"].pk)
    )
    for model in (Chain, Segment, Enterprise, Indicator, Project):
        assert not scope.restrict(model.objects.all(), unit).exists(), model
        assert scope.narrowing(unit, model) == []
    # Unscoped reference data stays with the permissions.
    assert scope.restrict(Region.objects.all(), unit).count() == Region.objects.count()
    assert scope.restrict(Organisation.objects.all(), unit).count() == Organisation.objects.count()


def test_a_unit_grant_sees_the_rows_of_its_unit_and_other_grants_ignore_the_unit(world, monkeypatch):
    actor = SystemActor("test")
    bureau = world.organisations["bureau"]
    college = actions.create_direct(actor, Organisation(name="晋城职业技术学院", kind="college"))
    ours = actions.create_direct(actor, Person(organisation=bureau, name="工信局承办人"))
    theirs = actions.create_direct(actor, Person(organisation=college, name="学院承办人"))
    # Declared as a model of the closed loop will: its unit is its organisation.
    monkeypatch.setattr(Person, "scope_paths", {"unit": "organisation"}, raising=False)

    user = User(username="unit_user")
    user.set_unusable_password()
    actions.create_direct(actor, user)
    actions.create_direct(actor, Grant(user=user, role=Role.UNIT, organisation=bureau))
    assert scope.grants(user)[0].unit_id == bureau.pk
    assert list(Person.objects.restrict(user, "view")) == [ours]
    assert scope.describe(user, Person) == "晋城市工业和信息化局"
    assert not Enterprise.objects.restrict(user, "view").exists()
    # A county grant has no unit: it is not narrowed by the dimension.
    county = world.users["county"]
    assert set(Person.objects.restrict(county, "view")) >= {ours, theirs}


def test_a_unit_grant_names_its_unit_and_only_it_does(world):
    from django.core.exceptions import ValidationError

    user = world.users["outsider"]
    with pytest.raises(ValidationError, match="organisation"):
        Grant(user=user, role=Role.UNIT).full_clean()
    with pytest.raises(ValidationError, match="organisation"):
        Grant(user=user, role=Role.COUNTY, organisation=world.organisations["bureau"]).full_clean()
    Grant(user=user, role=Role.UNIT, organisation=world.organisations["bureau"]).full_clean()


def test_the_administrator_grants_the_unit_role_with_its_organisation(client, world):
    from django.urls import reverse

    client.force_login(world.users["admin"])
    target = world.users["outsider"]
    form = client.get(reverse("accounts:grant_add"))
    assert 'name="organisation"' in form.content.decode()
    missing = client.post(reverse("accounts:grant_add"), {"user": target.pk, "role": Role.UNIT})
    assert missing.status_code == 400  # the form again, naming the field
    assert "organisation" in missing.context["form"].errors
    assert not Grant.objects.filter(user=target).exists()
    saved = client.post(
        reverse("accounts:grant_add"),
        {"user": target.pk, "role": Role.UNIT, "organisation": world.organisations["bureau"].pk},
    )
    assert saved.status_code == 302
    grant = Grant.objects.get(user=target)
    assert (grant.role, grant.organisation) == (Role.UNIT, world.organisations["bureau"])
