"""CRM 客户关系管理 (task 1 §1.3–§1.4): concept layers, definitions, the content model, the five-step
process as a directed graph (:class:`ProcessGraph`), the CRM roles and the organisation levels."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ._common import ConceptError, _bad, key_of


# ======================================================================================
# 3 CRM 客户关系管理 — task 1 §1.3–§1.4
# ======================================================================================

#: Task 1 (知识链接): the three concept layers, listed alphabetically by key (the order from the
#: foundation up is what lab 03 exercise 1 asks).
CONCEPT_LAYERS: dict[str, tuple[str, str]] = {
    "crm": ("客户关系管理", "customer relationship management"),
    "customer": ("客户", "customer"),
    "customer_relationship": ("客户关系", "customer relationship"),
}

#: Task 1 §1.3.1: who defined CRM how (summaries in our words).
CRM_DEFINITIONS: dict[str, tuple[str, str, str]] = {
    "gartner": ("高德纳咨询公司 Gartner Group", "Gartner Group",
                "a business strategy: organise around customer segments to raise profit, revenue and "
                "satisfaction; says nothing about IT"),
    "ibm": ("IBM公司", "IBM", "core practices to identify, select, acquire, develop and retain customers; relationship, "
            "process and access management; complete and consistent customer data"),
    "hurwitz": ("赫尔维茨集团 Hurwitz Group", "Hurwitz Group",
                "automate and improve sales, marketing, service and support processes; principles and software; "
                "shorter sales cycle, lower sales cost, new markets and channels"),
    "textbook": ("教材的定义", "the textbook's definition",
                 "a business strategy that uses modern IT to know customers and balances maximum customer value "
                 "with maximum revenue for the firm"),
}

#: Task 1 §1.3.3 (图1-3 lost): the content of CRM in three blocks.
CONTENT_BLOCKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "build": ("建立客户关系", "build relationships", ("识别 identify", "选择 select", "开发 develop")),
    "maintain": ("维护客户关系", "maintain relationships",
                 ("客户信息 information", "客户细分 segmentation", "满意度分析 satisfaction", "忠诚 loyalty",
                  "客户体验 experience", "客户投诉 complaints", "客户服务 service")),
    "informatise": ("客户关系管理的信息化", "informatise CRM", ("应用CRM软件系统 apply CRM software",)),
}

#: Task 1 §1.3.4: the five steps of the CRM process, listed alphabetically by key (the textbook's
#: order is what lab 03 exercise 3 asks).
CRM_PROCESS_STEPS: dict[str, tuple[str, str, str]] = {
    "analyse": ("客户信息分析", "analyse customer information",
                "attitude, ability, credit, relations; six questions such as which customers raised costs"),
    "collect": ("客户信息资料的收集", "collect customer information",
                "who the customers are, their types, needs and intentions; tell 一般/合适/关键 customers apart"),
    "exchange": ("客户信息交流与反馈管理", "information exchange and feedback",
                 "exchange information; feedback shows how far promises are kept"),
    "service": ("客户服务管理", "customer service management",
                "service entry, dispatch, grading, events, contracts, orders, problem–solution database"),
    "time": ("客户时间管理", "customer time management",
             "schedules with conflict alerts, team time, reminders, delivery schedules"),
}


def step_key(label) -> str:
    """Key of a CRM process step from its key, Chinese name or English name.

    >>> step_key("客户服务管理")
    'service'
    """
    return key_of(label, CRM_PROCESS_STEPS, "CRM process step 流程步骤")


class ProcessGraph:
    """A small directed graph of process steps (流程图): enough to build, check and draw a process.

    Steps keep the order in which they were added; edges are ``(from, to)`` pairs. It is written by
    hand (no networkx) so that a student can read it. Bad input raises :class:`ConceptError` and
    changes nothing.

    >>> g = ProcessGraph()
    >>> for s in ["识别", "选择", "开发"]:
    ...     g.add_step(s)
    >>> g.add_edge("识别", "选择"); g.add_edge("选择", "开发")
    >>> g.edges
    [('识别', '选择'), ('选择', '开发')]
    >>> g.is_chain(), g.order()
    (True, ['识别', '选择', '开发'])
    """

    def __init__(self, steps: Iterable = (), edges: Iterable = ()):
        self._steps: list = []
        self._edges: list[tuple] = []
        for s in steps:
            self.add_step(s)
        for a, b in edges:
            self.add_edge(a, b)

    # -- building
    def add_step(self, step) -> None:
        """Add a step; adding the same step twice is an error."""
        if step in self._steps:
            raise _bad(f"step {step!r} is already in the graph", f"步骤 {step!r} 已经在图中")
        self._steps.append(step)

    def add_edge(self, source, target) -> None:
        """Add the arrow ``source → target``; both steps must exist, no loops, no repeats."""
        for s in (source, target):
            if s not in self._steps:
                raise _bad(f"unknown step {s!r}: add_step it first", f"未知步骤 {s!r}：请先用 add_step 添加")
        if source == target:
            raise _bad(f"a step cannot lead to itself ({source!r})", f"步骤不能指向自己（{source!r}）")
        if (source, target) in self._edges:
            raise _bad(f"edge {source!r} → {target!r} already exists", f"箭头 {source!r} → {target!r} 已存在")
        self._edges.append((source, target))

    # -- reading
    @property
    def steps(self) -> list:
        """The steps, in the order they were added."""
        return list(self._steps)

    @property
    def edges(self) -> list[tuple]:
        """The arrows as ``(from, to)`` pairs, in the order they were added."""
        return list(self._edges)

    def __len__(self) -> int:
        return len(self._steps)

    def __contains__(self, step) -> bool:
        return step in self._steps

    def __repr__(self) -> str:
        return f"ProcessGraph({len(self._steps)} steps, {len(self._edges)} edges)"

    def successors(self, step) -> list:
        """Steps that ``step`` leads to."""
        return [b for a, b in self._edges if a == step]

    def predecessors(self, step) -> list:
        """Steps that lead to ``step``."""
        return [a for a, b in self._edges if b == step]

    def order(self) -> list:
        """The steps in an order that follows every arrow (a topological order; ties keep insertion
        order). A cycle raises :class:`ConceptError`."""
        indegree = {s: len(self.predecessors(s)) for s in self._steps}
        ready = [s for s in self._steps if indegree[s] == 0]
        result = []
        while ready:
            s = ready.pop(0)
            result.append(s)
            for t in self.successors(s):
                indegree[t] -= 1
                if indegree[t] == 0:
                    ready.append(t)
            ready.sort(key=self._steps.index)
        if len(result) != len(self._steps):
            raise _bad("the process has a cycle, so it has no first step", "流程中有环，没有起点")
        return result

    def is_chain(self) -> bool:
        """True when the arrows link every step in one line: s1 → s2 → … → sn."""
        n = len(self._steps)
        if n == 0 or len(self._edges) != n - 1:
            return False
        try:
            order = self.order()
        except ConceptError:
            return False
        return all((a, b) in self._edges for a, b in zip(order, order[1:]))

    def edge_table(self) -> pd.DataFrame:
        """The arrows as a DataFrame with columns ``from`` and ``to``."""
        return pd.DataFrame(self._edges, columns=["from", "to"])

    def draw(self, ax=None, labels: Mapping | None = None, wrap: int = 6):
        """Draw the steps as boxes from left to right with the arrows between them; return the axes.

        ``labels`` maps a step to the text shown in its box (default: the step itself); long text is
        wrapped every ``wrap`` characters.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(1.9 * max(len(self._steps), 1), 1.6))
        try:
            order = self.order()
        except ConceptError:
            order = self.steps
        x = {s: i for i, s in enumerate(order)}
        for s in order:
            text = str((labels or {}).get(s, s))
            text = "\n".join(text[i:i + wrap] for i in range(0, len(text), wrap))
            ax.text(x[s], 0, text, ha="center", va="center", fontsize=9,
                    bbox=dict(boxstyle="round,pad=0.4", fc="#e8f0fb", ec="#4c72b0"))
        for a, b in self._edges:
            bend = 0 if x[b] == x[a] + 1 else -0.4
            ax.annotate("", xy=(x[b] - 0.33, 0), xytext=(x[a] + 0.33, 0),
                        arrowprops=dict(arrowstyle="-|>", color="#333333",
                                        connectionstyle=f"arc3,rad={bend}"))
        ax.set_xlim(-0.6, max(len(order), 1) - 0.4)
        ax.set_ylim(-0.5, 0.5)
        ax.axis("off")
        return ax


