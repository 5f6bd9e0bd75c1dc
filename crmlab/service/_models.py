"""The tables of the after-sales archive (SQLAlchemy): customers, sales, service events, follow-ups."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .. import glossary
from .._validate import is_blank as _blank
from ._errors import _err


# --------------------------------------------------------------------------- after-sales archive
#: Event kinds of the archive (English key → Chinese). 保养 and 不合格认定 are crmlab additions.
EVENT_KINDS: dict[str, str] = {
    "consult": "咨询", "install": "安装", "repair": "维修", "maintenance": "保养", "exchange": "换货",
    "refund": "退货", "followup": "回访", "complaint": "投诉", "nonconforming": "不合格认定",
}
_KIND_MORE = {"consult": ("consultation",), "install": ("installation",), "refund": ("return", "退款"),
              "repair": ("修理",), "exchange": ("更换",), "followup": ("follow_up",), "maintenance": ("维护",),
              "nonconforming": ("经认定不合格",)}
#: The event kinds as a :class:`crmlab.glossary.Vocabulary` (code, 中文, English synonyms).
EVENT_KIND = glossary.Vocabulary("event_kind", {k: (v, k, _KIND_MORE.get(k, ())) for k, v in EVENT_KINDS.items()},
                                 what=("event kind", "服务记录类型"))
_AFTER_PURCHASE = {"repair", "maintenance", "exchange", "refund", "followup", "nonconforming", "install"}


def _kind(value) -> str:
    key = EVENT_KIND.get(value) if not _blank(value) else None
    if key is None:
        raise _err(f"unknown event kind {value!r}; use one of {list(EVENT_KINDS)} or {list(EVENT_KINDS.values())}.",
                   f"未知的服务记录类型 {value!r}；可用：{list(EVENT_KINDS.values())}。")
    return key


class _Base(DeclarativeBase):
    metadata = MetaData()


class Customer(_Base):
    """A customer of the after-sales archive (消费者档案)."""

    __tablename__ = "aftersales_customer"
    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)
    household_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (CheckConstraint("household_size IS NULL OR household_size > 0", name="ck_household_size"),)


class Sale(_Base):
    """A product sold to a customer, with its warranty period (保修期, months)."""

    __tablename__ = "aftersales_sale"
    sale_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("aftersales_customer.customer_id"), index=True)
    product: Mapped[str] = mapped_column(String(120))
    purchase_date: Mapped[date] = mapped_column(Date)
    price: Mapped[float | None] = mapped_column(Float, nullable=True)
    warranty_months: Mapped[int] = mapped_column(Integer, default=12)
    serial_no: Mapped[str] = mapped_column(String(80), default="")
    __table_args__ = (CheckConstraint("warranty_months >= 0", name="ck_warranty_months"),
                      CheckConstraint("price IS NULL OR price >= 0", name="ck_price"))


class ServiceEvent(_Base):
    """One service event of a sale: repair (with its outcome), exchange, refund, follow-up …"""

    __tablename__ = "aftersales_event"
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("aftersales_sale.sale_id"), index=True)
    event_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(500), default="")
    technician: Mapped[str] = mapped_column(String(80), default="")
    resolved: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    cost_to_customer: Mapped[float] = mapped_column(Float, default=0.0)
    satisfaction: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in EVENT_KINDS) + ")", name="ck_event_kind"),
        CheckConstraint("satisfaction IS NULL OR (satisfaction BETWEEN 1 AND 5)", name="ck_satisfaction"),
        CheckConstraint("cost_to_customer >= 0", name="ck_cost"),
    )


class FollowUp(_Base):
    """A scheduled follow-up (回访) of a sale."""

    __tablename__ = "aftersales_followup"
    followup_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("aftersales_sale.sale_id"), index=True)
    due_date: Mapped[date] = mapped_column(Date)
    days_after: Mapped[int] = mapped_column(Integer)
    done_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    method: Mapped[str] = mapped_column(String(20), default="")
    feedback: Mapped[str] = mapped_column(String(500), default="")
