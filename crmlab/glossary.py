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

Vocabularies (词表)
-------------------
Every closed list of codes in crmlab (decision roles, card types, survey types …) is a
:class:`Vocabulary`: one table of ``code: (中文, English, other accepted labels)``, registered by
name, so that all modules read one table and accept the same labels. :meth:`Vocabulary.code`
turns any accepted label into its code (case-, space- and full-/half-width-insensitive) and
raises a bilingual :class:`crmlab.errors.CRMLabError` that lists the accepted values.

>>> roles = glossary.vocabulary("decision_role")
>>> roles.code("采购"), roles.code("Purchaser"), roles.zh("buyer"), roles.label("buyer", "en")
('buyer', 'buyer', '采购', 'buyer')
>>> roles.code("老板")
Traceback (most recent call last):
...
crmlab.errors.CRMLabError: 未知的决策角色 '老板'；可用：决策者 decision_maker、采购 buyer、影响者 influencer、使用者 user、把关者 gatekeeper、评估小组 evaluator / unknown decision role '老板'; use one of ['decision_maker', 'buyer', 'influencer', 'user', 'gatekeeper', 'evaluator']
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping

import pandas as pd

from .errors import CRMLabError

__all__ = ["TERMS", "zh", "en", "key", "label", "table", "Vocabulary", "vocabulary", "vocabularies",
           "normalise", "TERM", "DECISION_ROLE", "CARD_TYPE", "EVALUATION_RESULT"]

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

def key(label: str) -> str:
    """Canonical key for an English or Chinese label; ``KeyError`` names the unknown label."""
    found = TERM.get(label)
    if found is None:
        raise KeyError(f"unknown term {label!r} (未知术语); see crmlab.glossary.table()")
    return found


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


# --------------------------------------------------------------------------------------------
# Vocabularies: one registry of the closed code lists of crmlab
# --------------------------------------------------------------------------------------------
_REGISTRY: dict[str, "Vocabulary"] = {}
_IGNORED = re.compile(r"[\s_\-]+")


def normalise(text) -> str | None:
    """The lookup form of a label: NFKC (full-width → half-width), case-folded, without spaces,
    underscores and hyphens (``decision_maker`` = ``Decision Maker`` = ``decision-maker``).

    ``None`` for ``None`` and for a missing value (NaN); other non-strings are looked up as
    their ``str()`` (so ``1`` finds the label ``"1"``).

    >>> normalise(" Decision  Maker "), normalise("decision_maker"), normalise("通过，评估结束"), normalise(None)
    ('decisionmaker', 'decisionmaker', '通过,评估结束', None)
    """
    if text is None or (isinstance(text, float) and text != text):
        return None
    if not isinstance(text, str):
        try:
            if pd.isna(text):
                return None
        except (TypeError, ValueError):
            pass
    return _IGNORED.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


