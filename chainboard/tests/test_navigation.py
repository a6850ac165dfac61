"""The menu each role sees: its groups, entries, their order, addresses and icons, written out by hand. The
entries come from the ViewSets (``menu_group``, ``menu_label``, ``menu_order``, ``icon``) and, for pages
that are not a ViewSet's, from ``navigation.register``; the menu looks as it did when every app
registered its entries by hand."""

import pytest
from django.utils import translation

from chainboard.navigation import menu_for

# The chief, the chain office and county staff see the same entries (their scopes differ, not their kinds).
CHAIN_MENU = [
    (
        "Chains",
        [
            ("Chains", "/chains/", "link"),
            ("Segments", "/segments/", "git-branch"),
            ("Segment links", "/segment_links/", "arrow-right"),
            ("Positions", "/positions/", "id-badge"),
            ("Chain attributes", "/chain_attributes/", "list-details"),
            ("Chain statistics", "/chain_statistics/", "chart-bar"),
        ],
    ),
    (
        "Enterprises",
        [
            ("Enterprises", "/enterprises/", "building-store"),
            ("Memberships", "/memberships/", "link"),
            ("Indicators", "/indicators/", "chart-line"),
            ("Above-size statuses", "/above_size_statuses/", "award"),
            ("Products", "/products/", "package"),
            ("Contacts", "/contacts/", "address-book"),
        ],
    ),
    (
        "Projects",
        [
            ("Projects", "/projects/", "building-factory-2"),
            ("Investment plans", "/project_plans/", "report-money"),
            ("Milestones", "/milestones/", "flag"),
            ("Scheduling rounds", "/scheduling_rounds/", "calendar-event"),
            ("My progress reports", "/progress/mine/", "progress-check"),
        ],
    ),
    (
        "Investment attraction",
        [
            ("Investment leads", "/investment/leads/", "target-arrow"),
            ("Investment funnel", "/investment/funnel/", "filter"),
            ("Investment teams", "/investment/teams/", "users-group"),
            ("Investment events", "/investment/events/", "presentation"),
            ("Visits", "/investment/visits/", "walk"),
            ("Follow-ups", "/investment/follow_ups/", "checklist"),
            ("Investment targets", "/investment/targets/", "target"),
            ("Macro-regions", "/investment/macro_regions/", "map-2"),
        ],
    ),
    (
        "Closed loop",
        [
            ("Problems", "/problems/", "message-report"),
            ("Tasks", "/tasks/", "checklist"),
            ("Meeting and visit records", "/meeting_records/", "users-group"),
            ("Progress notes", "/progress_notes/", "notes"),
            ("Problem kinds", "/problem_kinds/", "category"),
            ("Statistics", "/problems/statistics/", "chart-bar"),
        ],
    ),
    (
        "Organisations",
        [("Organisations", "/organisations/", "building"), ("People", "/people/", "users")],
    ),
    (
        "Reference data",
        [
            ("Regions", "/regions/", "map-pin"),
            ("Industry classes", "/industry_classes/", "building-factory"),
        ],
    ),
]

