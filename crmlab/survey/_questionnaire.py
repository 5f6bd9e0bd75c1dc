"""The questionnaire model (问卷): sections, question types, scored options, skip logic, design rules.

Textbook task 3 §3.3 (问卷调查法, l.1282–1297): a questionnaire has four parts — the cover note
(卷首语), the questions with their answer formats and instructions, the coding (编码: every
question and answer gets a letter or number for the computer, "A, B, C… and digits") and the other
(administrative) data — plus an optional closing (结束语) for self-administered questionnaires.

The question types are those of the Kingdee K/3 CRM survey question bank (调查题库, textbook
task 12 §12.6: 单选题 single, 多选题 multiple, 判断题 true/false, 问答题 open, each option carrying a
score 分值), plus three that paper questionnaires need: 量表题 (Likert 5/7), 矩阵题 (matrix: several
items rated on one scale) and 数值题 (numeric). :meth:`Questionnaire.to_question_bank` and
:meth:`Questionnaire.from_question_bank` convert to and from the Kingdee tables, so the simulated
CRM of lab 04 reuses this model.

The wording rules checked by :meth:`Questionnaire.validate` (double-barrelled, leading, double
negative, too long, overlapping ranges) are standard questionnaire-design practice (e.g. Dillman,
Smyth & Christian 2014, *Internet, Phone, Mail, and Mixed-Mode Surveys*); the textbook range has no
wording rules, so these are crmlab defaults, not the textbook's. The structure rules (cover-note
elements, administrative data, coding) and "every objective is covered by a question" (task 3 §3.2
steps A2 and A4: objectives → the information needed → the questionnaire) are the textbook's.
"""
from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import glossary
from ._errors import bilingual, fail
from ..shortcuts import computes
from ._likert import LIKERT_5, LIKERT_7, MULTI_SEP, _is_missing, _norm, _split_multi, likert_scale

__all__ = [
    "QUESTION_TYPES", "KINGDEE_TYPES", "PREFACE_ELEMENTS", "ADMIN_FIELDS", "MULTI_SEP", "END",
    "Option", "Question", "Section", "Questionnaire", "DesignIssue",
]

#: canonical key → (Chinese name, English name). The first four are the Kingdee 调查题库 types.
QUESTION_TYPES: dict[str, tuple[str, str]] = {
    "single": ("单选题", "single choice"),
    "multiple": ("多选题", "multiple choice"),
    "true_false": ("判断题", "true/false"),
    "open": ("问答题", "open question"),
    "likert": ("量表题", "rating scale (Likert)"),
    "matrix": ("矩阵题", "matrix (grid) question"),
    "numeric": ("数值题", "numeric answer"),
}
#: The Kingdee question-bank types (textbook task 12 §12.6) and what each crmlab type becomes there.
KINGDEE_TYPES: dict[str, str] = {"single": "单选题", "multiple": "多选题", "true_false": "判断题", "open": "问答题",
                                 "likert": "单选题", "matrix": "单选题", "numeric": "问答题"}
#: The question types as a :class:`crmlab.glossary.Vocabulary` (with the short and English names).
QUESTION_TYPE = glossary.Vocabulary("question_type", {
    "single": ("单选题", "single choice", ("单选", "radio")),
    "multiple": ("多选题", "multiple choice", ("多选", "checkbox")),
    "true_false": ("判断题", "true/false", ("判断", "yes/no", "yes_no", "tf")),
    "open": ("问答题", "open question", ("问答", "text")),
    "likert": ("量表题", "rating scale (Likert)", ("量表", "rating", "scale")),
    "matrix": ("矩阵题", "matrix (grid) question", ("矩阵", "grid")),
    "numeric": ("数值题", "numeric answer", ("数值", "number")),
}, what=("question type", "题型"))

#: Elements of the cover note (卷首语), textbook task 3 §3.3 (l.1287–1297), with the words that show
#: an element is present in a free-text cover note: (key, 中文, English, keywords).
PREFACE_ELEMENTS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("purpose", "调查目的、意义和主要内容", "purpose, significance and main content",
     ("目的", "意义", "了解", "调查", "purpose", "aim", "about")),
    ("selection", "被调查者的选择途径", "how respondents were chosen",
     ("选出", "抽取", "抽中", "选中", "随机", "选择", "chosen", "selected", "random")),
    ("request", "对被调查者的希望和要求", "what is asked of respondents", ("希望", "请您", "请根据", "please")),
    ("instructions", "填写说明", "filling-in instructions",
     ("填写", "打√", "打\"√\"", "打“√”", "勾选", "说明", "tick", "mark", "instruction")),
    ("return", "回复方式和时间", "how and when to return it",
     ("交回", "寄回", "回收", "提交", "return", "submit", "send back")),
    ("confidentiality", "匿名和保密", "anonymity and confidentiality",
     ("匿名", "保密", "confidential", "anonymous")),
    ("surveyor", "调查者名称", "the surveyor's name",
     ("我们是", "本公司", "调查者", "课题组", "we are", "on behalf")),
)
#: Administrative data (其他资料), textbook task 3 §3.3 (l.1292–1295).
ADMIN_FIELDS: tuple[str, ...] = ("问卷名称", "被访问者地址或单位", "访问员姓名", "访问开始时间", "访问结束时间",
                                 "访问完成情况", "审核员姓名", "审核意见")
#: Skip target meaning "end of the questionnaire" (结束).
END = "END"

_TF_TRUE = {"是", "对", "正确", "yes", "y", "true", "t", "1", "√"}
_TF_FALSE = {"否", "不是", "错", "错误", "no", "n", "false", "f", "0", "×"}