def compare_edges(graph: ProcessGraph, reference: ProcessGraph, normalise=None) -> pd.DataFrame:
    """Edge-by-edge comparison of a graph with a reference: one row per edge of either graph.

    ``normalise`` (e.g. :func:`step_key`) maps each step label before comparing, so Chinese and
    English names match. Column ``status`` is ``ok`` (in both), ``missing`` (only in the reference)
    or ``extra`` (only in ``graph``).

    >>> mine = ProcessGraph(["客户信息资料的收集", "客户信息分析"], [("客户信息资料的收集", "客户信息分析")])
    >>> toy = ProcessGraph(["collect", "analyse", "exchange"], [("collect", "analyse"), ("analyse", "exchange")])
    >>> compare_edges(mine, toy, normalise=step_key)["status"].tolist()
    ['ok', 'missing']
    """
    norm = normalise or (lambda s: s)
    mine = [(norm(a), norm(b)) for a, b in graph.edges]
    ref = [(norm(a), norm(b)) for a, b in reference.edges]
    rows = [(a, b, "ok" if (a, b) in mine else "missing") for a, b in ref]
    rows += [(a, b, "extra") for a, b in mine if (a, b) not in ref]
    return pd.DataFrame(rows, columns=["from", "to", "status"])


#: Task 1 §1.4.2: the five CRM roles and their duties (our summary of the textbook's list).
CRM_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "vp": ("CRM营销副总裁", "CRM marketing vice-president",
           ("coordinate every level of the marketing process", "evaluate customer retention, profitability "
            "and acquisition", "draw up the marketing plan and strategy", "control its implementation")),
    "analyst": ("CRM营销分析师", "CRM marketing analyst",
                ("identify customers and profitable investment chances (the 'market miner')",
                 "reports and predictive models", "integrated management of customer information")),
    "campaign_manager": ("CRM活动经理", "CRM campaign manager",
                         ("create the content offered to customers with product, advertising and PR managers",
                          "decide campaign strategy", "run marketing tests",
                          "work with mail houses and telemarketing firms")),
    "segment_manager": ("CRM细分经理", "CRM segment manager",
                        ("own a segment's business problems such as retention and acquisition",
                         "manage the firm–customer dialogue", "decide the communication plan",
                         "handle privacy inside the firm")),
    "channel_manager": ("CRM渠道经理", "CRM channel manager",
                        ("coordinate customer, offer and timing across channels",
                         "make channel decisions", "keep the same message at every touchpoint",
                         "liaise with call centre, internet team, sales force, service and intermediaries")),
}