class Vocabulary(Mapping):
    """A closed list of codes with their Chinese and English labels and accepted aliases.

    ``Vocabulary(name, {code: (zh, en, aliases)}, what=(en, zh))``: ``en`` and ``aliases`` may
    be left out (``(zh,)``, ``(zh, en)``); ``what`` names the list in error messages
    (``("decision role", "决策角色")``). The vocabulary is registered under ``name``
    (:func:`vocabulary`). As a mapping it maps each code to its ``(zh, en, aliases)`` entry.

    An alias that would name two codes is an error (``ValueError``) when the table is built.

    >>> v = Vocabulary("demo_size", {"big": ("大", "large", ("大型",)), "small": ("小", "small")},
    ...                what=("size", "规模"), register=False)
    >>> v.code("大型"), v.code(" LARGE "), v.zh("big"), v.en("小"), v.label("big", "both")
    ('big', 'big', '大', 'small', '大 big')
    >>> v.get("中") is None, "Small" in v, list(v)
    (True, True, ['big', 'small'])
    """

    def __init__(self, name: str, entries: Mapping[str, tuple], *, what: tuple[str, str] | None = None,
                 error_code: str | None = None, register: bool = True):
        self.name = name
        self.what = what or (name.replace("_", " "), name)
        self.error_code = error_code or f"UNKNOWN_{name.upper()}"
        self._entries: dict[str, tuple[str, str, tuple[str, ...]]] = {}
        self._lookup: dict[str, str] = {}
        for code, entry in entries.items():
            entry = (entry,) if isinstance(entry, str) else tuple(entry)
            zh_ = entry[0]
            en_ = entry[1] if len(entry) > 1 and entry[1] is not None else code
            aliases = entry[2] if len(entry) > 2 else ()
            aliases = (aliases,) if isinstance(aliases, str) else tuple(aliases)
            self._entries[code] = (zh_, en_, aliases)
            for lab in (code, zh_, en_, *aliases):
                k = normalise(lab)
                if k is None or k == "":
                    continue
                other = self._lookup.setdefault(k, code)
                if other != code:
                    raise ValueError(f"vocabulary {name!r}: label {lab!r} names both {other!r} and {code!r}")
        if register:
            _REGISTRY[name] = self

    # mapping protocol: code -> (zh, en, aliases)
    def __getitem__(self, code: str) -> tuple[str, str, tuple[str, ...]]:
        return self._entries[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, label) -> bool:
        """True when ``label`` is an accepted label (code, Chinese, English or alias)."""
        return self.get(label) is not None

    def __repr__(self) -> str:
        return f"Vocabulary({self.name!r}, {list(self._entries)})"

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes, in table order."""
        return tuple(self._entries)

    def get(self, label, default=None):
        """The code of an accepted label, else ``default`` (no error)."""
        return self._lookup.get(normalise(label), default)

    def code(self, label, error: type[CRMLabError] | None = None) -> str:
        """The code of an accepted label; an unknown label raises ``error`` (default
        :class:`~crmlab.errors.CRMLabError`) with a bilingual message listing the accepted values."""
        found = self.get(label)
        if found is None:
            raise (error or CRMLabError)(self.error_code, *self.unknown_message(label))
        return found

    def unknown_message(self, label) -> tuple[str, str]:
        """``(en, zh)`` of the "unknown label" message."""
        en_what, zh_what = self.what
        listed = "、".join(f"{z} {c}" for c, (z, _e, _a) in self._entries.items())
        return (f"unknown {en_what} {label!r}; use one of {list(self._entries)}",
                f"未知的{zh_what} {label!r}；可用：{listed}")

    def codes_of(self, labels: Iterable) -> list:
        """The code of each label (``None`` where unknown), for mapping a column."""
        return [self.get(x) for x in labels]

    def zh(self, label) -> str:
        """The Chinese label of a code (or of any accepted label)."""
        return self._entries[self.code(label)][0]

    def en(self, label) -> str:
        """The English label of a code (or of any accepted label)."""
        return self._entries[self.code(label)][1]

    def label(self, label, lang: str = "zh") -> str:
        """The label in ``lang``: ``"zh"`` 中文, ``"en"`` English, ``"code"``, or ``"both"``
        (``'中文 code'``, like :func:`crmlab.glossary.label`)."""
        c = self.code(label)
        zh_, en_, _ = self._entries[c]
        if lang == "zh":
            return zh_
        if lang == "en":
            return en_
        if lang == "code":
            return c
        if lang == "both":
            return f"{zh_} {c}"
        raise CRMLabError("UNKNOWN_LANG", f"lang must be 'zh', 'en', 'code' or 'both', not {lang!r}",
                          f"lang 须为 'zh'、'en'、'code' 或 'both'，而不是 {lang!r}")

    def labels(self, code: str | None = None) -> list[str]:
        """Every accepted label (of one code, or of all), as written in the table."""
        codes = [self.code(code)] if code is not None else list(self._entries)
        out: list[str] = []
        for c in codes:
            zh_, en_, aliases = self._entries[c]
            for lab in (c, zh_, en_, *aliases):
                if lab not in out:
                    out.append(lab)
        return out

    def aliases(self) -> dict[str, str]:
        """``{label: code}`` for every accepted label as written in the table."""
        return {lab: c for c in self._entries for lab in self.labels(c)}

    def table(self) -> pd.DataFrame:
        """The vocabulary as a DataFrame (code, zh, en, also)."""
        rows = [(c, z, e, "、".join(a)) for c, (z, e, a) in self._entries.items()]
        return pd.DataFrame(rows, columns=["code", "zh", "en", "also"]).set_index("code")


def vocabulary(name: str) -> Vocabulary:
    """The registered vocabulary ``name`` (a module registers its own when it is imported)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise CRMLabError("UNKNOWN_VOCABULARY", f"unknown vocabulary {name!r}; registered: {sorted(_REGISTRY)}",
                          f"未知的词表 {name!r}；已登记：{sorted(_REGISTRY)}") from None


def vocabularies() -> dict[str, Vocabulary]:
    """All registered vocabularies by name."""
    return dict(_REGISTRY)


#: The glossary itself (:data:`TERMS`) as a vocabulary.
TERM = Vocabulary("term", TERMS, what=("term", "术语"), error_code="UNKNOWN_TERM")

# Shared vocabularies: used by more than one module (crmlab.archive, crmlab.system, datasets).

#: Decision roles of a contact (决策角色). ``buyer`` 采购 is the code of the shipped datasets
#: (``datasets.load("contacts")``); ``purchaser`` is accepted as its alias.
DECISION_ROLE = Vocabulary("decision_role", {
    "decision_maker": ("决策者", "decision maker"),
    "buyer": ("采购", "buyer", ("采购者", "采购人", "purchaser")),
    "influencer": ("影响者", "influencer"),
    "user": ("使用者", "user"),
    "gatekeeper": ("把关者", "gatekeeper", ("守门人",)),
    "evaluator": ("评估小组", "evaluation panel member", ("评估小组成员",)),
}, what=("decision role", "决策角色"), error_code="UNKNOWN_ROLE")

#: The three customer data cards (客户资料卡), textbook task 5 §5.1.3: 潜在客户调查卡,
#: 现有客户调查卡, 旧客户调查卡. The book calls the third 旧客户; 流失客户 is accepted as an alias.
CARD_TYPE = Vocabulary("card_type", {
    "prospect": ("潜在客户", "prospect", ("潜在", "潜在客户调查卡")),
    "current": ("现有客户", "current customer", ("现有", "现有客户调查卡")),
    "former": ("旧客户", "former customer", ("旧", "旧客户调查卡", "流失客户", "流失")),
}, what=("card type", "客户卡类型"), error_code="UNKNOWN_CARD")

#: Results of one evaluation round of an opportunity (评估结果), Kingdee's labels.
EVALUATION_RESULT = Vocabulary("evaluation_result", {
    "forward": ("通过，转下一评估人", "passed, to the next evaluator", ("通过,转下一评估人",)),
    "reject": ("驳回", "rejected"),
    "pass": ("通过，评估结束", "passed, evaluation closed", ("通过,评估结束",)),
    "fail": ("不通过，评估结束", "not passed, evaluation closed", ("不通过,评估结束",)),
}, what=("evaluation result", "评估结果"))
