"""Chains, their segments, links, positions, attributes and statistics in the permission-and-scope matrix
(chainboard/tests/test_scope_matrix.py merges every app's ``tests/matrix.py``). Written out by hand from
rules.md and chains/access.py, not computed."""

from chainboard import actions
from chains.models import ChainAttribute, ChainStatistic, Position, PositionKind, Segment, SegmentLink

ENTITIES = {
    "chain": "chains.Chain",
    "segment": "chains.Segment",
    "segmentlink": "chains.SegmentLink",
    "position": "chains.Position",
    "chainattribute": "chains.ChainAttribute",
    "chainstatistic": "chains.ChainStatistic",
}

SILK_SEGMENTS = {"缫丝", "织造", "服装"}
ALL_SEGMENTS = SILK_SEGMENTS | {"其他环节", "其他下游"}
SILK_LINKS = {"缫丝→织造", "织造→服装"}
ALL_LINKS = SILK_LINKS | {"其他环节→其他下游"}
SILK_POSITIONS = {"silk_chief", "silk_office", "silk_assistant"}
ALL_POSITIONS = SILK_POSITIONS | {"other_chief"}
SILK, BOTH = {"silk"}, {"silk", "other"}


def extend(world, actor) -> dict:
    silk, other = world.chains["silk"], world.chains["other"]
    downstream = actions.create_direct(actor, Segment(chain=other, name="其他下游", order=2))
    other_link = actions.create_direct(
        actor, SegmentLink(upstream=world.segments["other"], downstream=downstream)
    )
    silk_assistant = actions.create_direct(
        actor, Position(chain=silk, kind=PositionKind.CHIEF_ASSISTANT, title="链长助理")
    )
    other_chief = actions.create_direct(
        actor, Position(chain=other, kind=PositionKind.CHIEF, title="其他链链长")
    )
    attributes = {
        "silk": actions.create_direct(actor, ChainAttribute(chain=silk, kind="fact", name="丝绸之乡")),
        "other": actions.create_direct(actor, ChainAttribute(chain=other, kind="fact", name="其他事实")),
    }
    statistics = {
        key: actions.create_direct(
            actor,
            ChainStatistic(chain=chain, metric="output_value", period_type="year", year=2023, value=value),
        )
        for key, chain, value in (("silk", silk, 430000000), ("other", other, 1))
    }
    return {
        "chain": dict(world.chains),
        "segment": {
            "缫丝": world.segments["缫丝"],
            "织造": world.segments["织造"],
            "服装": world.segments["服装"],
            "其他环节": world.segments["other"],
            "其他下游": downstream,
        },
        "segmentlink": {
            "缫丝→织造": SegmentLink.objects.get(upstream=world.segments["缫丝"]),
            "织造→服装": SegmentLink.objects.get(upstream=world.segments["织造"]),
            "其他环节→其他下游": other_link,
        },
        "position": {
            "silk_chief": Position.objects.get(chain=silk, kind=PositionKind.CHIEF),
            "silk_office": Position.objects.get(chain=silk, kind=PositionKind.OFFICE_MEMBER),
            "silk_assistant": silk_assistant,
            "other_chief": other_chief,
        },
        "chainattribute": attributes,
        "chainstatistic": statistics,
    }


# role → entity → (keys the role may see, actions it may take: v(iew) a(dd) c(hange) d(elete)).
EXPECTED = {
    "chief": {  # chief of the silk chain (by position): reads the chain
        "chain": (SILK, "v"),
        "segment": (SILK_SEGMENTS, "v"),
        "segmentlink": (SILK_LINKS, "v"),
        "position": (SILK_POSITIONS, "v"),
        "chainattribute": (SILK, "v"),
        "chainstatistic": (SILK, "v"),
    },
    "office": {  # the silk chain's office (by position): runs the chain
        "chain": (SILK, "vc"),  # the city designates chains: the office neither adds nor deletes one
        "segment": (SILK_SEGMENTS, "vacd"),
        "segmentlink": (SILK_LINKS, "vacd"),
        "position": (SILK_POSITIONS, "v"),  # positions grant roles: the administrator changes them
        "chainattribute": (SILK, "vacd"),
        "chainstatistic": (SILK, "vacd"),
    },
    "county": {  # 高平市 staff: every chain (chains have no region)
        "chain": (BOTH, "v"),
        "segment": (ALL_SEGMENTS, "v"),
        "segmentlink": (ALL_LINKS, "v"),
        "position": (ALL_POSITIONS, "v"),
        "chainattribute": (BOTH, "v"),
        "chainstatistic": (BOTH, "v"),
    },
    "investment": {  # the silk chain's investment team
        "chain": (SILK, "v"),
        "segment": (SILK_SEGMENTS, "v"),
        "segmentlink": (SILK_LINKS, "v"),
        "position": (SILK_POSITIONS, "v"),
        "chainattribute": (SILK, "v"),
        "chainstatistic": (SILK, "v"),
    },
    "enterprise": {  # 景柏服饰's own user: the chains it is on, without their positions
        "chain": (SILK, "v"),
        "segment": (SILK_SEGMENTS, "v"),
        "segmentlink": (SILK_LINKS, "v"),
        "chainattribute": (SILK, "v"),  # published facts: visible with the chain (docs/scope.md)
        "chainstatistic": (SILK, "v"),
    },
    "admin": {"position": (ALL_POSITIONS, "vacd")},  # positions grant roles: configuration
    "security_admin": {"position": (ALL_POSITIONS, "v")},  # 三员: reviews who holds which role
}
PROBES = {
    "chain": ["silk", "other"],
    "segment": ["缫丝", "其他环节"],
    "segmentlink": ["缫丝→织造", "其他环节→其他下游"],
    "position": ["silk_assistant", "other_chief"],
    "chainattribute": ["silk", "other"],
    "chainstatistic": ["silk", "other"],
}
REFUSED: dict = {}
NAMED: dict = {}
