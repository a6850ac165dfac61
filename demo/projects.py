"""The Jincheng demo's key projects: the five the TA0302 reply names (二(四) 聚焦重点项目), with only what it
says of them. Owners follow from the names for three (潞安府 twice, 森鹅); only 森鹅's stage is stated
(开工); no amounts, dates or plans, so their traffic lights stay grey. Where the project is built is not
said: each sits in the city (县区未知). The stage of the other four is not stated: they are kept at 谋划,
the first stage, and their description says so.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chainboard import actions
from chains.models import Chain
from enterprises.models import Enterprise
from projects.models import Project, ProjectKind, ProjectStage
from regions.models import Region

SRC = "TA0302 reply"
SILK = "丝麻纺织服装产业链"
SECTION = f"{SRC}, 二(四) 聚焦重点项目"
STAGE_UNKNOWN = "答复未载明项目阶段。"

LETTER_PROJECTS = [
    # name, owner enterprise (None: the name does not give it), kind, stage, description
    (
        "潞安府年产30万米丝麻面料扩改项目",
        "潞安府潞绸",
        ProjectKind.EXPANSION,
        ProjectStage.PLANNING,
        f"年产30万米丝麻面料。{STAGE_UNKNOWN}",
    ),
    ("森鹅针织面料织造及染整项目", "森鹅", "", ProjectStage.STARTED, "答复：推进项目开工。"),
    ("潞安府潞绸织造产业园升级", "潞安府潞绸", "", ProjectStage.PLANNING, STAGE_UNKNOWN),
    ("唐安缫丝厂", None, "", ProjectStage.PLANNING, STAGE_UNKNOWN),
    ("桑园基地", None, "", ProjectStage.PLANNING, STAGE_UNKNOWN),
]


def load(actor) -> dict[str, int]:
    silk = Chain.objects.get(name=SILK, level="city")
    city = Region.objects.get(code="140500")
    created = 0
    for name, owner, kind, stage, description in LETTER_PROJECTS:
        if Project.objects.filter(name=name, chain=silk).exists():
            continue
        actions.create_direct(
            actor,
            Project(
                name=name,
                chain=silk,
                region=city,
                owner=Enterprise.objects.get(name=owner) if owner else None,
                kind=kind,
                stage=stage,
                description=description,
                source=SECTION,
            ),
        )
        created += 1
    return {"projects": created}


# ---- sample projects and rounds (示例数据) -------------------------------------------------------------
#
# Invented to make the lights and the monthly rounds alive: every row is_sample, source "Sample data".
# Dates are set relative to the day of loading so that every colour shows whatever the month: a project
# on plan (green), one not started in its planned start month (yellow), one four months late (red), one
# far behind its yearly plan (red, or yellow in the first months), one suspended (grey). Two past rounds
# are closed with their filings; this month's round is open and 高平市's project (responsible: the demo
# user county_gaoping) is not filed yet.
SAMPLE = "Sample data"
SAMPLE_PROJECTS = [
    # name, owner, county, stage, planned start (months from this month), plan (yuan), share done, responsible
    (
        "示例：潞绸文化产业园二期",
        "潞安府潞绸",
        "140581",
        ProjectStage.BUILDING,
        -8,
        120_000_000,
        1.0,
        "county_gaoping",
    ),
    (
        "示例：景柏智能制衣车间",
        "景柏服饰",
        "140525",
        ProjectStage.BUILDING,
        -10,
        60_000_000,
        0.4,
        "enterprise_jingbai",
    ),
    ("示例：丝麻面料研发中心", "绿洲纺织", "140525", ProjectStage.SIGNED, 0, None, None, "office"),
    ("示例：阳城蚕桑基地提升", None, "140522", ProjectStage.PLANNING, -4, None, None, "office"),
    ("示例：针织染整升级", "森鹅", "140522", ProjectStage.SUSPENDED, -6, 30_000_000, 0.2, "office"),
]


def _month(today: dt.date, offset: int) -> dt.date:
    index = today.year * 12 + today.month - 1 + offset
    return dt.date(index // 12, index % 12 + 1, 1)


def _person_for(actor, user):
    """The person a demo user is (the responsible person of a sample project files with that account)."""
    from organisations.models import Organisation, Person

    person = Person.objects.filter(user=user).first()
    if person is not None:
        return person
    organisation = user.organisation or Organisation.objects.get(name="晋城市工业和信息化局")
    return actions.create_direct(
        actor,
        Person(
            organisation=organisation,
            name=user.full_name or user.username,
            user=user,
            is_sample=True,
            source=SAMPLE,
        ),
    )


def load_samples(actor, today: dt.date | None = None) -> dict[str, int]:
    """Sample projects, plans, milestones and three rounds (two closed, one open). Idempotent: nothing is
    added once the sample projects exist. Run after the demo users exist (``chainboard demo-users``)."""
    from accounts.models import User
    from projects import lights, rounds
    from projects.models import Milestone, ProjectPlan

    today = today or timezone.localdate()
    silk = Chain.objects.get(name=SILK, level="city")
    if Project.objects.filter(chain=silk, is_sample=True).exists():
        return {"sample_projects": 0}
    users = {u.username: u for u in User.objects.filter(username__in=[s[7] for s in SAMPLE_PROJECTS])}
    people = {name: _person_for(actor, user) for name, user in users.items()}
    created = []
    for name, owner, county, stage, start, planned, share, responsible in SAMPLE_PROJECTS:
        project = actions.create_direct(
            actor,
            Project(
                name=name,
                chain=silk,
                region=Region.objects.get(code=county),
                owner=Enterprise.objects.filter(name=owner).first() if owner else None,
                kind=ProjectKind.NEW,
                stage=stage,
                planned_start=_month(today, start),
                planned_finish=_month(today, start + 24),
                started_on=_month(today, start) if stage in (ProjectStage.BUILDING,) else None,
                total_investment=planned * 2 if planned else None,
                responsible_person=people.get(responsible),
                halt_reason="示例：用地手续待补办。" if stage == ProjectStage.SUSPENDED else "",
                is_sample=True,
                source=SAMPLE,
            ),
        )
        if planned:
            actions.create_direct(
                actor,
                ProjectPlan(
                    project=project,
                    year=today.year,
                    planned_investment=planned,
                    is_sample=True,
                    source=SAMPLE,
                ),
            )
        actions.create_direct(
            actor,
            Milestone(
                project=project, name="开工", planned_date=_month(today, start), is_sample=True, source=SAMPLE
            ),
        )
        created.append((project, planned, share))
    # Two closed rounds with every filing, then this month's, open, where 高平市 has not filed yet.
    for offset in (-2, -1, 0):
        month = _month(today, offset)
        if month.year != today.year:
            continue  # a round of last year would file last year's figures: January shows one round
        round_ = rounds.open_round(actor, silk, month.year, month.month)
        actions.save_fields(actor, round_, is_sample=True, source=SAMPLE)
        for project, planned, share in created:
            report = round_.reports.filter(project=project).first()
            if report is None or (offset == 0 and project.responsible_user == users.get("county_gaoping")):
                continue
            actions.save_fields(actor, report, is_sample=True, source=SAMPLE)
            done = round(planned * share * month.month / 12) if planned else None
            filer = project.responsible_user
            filer = filer if filer is not None and rounds.may_file(filer, report) else actor
            rounds.file_progress(
                filer,
                report,
                {
                    "completed_investment": "" if done is None else str(done),
                    "progress_pct": str(min(100, 10 * month.month)),
                    "problems": "示例：" + ("无" if (share or 0) >= 1 else "资金到位偏慢"),
                    "next_step": "示例：推进设备安装",
                },
            )
        if offset < 0:
            rounds.close(actor, round_)
    for report in rounds.ProgressReport.objects.filter(
        round__chain=silk, is_sample=False, project__is_sample=True
    ):
        if report.round.is_open:
            actions.save_fields(actor, report, is_sample=True, source=SAMPLE)
    lights.refresh_many(Project.objects.filter(chain=silk), today=today)
    return {"sample_projects": len(created)}