def _letters(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA (the textbook codes options A, B, C …)."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass(frozen=True)
class Option:
    """One answer option (答题分录): its label, Kingdee score (分值), letter code and numeric code.

    ``code`` (A, B, C …) and ``value`` (1, 2, 3 … or the Likert code) are filled in by
    :class:`Question`; give only ``label`` and, if the option bank scores it, ``score``.

    >>> Option("男")
    Option(label='男', score=None, code='', value=None)
    """
    label: str
    score: float | None = None
    code: str = ""
    value: int | None = None


def _qtype(qtype) -> str:
    key = QUESTION_TYPE.get(qtype) if isinstance(qtype, str) else None
    if key is None:
        raise fail(f"unknown question type {qtype!r}; use one of {', '.join(QUESTION_TYPES)} "
                   f"or {', '.join(v[0] for v in QUESTION_TYPES.values())}",
                   f"未知题型 {qtype!r}")
    return key


def _as_options(spec) -> list[Option]:
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        spec = list(spec.items())
    out = []
    for item in spec:
        if isinstance(item, Option):
            out.append(Option(str(item.label), item.score))
        elif isinstance(item, str):
            out.append(Option(item))
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            score = None if item[1] is None else float(item[1])
            out.append(Option(str(item[0]), score))
        else:
            raise fail(f"an option must be a label, (label, score) or Option, got {item!r}",
                       f"选项必须是标签、(标签, 分值) 或 Option，收到 {item!r}")
    return out


@dataclass
class Question:
    """One question (题目): code, stem (题干), type (题型), options with scores, skip logic.

    Parameters
    ----------
    code : the question's code (问卷编码), e.g. ``"A1"``; also its column in the response table.
    text : the question stem (题干).
    qtype : ``single`` 单选题, ``multiple`` 多选题, ``true_false`` 判断题, ``open`` 问答题,
        ``likert`` 量表题, ``matrix`` 矩阵题 or ``numeric`` 数值题 (Chinese names accepted).
    options : labels, ``(label, score)`` pairs, :class:`Option` objects or a ``{label: score}``
        dict. Not needed for ``true_false`` (是 1 / 否 0), ``likert`` and ``matrix`` (the textbook's
        satisfaction scale with ``levels`` levels; give your own labels high → low to use another
        scale, e.g. a willingness scale). Options get letter codes A, B, C … and numeric codes
        1, 2, 3 … in the order given (Likert options get their scale codes, highest = best).
    required : whether an asked question must be answered (必答).
    max_choices : for ``multiple``: the most options a respondent may tick.
    levels : 5 or 7, for ``likert`` and ``matrix``.
    rows : for ``matrix``: the items rated on the shared scale (one column each: ``CODE_1`` …).
    skip : skip logic (跳题): ``{answer: target}`` — if the answer is given, jump to question
        ``target`` (the questions in between are not asked); target ``"END"`` ends the
        questionnaire. Answers may be labels or letter codes.
    objectives : keys of the survey objectives (调查目标) this question serves.
    reverse : for ``likert``/``matrix``: a negatively worded item, coded the other way round.
    min_value, max_value, integer : bounds for ``numeric``.
    note : an instruction printed with the question (填写说明).

    Examples
    --------
    >>> q = Question("B1", "过去12个月您是否购买过本品牌家电？", "判断题", skip={"否": "D1"})
    >>> [(o.code, o.label, o.score) for o in q.options]
    [('A', '是', 1.0), ('B', '否', 0.0)]
    >>> [o.value for o in Question("C1", "您对产品质量的满意程度", "likert").options]
    [5, 4, 3, 2, 1]
    """
    code: str
    text: str
    qtype: str = "single"
    options: Sequence = ()
    required: bool = True
    max_choices: int | None = None
    levels: int = 5
    rows: Sequence[str] = ()
    skip: Mapping = field(default_factory=dict)
    objectives: Sequence[str] = ()
    reverse: bool = False
    min_value: float | None = None
    max_value: float | None = None
    integer: bool = False
    note: str = ""

    def __post_init__(self):
        self.code = str(self.code).strip()
        self.text = str(self.text).strip()
        self.qtype = _qtype(self.qtype)
        if isinstance(self.objectives, str):
            self.objectives = (self.objectives,)
        self.objectives = tuple(str(o) for o in self.objectives)
        self.rows = tuple(str(r) for r in self.rows)
        if self.qtype in ("likert", "matrix") and self.levels not in (5, 7):
            raise fail(f"question {self.code}: levels must be 5 or 7, got {self.levels!r}",
                       f"题目 {self.code}：量表级数只能是 5 或 7，收到 {self.levels!r}")
        opts = _as_options(self.options)
        self._default_scale = False
        if self.qtype in ("likert", "matrix") and not opts:
            scale = LIKERT_5 if self.levels == 5 else LIKERT_7
            opts = [Option(label) for label in scale]
            self._default_scale = True
        if self.qtype == "true_false" and not opts:
            opts = [Option("是", 1.0), Option("否", 0.0)]
        # options given to open/numeric questions are kept, so that validate() can point them out
        built = []
        for i, o in enumerate(opts):
            if self.qtype in ("likert", "matrix"):
                raw = len(opts) - i  # listed high → low
                value = len(opts) + 1 - raw if self.reverse else raw
                score = o.score if o.score is not None else float(raw)
            elif self.qtype == "true_false":
                value, score = (1 if i == 0 else 0), o.score  # 是 1, 否 0
            else:
                value, score = i + 1, o.score
            built.append(Option(o.label.strip(), score, _letters(i), value))
        self.options = tuple(built)
        self.skip = {self._skip_key(k): str(v).strip() for k, v in dict(self.skip).items()}

    # -- helpers -----------------------------------------------------------------------------
    @property
    def type_zh(self) -> str:
        """The Chinese name of the type, e.g. 单选题."""
        return QUESTION_TYPES[self.qtype][0]

    def _skip_key(self, key) -> str:
        if self.qtype == "true_false":
            tf = _true_false(key)
            if tf is not None:
                return tf
        for o in self.options:
            if str(key).strip() in (o.label, o.code):
                return o.label
        return str(key).strip()

    def columns(self) -> list[str]:
        """Response-table columns of this question (a matrix has one per row: ``CODE_1`` …)."""
        if self.qtype == "matrix":
            return [f"{self.code}_{i + 1}" for i in range(len(self.rows))]
        return [self.code]

    def choice(self, value) -> Option | None:
        """The option a raw answer means (label, letter code, numeric code or scale label), else None."""
        if _is_missing(value):
            return None
        if self.qtype == "true_false":
            tf = _true_false(value)
            hit = next((o for o in self.options if o.label == tf), None) if tf else None
            if hit is not None:
                return hit
        text = str(value).strip()
        for o in self.options:
            if text == o.label:
                return o
        for o in self.options:
            if text.upper() == o.code:
                return o
        if self.qtype in ("likert", "matrix"):
            # numbers (and, on the built-in scale, any known label) mean the raw scale code, 5 = best
            code = likert_scale(self.levels).get(_norm(value)) if self._default_scale else None
            if code is None:
                try:
                    f = float(text)
                    code = int(f) if f.is_integer() else None
                except ValueError:
                    code = None
            n = len(self.options)
            return self.options[n - code] if code is not None and 1 <= code <= n else None
        if isinstance(value, (int, np.integer)) or (isinstance(value, str) and text.isdigit()):
            return next((o for o in self.options if o.value == int(text)), None)
        return None

    def check(self, value):
        """Normalise one answer: returns ``(clean_value, error)``; ``error`` is None when valid.

        ``clean_value`` is the option label (single, true/false, Likert), a ``;``-joined string of
        labels (multiple), a dict row → label (matrix), a float (numeric) or stripped text (open).
        A missing answer gives ``(None, None)`` — whether it is allowed is decided by the caller.

        >>> Question("A1", "您的性别", options=["男", "女"]).check("B")
        ('女', None)
        >>> Question("A1", "您的性别", options=["男", "女"]).check("其他")[1]
        "'其他' 不是 A1 的选项（可选：男, 女） / '其他' is not an option of A1 (choose from 男, 女)"
        """
        labels = ", ".join(o.label for o in self.options)
        if self.qtype == "matrix":
            return self._check_matrix(value)
        if self.qtype == "multiple":
            items = _split_multi(value)
            if not items:
                return None, None
            chosen = []
            for item in items:
                o = self.choice(item)
                if o is None:
                    return None, bilingual(f"{item!r} is not an option of {self.code} (choose from {labels})",
                                           f"{item!r} 不是 {self.code} 的选项（可选：{labels}）")
                if o.label in chosen:
                    return None, bilingual(f"{o.label!r} is ticked twice in {self.code}",
                                           f"{self.code} 中 {o.label!r} 重复选择")
                chosen.append(o.label)
            if self.max_choices is not None and len(chosen) > self.max_choices:
                return None, bilingual(f"{self.code}: at most {self.max_choices} choices, got {len(chosen)}",
                                       f"{self.code}：最多选 {self.max_choices} 项，实际选了 {len(chosen)} 项")
            order = [o.label for o in self.options]
            return MULTI_SEP.join(sorted(chosen, key=order.index)), None
        if _is_missing(value):
            return None, None
        if self.qtype == "open":
            text = str(value).strip()
            return (text or None), None
        if self.qtype == "numeric":
            try:
                number = float(str(value).strip().replace(",", ""))
            except ValueError:
                return None, bilingual(f"{self.code}: {value!r} is not a number", f"{self.code}：{value!r} 不是数字")
            if math.isnan(number):
                return None, None
            if self.integer and not number.is_integer():
                return None, bilingual(f"{self.code}: a whole number is needed, got {value!r}",
                                       f"{self.code}：需要整数，收到 {value!r}")
            lo, hi = self.min_value, self.max_value
            if (lo is not None and number < lo) or (hi is not None and number > hi):
                return None, bilingual(f"{self.code}: {number:g} is outside {lo}–{hi}",
                                       f"{self.code}：{number:g} 超出范围 {lo}–{hi}")
            return number, None
        o = self.choice(value)
        if o is None:
            return None, bilingual(f"{value!r} is not an option of {self.code} (choose from {labels})",
                                   f"{value!r} 不是 {self.code} 的选项（可选：{labels}）")
        return o.label, None

    def _check_matrix(self, value):
        if value is None or (not isinstance(value, (Mapping, list, tuple)) and _is_missing(value)):
            return None, None
        if isinstance(value, Mapping):
            unknown = [k for k in value if k not in self.rows]
            if unknown:
                return None, bilingual(f"{self.code}: unknown rows {unknown}", f"{self.code}：未知的行 {unknown}")
            items = [value.get(r) for r in self.rows]
        else:
            items = list(value)
            if len(items) != len(self.rows):
                return None, bilingual(f"{self.code}: {len(self.rows)} answers needed, got {len(items)}",
                                       f"{self.code}：需要 {len(self.rows)} 个答案，收到 {len(items)} 个")
        out = {}
        for row, item in zip(self.rows, items):
            if _is_missing(item):
                out[row] = None
                continue
            o = self.choice(item)
            if o is None:
                return None, bilingual(f"{self.code} ({row}): {item!r} is not on the scale",
                                       f"{self.code}（{row}）：{item!r} 不在量表上")
            out[row] = o.label
        if all(v is None for v in out.values()):
            return None, None
        return out, None


def _true_false(value) -> str | None:
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if _is_missing(value):
        return None
    key = _norm(value)
    return "是" if key in _TF_TRUE else "否" if key in _TF_FALSE else None


@dataclass
class Section:
    """A titled group of questions (e.g. 一、基本情况), with an optional introduction."""
    title: str
    questions: Sequence[Question] = ()
    intro: str = ""

    def __post_init__(self):
        self.questions = list(self.questions)


@dataclass(frozen=True)
class DesignIssue:
    """One finding of :meth:`Questionnaire.validate`: rule, severity, where, message (中文 / EN)."""
    rule: str
    severity: str  # "error", "warning" or "info"
    where: str
    en: str
    zh: str

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where}: {bilingual(self.en, self.zh)}"