MENUS = {
    "chief": CHAIN_MENU,
    "office": CHAIN_MENU,
    "county": [
        *CHAIN_MENU[:3],
        (
            "Investment attraction",
            [
                ("Investment leads", "/investment/leads/", "target-arrow"),
                ("Investment funnel", "/investment/funnel/", "filter"),
                ("Visits", "/investment/visits/", "walk"),
                ("Follow-ups", "/investment/follow_ups/", "checklist"),
                ("Macro-regions", "/investment/macro_regions/", "map-2"),
            ],
        ),
        *CHAIN_MENU[4:],
    ],
    "investment": [
        (
            "Chains",
            [
                ("Chains", "/chains/", "link"),
                ("Segments", "/segments/", "git-branch"),
                ("Segment links", "/segment_links/", "arrow-right"),
                ("Positions", "/positions/", "id-badge"),
                ("Chain attributes", "/chain_attributes/", "list-details"),
                ("Chain statistics", "/chain_statistics/", "chart-bar"),
            ],
        ),
        (
            "Enterprises",
            [
                ("Enterprises", "/enterprises/", "building-store"),
                ("Memberships", "/memberships/", "link"),
                ("Above-size statuses", "/above_size_statuses/", "award"),
                ("Products", "/products/", "package"),
                ("Contacts", "/contacts/", "address-book"),
            ],
        ),
        (
            "Projects",
            [
                ("Projects", "/projects/", "building-factory-2"),
                ("Investment plans", "/project_plans/", "report-money"),
                ("Milestones", "/milestones/", "flag"),
                ("Scheduling rounds", "/scheduling_rounds/", "calendar-event"),
                ("My progress reports", "/progress/mine/", "progress-check"),
            ],
        ),
        (
            "Investment attraction",
            [
                ("Investment leads", "/investment/leads/", "target-arrow"),
                ("Investment funnel", "/investment/funnel/", "filter"),
                ("Investment teams", "/investment/teams/", "users-group"),
                ("Investment events", "/investment/events/", "presentation"),
                ("Visits", "/investment/visits/", "walk"),
                ("Follow-ups", "/investment/follow_ups/", "checklist"),
                ("Investment targets", "/investment/targets/", "target"),
                ("Macro-regions", "/investment/macro_regions/", "map-2"),
            ],
        ),
        (
            "Organisations",
            [("Organisations", "/organisations/", "building"), ("People", "/people/", "users")],
        ),
        (
            "Reference data",
            [
                ("Regions", "/regions/", "map-pin"),
                ("Industry classes", "/industry_classes/", "building-factory"),
            ],
        ),
    ],
    "enterprise": [
        (
            "Chains",
            [
                ("Chains", "/chains/", "link"),
                ("Segments", "/segments/", "git-branch"),
                ("Segment links", "/segment_links/", "arrow-right"),
                ("Chain attributes", "/chain_attributes/", "list-details"),
                ("Chain statistics", "/chain_statistics/", "chart-bar"),
            ],
        ),
        (
            "Enterprises",
            [
                ("Enterprises", "/enterprises/", "building-store"),
                ("Memberships", "/memberships/", "link"),
                ("Indicators", "/indicators/", "chart-line"),
                ("Above-size statuses", "/above_size_statuses/", "award"),
                ("Products", "/products/", "package"),
                ("Contacts", "/contacts/", "address-book"),
            ],
        ),
        (
            "Projects",
            [
                ("Projects", "/projects/", "building-factory-2"),
                ("Investment plans", "/project_plans/", "report-money"),
                ("Milestones", "/milestones/", "flag"),
                ("My progress reports", "/progress/mine/", "progress-check"),
            ],
        ),
        (
            "Closed loop",
            [
                ("Problems", "/problems/", "message-report"),
                ("Problem kinds", "/problem_kinds/", "category"),
                ("Statistics", "/problems/statistics/", "chart-bar"),
            ],
        ),
        (
            "Reference data",
            [
                ("Regions", "/regions/", "map-pin"),
                ("Industry classes", "/industry_classes/", "building-factory"),
            ],
        ),
    ],
    "auditor": [
        ("System", [("Audit trail", "/audit/", "shield-check")]),
    ],
    "admin": [
        ("Chains", [("Positions", "/positions/", "id-badge")]),
        ("Closed loop", [("Problem kinds", "/problem_kinds/", "category")]),
        (
            "Organisations",
            [("Organisations", "/organisations/", "building"), ("People", "/people/", "users")],
        ),
        (
            "Reference data",
            [
                ("Regions", "/regions/", "map-pin"),
                ("Industry classes", "/industry_classes/", "building-factory"),
            ],
        ),
        (
            "System",
            [
                ("Users", "/users/", "user-cog"),
                ("Grants", "/grants/", "key"),
                ("Locked accounts", "/lockouts/", "lock"),
                ("Scheduled jobs", "/schedule/", "clock-play"),
                ("Working days", "/workdays/", "calendar-event"),
                ("Webhooks", "/webhooks/", "webhook"),
            ],
        ),
    ],
    "security_admin": [
        ("Chains", [("Positions", "/positions/", "id-badge")]),
        (
            "Reference data",
            [
                ("Regions", "/regions/", "map-pin"),
                ("Industry classes", "/industry_classes/", "building-factory"),
            ],
        ),
        (
            "System",
            [
                ("Users", "/users/", "user-cog"),
                ("Grants", "/grants/", "key"),
                ("Locked accounts", "/lockouts/", "lock"),
            ],
        ),
    ],
    # A handling unit's user (created here: the shared cast has none): the problems and tasks assigned to
    # its unit and their progress notes, nothing else of the enterprises.
    "unit": [
        (
            "Closed loop",
            [
                ("Problems", "/problems/", "message-report"),
                ("Tasks", "/tasks/", "checklist"),
                ("Progress notes", "/progress_notes/", "notes"),
                ("Problem kinds", "/problem_kinds/", "category"),
                ("Statistics", "/problems/statistics/", "chart-bar"),
            ],
        ),
        (
            "Organisations",
            [("Organisations", "/organisations/", "building"), ("People", "/people/", "users")],
        ),
        (
            "Reference data",
            [
                ("Regions", "/regions/", "map-pin"),
                ("Industry classes", "/industry_classes/", "building-factory"),
            ],
        ),
    ],
    "outsider": [],
}

