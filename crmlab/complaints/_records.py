"""The complaint record form (投诉处理表, task 10 §10.2.3) and records from a DataFrame."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from .._lang import DEFAULT_LANG, check_lang
from ..errors import parts
from .._validate import is_blank as _blank, preview as _rows
from ._errors import _err, _need_columns, _to_dt
from ._typology import TYPOLOGY, typology


# --------------------------------------------------------------------------- the record form
@dataclass(frozen=True)
class ComplaintRecord:
    """One entry of the complaint record form (客户投诉记录表), textbook task 10 §10.2.3 step 1.

    The textbook names the form's fields as complainant, time, object and demand (投诉人、投诉时间、
    投诉对象、投诉要求 "等"); the other fields are crmlab's. Typology fields are stored as keys
    (see :func:`typology`) and accept Chinese labels and the dataset's codes. ``category`` keeps
    the issue as recorded (delivery, 运输问题 …) for routing; when ``cause`` is not given it is
    derived from ``category``. The record is frozen: handling data lives in
    :class:`ComplaintWorkflow`.

    Examples
    --------
    >>> r = ComplaintRecord("CP9", "C12", "2024-05-02", target="空调 KF-35", demand="维修",
    ...                     cause="质量", severity="严重", purpose="控告性")
    >>> r.cause, r.severity, r.purpose
    ('product_quality', 'serious', 'accusatory')
    >>> r.to_dict()["cause"], r.to_dict(lang="en")["cause"]
    ('产品质量投诉', 'product_quality')
    """

    complaint_id: str
    complainant: str                 # 投诉人 (customer id or name)
    received_at: pd.Timestamp        # 投诉时间
    target: str = ""                 # 投诉对象 (product, order, staff or department)
    demand: str = ""                 # 投诉要求
    content: str = ""                # 投诉内容
    channel: str = ""
    category: str = ""               # the issue as recorded (e.g. delivery, 运输问题); used for routing
    cause: str | None = None
    severity: str | None = None
    behavior: str | None = None
    purpose: str | None = None

    def __post_init__(self):
        for name, zh in (("complaint_id", "投诉编号"), ("complainant", "投诉人")):
            if _blank(getattr(self, name)):
                raise _err(f"a complaint record needs a {name}.", f"投诉记录必须填写{zh}。")
        when = _to_dt(self.received_at) if not _blank(self.received_at) else pd.NaT
        if pd.isna(when):
            raise _err(f"received_at of complaint {self.complaint_id!r} is missing or unreadable: {self.received_at!r}.",
                       f"投诉 {self.complaint_id!r} 的投诉时间为空或无法识别：{self.received_at!r}。")
        object.__setattr__(self, "received_at", pd.Timestamp(when))
        if _blank(self.cause) and not _blank(self.category):
            object.__setattr__(self, "cause", self.category)
        for dim in TYPOLOGY:
            value = getattr(self, dim)
            if not _blank(value):
                object.__setattr__(self, dim, typology(dim, value))
            else:
                object.__setattr__(self, dim, None)
        for name in ("complaint_id", "complainant", "target", "demand", "content", "channel", "category"):
            value = getattr(self, name)
            object.__setattr__(self, name, "" if _blank(value) else str(value))

    def to_dict(self, lang: str = DEFAULT_LANG) -> dict:
        """The record as a dict, the typology fields as Chinese terms (``lang="en"``: as keys)."""
        check_lang(lang, _err)
        out = dataclasses.asdict(self)
        if lang == "zh":
            for dim in TYPOLOGY:
                if out[dim] is not None:
                    out[dim] = TYPOLOGY[dim][out[dim]][0]
        return out


def records_from_frame(complaints: pd.DataFrame, *, complaint_id: str = "complaint_id",
                       complainant: str = "customer_id", received_at: str = "received_at",
                       target: str = "order_id", cause: str | None = "category",
                       severity: str | None = "severity", channel: str | None = "channel") -> list[ComplaintRecord]:
    """Complaint records from a table such as ``crmlab.datasets.load("complaints")``.

    Every bad row is reported in one ``ValueError`` (no row is skipped silently).

    Examples
    --------
    >>> df = pd.DataFrame({"complaint_id": ["CP1"], "customer_id": ["C1"], "order_id": ["O1"],
    ...                    "received_at": ["2024-01-02"], "category": ["billing"], "severity": ["medium"],
    ...                    "channel": ["phone"]})
    >>> r = records_from_frame(df)[0]
    >>> r.cause, r.severity, r.target
    ('integrity', 'general', 'O1')
    """
    cols = {"complaint_id": complaint_id, "complainant": complainant, "received_at": received_at,
            "target": target, "category": cause, "severity": severity, "channel": channel}
    cols = {k: v for k, v in cols.items() if v is not None}
    _need_columns(complaints, list(cols.values()), "complaints")
    dup = complaints[complaint_id][complaints[complaint_id].duplicated(keep=False)]
    if len(dup):
        raise _err(f"complaint ids occur more than once: {_rows(pd.unique(dup))}.",
                   f"投诉编号重复：{_rows(pd.unique(dup))}。")
    records, problems = [], []
    for label, row in complaints.iterrows():
        try:
            records.append(ComplaintRecord(**{k: row[v] for k, v in cols.items()}))
        except ValueError as exc:
            problems.append((label, *parts(exc)))
    if problems:
        head = problems[:10]
        raise _err(f"{len(problems)} complaint row(s) are malformed:\n  " + "\n  ".join(f"row {label!r}: {en}" for label, en, _ in head),
                   f"有 {len(problems)} 行投诉记录有误：\n  " + "\n  ".join(f"第 {label!r} 行：{zh}" for label, _, zh in head))
    return records