def role_key(label) -> str:
    """Key of a CRM role from its key, Chinese or English name.

    >>> role_key("CRM渠道经理")
    'channel_manager'
    """
    return key_of(label, CRM_ROLES, "CRM role 岗位")


#: Task 1 §1.4.3: the three levels of organisational need a CRM system serves.
ORG_LEVELS: dict[str, tuple[str, str, str]] = {
    "department": ("部门级", "department level", "marketing, sales and service each get their subsystems"),
    "collaboration": ("协同级", "collaboration level",
                      "real-time information flow between departments; channel optimisation"),
    "enterprise": ("企业级", "enterprise level", "integrated with finance, ERP and SCM into one closed system"),
}

#: [004] preface: the eleven vocational abilities of CRM work the textbook is built on.
VOCATIONAL_ABILITIES: dict[str, tuple[str, str]] = {
    "acquire_information": ("获取客户信息", "acquire customer information"),
    "manage_information": ("客户信息分析和管理", "analyse and manage customer information"),
    "identify_customers": ("挖掘客户需求及识别客户", "find customer needs and identify customers"),
    "stabilise_relationships": ("稳定和巩固客户关系", "stabilise and consolidate relationships"),
    "opportunities": ("商机管理", "manage sales opportunities"),
    "visits": ("客户拜访", "visit customers"),
    "partnerships": ("建立伙伴关系", "build partnerships"),
    "satisfaction_surveys": ("客户满意度调查与分析", "survey and analyse satisfaction"),
    "loyalty_plans": ("制订客户忠诚计划", "draw up loyalty programmes"),
    "complaints": ("管理客户投诉", "manage complaints"),
    "service_design": ("服务流程与服务标准设计", "design service processes and standards"),
}
