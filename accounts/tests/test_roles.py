"""Every role's permissions, as the apps' ``access`` modules compose them (accounts/roles.py), are exactly
the table below: written out by hand (the table ``accounts/roles.py`` held before the apps declared their
own), not computed by the code under test. v(iew) a(dd) c(hange) d(elete) t(ransition: a workflow's moves) f(ile_progress: a scheduling round's filing), o (convert: an investment lead into a key project), k (view_confidential: a lead's amounts and contacts); the closed loop's letters at ``ACTIONS``."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.roles import ROLE_PERMISSIONS, Role, compose, permissions_for

ACTIONS = {
    "v": "view",
    "a": "add",
    "c": "change",
    "d": "delete",
    "t": "transition",
    "f": "file_progress",
    # The closed loop's named actions (problems/access.py): as(s)ign, (h)andle, (r)ate, e(x)tension, (m)ake
    # items of a meeting's decisions. Nobody holds ``escalate``: the daily job's move.
    "s": "assign",
    "h": "handle",
    "r": "rate",
    "x": "approve_extension",
    "m": "make_items",
    "o": "convert",
    "k": "view_confidential",
    # (u)pload: attach a file to a record one may not change (problems/access.py).
    "u": "attach",
}

TABLE = {
    "chief": {
        "problems.meetingrecord": "v",
        "problems.problem": "v",
        "problems.problemkind": "v",
        "problems.progressnote": "v",
        "problems.task": "v",
        "chainboard.attachment": "v",
        "chainboard.instruction": "a",
        "chainboard.journalentry": "va",
        "chains.chain": "v",
        "chains.chainattribute": "v",
        "chains.chainstatistic": "v",
        "chains.position": "v",
        "chains.segment": "v",
        "chains.segmentlink": "v",
        "enterprises.abovesizestatus": "v",
        "enterprises.contact": "v",
        "enterprises.enterprise": "v",
        "enterprises.indicator": "v",
        "enterprises.membership": "v",
        "enterprises.product": "v",
        "industries.industryclass": "v",
        "investment.event": "vac",
        "investment.followup": "vac",
        "investment.lead": "vactok",
        "investment.leadcontact": "vac",
        "investment.macroregion": "v",
        "investment.target": "vac",
        "investment.team": "vac",
        "investment.teammember": "vac",
        "investment.visit": "vac",
        "organisations.organisation": "v",
        "organisations.person": "v",
        "projects.milestone": "v",
        "projects.project": "v",
        "projects.projectplan": "v",
        "regions.region": "v",
        "projects.schedulinground": "v",
        "projects.progressreport": "v",
    },
    "office": {
        "problems.meetingrecord": "vacdm",
        "problems.problem": "vacdtsrx",
        "problems.problemkind": "vacd",
        "problems.progressnote": "vacd",
        "problems.task": "vacdtsx",
        "chainboard.attachment": "vad",
        "chainboard.journalentry": "va",
        "chains.chain": "vc",
        "chains.chainattribute": "vacd",
        "chains.chainstatistic": "vacd",
        "chains.position": "v",
        "chains.segment": "vacd",
        "chains.segmentlink": "vacd",
        "enterprises.abovesizestatus": "vacd",
        "enterprises.contact": "vacd",
        "enterprises.enterprise": "vacd",
        "enterprises.indicator": "vacd",
        "enterprises.membership": "vacd",
        "enterprises.product": "vacd",
        "industries.industryclass": "v",
        "investment.event": "vacd",
        "investment.followup": "vacd",
        "investment.lead": "vacdtok",
        "investment.leadcontact": "vacd",
        "investment.macroregion": "v",
        "investment.target": "vacd",
        "investment.team": "vacd",
        "investment.teammember": "vacd",
        "investment.visit": "vacd",
        "organisations.organisation": "v",
        "organisations.person": "vacd",
        "projects.milestone": "vacd",
        "projects.project": "vacdtf",
        "projects.projectplan": "vacd",
        "regions.region": "v",
        "projects.schedulinground": "vac",
        "projects.progressreport": "vacd",
    },
    "county": {
        "problems.meetingrecord": "vac",
        "problems.problem": "vac",
        "problems.problemkind": "v",
        "problems.progressnote": "v",
        "problems.task": "v",
        "chainboard.attachment": "vad",
        "chainboard.journalentry": "va",
        "chains.chain": "v",
        "chains.chainattribute": "v",
        "chains.chainstatistic": "v",
        "chains.position": "v",
        "chains.segment": "v",
        "chains.segmentlink": "v",
        "enterprises.abovesizestatus": "vacd",
        "enterprises.contact": "vacd",
        "enterprises.enterprise": "vacd",
        "enterprises.indicator": "vacd",
        "enterprises.membership": "v",
        "enterprises.product": "vacd",
        "industries.industryclass": "v",
        "investment.followup": "v",
        "investment.lead": "v",
        "investment.macroregion": "v",
        "investment.visit": "v",
        "organisations.organisation": "v",
        "organisations.person": "v",
        "projects.milestone": "vacd",
        "projects.project": "vacdtf",
        "projects.projectplan": "vacd",
        "regions.region": "v",
        "projects.schedulinground": "v",
        "projects.progressreport": "vacd",
    },
    "investment": {
        "chainboard.attachment": "vad",
        "chainboard.journalentry": "va",
        "chains.chain": "v",
        "chains.chainattribute": "v",
        "chains.chainstatistic": "v",
        "chains.position": "v",
        "chains.segment": "v",
        "chains.segmentlink": "v",
        "enterprises.abovesizestatus": "v",
        "enterprises.contact": "v",
        "enterprises.enterprise": "v",
        "enterprises.membership": "v",
        "enterprises.product": "v",
        "industries.industryclass": "v",
        "investment.event": "vac",
        "investment.followup": "vac",
        "investment.lead": "vactok",
        "investment.leadcontact": "vacd",
        "investment.macroregion": "v",
        "investment.target": "v",
        "investment.team": "vac",
        "investment.teammember": "vacd",
        "investment.visit": "vac",
        "organisations.organisation": "v",
        "organisations.person": "v",
        "projects.milestone": "v",
        "projects.project": "v",
        "projects.projectplan": "v",
        "regions.region": "v",
        "projects.schedulinground": "v",
        "projects.progressreport": "v",
    },
    "enterprise": {
        "problems.problem": "varu",
        "problems.problemkind": "v",
        "chainboard.attachment": "vad",
        "chainboard.journalentry": "va",
        "chains.chain": "v",
        "chains.chainattribute": "v",
        "chains.chainstatistic": "v",
        "chains.segment": "v",
        "chains.segmentlink": "v",
        "enterprises.abovesizestatus": "v",
        "enterprises.contact": "vacd",
        "enterprises.enterprise": "vc",
        "enterprises.indicator": "vacd",
        "enterprises.membership": "v",
        "enterprises.product": "vacd",
        "industries.industryclass": "v",
        "projects.milestone": "v",
        "projects.project": "vf",
        "projects.projectplan": "v",
        "regions.region": "v",
        "projects.progressreport": "vac",
    },
    "auditor": {
        "chainboard.auditentry": "v",
    },
    # A handling unit (承办单位): the organisations and their handlers, reference data; the problems and
    # tasks assigned to it come with the app that holds them.
    "unit": {
        "problems.problemkind": "v",
        "problems.problem": "vhu",
        "problems.progressnote": "vac",
        "problems.task": "vhu",
        "chainboard.attachment": "vad",
        "chainboard.journalentry": "va",
        "industries.industryclass": "v",
        "organisations.organisation": "v",
        "organisations.person": "v",
        "regions.region": "v",
    },
    "admin": {
        "problems.problemkind": "vacd",
        "chainboard.scheduledjob": "vc",
        "chainboard.workdayoverride": "vacd",
        "chainboard.workdayyear": "vacd",
        "chainboard.webhookdelivery": "vc",
        "chainboard.webhookendpoint": "vac",
        "accounts.grant": "vacd",
        "accounts.user": "vacd",
        "axes.accessattempt": "vd",
        "chains.position": "vacd",
        "industries.industryclass": "v",
        "organisations.organisation": "vacd",
        "organisations.person": "vacd",
        "regions.region": "v",
    },
    "security_admin": {
        "accounts.grant": "v",
        "accounts.user": "v",
        "axes.accessattempt": "v",
        "chains.position": "v",
        "industries.industryclass": "v",
        "regions.region": "v",
    },
}
TABLE["deputy_chief"] = TABLE["chief"]  # the same sets: no app declares the deputy apart


def spelled_out(row: dict[str, str]) -> frozenset[str]:
    out = set()
    for label, letters in row.items():
        app_label, model_name = label.split(".")
        out.update(f"{app_label}.{ACTIONS[letter]}_{model_name}" for letter in letters)
    return frozenset(out)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_holds_exactly_the_permissions_of_the_table(role):
    assert permissions_for(role) == spelled_out(TABLE[role.value])


def test_the_table_names_every_role():
    assert set(TABLE) == {role.value for role in Role} == set(ROLE_PERMISSIONS)


def test_the_deputy_chief_holds_what_the_chief_holds_unless_an_app_says_otherwise():
    assert permissions_for(Role.DEPUTY_CHIEF) == permissions_for(Role.CHIEF)
    composed = compose(
        [
            ("a", {"chief": {"a.thing": ("view", "change")}}),
            ("b", {"chief": {"b.other": ("view",)}, "deputy_chief": {"b.other": ("view", "change")}}),
        ]
    )
    assert composed["deputy_chief"] == {"a.thing": ("view", "change"), "b.other": ("view", "change")}


def test_an_unknown_role_or_a_model_declared_twice_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="unknown roles"):
        compose([("a", {"chef": {"a.thing": ("view",)}})])
    with pytest.raises(ImproperlyConfigured, match="a second time"):
        compose([("a", {"office": {"a.thing": ("view",)}}), ("b", {"office": {"a.thing": ("view",)}})])
