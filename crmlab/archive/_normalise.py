"""Normalising names, phones and addresses (集中管理: one customer, one record) and the fuzzy
similarity of two texts (rapidfuzz when installed, else difflib)."""
from __future__ import annotations

import difflib
import math
import re
import unicodedata

import numpy as np
import pandas as pd

try:  # optional: a fast, MIT-licensed string matcher; difflib (standard library) otherwise
    from rapidfuzz.distance import Indel as _Indel
except ImportError:  # pragma: no cover - exercised by forcing backend="difflib" in the tests
    _Indel = None

from ._errors import ArchiveError


# --------------------------------------------------------------------------------------------
# Normalisation (集中管理: one customer, one record)
# --------------------------------------------------------------------------------------------
#: The fuzzy-matching backend: ``"rapidfuzz"`` when that package is installed (fast, MIT),
#: else ``"difflib"`` from the standard library. Both give 0–100 similarity on the same scale.
FUZZY_BACKEND = "rapidfuzz" if _Indel is not None else "difflib"

_PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江",
              "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州",
              "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_PROVINCE_RE = re.compile(r"^(" + "|".join(_PROVINCES) + r")(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?")
_CITY_RE = re.compile(r"^([\u4e00-\u9fff]{2,3}?)市")
_LEGAL_FORM_RE = re.compile(r"(股份有限公司|有限责任公司|有限公司|公司)$")


def _scalar_or_series(func):
    def wrapper(values, *args, **kwargs):
        if isinstance(values, pd.Series):
            return func(values, *args, **kwargs)
        if isinstance(values, (list, tuple, np.ndarray, pd.Index)):
            return func(pd.Series(values, dtype=object), *args, **kwargs).tolist()
        out = func(pd.Series([values], dtype=object), *args, **kwargs).iloc[0]
        if isinstance(out, np.generic):
            out = out.item()
        return None if out is None or (isinstance(out, float) and math.isnan(out)) or out is pd.NA else out
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = func.__name__, func.__doc__, func
    return wrapper


_WS_RE = re.compile(r"\s+")
_BRACKETS_RE = re.compile(r"[()\[\]{}]")
_NOT_PHONE_RE = re.compile(r"[^\d+]")
_ADDR_PUNCT_RE = re.compile(r"[,.;:()\-_#/\\、，。；：（）]")
_PHONE_RE = r"^(1[3-9]\d{9}|0\d{9,11})$"
_PHONE_RX = re.compile(_PHONE_RE)
_MOBILE86_RX = re.compile(r"^861[3-9]\d{9}$")


def _vmap(values: pd.Series, func) -> pd.Series:
    """Apply a one-value function to a Series, once per distinct value (object result, None = blank)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = None
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def _clean1(x):
    """NFKC (full-width → half-width), all white space removed; None for blanks and non-text."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        x = str(x)
    if not isinstance(x, str):
        return None
    return _WS_RE.sub("", unicodedata.normalize("NFKC", x)) or None


def _text(values: pd.Series) -> pd.Series:
    """:func:`_clean1` over a Series (object dtype, None for blanks)."""
    return _vmap(values, _clean1)


def _name1(x):
    c = _clean1(x)
    return c.upper().replace("有限责任公司", "有限公司") if c else None


def _key1(x):
    n = _name1(x)
    return (_LEGAL_FORM_RE.sub("", _BRACKETS_RE.sub("", n)) or None) if n else None


def _phone1(x):
    c = _clean1(x)
    if not c:
        return None
    digits = _NOT_PHONE_RE.sub("", c)
    national = digits.startswith(("+86", "0086"))
    core = digits[3:] if digits.startswith("+86") else digits[4:] if digits.startswith("0086") else digits
    core = core.replace("+", "")
    if _MOBILE86_RX.match(core):
        core = core[2:]
    if national and core and core[0] not in "01":
        core = "0" + core
    return core or None


def _address1(x):
    a = _clean1(x)
    if not a:
        return None
    a = _ADDR_PUNCT_RE.sub("", a)
    m = _PROVINCE_RE.match(a)
    if m:
        rest = a[m.end():]
        c = _CITY_RE.match(rest)
        if c:
            rest = c.group(1) + rest[c.end():]
        a = m.group(1) + rest
    return a or None


@_scalar_or_series
def normalise_name(values):
    """Normal form of Chinese customer names: comparable text that still reads well.

    Full-width letters, digits and brackets become half-width (Unicode NFKC), all white space
    (including the full-width space U+3000) is removed, Latin letters are upper-cased and the
    legal form 有限责任公司 is written 有限公司 (the two are used interchangeably in records).
    Blank names become missing. Accepts one string or a Series (returns the same kind).

    >>> from crmlab import archive
    >>> archive.normalise_name("  星海 电器（上海）有限责任公司")
    '星海电器(上海)有限公司'
    >>> archive.normalise_name(["ｉｂｍ 中国", "   "])
    ['IBM中国', None]
    """
    return _vmap(values, _name1)


@_scalar_or_series
def name_key(values):
    """Blocking key for names: :func:`normalise_name` without brackets and the legal form.

    >>> from crmlab import archive
    >>> archive.name_key(["星海电器有限公司", "星海电器股份有限公司", "星海电器(上海)公司"])
    ['星海电器', '星海电器', '星海电器上海']
    """
    return _vmap(values, _key1)


@_scalar_or_series
def normalise_phone(values):
    """Phone numbers as plain digits, without +86 / 0086 prefixes or separators.

    Full-width digits become ASCII, spaces, dashes, dots and brackets are removed, and a
    country prefix +86, 0086 or 86 (before an 11-digit mobile) is dropped; a landline written
    after +86 without its trunk 0 gets the 0 back (+86 21 5555 1234 → 02155551234). The result
    is not checked: use :func:`phone_valid`. Blank values become missing.

    >>> from crmlab import archive
    >>> archive.normalise_phone(["+86 138 0013 8000", "0086-13800138000", "１３８００１３８０００",
    ...                          "8613800138000", "(021) 5555-1234", "+86 21 5555 1234", ""])
    ['13800138000', '13800138000', '13800138000', '13800138000', '02155551234', '02155551234', None]
    """
    return _vmap(values, _phone1)


@_scalar_or_series
def phone_valid(values):
    """True for a well-formed Chinese phone number after :func:`normalise_phone`.

    A mobile is 11 digits starting 13–19; a landline is 0 + area code + number (10–12 digits
    in all). Missing numbers are not valid. This checks the form, not that the number exists.

    >>> from crmlab import archive
    >>> archive.phone_valid(["+86 138 0013 8000", "1380013800", "021-55551234", None])
    [True, False, True, False]
    """
    return _vmap(values, lambda x: bool((p := _phone1(x)) and _PHONE_RX.match(p))).astype(bool)


@_scalar_or_series
def normalise_address(values):
    """Comparison form of Chinese addresses: same place, same text.

    NFKC (full-width → half-width digits), white space and punctuation removed, and the
    administrative suffixes dropped from the leading province (省, 市, 自治区 …, for the 34
    province-level names) and from the city that follows it (2–3 characters + 市). So 广东省广州市
    天河区 and 广东广州天河区 give the same key. Meant for matching, not for printing.

    >>> from crmlab import archive
    >>> archive.normalise_address(["广东省 广州市天河区体育西路１０３号", "广东广州天河区体育西路103号",
    ...                            "上海市浦东新区世纪大道100号"])
    ['广东广州天河区体育西路103号', '广东广州天河区体育西路103号', '上海浦东新区世纪大道100号']
    """
    return _vmap(values, _address1)


def similarity(a, b, backend: str | None = None) -> float:
    """Similarity of two strings, 0–100 (100 = identical): 2 × matches / total length.

    With ``rapidfuzz`` installed this is its normalised Indel similarity ×100 (the same number
    as ``rapidfuzz.fuzz.ratio``); otherwise ``difflib.SequenceMatcher(None, a, b).ratio() × 100``
    from the standard library (same formula; difflib's matching blocks can differ slightly on
    long strings). Missing or empty strings give 0.

    >>> from crmlab import archive
    >>> archive.similarity("星海电器", "星海电气")
    75.0
    >>> archive.similarity("星海电器", "星海电气", backend="difflib")
    75.0
    """
    if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
        return 0.0
    backend = backend or FUZZY_BACKEND
    if backend == "rapidfuzz":
        if _Indel is None:
            raise ArchiveError("NO_RAPIDFUZZ", "rapidfuzz is not installed; use backend='difflib'",
                               "未安装 rapidfuzz；请用 backend='difflib'")
        return round(_Indel.normalized_similarity(a, b) * 100, 6)
    if backend == "difflib":
        return round(difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() * 100, 6)
    raise ArchiveError("BAD_BACKEND", f"backend must be 'rapidfuzz' or 'difflib', got {backend!r}",
                       f"backend 只能是 'rapidfuzz' 或 'difflib'，收到 {backend!r}")
