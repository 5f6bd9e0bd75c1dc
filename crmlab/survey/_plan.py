"""The survey plan (调查方案): the textbook's steps as a checklist, survey types and survey methods.

Textbook task 3 §3.2 (客户调查的步骤, figure 3‑1 lost; the prose gives 3 phases and 15 steps) and
§3.3 (客户调查的方法). The issue's four stages — topic → plan → field work → organise & analyse —
group the same 15 steps: the textbook's third phase (实施客户调查) is split into field work
(collecting) and organising/analysing/reporting.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from .. import glossary
from ._errors import bilingual, fail

__all__ = ["SURVEY_STEPS", "STAGES", "SURVEY_TYPES", "PROPOSAL_SECTIONS", "BUDGET_ITEMS", "OUTSOURCE_CONDITIONS",
           "SURVEY_METHODS", "PLAN_TRANSITIONS", "survey_steps", "survey_methods", "suggest_methods",
           "should_outsource", "SurveyPlan"]

#: The plan's stage transitions as data (from, to, action, guard), in the Odoo style: the one
#: declaration of the stage order (:data:`STAGES` and :attr:`SurveyPlan.stage` read it).
PLAN_TRANSITIONS: tuple[tuple[str, str, str, str], ...] = (
    ("topic", "plan", "mark_done", "every required topic step is done"),
    ("plan", "fieldwork", "mark_done", "every required plan step is done"),
    ("fieldwork", "analysis", "mark_done", "data collection is done"),
    ("analysis", "done", "mark_done", "processing, analysis and the report are done"),
)

#: The four stages of the issue, in order (the last, ``done``, is reached when everything is done).
STAGES = tuple(source for source, *_ in PLAN_TRANSITIONS)
_DONE = PLAN_TRANSITIONS[-1][1]
_STAGE_ZH = {"topic": "确定调查主题", "plan": "设计调查方案", "fieldwork": "实施调查（收集资料）",
             "analysis": "整理、分析与报告"}

#: (key, stage, textbook phase, 中文, English, optional) — textbook task 3 §3.2, in order.
SURVEY_STEPS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("propose_topic", "topic", "A", "提出调查主题", "propose the topic (narrow a broad problem)", False),
    ("objectives", "topic", "A", "选定具体调查目标", "set specific objectives (research questions)", False),
    ("hypotheses", "topic", "A", "形成假设因素", "form hypotheses (not every survey needs them)", True),
    ("information_needed", "topic", "A", "判断调查需要的信息", "decide what information is needed", False),
    ("survey_type", "plan", "B", "确定客户调查类型", "choose the survey type (exploratory/descriptive/causal)", False),
    ("methods", "plan", "B", "选择资料收集方法和渠道", "choose collection methods and channels", False),
    ("sample_plan", "plan", "B", "选择样本计划", "choose the sample plan", False),
    ("team", "plan", "B", "组建调查队伍", "form the team (in-house, agency or joint)", False),
    ("anticipate_analysis", "plan", "B", "估计要进行的资料分析结果", "anticipate the analysis before collecting", False),
    ("budget_schedule", "plan", "B", "调查费用预算及调查进度", "budget (cost–benefit) and schedule", False),
    ("proposal", "plan", "B", "提出一份完整的调查建议书", "write the survey proposal (6 parts)", False),
    ("collect", "fieldwork", "C", "收集资料", "collect data (secondary sources first, then primary)", False),
    ("process", "analysis", "C", "资料处理", "process: check, organise, compile, tabulate, chart", False),
    ("analyse", "analysis", "C", "资料分析", "analyse (qualitative and quantitative)", False),
    ("report", "analysis", "C", "提交报告", "write and present the report", False),
)

#: Survey types, textbook task 3 §3.2 step B1.
SURVEY_TYPES: dict[str, dict[str, str]] = {
    "exploratory": {"zh": "探索性调查", "purpose": "find and pose the problem when it is still unclear",
                    "planning": "flexible, no detailed plan beforehand"},
    "descriptive": {"zh": "描述性调查", "purpose": "describe an identified problem factually (the most common)",
                    "planning": "detailed plan, questions decomposed in advance"},
    "causal": {"zh": "因果性调查", "purpose": "show whether a change in X causes a change in Y",
               "planning": "controlled comparison (often an experiment)"},
}
SURVEY_TYPE = glossary.Vocabulary(
    "survey_type", {k: (v["zh"], f"{k} survey", (v["zh"].removesuffix("调查"),)) for k, v in SURVEY_TYPES.items()},
    what=("survey type", "调查类型"))

#: The six parts of the survey proposal (调查建议书), textbook task 3 §3.2 step B7.
PROPOSAL_SECTIONS: tuple[str, ...] = ("概要", "背景", "调查的目的", "调查方法", "调查组织进度安排与费用支付估计", "附录")
#: Cost items the textbook names for the budget (step B6).
BUDGET_ITEMS: tuple[str, ...] = ("劳务费", "问卷费", "差旅费")
#: When to use an outside team (step B4); any one suffices.
OUTSOURCE_CONDITIONS: dict[str, str] = {
    "no_skill": "企业缺乏调查技能或经验，或以往自行调查效果不佳",
    "urgent_or_large": "信息需求紧急或量大，超出企业能力",
    "cheaper_outside": "委托外部比自己做更省钱",
    "confidential": "企业名称或调查的真实目的需要保密",
}

# method key: (中文, family, when to use (EN), 何时使用, pros, cons) — textbook task 3 §3.3.
SURVEY_METHODS: dict[str, tuple[str, str, str, str, str, str]] = {
    "observation": ("观察调查法", "observation",
                    "to see what customers actually do, on site, without asking (behaviour, not motives)",
                    "需要了解顾客的实际行为而不是询问其看法时（现场、亲历、策划观察等）",
                    "true to life; no respondent bias when disguised",
                    "cannot see motives or opinions; disguised observation raises privacy questions"),
    "interview": ("走访面谈", "inquiry",
                  "for complex or in-depth questions and key customers (专访 one person, 访谈 several)",
                  "问题复杂、需要深入了解或访问重点客户时",
                  "deep, flexible, follow-up questions possible", "slow and costly; interviewer influence"),
    "telephone": ("电话调查法", "inquiry",
                  "when speed and low cost matter and the questions are few, short and simple",
                  "需要快速、低成本且问题少而简单时",
                  "fastest; cheap; wide coverage; reaches hard-to-meet people",
                  "calls cannot be long; no complex questions; refusals are hard to recover"),
    "mail": ("邮件调查法", "inquiry",
             "for existing (old) customers with known addresses spread over a wide area",
             "调查对象是地址明确的老客户、分布较广时（可用抽奖提高回收率）",
             "cheap per respondent; wide area; time to think", "low and slow return; no clarification"),
    "drop_off": ("留置问卷法", "inquiry",
                 "for old customers in a limited area who need time to think (between interview and mail)",
                 "针对有限区域内的老客户、需要给对方思考时间时（介于面谈和邮寄之间）",
                 "higher return than mail; time to think", "limited area; higher cost"),
    "experiment": ("实验调查法", "experiment",
                   "for causal questions: does changing X (price, display …) change Y? Needs a control group",
                   "需要回答因果问题（改变价格、陈列等是否影响销量）时，设实验组和对照组",
                   "objective, controllable, precise", "long, risky, costly; results hard to generalise"),
    "questionnaire": ("问卷调查法", "questionnaire",
                      "to collect the same structured answers from many respondents (descriptive surveys)",
                      "需要向大量被调查者收集统一格式的答案时（描述性调查）",
                      "comparable, codable answers; cheap per respondent",
                      "needs careful design; answers only what is asked"),
    "desk": ("文案调查", "other",
             "first, whenever secondary data exist; it also decides whether a field survey is needed",
             "有现成的二手资料时优先使用，并据此决定是否需要实地调查",
             "cheap and fast", "data made for other purposes may not fit"),
}

# which needs each method serves (crmlab's reading of §3.3; used by suggest_methods)
_METHOD_FIT: dict[str, set[str]] = {
    "observation": {"behaviour"},
    "interview": {"in_depth", "complex_questions", "key_customers"},
    "telephone": {"fast", "low_budget", "wide_area"},
    "mail": {"existing_customers", "wide_area", "low_budget", "many_respondents"},
    "drop_off": {"existing_customers", "time_to_think", "limited_area"},
    "experiment": {"causal"},
    "questionnaire": {"many_respondents", "descriptive", "low_budget"},
    "desk": {"secondary_data", "fast", "low_budget"},
}
NEEDS = tuple(sorted(set().union(*_METHOD_FIT.values())))

def survey_steps() -> pd.DataFrame:
    """The textbook's survey steps as a table (textbook task 3 §3.2): stage, phase, 中文, English.

    >>> survey_steps().groupby("stage", sort=False).size().tolist()
    [4, 7, 1, 3]
    """
    frame = pd.DataFrame(SURVEY_STEPS, columns=["step", "stage", "phase", "zh", "en", "optional"])
    frame.insert(0, "no", range(1, len(frame) + 1))
    return frame


def survey_methods() -> pd.DataFrame:
    """The survey methods and when to use each (textbook task 3 §3.3).

    >>> survey_methods().loc["experiment", "zh"]
    '实验调查法'
    """
    return pd.DataFrame.from_dict(SURVEY_METHODS, orient="index",
                                  columns=["zh", "family", "when", "when_zh", "pros", "cons"]).rename_axis("method")


def suggest_methods(*needs: str, k: int = 3) -> pd.DataFrame:
    """Rank the survey methods by how many of the stated needs they serve (crmlab's reading of §3.3).

    Needs: ``behaviour``, ``causal``, ``complex_questions``, ``descriptive``, ``existing_customers``,
    ``fast``, ``in_depth``, ``key_customers``, ``limited_area``, ``low_budget``, ``many_respondents``,
    ``secondary_data``, ``time_to_think``, ``wide_area``. The textbook's task asks for 2–3 methods
    in the field (task 3, 任务分解 2), hence ``k=3``.

    >>> suggest_methods("existing_customers", "time_to_think", "limited_area").index[0]
    'drop_off'
    >>> suggest_methods("causal").index[0]
    'experiment'
    """
    unknown = sorted(set(needs) - set(NEEDS))
    if unknown or not needs:
        raise fail(f"unknown or no needs {unknown}; choose from {', '.join(NEEDS)}",
                   f"未知或未给出需求 {unknown}；可选：{', '.join(NEEDS)}")
    rows = []
    for method, fit in _METHOD_FIT.items():
        served = [n for n in needs if n in fit]
        if served:
            rows.append((method, SURVEY_METHODS[method][0], len(served), ", ".join(served), SURVEY_METHODS[method][2]))
    frame = pd.DataFrame(rows, columns=["method", "zh", "fit", "serves", "when"]).set_index("method")
    return frame.sort_values("fit", ascending=False, kind="stable").head(k)  # ties keep the table order


def should_outsource(**conditions: bool) -> tuple[bool, list[str]]:
    """Use an outside team when any of the textbook's four conditions holds (task 3 §3.2 step B4).

    >>> should_outsource(confidential=True)
    (True, ['企业名称或调查的真实目的需要保密'])
    """
    unknown = sorted(set(conditions) - set(OUTSOURCE_CONDITIONS))
    if unknown:
        raise fail(f"unknown conditions {unknown}; use {', '.join(OUTSOURCE_CONDITIONS)}",
                   f"未知条件 {unknown}；可用：{', '.join(OUTSOURCE_CONDITIONS)}")
    reasons = [OUTSOURCE_CONDITIONS[k] for k, v in conditions.items() if v]
    return bool(reasons), reasons


@dataclass
class SurveyPlan:
    """A survey plan with the textbook's steps as a checklist (调查方案 + 步骤清单).

    Steps are ticked off with :meth:`mark_done` in stage order (topic → plan → field work →
    organise & analyse); ticking a step of a later stage while an earlier stage is unfinished
    raises and changes nothing. Only the hypotheses step may be skipped (the textbook: "not every
    survey needs formal hypotheses"). :meth:`validate` lists what the plan still lacks and
    :meth:`proposal_markdown` writes the six-part proposal (调查建议书).

    Examples
    --------
    >>> plan = SurveyPlan("客户购买量下降的原因", objectives=["找出购买量下降的原因"],
    ...                   survey_type="描述性调查", methods=["telephone", "drop_off"])
    >>> _ = plan.mark_done("propose_topic").mark_done("objectives").skip("hypotheses", "simple fact-finding")
    >>> plan.stage
    'topic'
    >>> plan.next_steps()
    ['information_needed']
    >>> try:
    ...     plan.mark_done("collect")
    ... except ValueError as err:
    ...     print(err.zh)
    必须先完成「确定调查主题」阶段（尚缺：information_needed），才能进行 'collect'
    """
    topic: str
    objectives: Sequence[str] = ()
    hypotheses: Sequence[str] = ()
    info_needed: Sequence[str] = ()
    survey_type: str = "descriptive"
    methods: Sequence[str] = ()
    sample: Mapping = field(default_factory=dict)
    team: str = "in_house"
    budget: Mapping[str, float] = field(default_factory=dict)
    schedule: Sequence[tuple] = ()
    status: dict = field(default_factory=dict)

    def __post_init__(self):
        self.survey_type = SURVEY_TYPE.get(self.survey_type, self.survey_type)
        known = {s[0] for s in SURVEY_STEPS}
        self.status = {s[0]: "todo" for s in SURVEY_STEPS} | {k: v for k, v in dict(self.status).items() if k in known}

    # -- checklist ---------------------------------------------------------------------------
    def checklist(self) -> pd.DataFrame:
        """The 15 steps with their status (todo / done / skipped) and any note."""
        frame = survey_steps()
        frame["status"] = frame["step"].map(self.status)
        return frame

    @property
    def stage(self) -> str:
        """The current stage: the first with a step still to do, or ``done``."""
        for key, stage, *_ in SURVEY_STEPS:
            if self.status[key] == "todo":
                return stage
        return _DONE

    def next_steps(self) -> list[str]:
        """The steps still to do in the current stage."""
        return [k for k, st, *_ in SURVEY_STEPS if st == self.stage and self.status[k] == "todo"]

    def _guard(self, step: str) -> str:
        keys = [s[0] for s in SURVEY_STEPS]
        if step not in keys:
            raise fail(f"unknown step {step!r}; steps: {', '.join(keys)}", f"未知步骤 {step!r}")
        stage = dict((s[0], s[1]) for s in SURVEY_STEPS)[step]
        current = self.stage
        if current != _DONE and STAGES.index(stage) > STAGES.index(current):
            raise fail(f"cannot do {step!r} ({stage}) before finishing the {current} stage: "
                       f"{', '.join(self.next_steps())} still to do",
                       f"必须先完成「{_STAGE_ZH[current]}」阶段（尚缺：{'、'.join(self.next_steps())}），"
                       f"才能进行 {step!r}")
        return stage

    def mark_done(self, step: str) -> SurveyPlan:
        """Tick a step off (returns the plan, so calls chain). Raises if an earlier stage is unfinished."""
        self._guard(step)
        self.status[step] = "done"
        return self

    def skip(self, step: str, reason: str) -> SurveyPlan:
        """Skip an optional step (only ``hypotheses``), giving the reason."""
        self._guard(step)
        optional = {s[0] for s in SURVEY_STEPS if s[5]}
        if step not in optional:
            raise fail(f"step {step!r} cannot be skipped (only {', '.join(sorted(optional))})",
                       f"步骤 {step!r} 不能跳过")
        if not str(reason).strip():
            raise fail("give a reason for skipping", "跳过步骤须说明理由")
        self.status[step] = "skipped"
        return self

    # -- content checks ----------------------------------------------------------------------
    def validate(self) -> list[str]:
        """What the plan still lacks (bilingual messages; empty = complete)."""
        out = []
        if not str(self.topic).strip():
            out.append(bilingual("no topic", "缺少调查主题"))
        if not self.objectives:
            out.append(bilingual("no specific objectives", "缺少具体调查目标"))
        if not self.info_needed:
            out.append(bilingual("information needed not listed", "未列出需要的信息"))
        if self.survey_type not in SURVEY_TYPES:
            out.append(bilingual(f"survey type {self.survey_type!r} is not exploratory, descriptive or causal",
                                 "调查类型应为探索性、描述性或因果性"))
        unknown = [m for m in self.methods if m not in SURVEY_METHODS]
        if unknown:
            out.append(bilingual(f"unknown methods {unknown}", f"未知调查方法 {unknown}"))
        if not 2 <= len(self.methods) <= 3:
            out.append(bilingual(f"use 2–3 methods in the field (task 3), got {len(self.methods)}",
                                 "实地调查应使用 2～3 种方法"))
        if self.survey_type == "causal" and "experiment" not in self.methods:
            out.append(bilingual("a causal survey needs an experiment", "因果性调查需要实验调查法"))
        if not self.sample or "method" not in self.sample:
            out.append(bilingual("no sample plan (method, n)", "缺少样本计划"))
        if self.team not in ("in_house", "agency", "joint"):
            out.append(bilingual("team must be in_house, agency or joint", "调查队伍应为企业自组、专业机构或联合"))
        missing = [b for b in BUDGET_ITEMS if b not in self.budget]
        if missing:
            out.append(bilingual(f"budget lacks {missing}", f"预算缺少 {missing}"))
        if any(float(v) < 0 for v in self.budget.values()):
            out.append(bilingual("negative budget item", "预算项目为负"))
        return out

    def budget_total(self) -> float:
        """Sum of the budget items (元)."""
        return float(sum(float(v) for v in self.budget.values()))

    def proposal_markdown(self, **sections: str) -> str:
        """The survey proposal (调查建议书) in the textbook's six parts (task 3 §3.2 step B7).

        Parts are filled from the plan; extra text for a part may be passed by its name, e.g.
        ``proposal_markdown(背景="…")``.
        """
        unknown = sorted(set(sections) - set(PROPOSAL_SECTIONS))
        if unknown:
            raise fail(f"unknown proposal parts {unknown}; parts: {', '.join(PROPOSAL_SECTIONS)}",
                       f"未知的建议书部分 {unknown}")
        t = SURVEY_TYPES.get(self.survey_type, {}).get("zh", self.survey_type)
        auto = {
            "概要": f"调查主题：{self.topic}。调查类型：{t}。",
            "背景": "",
            "调查的目的": "\n".join([f"- {o}" for o in self.objectives] +
                                 [f"- 假设：{h}" for h in self.hypotheses]),
            "调查方法": "\n".join([f"- 方法：{'、'.join(SURVEY_METHODS.get(m, (m,))[0] for m in self.methods)}",
                               f"- 样本：{dict(self.sample)}", "- 需要的信息：" + "、".join(self.info_needed)]),
            "调查组织进度安排与费用支付估计": "\n".join(
                [f"- 调查队伍：{self.team}"] + [f"- {k}：{float(v):,.0f} 元" for k, v in self.budget.items()] +
                [f"- 合计：{self.budget_total():,.0f} 元"] + [f"- {' '.join(map(str, s))}" for s in self.schedule]),
            "附录": "",
        }
        parts = [f"# 调查建议书：{self.topic}", ""]
        for i, name in enumerate(PROPOSAL_SECTIONS, 1):
            body = "\n\n".join(x for x in (auto[name], sections.get(name, "")) if x) or "（待补充 to do）"
            parts += [f"## {i}. {name}", "", body, ""]
        return "\n".join(parts)

