"""The bilingual glossary (双语术语表): canonical English keys and their Chinese terms.

Labs and datasets use short English codes (``gold``, ``heavy``, ``organisation`` …); this module
turns them into the textbook's Chinese terms and back, accepting the synonyms the textbooks use.

Example
-------
>>> from crmlab import glossary
>>> glossary.zh("gold")
'黄金客户'
>>> glossary.key("黄金客户")
'gold'
>>> glossary.label("gold")
'黄金客户 gold'
"""
from __future__ import annotations

import pandas as pd

__all__ = ["TERMS", "zh", "en", "key", "label", "table"]

# key: (primary Chinese term, English gloss, other accepted labels)
TERMS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # customers (客户) — task 1 §1.1
    "customer": ("客户", "customer", ("顾客",)),
    "client": ("客户(Client)", "client", ()),
    "user": ("用户", "user", ("消费型客户",)),
    "internal_customer": ("内部客户", "internal customer", ()),
    "external_customer": ("外部客户", "external customer", ()),
    "direct_customer": ("直接客户", "direct customer", ()),
    "indirect_customer": ("间接客户", "indirect customer", ()),
    "individual": ("个人客户", "individual customer", ("个人",)),
    "organisation": ("企业客户", "organisational customer", ("企业", "组织客户")),
    "end_customer": ("最终客户", "final customer", ()),
    "intermediary": ("中间客户", "intermediate customer", ("中间商", "经销商")),
    "production": ("生产型客户", "production customer", ()),
    # time order of the relationship [001]
    "past": ("过去型客户", "past customer", ()),
    "present": ("现在型客户", "present customer", ()),
    "future": ("未来型客户", "future customer", ("潜在客户",)),
    # value pyramid / ABC [001]
    "abc_A": ("关键客户", "key customer (A)", ("A类客户", "重点客户")),
    "abc_B": ("潜力客户", "potential customer (B)", ("B类客户", "合适客户")),
    "abc_C": ("一般客户", "general customer (C)", ("C类客户", "普通客户", "普通型客户")),
    # frequency segments (KFC example, task 1 §1.1.3)
    "heavy": ("重度消费者", "heavy buyer", ("重度",)),
    "medium": ("中度消费者", "medium buyer", ("中度",)),
    "light": ("轻度消费者", "light buyer", ("轻度",)),
    # value × loyalty matrix (task 1 §1.2.5)
    "gold": ("黄金客户", "gold customer", ()),
    "risk": ("风险客户", "risk customer", ()),
    "marginal": ("边际客户", "marginal customer", ()),
    "junk": ("垃圾客户", "junk customer", ()),
    # value × response matrix (task 1 §1.2.5)
    "best": ("最佳客户群", "best customers", ()),
    "strange": ("奇异客户群", "strange customers", ()),
    "fatal_attraction": ("致命诱惑客户群", "fatal-attraction customers", ()),
    "ghost": ("幽灵客户群", "ghost customers", ()),
    # value types and prospects (task 4 §4.1.3, §4.3.2)
    "intrinsic": ("内在价值型", "intrinsic-value customer", ()),
    "extrinsic": ("外在价值型", "extrinsic-value customer", ()),
    "strategic": ("战略价值型", "strategic-value customer", ()),
    "hot": ("热客", "hot prospect", ()),
    "warm": ("暖客", "warm prospect", ()),
    "cold": ("冷客", "cold prospect", ()),
    "new_buy": ("新购", "new purchase", ()),
    "rebuy": ("重购", "repeat purchase", ("添购",)),
    "replacement": ("更新购买", "replacement purchase", ()),
    # key-customer selection matrix (task 4 §4.4.2, Cheverton). NB: its 关键客户 is a quadrant of this
    # matrix, not the A class of ABC analysis (abc_A); the glossary keeps them apart.
    "key": ("关键客户(选择矩阵)", "key customer (selection matrix)", ()),
    "key_development": ("关键发展客户", "key development customer", ()),
    "maintenance": ("维持客户", "maintenance customer", ()),
    "opportunistic": ("机会主义客户", "opportunistic customer", ()),
    # concepts
    "segmentation": ("客户细分", "customer segmentation", ()),
    "customer_value": ("客户价值", "customer value", ()),
    "loyalty": ("客户忠诚度", "customer loyalty", ("忠诚度",)),
    "clv": ("客户终生价值", "customer lifetime value", ("客户终身价值", "CLV")),
    "pareto": ("二八法则", "Pareto (80/20) rule", ("帕累托法则", "80/20法则")),
    "crm": ("客户关系管理", "customer relationship management", ("CRM",)),
    "archive": ("客户档案", "customer information archive", ("客户信息档案",)),
    "opportunity": ("商机", "sales opportunity", ()),
    "satisfaction": ("满意度", "satisfaction", ("客户满意度",)),
}

_LOOKUP: dict[str, str] = {}
for _key, (_zh, _en, _alts) in TERMS.items():
    for _label in (_key, _zh, _en, *_alts):
        _LOOKUP.setdefault(_label.casefold(), _key)


def key(label: str) -> str:
    """Canonical key for an English or Chinese label; ``KeyError`` names the unknown label."""
    try:
        return _LOOKUP[str(label).strip().casefold()]
    except KeyError:
        raise KeyError(f"unknown term {label!r} (未知术语); see crmlab.glossary.table()") from None


def zh(label: str) -> str:
    """The textbook's Chinese term for a key or label."""
    return TERMS[key(label)][0]


def en(label: str) -> str:
    """The English gloss for a key or label."""
    return TERMS[key(label)][1]


def label(label: str) -> str:
    """Chinese term and key together, as used in plot labels: ``'黄金客户 gold'``."""
    k = key(label)
    return f"{TERMS[k][0]} {k}"


def table() -> pd.DataFrame:
    """The whole glossary as a DataFrame (key, 中文, English, other labels)."""
    rows = [(k, z, e, "、".join(a)) for k, (z, e, a) in TERMS.items()]
    return pd.DataFrame(rows, columns=["key", "zh", "en", "also"]).set_index("key")