# -- wording rules (crmlab defaults: standard questionnaire-design practice) -------------------
_COMPOUNDS = ("以及", "及时", "及格", "涉及", "普及", "来得及", "以及", "和谐", "温和", "暖和", "平和",
              "和蔼", "柔和", "总和", "与其", "参与", "给与", "或许", "或多或少")
_CONJ_ZH = ("和", "与", "及", "并且", "以及", "同时")
_OR_ZH = ("或者", "或", "还是")
_LEADING = ("难道", "是不是很", "众所周知", "大家都", "大多数人都", "多数人都", "专家认为", "专家都", "您一定",
            "您肯定", "不觉得", "优质", "出色", "一流", "卓越", "完美", "贴心", "著名",
            "don't you", "wouldn't you", "isn't it", "most people", "everyone", "experts agree",
            "obviously", "excellent", "outstanding", "wonderful")
_DOUBLE_NEG = ("不是不", "没有不", "不能不", "并非不", "不会不", "难道不", "不无")
_RANGE = re.compile(r"(\d[\d,\s]*\.?\d*)\s*(?:[-–—~～至到]|to)\s*(\d[\d,\s]*\.?\d*)")


def _cjk_len(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def _wording_issues(where: str, text: str, qtype: str, max_length: int) -> list[DesignIssue]:
    out = []
    low = text.casefold()
    if len(re.findall(r"[?？]", text)) > 1:
        out.append(DesignIssue("double_barrelled", "warning", where,
                               "asks more than one question (several question marks); split it",
                               "一题多问（有多个问号），请拆成几道题"))
    elif qtype not in ("multiple", "open"):
        stripped = text
        for word in _COMPOUNDS:
            stripped = stripped.replace(word, "·")
        conj = [c for c in _CONJ_ZH if c in stripped] + (["and"] if re.search(r"\band\b", low) else [])
        if qtype in ("likert", "matrix", "true_false"):
            conj += [c for c in _OR_ZH if c in stripped] + (["or"] if re.search(r"\bor\b", low) else [])
        if conj:
            out.append(DesignIssue("double_barrelled", "warning", where,
                                   f"may ask about two things at once ({', '.join(sorted(set(conj)))}); "
                                   "one question should ask one thing",
                                   f"可能一题问两件事（{'、'.join(sorted(set(conj)))}），一道题只问一件事"))
    lead = [w for w in _LEADING if w in low]
    if lead:
        out.append(DesignIssue("leading", "warning", where,
                               f"leading or loaded wording ({', '.join(lead)}); ask neutrally",
                               f"有诱导性或倾向性措辞（{'、'.join(lead)}），请中立提问"))
    if any(w in text for w in _DOUBLE_NEG) or re.search(r"\bnot\s+(un|in|dis)\w+", low):
        out.append(DesignIssue("double_negative", "warning", where,
                               "double negative; say it positively", "有双重否定，请用肯定句"))
    length = _cjk_len(text) or len(text.split())
    limit = max_length if _cjk_len(text) else max(10, max_length // 2)
    if length > limit:
        out.append(DesignIssue("too_long", "warning", where,
                               f"the stem is long ({length} > {limit}); keep questions short and simple",
                               f"题干过长（{length} > {limit}），问题应简短易懂"))
    return out


def _number(text: str) -> float:
    return float(re.sub(r"[,\s]", "", text))


def _overlaps(options: Sequence[Option]) -> list[str]:
    ranges = []
    for o in options:
        m = _RANGE.search(o.label)
        if m:
            ranges.append((_number(m.group(1)), _number(m.group(2)), o.label))
    ranges.sort()
    return [f"{a[2]} / {b[2]}" for a, b in zip(ranges, ranges[1:]) if b[0] <= a[1]]


class Questionnaire:
    """A questionnaire (问卷): cover note, sections of questions, administrative data, closing.

    Parameters
    ----------
    title : the questionnaire title (问卷名称).
    sections : a list of :class:`Section`; or give ``questions`` for a single untitled section.
    preface : the cover note (卷首语): free text, or a dict ``{element: text}`` keyed by the
        :data:`PREFACE_ELEMENTS` keys (``purpose``, ``selection``, …) or their Chinese names.
    closing : the closing words (结束语); optional.
    objectives : the survey objectives (调查目标) as ``{key: text}`` (or a list of texts, which are
        then their own keys); every objective must be served by at least one question.
    admin_fields : the administrative data fields (其他资料); the textbook's 8 by default.

    Examples
    --------
    >>> q = Questionnaire(
    ...     "家电购买调查", objectives={"buy": "了解购买情况", "sat": "了解满意度"},
    ...     preface="您好！我们是星海电器，为了解顾客需求开展本调查。本问卷匿名填写，信息严格保密。",
    ...     questions=[Question("B1", "过去12个月您是否购买过本品牌家电？", "判断题",
    ...                         skip={"否": "END"}, objectives=["buy"]),
    ...                Question("C1", "您对产品质量的满意程度", "likert", objectives=["sat"])])
    >>> q.columns()
    ['B1', 'C1']
    >>> q.asked({"B1": "否"})
    ['B1']
    >>> [i.rule for i in q.validate() if i.severity == "error"]
    []
    """

    def __init__(self, title: str, sections: Sequence[Section] | None = None, *,
                 questions: Sequence[Question] | None = None, preface: str | Mapping = "",
                 closing: str = "", objectives: Mapping[str, str] | Sequence[str] | None = None,
                 admin_fields: Sequence[str] = ADMIN_FIELDS):
        if sections is not None and questions is not None:
            raise fail("give sections or questions, not both", "sections 与 questions 只能给一个")
        if sections is None:
            sections = [Section("", list(questions or []))]
        self.title = str(title)
        self.sections = [s if isinstance(s, Section) else Section(*s) for s in sections]
        for s in self.sections:
            for q in s.questions:
                if not isinstance(q, Question):
                    raise fail(f"section {s.title!r} holds {q!r}, not a Question",
                               f"部分 {s.title!r} 中的 {q!r} 不是 Question")
        self.preface = preface
        self.closing = closing
        if objectives is None:
            objectives = {}
        elif not isinstance(objectives, Mapping):
            objectives = {str(o): str(o) for o in objectives}
        self.objectives = dict(objectives)
        self.admin_fields = tuple(admin_fields)

    # -- structure ---------------------------------------------------------------------------
    @property
    def questions(self) -> list[Question]:
        """All questions in order."""
        return [q for s in self.sections for q in s.questions]

    def question(self, code: str) -> Question:
        """The question with this code (KeyError, bilingual, if there is none)."""
        for q in self.questions:
            if q.code == code:
                return q
        raise KeyError(bilingual(f"no question {code!r}", f"没有题目 {code!r}"))

    def columns(self) -> list[str]:
        """Columns of the response table, in questionnaire order."""
        return [c for q in self.questions for c in q.columns()]

    def empty_responses(self) -> pd.DataFrame:
        """An empty response table: ``response_id``, ``submitted_at`` and one column per answer."""
        cols = ["response_id", "submitted_at", *self.columns()]
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})

    def __repr__(self) -> str:
        return f"Questionnaire({self.title!r}, {len(self.questions)} questions, {len(self.sections)} sections)"

    # -- skip logic --------------------------------------------------------------------------
    def asked(self, answers: Mapping) -> list[str]:
        """Codes of the questions that are asked, given the answers so far (skip logic 跳题).

        A question is skipped when an earlier answer jumps over it (its ``skip`` rule).
        """
        out, target = [], None
        for q in self.questions:
            if target is not None:
                if q.code != target:
                    continue
                target = None
            out.append(q.code)
            value = answers.get(q.code) if isinstance(answers, Mapping) else None
            chosen = set()
            if q.qtype == "multiple":
                chosen = {o.label for o in map(q.choice, _split_multi(value)) if o is not None}
            elif q.qtype not in ("open", "numeric", "matrix"):
                o = q.choice(value)
                chosen = {o.label} if o is not None else set()
            for key, to in q.skip.items():
                if key in chosen:
                    target = to
                    break
        return out

    def check_answers(self, answers: Mapping):
        """Check one respondent's answers against the questionnaire.

        ``answers`` maps question codes to answers (a matrix answer as ``{row: label}``, a list in
        row order, or its ``CODE_1`` … columns). Returns ``(record, errors)``: ``record`` maps every
        response column to its clean value (None when blank or skipped); ``errors`` maps question
        codes to bilingual messages (empty when the answers are valid). Answers to skipped
        questions are ignored.

        >>> q = Questionnaire("t", questions=[Question("A1", "您的性别", options=["男", "女"])])
        >>> q.check_answers({"A1": "A"})
        ({'A1': '男'}, {})
        >>> q.check_answers({})[1]
        {'A1': '必答题未作答 / required question not answered'}
        """
        answers = dict(answers)
        clean: dict[str, object] = {}
        errors: dict[str, str] = {}
        for q in self.questions:
            value = answers.get(q.code)
            if q.qtype == "matrix" and value is None and any(c in answers for c in q.columns()):
                value = [answers.get(c) for c in q.columns()]
            v, err = q.check(value)
            if err:
                errors[q.code] = err
            clean[q.code] = v
        asked = set(self.asked(clean))
        record: dict[str, object] = {}
        for q in self.questions:
            v = clean[q.code] if q.code in asked else None
            if q.code not in asked:
                errors.pop(q.code, None)
            elif q.code not in errors and q.required and (v is None or (q.qtype == "matrix" and None in v.values())):
                errors[q.code] = bilingual("required question not answered", "必答题未作答")
            if q.qtype == "matrix":
                for row, col in zip(q.rows, q.columns()):
                    record[col] = v.get(row) if isinstance(v, Mapping) else None
            else:
                record[q.code] = v
        return record, errors

    # -- validation --------------------------------------------------------------------------
    def validate(self, max_length: int = 50, as_frame: bool = False):
        """Check the design against the textbook's structure rules and standard wording rules.

        Returns a list of :class:`DesignIssue` (empty = nothing to fix), or a DataFrame with
        ``as_frame=True``. Severity ``error`` must be fixed; ``warning`` should be looked at;
        ``info`` is advice. Rules:

        - structure (textbook task 3 §3.3): ``preface_missing``, ``preface_element`` (the cover
          note's elements; the anonymity/confidentiality promise is an error, the others
          warnings), ``admin_fields`` (其他资料), ``closing_missing`` (info), ``no_questions``;
        - coding (task 3 §3.3 part 3, 编码): ``code_missing``, ``duplicate_code``, ``text_missing``;
        - objectives (task 3 §3.2 A2/A4): ``objectives_missing``, ``objective_uncovered``,
          ``unknown_objective``;
        - options (Kingdee 调查题库, task 12 §12.6): ``too_few_options`` (choice questions need ≥ 2),
          ``duplicate_option``, ``scores_partial`` (every option should carry a 分值 or none),
          ``overlapping_options`` (ranges such as 18–25岁 / 25–35岁 must not overlap),
          ``scale_levels``, ``matrix_rows``, ``max_choices``, ``numeric_bounds``, ``options_unused``;
        - skip logic: ``skip_answer`` (not an option), ``skip_target`` (unknown or not later);
        - wording (crmlab defaults, standard practice, not in the textbook): ``double_barrelled``,
          ``leading``, ``double_negative``, ``too_long`` (stem longer than ``max_length`` Chinese
          characters, or half as many English words).
        """
        issues: list[DesignIssue] = []
        add = issues.append
        qs = self.questions
        # structure
        if not qs:
            add(DesignIssue("no_questions", "error", "questionnaire", "there are no questions", "问卷没有题目"))
        if not self.preface:
            add(DesignIssue("preface_missing", "error", "卷首语",
                            "the cover note (卷首语) is missing", "缺少卷首语"))
        else:
            for key, zh, en, words in PREFACE_ELEMENTS:
                if isinstance(self.preface, Mapping):
                    present = any(k in self.preface and str(self.preface[k]).strip() for k in (key, zh))
                else:
                    text = str(self.preface).casefold()
                    present = any(w.casefold() in text for w in words)
                if not present:
                    severity = "error" if key == "confidentiality" else "warning"
                    add(DesignIssue("preface_element", severity, "卷首语",
                                    f"the cover note does not state {en}", f"卷首语缺少：{zh}"))
        if not self.admin_fields:
            add(DesignIssue("admin_fields", "warning", "其他资料",
                            "no administrative data fields (questionnaire no., interviewer, times …)",
                            "缺少其他资料（问卷名称、访问员、访问时间等）"))
        if not self.closing:
            add(DesignIssue("closing_missing", "info", "结束语",
                            "no closing words; a self-administered questionnaire should thank the respondent",
                            "没有结束语；自填式问卷应感谢被调查者"))
        # coding
        seen: dict[str, str] = {}
        for q in qs:
            where = q.code or "(no code)"
            if not q.code:
                add(DesignIssue("code_missing", "error", where, "a question has no code", "题目没有编码"))
            for col in q.columns():
                if col in seen:
                    add(DesignIssue("duplicate_code", "error", where,
                                    f"code/column {col!r} is used twice", f"编码 {col!r} 重复"))
                seen[col] = q.code
            if not q.text:
                add(DesignIssue("text_missing", "error", where, "the question has no stem", "题干为空"))
        # objectives
        if not self.objectives:
            add(DesignIssue("objectives_missing", "warning", "objectives",
                            "no survey objectives stated; list them and tag each question with the ones it serves",
                            "没有列出调查目标；请列出目标并为每道题标注其对应的目标"))
        covered = {o for q in qs for o in q.objectives}
        for key, text in self.objectives.items():
            if key not in covered:
                add(DesignIssue("objective_uncovered", "error", f"objective {key}",
                                f"no question serves the objective {text!r}", f"没有题目对应调查目标「{text}」"))
        for q in qs:
            for o in q.objectives:
                if o not in self.objectives:
                    add(DesignIssue("unknown_objective", "error", q.code,
                                    f"cites objective {o!r}, which is not declared", f"引用了未声明的调查目标 {o!r}"))
        # options and types
        codes = [q.code for q in qs]
        for pos, q in enumerate(qs):
            where = q.code
            labels = [o.label for o in q.options]
            if q.qtype in ("single", "multiple") and len(q.options) < 2:
                add(DesignIssue("too_few_options", "error", where,
                                f"a {q.qtype} question needs at least 2 options, has {len(q.options)}",
                                f"{q.type_zh}至少需要 2 个选项，现有 {len(q.options)} 个"))
            if q.qtype in ("open", "numeric") and q.options:
                add(DesignIssue("options_unused", "warning", where,
                                f"a {q.qtype} question takes no options; they are ignored",
                                f"{q.type_zh}不需要选项，所给选项将被忽略"))
            dup = sorted({x for x in labels if labels.count(x) > 1})
            if dup:
                add(DesignIssue("duplicate_option", "error", where, f"options repeated: {dup}", f"选项重复：{dup}"))
            scored = [o.score is not None for o in q.options]
            if q.qtype in ("single", "multiple") and any(scored) and not all(scored):
                add(DesignIssue("scores_partial", "warning", where,
                                "some options have a score (分值) and some do not",
                                "部分选项有分值、部分没有（题库中每个选项都应有分值）"))
            overlap = _overlaps(q.options) if q.qtype in ("single", "multiple") else []
            if overlap:
                add(DesignIssue("overlapping_options", "error", where,
                                f"options overlap: {overlap}; options must exclude each other",
                                f"选项区间重叠：{overlap}；选项应互斥"))
            if q.qtype in ("likert", "matrix") and len(q.options) != q.levels:
                add(DesignIssue("scale_levels", "error", where,
                                f"a {q.levels}-level scale needs {q.levels} labels, has {len(q.options)}",
                                f"{q.levels} 级量表需要 {q.levels} 个等级，现有 {len(q.options)} 个"))
            if q.qtype == "matrix" and not q.rows:
                add(DesignIssue("matrix_rows", "error", where, "a matrix question needs rows (items)",
                                "矩阵题需要行（评价项目）"))
            if q.max_choices is not None and (q.qtype != "multiple" or not 1 <= q.max_choices <= len(q.options)):
                add(DesignIssue("max_choices", "error", where,
                                f"max_choices={q.max_choices} does not fit a {q.qtype} question with "
                                f"{len(q.options)} options", f"最多可选项数 {q.max_choices} 不合理"))
            if q.qtype == "numeric" and None not in (q.min_value, q.max_value) and q.min_value > q.max_value:
                add(DesignIssue("numeric_bounds", "error", where, "min_value is above max_value", "下限大于上限"))
            for key, target in q.skip.items():
                if q.qtype in ("open", "numeric", "matrix") or key not in labels:
                    add(DesignIssue("skip_answer", "error", where,
                                    f"skip rule on {key!r}, which is not an option of this question",
                                    f"跳题条件 {key!r} 不是本题的选项"))
                if target != END and (target not in codes or codes.index(target) <= pos):
                    add(DesignIssue("skip_target", "error", where,
                                    f"skip target {target!r} is not a later question (use a later code or 'END')",
                                    f"跳转目标 {target!r} 不是后面的题目（请用后面的题号或 'END'）"))
            for text, sub in [(q.text, where)] + [(r, f"{where} ({r})") for r in q.rows]:
                issues.extend(_wording_issues(sub, text, q.qtype, max_length))
        if as_frame:
            return pd.DataFrame([vars(i) for i in issues], columns=["rule", "severity", "where", "en", "zh"])
        return issues

    def is_valid(self) -> bool:
        """True when :meth:`validate` finds no error (warnings are allowed)."""
        return not any(i.severity == "error" for i in self.validate())

    # -- coding ------------------------------------------------------------------------------
    def codebook(self) -> pd.DataFrame:
        """The codebook (编码表): one row per response column and answer code.

        Columns: ``column``, ``question``, ``qtype`` (Chinese), ``text``, ``code`` (letter),
        ``label``, ``value`` (the number the computer stores) and ``score`` (Kingdee 分值).
        Multiple-choice options become 0/1 columns ``CODE_A``, ``CODE_B`` …; open and numeric
        questions have one row with no value.
        """
        rows = []
        for q in self.questions:
            if q.qtype in ("open", "numeric"):
                rows.append((q.code, q.code, q.type_zh, q.text, "", "", np.nan, np.nan))
            elif q.qtype == "multiple":
                for o in q.options:
                    rows.append((f"{q.code}_{o.code}", q.code, q.type_zh, f"{q.text}：{o.label}", o.code,
                                 o.label, 1.0, o.score if o.score is not None else np.nan))
            else:
                for col, sub in zip(q.columns(), q.rows or [None]):
                    text = f"{q.text}：{sub}" if sub else q.text
                    for o in q.options:
                        rows.append((col, q.code, q.type_zh, text, o.code, o.label, float(o.value),
                                     o.score if o.score is not None else np.nan))
        return pd.DataFrame(rows, columns=["column", "question", "qtype", "text", "code", "label", "value", "score"])

    @computes("likert_coding")
    def encode(self, responses: pd.DataFrame) -> pd.DataFrame:
        """Code a response table with the codebook (编码): labels → numbers, ready for analysis.

        Single-choice, true/false, Likert and matrix answers become their numeric codes (Likert:
        highest = best, reversed items already turned round); each multiple-choice question becomes
        0/1 columns ``CODE_A`` …; numeric answers become floats; open answers stay text; other
        columns (ids, dates) are kept as they are. Answers that are not in the codebook become NaN
        and are listed in ``result.attrs["unknown"]`` as ``(row, column, value)`` — never an error.
        The input table is not changed.
        """
        out = {}
        unknown = []
        qcols = {c: q for q in self.questions for c in q.columns()}
        for col in responses.columns:
            q = qcols.get(col)
            s = responses[col]
            if q is None:
                out[col] = s
                continue
            if q.qtype == "open":
                out[col] = s
            elif q.qtype == "numeric":
                num = pd.to_numeric(s, errors="coerce")
                bad = num.isna() & ~s.map(_is_missing)
                unknown += [(i, col, s.loc[i]) for i in s.index[bad.to_numpy()]]
                out[col] = num.astype(float)
            elif q.qtype == "multiple":
                cols = {f"{col}_{o.code}": np.full(len(s), np.nan) for o in q.options}
                for k, (idx, v) in enumerate(s.items()):
                    items = _split_multi(v)
                    if not items:
                        continue
                    chosen = [q.choice(x) for x in items]
                    if any(o is None for o in chosen):
                        unknown.append((idx, col, v))
                        continue
                    for o in q.options:
                        cols[f"{col}_{o.code}"][k] = float(o in chosen)
                for name, arr in cols.items():
                    out[name] = pd.Series(arr, index=responses.index)
            else:
                vals = np.full(len(s), np.nan)
                for k, (idx, v) in enumerate(s.items()):
                    if _is_missing(v):
                        continue
                    o = q.choice(v)
                    if o is None:
                        unknown.append((idx, col, v))
                    else:
                        vals[k] = o.value
                out[col] = pd.Series(vals, index=responses.index)
        coded = pd.DataFrame(out, index=responses.index)
        coded.attrs["unknown"] = unknown
        return coded

    def score(self, responses: pd.DataFrame) -> pd.Series:
        """Each respondent's total score: the sum of the chosen options' 分值 (Kingdee 汇总分析).

        Options without a score count 0; unknown answers count 0 (see :meth:`encode` to find them).
        """
        total = np.zeros(len(responses))
        for q in self.questions:
            if q.qtype in ("open", "numeric"):
                continue
            for col in q.columns():
                if col not in responses.columns:
                    continue
                for k, v in enumerate(responses[col].to_numpy(dtype=object)):
                    chosen = [q.choice(x) for x in (_split_multi(v) if q.qtype == "multiple" else [v])]
                    if None in chosen:          # an unknown answer counts 0, as in encode()
                        continue
                    total[k] += sum(o.score for o in chosen if o.score is not None)
        total = pd.Series(total, index=responses.index, name="score")
        return total

    def summarize(self, responses: pd.DataFrame) -> pd.DataFrame:
        """Per-option summary of the responses (Kingdee 汇总分析): count, percent and score of each option.

        One row per response column and option: ``column``, ``question``, ``label``, ``n`` (how
        many chose it), ``percent`` (of those who answered that column; for multiple choice, of
        those who ticked anything) and ``score`` (分值). Open and numeric questions are left out
        (list or describe them directly); unknown answers are not counted.

        >>> q = Questionnaire("t", questions=[Question("B1", "是否购买过？", "判断题")])
        >>> q.summarize(pd.DataFrame({"B1": ["是", "是", "否", ""]}))[["label", "n", "percent"]].values.tolist()
        [['是', 2, 66.7], ['否', 1, 33.3]]
        """
        rows = []
        for q in self.questions:
            if q.qtype in ("open", "numeric"):
                continue
            for col in q.columns():
                if col not in responses.columns:
                    continue
                counts = {o.label: 0 for o in q.options}
                answered = 0
                for v in responses[col].to_numpy(dtype=object):
                    chosen = [q.choice(x) for x in (_split_multi(v) if q.qtype == "multiple" else [v])]
                    chosen = [o for o in chosen if o is not None]
                    if chosen:
                        answered += 1
                    for o in chosen:
                        counts[o.label] += 1
                for o in q.options:
                    pct = round(100 * counts[o.label] / answered, 1) if answered else np.nan
                    score = o.score if o.score is not None else np.nan
                    rows.append((col, q.code, o.label, counts[o.label], pct, score))
        return pd.DataFrame(rows, columns=["column", "question", "label", "n", "percent", "score"])

    # -- Kingdee question bank (调查题库) ------------------------------------------------------
    def to_question_bank(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The questions as Kingdee 调查题库 tables: ``(bank, options)``.

        ``bank``: ``q_id``, ``stem`` (题干), ``qtype`` (单选题/多选题/判断题/问答题); ``options``
        (答题分录): ``q_id``, ``seq``, ``text``, ``score`` (分值). Kingdee has only the four types, so
        a Likert question becomes a 单选题 whose options are scored with the scale codes, each matrix
        row becomes its own 单选题 (``q_id`` = ``CODE_1`` …), and a numeric question a 问答题.
        """
        bank, opts = [], []
        for q in self.questions:
            stems = [(f"{q.code}_{i + 1}", f"{q.text}：{r}") for i, r in enumerate(q.rows)] \
                if q.qtype == "matrix" else [(q.code, q.text)]
            for qid, stem in stems:
                bank.append((qid, stem, KINGDEE_TYPES[q.qtype]))
                for i, o in enumerate(q.options if q.qtype not in ("open", "numeric") else []):
                    opts.append((qid, i + 1, o.label, o.score if o.score is not None else np.nan))
        return (pd.DataFrame(bank, columns=["q_id", "stem", "qtype"]),
                pd.DataFrame(opts, columns=["q_id", "seq", "text", "score"]))

    @classmethod
    def from_question_bank(cls, bank: pd.DataFrame, options: pd.DataFrame, title: str = "问卷",
                           **kwargs) -> Questionnaire:
        """Build a questionnaire from Kingdee 调查题库 tables (the inverse of :meth:`to_question_bank`).

        ``bank`` needs ``q_id``, ``stem``, ``qtype``; ``options`` needs ``q_id``, ``seq``, ``text``,
        ``score``. Other keyword arguments go to :class:`Questionnaire`.
        """
        for name, frame, need in (("bank", bank, {"q_id", "stem", "qtype"}),
                                  ("options", options, {"q_id", "seq", "text", "score"})):
            missing = need - set(frame.columns)
            if missing:
                raise fail(f"{name} lacks columns {sorted(missing)}", f"{name} 缺少列 {sorted(missing)}")
        questions = []
        for row in bank.itertuples(index=False):
            sub = options[options["q_id"] == row.q_id].sort_values("seq")
            opts = [(t, None if pd.isna(s) else float(s)) for t, s in zip(sub["text"], sub["score"])]
            questions.append(Question(str(row.q_id), str(row.stem), row.qtype, options=opts))
        return cls(title, questions=questions, **kwargs)

    # -- rendering ---------------------------------------------------------------------------
    def _skip_note(self, q: Question) -> str:
        parts = [f"选“{k}”者{'结束答题' if t == END else f'请跳至 {t}'}" for k, t in q.skip.items()]
        return "（" + "；".join(parts) + "）" if parts else ""

    def _kind_note(self, q: Question) -> str:
        extra = f"，最多选 {q.max_choices} 项" if q.max_choices else ""
        extra += "" if q.required else "，选答"
        return f"（{q.type_zh}{extra}）"

    def to_markdown(self, show_scores: bool = False) -> str:
        """The questionnaire as Markdown (for a report or a printed copy).

        ``show_scores=True`` prints each option's 分值 (for the designer, not the respondent).

        >>> print(Questionnaire("小调查", questions=[Question("A1", "您的性别", options=["男", "女"])],
        ...                     preface="您好！", admin_fields=()).to_markdown())
        # 小调查
        <BLANKLINE>
        > 您好！
        <BLANKLINE>
        **A1.** 您的性别（单选题）
        <BLANKLINE>
        - ○ A. 男
        - ○ B. 女
        <BLANKLINE>
        """
        lines = [f"# {self.title}", ""]
        if self.preface:
            text = self.preface if isinstance(self.preface, str) else " ".join(map(str, self.preface.values()))
            lines += [f"> {text}", ""]
        for s in self.sections:
            if s.title:
                lines += [f"## {s.title}", ""]
            if s.intro:
                lines += [s.intro, ""]
            for q in s.questions:
                lines += [f"**{q.code}.** {q.text}{self._kind_note(q)}{self._skip_note(q)}", ""]
                if q.note:
                    lines += [f"*{q.note}*", ""]

                def lab(o):
                    return f"{o.label}（{o.score:g}分）" if show_scores and o.score is not None else o.label

                if q.qtype in ("single", "true_false", "multiple"):
                    box = "□" if q.qtype == "multiple" else "○"
                    lines += [f"- {box} {o.code}. {lab(o)}" for o in q.options] + [""]
                elif q.qtype == "likert":
                    lines += ["　".join(f"○ {lab(o)}" for o in q.options), ""]
                elif q.qtype == "matrix":
                    lines += ["| 项目 | " + " | ".join(lab(o) for o in q.options) + " |",
                              "|---|" + "---|" * len(q.options)]
                    lines += [f"| {r} | " + " | ".join("○" for _ in q.options) + " |" for r in q.rows] + [""]
                else:
                    bounds = ""
                    if q.qtype == "numeric" and (q.min_value is not None or q.max_value is not None):
                        bounds = f"（{'' if q.min_value is None else f'{q.min_value:g}'}–" \
                                 f"{'' if q.max_value is None else f'{q.max_value:g}'}）"
                    lines += [f"答：________________{bounds}", ""]
        if self.admin_fields:
            lines += ["---", "", "**其他资料**", ""] + [f"- {f}：________" for f in self.admin_fields] + [""]
        if self.closing:
            lines += [self.closing, ""]
        return "\n".join(lines)

    def to_html(self, show_scores: bool = False) -> str:
        """The questionnaire as a self-contained HTML fragment (also what a notebook displays)."""
        e = html.escape
        out = [f"<div class='crmlab-questionnaire'><h3>{e(self.title)}</h3>"]
        if self.preface:
            text = self.preface if isinstance(self.preface, str) else " ".join(map(str, self.preface.values()))
            out.append(f"<blockquote>{e(text)}</blockquote>")
        for s in self.sections:
            if s.title:
                out.append(f"<h4>{e(s.title)}</h4>")
            if s.intro:
                out.append(f"<p>{e(s.intro)}</p>")
            for q in s.questions:
                out.append(f"<p><b>{e(q.code)}.</b> {e(q.text)}{e(self._kind_note(q))}"
                           f"<i>{e(self._skip_note(q))}</i></p>")

                def lab(o):
                    return f"{o.label}（{o.score:g}分）" if show_scores and o.score is not None else o.label

                if q.qtype in ("single", "true_false", "multiple", "likert"):
                    box = "□" if q.qtype == "multiple" else "○"
                    sep = "&emsp;" if q.qtype == "likert" else "<br>"
                    out.append("<p>" + sep.join(f"{box} {e(o.code)}. {e(lab(o))}" for o in q.options) + "</p>")
                elif q.qtype == "matrix":
                    head = "".join(f"<th>{e(lab(o))}</th>" for o in q.options)
                    body = "".join(f"<tr><td>{e(r)}</td>" + "<td>○</td>" * len(q.options) + "</tr>" for r in q.rows)
                    out.append(f"<table><tr><th>项目</th>{head}</tr>{body}</table>")
                else:
                    out.append("<p>答：________________</p>")
        if self.admin_fields:
            out.append("<hr><p><b>其他资料</b></p><ul>" +
                       "".join(f"<li>{e(f)}：________</li>" for f in self.admin_fields) + "</ul>")
        if self.closing:
            out.append(f"<p>{e(self.closing)}</p>")
        out.append("</div>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.to_html()

    def form(self, responses: pd.DataFrame | None = None, **kwargs):
        """An ipywidgets form to fill in this questionnaire; see :class:`crmlab.survey.SurveyForm`."""
        from ._form import SurveyForm
        return SurveyForm(self, responses=responses, **kwargs)
