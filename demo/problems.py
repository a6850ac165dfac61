"""The Jincheng demo's closed loop (docs/closed-loop.md).

Facts: the TA0302 reply's next-step commitments (三、下一步工作计划, and the closing paragraph's) as tasks of
the unit that wrote the reply, 晋城市工业和信息化局 ("我们将…"), with the letter's section as source. The
letter gives no dates: the tasks are assigned without a deadline, none is invented.

Sample data (示例数据, ``is_sample``): problems of the demo enterprises in every state of the loop, dated
relative to the day of loading: one submitted by 景柏服饰's own user, one accepted, one returned, one
assigned, one in progress with an extension requested, one answered for 景柏 to rate, one closed, one
overdue and escalated to the chief (the escalation job runs at the end of the load), one reopened after
不满意 and one transferred to the college; a sample meeting record whose decisions the office can make
into tasks. The handling unit's demo user (``unit_bureau``) handles the bureau's.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import User
from chainboard import actions, workdays
from chains.models import Chain
from enterprises.models import Enterprise
from organisations.models import Organisation
from problems.models import MeetingRecord, Problem, ProblemKind, ProgressNote, RaisedVia, Task

SRC = "TA0302 reply"
SILK = "丝麻纺织服装产业链"
BUREAU = "晋城市工业和信息化局"
COLLEGE = "晋城职业技术学院"
SAMPLE = "Sample data"

LETTER_TASKS = [
    # title, description (the letter's words), section
    (
        "抢抓政策机遇",
        "落实好大规模设备更新、战略性新兴产业奖补、技术改造专项资金等政策，支持具有行业带动作用的丝麻纺织服装企业及项目，加快促进行业转型升级。",
        "三(一)",
    ),
    (
        "加大招引力度",
        "聚焦产业链专业镇建设，通过上下游、产供销定向招引服饰相关企业，坚持大中小项目并举，持之以恒抓好项目落地，产业链每年至少招引2个项目落地。",
        "三(二)",
    ),
    (
        "聚力人才培养",
        "继续支持职业院校开设服装相关专业，强化相关专业师资队伍建设；结合全民技能提升工程，指导院校与相关部门或行业合作，探索就业一体化的人才培养模式，为服饰定制科技园储备更优质的人才。",
        "三(三)",
    ),
    (
        "出台行动计划",
        "尽快完善、加快出台与《晋城市进一步加大招商引资力度推动消费品工业集聚发展工作方案》配套的关于推动消费品工业高质量集聚发展的行动计划。",
        "三(四)",
    ),
    ("论证国家级服饰定制科技园可行性", "适时论证建设国家级服饰定制科技园可行性。", "结尾"),
]


def load(actor) -> dict[str, int]:
    silk = Chain.objects.get(name=SILK, level="city")
    bureau = Organisation.objects.get(name=BUREAU)
    created = 0
    for title, description, section in LETTER_TASKS:
        if Task.objects.filter(title=title, owner_unit=bureau).exists():
            continue
        actions.create_direct(
            actor,
            Task(
                title=title,
                description=description,
                owner_unit=bureau,
                chain=silk,
                region=bureau.region,
                state="assigned",  # the reply commits its author to them; no date is given
                source=f"{SRC}, {section}",
            ),
        )
        created += 1
    return {"tasks": created}


# key, title, enterprise, kind, state, raised by the enterprise's user, description
SAMPLE_PROBLEMS = [
    (
        "submitted",
        "示例：厂房屋顶光伏并网",
        "景柏服饰",
        "要素保障",
        "submitted",
        True,
        "屋顶光伏已建成，并网手续未办结。",
    ),
    (
        "accepted",
        "示例：流动资金贷款续贷",
        "绿洲纺织",
        "融资",
        "accepted",
        False,
        "一笔流动资金贷款到期，需续贷。",
    ),
    ("returned", "示例：个人社保咨询", "森鹅", "其他", "returned", False, "职工个人社保缴费咨询。"),
    ("assigned", "示例：熟练挡车工招聘", "潞安府潞绸", "用工", "assigned", False, "旺季缺熟练挡车工约30人。"),
    (
        "extension",
        "示例：扩建项目环评批复",
        "潞安府潞绸",
        "审批",
        "in_progress",
        False,
        "扩建项目环评待批复。",
    ),
    ("answered", "示例：参加广州服装展补贴", "景柏服饰", "市场", "answered", True, "申请参展补贴。"),
    ("closed", "示例：天然气用气价格", "绿洲纺织", "要素保障", "closed", False, "用气价格协调。"),
    (
        "overdue",
        "示例：染整废水排放指标",
        "森鹅",
        "要素保障",
        "in_progress",
        False,
        "染整车间扩产需增加排放指标。",
    ),
    (
        "reopened",
        "示例：厂区道路照明",
        "景柏服饰",
        "要素保障",
        "answered",
        True,
        "厂区外道路无照明，夜班通勤不便。",
    ),
    ("transfer", "示例：服装专业订单班", "景柏服饰", "用工", "assigned", True, "希望与职业院校合办订单班。"),
]


def _days_ago(today: dt.date, n: int) -> dt.date:
    """The working day ``n`` working days before ``today`` (whole weeks of plain weekdays as a start)."""
    day = today
    while n > 0:
        day -= dt.timedelta(days=1)
        if workdays.is_workday(day):
            n -= 1
    return day


def load_samples(actor, today: dt.date | None = None) -> dict[str, int]:
    from problems.escalation import escalate_overdue

    today = today or timezone.localdate()
    bureau = Organisation.objects.get(name=BUREAU)
    college = Organisation.objects.get(name=COLLEGE)
    kinds = {k.name: k for k in ProblemKind.objects.all()}
    raiser = User.objects.filter(username="enterprise_jingbai").first()
    made = {}
    for key, title, enterprise_name, kind, state, by_enterprise, description in SAMPLE_PROBLEMS:
        if Problem.objects.filter(title=title).exists():
            continue
        enterprise = Enterprise.objects.get(name=enterprise_name)
        fields = {
            "title": title,
            "description": description,
            "kind": kinds[kind],
            "enterprise": enterprise,
            "state": state,
            "raised_via": RaisedVia.ENTERPRISE if by_enterprise else RaisedVia.STAFF,
            "raised_by": raiser if by_enterprise and enterprise_name == "景柏服饰" else None,
            "is_sample": True,
            "source": SAMPLE,
        }
        if state in ("assigned", "in_progress", "answered", "closed"):
            # Assigned 8 working days ago with 10 to go; the overdue one 20 ago with 10 (10 late: escalated
            # to the chief by the job below).
            assigned_on = _days_ago(today, 20 if key == "overdue" else 8)
            found = workdays.deadline(assigned_on, 10)
            fields.update(
                handling_unit=bureau,
                assigned_on=assigned_on,
                deadline_days=10,
                due_on=found.due_on,
                due_provisional=found.provisional,
            )
        if state in ("answered", "closed"):
            fields.update(answer="已协调相关部门办理。", answered_on=_days_ago(today, 1))
        if state == "closed":
            fields.update(rating="satisfied", closed_on=today)
        if key == "returned":
            fields["return_reason"] = "属个人事项，请咨询社保经办机构。"
        if key == "extension":
            fields.update(extension_requested_days=5, extension_reason="需等待省生态环境厅意见。")
        made[key] = actions.create_direct(actor, Problem(**fields))
    if "extension" in made:
        actions.create_direct(
            actor,
            ProgressNote(
                problem=made["extension"],
                note="已报送环评材料。",
                noted_on=_days_ago(today, 2),
                is_sample=True,
                source=SAMPLE,
            ),
        )
    # Real moves, so their timelines tell the story: 景柏 is not satisfied; the office transfers a problem
    # that belongs with the college.
    if "reopened" in made:
        actions.transition(
            actor, made["reopened"], "rate", comment="夜间仍无照明。", data={"rating": "dissatisfied"}
        )
    if "transfer" in made:
        actions.transition(
            actor,
            made["transfer"],
            "transfer",
            data={"handling_unit": college.pk, "return_reason": "订单班由职业院校承办。"},
        )
    if not MeetingRecord.objects.filter(title="示例：丝麻产业链月度调度会").exists():
        actions.create_direct(
            actor,
            MeetingRecord(
                title="示例：丝麻产业链月度调度会",
                held_on=_days_ago(today, 3),
                chain=Chain.objects.get(name=SILK, level="city"),
                attendees="链长办、市工信局、高平市、泽州县",
                decisions="梳理重点企业用工缺口\n对接金融机构开展银企对接会",
                is_sample=True,
                source=SAMPLE,
            ),
        )
    escalated = escalate_overdue(today)
    return {"problems": len(made), "escalated": len(escalated)}
