"""The field day of lab 04·06 (任务16 移动应用体验): a rep's day worked on the phone page.

The lab's company is the demo company (:func:`crmlab.system.open` with ``demo=True``) on Monday
2024-03-04, 10:05 (张三 has just arrived at his first visit), with one day of 张三's field work prepared through ordinary desk actions:

* the opportunity “机房扩容” of 华东电网科技, evaluated (执行中) and pushed to 预研阶段, with the
  task “准备机房调研资料” assigned to 张三 (执行中): finishing it is the condition of the next stage;
* two visits on today's schedule (我的日程): 10:00 at 华东电网科技 (for 机房扩容) and 14:30 at
  北方重型机械 (for 产线网络改造) — see :data:`DAY`.

The student logs in as 张三 on the phone page and works the day there; the lab's graded cells read
the database afterwards, including the audit log's channel (``mobile``: done on the phone page).

Where the clicks live: the phone page (a Voila process) writes the SQLite file ``mobile_lab.db``
beside the notebook, which travels with the submission. :func:`open_lab` loads that file **into
memory** each time the notebook runs, so re-running the notebook (also at grading time) neither
changes the file nor duplicates anything; a notebook that answers in code through
:class:`~crmlab.system.mobile.MobileSession` (the page's own layer) acts on that in-memory copy.

>>> crm = open_lab("no_such_file.db")
>>> me = mobile.MobileSession(crm, "zhangsan")
>>> me.schedule()[["subject", "customer"]].values.tolist()
[['上门拜访：机房现场调研', '华东电网科技'], ['回访：续约意向', '北方重型机械']]
>>> facts(crm)["task"], facts(crm)["opportunity"]
('RW000001', 'SJ000001')
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import engine, mobile

__all__ = ["LAB_DB", "CLOCK", "DAY", "build", "open_lab", "facts", "page"]

#: The database file the phone page writes, beside the notebook (it travels with the submission).
LAB_DB = "mobile_lab.db"
#: The CRM's "today" when the day starts.
CLOCK = "2024-03-04 10:05"
#: 张三's day: (customer, opportunity subject, visit subject, planned start).
DAY = (("华东电网科技", "机房扩容", "上门拜访：机房现场调研", "2024-03-04 10:00"),
       ("北方重型机械", "产线网络改造", "回访：续约意向", "2024-03-04 14:30"))
TASK = "准备机房调研资料"


def build(url=":memory:"):
    """A new database with the demo company and 张三's prepared day (deterministic)."""
    crm = engine.open(url, demo=True, clock="2024-03-01 09:00")
    zs, lj = crm.login("zhangsan"), crm.login("lijingli")
    with crm.batch():
        opps = []
        for customer, subject, _, _ in DAY:
            opp = zs.new_opportunity(subject, customer, source="老客户介绍")
            zs.set_potential(opp, expected_close="2024-06-28", interest="高", need="机房与网络升级")
            zs.add_interest(opp, "R740", qty=2, price=48_000)
            zs.submit_evaluation(opp, evaluator="lijingli")
            lj.evaluate(opp, "pass")
            opps.append(opp)
        first = opps[0]
        zs.new_activity(first, "电话沟通：确认需求", act_type="电话", plan_start="2024-03-01 10:00")
        zs.advance(first, end_stage_now=True)                  # 了解情况 → 预研阶段
        task = zs.new_task(first, TASK, plan_start="2024-03-01 11:00")
        zs.assign_task(task, "zhangsan")
        for opp, (_, _, visit, start) in zip(opps, DAY):
            zs.new_activity(opp, visit, act_type="拜访", plan_start=start)
    crm.set_clock(CLOCK)
    return crm


def open_lab(path=LAB_DB):
    """The lab's CRM: the phone page's file ``path`` loaded into memory when it exists (what the
    student did there), else a fresh day (:func:`build`). The file itself is never written here."""
    path = Path(path)
    if not path.exists():
        return build()
    crm = engine.open_copy(path)
    mobile.resume_clock(crm)
    return crm


def facts(crm) -> dict:
    """The day's documents: the first visit, the second visit, the task and the opportunity to advance."""
    docs = crm.documents()
    visits = docs[(docs["doc_type"] == "activity")]
    first = visits[visits["subject"] == DAY[0][2]]["no"].iloc[0]
    second = visits[visits["subject"] == DAY[1][2]]["no"].iloc[0]
    task = docs[(docs["doc_type"] == "task") & (docs["subject"] == TASK)]["no"].iloc[0]
    opp = docs[(docs["doc_type"] == "opportunity") & (docs["subject"] == DAY[0][1])]["no"].iloc[0]
    return {"visit": first, "second_visit": second, "task": task, "opportunity": opp}


def page(path=LAB_DB, port: int | None = None):
    """A button that opens the phone page on ``path`` (made with :func:`build` the first time):
    Voila serves it on 127.0.0.1 until the notebook's kernel stops. Nothing starts until the
    button is clicked, so running the notebook (or grading it) starts no server."""
    import ipywidgets as w

    out = w.HTML("")
    button = w.Button(description="打开手机页面 open the phone page", layout=w.Layout(width="260px"))
    state = {}

    def start(_):
        target = Path(path)
        if not target.exists():
            build(f"sqlite:///{target}").close()
        if "url" not in state:
            free = port or mobile.free_port()
            proc = mobile.start(f"sqlite:///{target.resolve()}", free)
            state.update(proc=proc, url=f"http://127.0.0.1:{free}/")
        out.value = (f'<a href="{state["url"]}" target="_blank">{state["url"]}</a> — '
                     "在新标签页中打开，以张三身份登录 (open it in a new tab and log in as 张三)")

    button.on_click(start)
    return w.VBox([button, out])


def reset(path=LAB_DB) -> Path | None:
    """Start the day again: move ``path`` aside to ``path.bak`` (nothing is deleted)."""
    path = Path(path)
    if not path.exists():
        return None
    backup = path.with_suffix(path.suffix + ".bak")
    shutil.move(path, backup)
    return backup
