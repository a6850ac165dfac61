"""The Jincheng demo's key projects: the five the TA0302 reply names (二(四) 聚焦重点项目), with only what it
says of them. Owners follow from the names for three (潞安府 twice, 森鹅); only 森鹅's stage is stated
(开工); no amounts, dates or plans, so their traffic lights stay grey. Where the project is built is not
said: each sits in the city (县区未知). The stage of the other four is not stated: they are kept at 谋划,
the first stage, and their description says so.
"""

from __future__ import annotations

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