# The Chinese labels of the chief's menu (every business entry) and the administrator's (the system ones).
CHINESE = {
    "chief": [
        ("产业链", ["产业链", "环节", "环节关联", "链长制职位", "产业链属性", "产业链统计"]),
        ("企业", ["企业", "产业链企业", "经济指标", "规上企业认定", "产品", "联系人"]),
        ("重点项目", ["重点项目", "投资计划", "项目节点", "调度", "我的进度填报"]),
        (
            "招商",
            ["招商线索", "招商漏斗", "招商小分队", "招商活动", "走访", "跟进事项", "招商目标", "经济区域"],
        ),
        ("闭环管理", ["企业诉求", "任务", "会议走访记录", "办理进展", "诉求类型", "统计"]),
        ("组织机构", ["组织机构", "人员"]),
        ("基础数据", ["行政区划", "国民经济行业分类"]),
    ],
    "admin": [
        ("产业链", ["链长制职位"]),
        ("闭环管理", ["诉求类型"]),
        ("组织机构", ["组织机构", "人员"]),
        ("基础数据", ["行政区划", "国民经济行业分类"]),
        ("系统管理", ["用户", "授权", "锁定的账号", "定时任务", "工作日", "回调通知"]),
    ],
}


def shown(menu) -> list:
    return [(str(g["label"]), [(str(i["label"]), i["url"], i["icon"]) for i in g["items"]]) for g in menu]


def user_of(world, role):
    if role != "unit":
        return world.users[role]
    from accounts.models import Grant, User
    from accounts.roles import Role
    from chainboard import actions
    from chainboard.scope import SystemActor

    actor = SystemActor("test")
    user = User(username="unit", full_name="unit")
    user.set_unusable_password()
    actions.create_direct(actor, user)
    actions.create_direct(actor, Grant(user=user, role=Role.UNIT, organisation=world.organisations["bureau"]))
    return user


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_its_menu_entries_in_order(world, role):
    with translation.override("en"):
        assert shown(menu_for(user_of(world, role))) == MENUS[role]


@pytest.mark.parametrize("role", list(CHINESE))
def test_the_menu_reads_in_chinese(world, role):
    with translation.override("zh-hans"):
        menu = shown(menu_for(world.users[role]))
    assert [(group, [label for label, _url, _icon in items]) for group, items in menu] == CHINESE[role]
