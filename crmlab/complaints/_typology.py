"""The textbook's complaint typology (task 10 §10.1.2), remedies, handling methods and the steps."""
from __future__ import annotations

import pandas as pd

from ._errors import _err


# --------------------------------------------------------------------------- §10.1.2 typology
#: The textbook's complaint typology (task 10 §10.1.2): dimension → key → (中文, English, other labels).
TYPOLOGY: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "severity": {
        "general": ("一般投诉", "general complaint", ("一般",)),
        "serious": ("严重投诉", "serious complaint", ("严重",)),
    },
    "cause": {
        "product_quality": ("产品质量投诉", "product-quality complaint", ("产品质量", "质量", "质量问题", "quality")),
        "service": ("服务投诉", "service complaint", ("服务", "服务问题")),
        "price": ("价格投诉", "price complaint", ("价格", "价格问题")),
        "integrity": ("诚信投诉", "integrity complaint", ("诚信", "诚信问题", "honesty")),
    },
    "behavior": {
        "passive": ("消极抱怨型", "passive grumbling", ("消极抱怨",)),
        "publicity": ("负面宣传型", "negative publicity", ("负面宣传", "negative_publicity")),
        "venting": ("愤怒发泄型", "angry venting", ("愤怒发泄",)),
        "extreme": ("极端激进型", "extreme / radical (customer conflict)", ("极端激进", "客户冲突", "conflict")),
    },
    "purpose": {
        "suggestive": ("建议性", "suggestive", ("建议性投诉", "建议")),
        "critical": ("批评性", "critical", ("批评性投诉", "批评")),
        "accusatory": ("控告性", "accusatory", ("控告性投诉", "控告")),
    },
}
_ZH_DIM = {"severity": "严重程度", "cause": "投诉原因", "behavior": "投诉行为", "purpose": "投诉目的"}

#: Escalation of an ignored complaint (§10.1.2): suggestive → critical → accusatory.
PURPOSE_ESCALATION = ("suggestive", "critical", "accusatory")

#: Shipped ``complaints.category`` → (textbook cause type, note). The textbook names only the four
#: cause types; placing the dataset's six categories under them is crmlab's reading.
DATASET_CATEGORIES: dict[str, tuple[str, str]] = {
    "product_quality": ("product_quality", "quality, performance, safety"),
    "delivery": ("service", "transport is part of the service (送货); routed to 储运部"),
    "installation": ("service", "installation is an in-sale/after-sales service"),
    "service_attitude": ("service", "staff manner or attitude"),
    "price": ("price", "price too high / poor value"),
    "billing": ("integrity", "charged differently from what was agreed before the sale (与售前承诺不符)"),
}
#: Shipped ``complaints.severity`` → textbook severity (two levels; medium counts as general — crmlab's reading).
DATASET_SEVERITY: dict[str, str] = {"low": "general", "medium": "general", "high": "serious"}

_TYPO_LOOKUP: dict[str, dict[str, str]] = {}
for _dim, _keys in TYPOLOGY.items():
    table = _TYPO_LOOKUP.setdefault(_dim, {})
    for _key, (_zh, _en, _alts) in _keys.items():
        for _label in (_key, _zh, _en, *_alts):
            table[_label.casefold()] = _key
for _code, (_cause, _) in DATASET_CATEGORIES.items():
    _TYPO_LOOKUP["cause"].setdefault(_code, _cause)
_TYPO_LOOKUP["cause"].update({"运输": "service", "运输问题": "service", "送货": "service", "安装": "service",
                              "服务态度": "service", "账单": "integrity", "收费": "integrity"})
for _code, _sev in DATASET_SEVERITY.items():
    _TYPO_LOOKUP["severity"][_code] = _sev


def typology(dimension: str, label) -> str:
    """Canonical key of a typology label on one dimension (textbook task 10 §10.1.2).

    ``dimension`` is ``severity``, ``cause``, ``behavior`` or ``purpose``. Labels may be the key,
    the Chinese term (产品质量投诉 or 产品质量), the English gloss, or a code of the shipped
    dataset (delivery → service, billing → integrity; see :data:`DATASET_CATEGORIES`).

    Examples
    --------
    >>> typology("cause", "产品质量")
    'product_quality'
    >>> typology("severity", "high")
    'serious'
    >>> typology("purpose", "控告性")
    'accusatory'
    """
    if dimension not in TYPOLOGY:
        raise _err(f"unknown typology dimension {dimension!r}; use one of {list(TYPOLOGY)}.",
                   f"未知的分类维度 {dimension!r}；可用：{list(TYPOLOGY)}（严重程度、原因、行为、目的）。")
    try:
        return _TYPO_LOOKUP[dimension][str(label).strip().casefold()]
    except KeyError:
        options = [v[0] for v in TYPOLOGY[dimension].values()]
        raise _err(f"unknown {dimension} label {label!r}; use one of {list(TYPOLOGY[dimension])} or {options}.",
                   f"未知的{_ZH_DIM[dimension]}标签 {label!r}；可用：{options}。") from None


def typology_table() -> pd.DataFrame:
    """The whole typology as a table: dimension, key, 中文, English and other accepted labels."""
    rows = [(d, k, z, e, "、".join(a)) for d, keys in TYPOLOGY.items() for k, (z, e, a) in keys.items()]
    return pd.DataFrame(rows, columns=["dimension", "key", "zh", "en", "also"])


#: Remedies of step 5 (§10.2.3): return/refund, exchange, repair, price reduction, compensation.
REMEDIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "refund": ("退货", ("退款", "return")),
    "exchange": ("换货", ("更换",)),
    "repair": ("维修", ("修理",)),
    "discount": ("折价", ("降价", "price_reduction")),
    "compensation": ("赔偿", ("补偿",)),
}
_REMEDY_LOOKUP = {a.casefold(): k for k, (z, alts) in REMEDIES.items() for a in (k, z, *alts)}

#: The five front-line handling methods (投诉处理的一般方法), §10.2.4, in order.
_HANDLING_METHODS = pd.DataFrame(
    [("listen", "倾听"), ("apologise", "表示道歉"), ("ask", "仔细询问"), ("record", "记录问题"),
     ("solve", "解决问题")], columns=["method", "zh"])

#: The eight steps of the handling process (§10.2.3).
_COMPLAINT_STEPS = pd.DataFrame(
    [
        (1, "记录投诉内容", "record the complaint on the complaint record form"),
        (2, "判定投诉是否成立", "judge whether the complaint is valid"),
        (3, "确定投诉处理责任部门", "route it to the responsible department"),
        (4, "责任部门分析投诉原因", "the department analyses the cause and the person responsible"),
        (5, "提出处理方案", "propose a remedy"),
        (6, "提交主管领导批示", "the responsible leader approves"),
        (7, "实施处理方案", "carry it out, notify the customer, penalise those responsible"),
        (8, "总结评价", "review, learn lessons, lower the complaint rate"),
    ],
    columns=["step", "zh", "en"]).set_index("step")
