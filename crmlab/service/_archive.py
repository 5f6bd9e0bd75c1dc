"""The after-sales archive (售后服务档案, task 11 §11.2.3) stored in SQLite or PostgreSQL."""
from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session

from .._validate import blank_mask as _blanks, is_blank as _blank, preview as _rows
from ._errors import _bool_or_none, _day, _days, _err, _need_columns
from ._models import EVENT_KINDS, _AFTER_PURCHASE, Customer, FollowUp, Sale, ServiceEvent, _Base, _kind
from ._warranty import (
    _three_guarantees, birthday_schedule, followup_schedule, three_guarantees_decision, warranty_end,
)


class AfterSalesArchive:
    """The after-sales electronic archive (售后服务电子档案), textbook task 11 实训.

    Four tables, made with the SQLAlchemy 2 ORM: customers (消费者档案: name, phone, address,
    birthday, household size), sales (product, purchase date, warranty months), service events
    (consult, install, repair with its outcome, exchange, refund, follow-up, complaint …) and
    follow-ups (回访 plan and results).

    Parameters
    ----------
    location : a SQLite file path (default ``"after_sales.db"``), ``":memory:"``, or any SQLAlchemy
        URL such as ``"postgresql+psycopg://user:pw@host/db"`` (the driver must be installed).

    Every ``add_*``/``log_*`` method checks its input first and writes in one transaction: a bad
    row raises ``ValueError`` (English + 中文) and nothing is written. Use as a context manager or
    call :meth:`close`.

    Examples
    --------
    >>> a = AfterSalesArchive(":memory:")
    >>> a.add_customer("C1", "李四")
    >>> a.add_sale("S1", "C9", "冰箱", "2024-01-01")
    Traceback (most recent call last):
    ...
    crmlab.service._errors.ServiceError: 客户 'C9' 不存在，请先登记客户。 / unknown customer 'C9'; add the customer first.
    >>> a.to_frames()["sales"].shape[0]
    0
    >>> a.close()
    """

    def __init__(self, location: str | Path = "after_sales.db", *, echo: bool = False):
        text = str(location)
        if text == ":memory:":
            url = "sqlite://"
        elif "://" in text:
            url = text
        else:
            url = f"sqlite:///{Path(text)}"
        try:
            self.url = make_url(url)
            self.engine = create_engine(self.url, echo=echo)
        except (ArgumentError, ValueError) as exc:
            raise _err(f"not a usable database location {text!r}: {exc}", f"无法使用的数据库地址 {text!r}。") from None
        except (ImportError, NoSuchModuleError) as exc:
            raise _err(f"the database driver for {text.split('://')[0]!r} is not installed ({exc}); "
                       f"e.g. pip install psycopg for PostgreSQL.",
                       f"没有安装 {text.split('://')[0]!r} 的数据库驱动（PostgreSQL 可安装 psycopg）。") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_foreign_keys)
        _Base.metadata.create_all(self.engine)

    # ---- housekeeping
    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self) -> str:
        return f"AfterSalesArchive({self.url.render_as_string(hide_password=True)!r})"

    # ---- writing
    def add_customer(self, customer_id: str, name: str = "", *, phone: str = "", address: str = "",
                     birthday=None, household_size: int | None = None) -> None:
        """Register one customer."""
        self.add_customers(pd.DataFrame([{"customer_id": customer_id, "name": name, "phone": phone,
                                          "address": address, "birthday": birthday,
                                          "household_size": household_size}]))

    def add_customers(self, customers: pd.DataFrame) -> int:
        """Register many customers (columns customer_id and optionally name, phone, address,
        birthday, household_size). Returns the number added."""
        _need_columns(customers, ["customer_id"], "customers")
        df = customers.copy()
        ids = df["customer_id"]
        bad = df.index[ids.pipe(_blanks)]
        if len(bad):
            raise _err(f"customers without customer_id in rows {_rows(bad)}.", f"这些行缺少客户编号：{_rows(bad)}。")
        ids = ids.astype(str)
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            raise _err(f"customer ids occur more than once: {_rows(pd.unique(dup))} (drop duplicate rows first).",
                       f"客户编号重复：{_rows(pd.unique(dup))}（请先删除重复行）。")
        rows = pd.DataFrame({"customer_id": ids})
        for col in ("name", "phone", "address"):
            rows[col] = df[col].map(lambda v: "" if _blank(v) else str(v)) if col in df.columns else ""
        rows["birthday"] = (_days(df["birthday"], "customers['birthday']", allow_blank=True).dt.date
                            if "birthday" in df.columns else None)
        if "household_size" in df.columns:
            hs = pd.to_numeric(df["household_size"], errors="coerce")
            bad = df.index[(hs.isna() & ~df["household_size"].pipe(_blanks)) | (hs.notna() & ((hs <= 0) | (hs % 1 != 0)))]
            if len(bad):
                raise _err(f"household_size must be a whole number > 0; rows {_rows(bad)}.", f"家庭人数必须是正整数：{_rows(bad)}。")
            rows["household_size"] = hs.astype("Int64")
        else:
            rows["household_size"] = None
        with Session(self.engine) as s, s.begin():
            known = set(s.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(list(ids)))))
            if known:
                raise _err(f"customer(s) already in the archive: {_rows(sorted(known))}.", f"档案中已有这些客户：{_rows(sorted(known))}。")
            s.execute(insert(Customer), _records(rows))
        return len(rows)

    def add_sale(self, sale_id: str, customer_id: str, product: str, purchase_date, *, price: float | None = None,
                 warranty_months: int = 12, serial_no: str = "") -> None:
        """Register one sale (保修期 ``warranty_months``; crmlab default 12 — the textbook gives none)."""
        self.add_sales(pd.DataFrame([{"sale_id": sale_id, "customer_id": customer_id, "product": product,
                                      "purchase_date": purchase_date, "price": price,
                                      "warranty_months": warranty_months, "serial_no": serial_no}]))

    def add_sales(self, sales: pd.DataFrame, *, warranty_months: int = 12) -> int:
        """Register many sales (columns sale_id, customer_id, product, purchase_date; optionally
        price, warranty_months, serial_no). Returns the number added."""
        _need_columns(sales, ["sale_id", "customer_id", "product", "purchase_date"], "sales")
        df = sales.copy()
        problems = []
        for col in ("sale_id", "customer_id", "product"):
            bad = df.index[df[col].pipe(_blanks)]
            if len(bad):
                problems.append(f"empty {col} in rows {_rows(bad)}")
        if problems:
            raise _err("malformed sales: " + "; ".join(problems) + ".", "销售记录有误：有必填字段为空。")
        ids = df["sale_id"].astype(str)
        dup = ids[ids.duplicated(keep=False)]
        if len(dup):
            raise _err(f"sale ids occur more than once: {_rows(pd.unique(dup))}.", f"销售编号重复：{_rows(pd.unique(dup))}。")
        rows = pd.DataFrame({"sale_id": ids, "customer_id": df["customer_id"].astype(str),
                             "product": df["product"].astype(str),
                             "purchase_date": _days(df["purchase_date"], "sales['purchase_date']").dt.date})
        if "price" in df.columns:
            price = pd.to_numeric(df["price"], errors="coerce")
            bad = df.index[(price.isna() & ~df["price"].pipe(_blanks)) | (price < 0)]
            if len(bad):
                raise _err(f"price must be a number ≥ 0; rows {_rows(bad)}.", f"价格必须是 ≥ 0 的数：{_rows(bad)}。")
            rows["price"] = price.astype(object).where(price.notna(), None)
        else:
            rows["price"] = None
        wm = pd.to_numeric(df["warranty_months"], errors="coerce") if "warranty_months" in df.columns \
            else pd.Series(warranty_months, index=df.index)
        bad = df.index[wm.isna() | (wm < 0) | (wm % 1 != 0)]
        if len(bad):
            raise _err(f"warranty_months must be a whole number ≥ 0; rows {_rows(bad)}.", f"保修月数必须是非负整数：{_rows(bad)}。")
        rows["warranty_months"] = wm.astype(int)
        rows["serial_no"] = df["serial_no"].map(lambda v: "" if _blank(v) else str(v)) if "serial_no" in df.columns else ""
        with Session(self.engine) as s, s.begin():
            wanted = list(pd.unique(rows["customer_id"]))
            known = set(s.scalars(select(Customer.customer_id).where(Customer.customer_id.in_(wanted))))
            unknown = [c for c in wanted if c not in known]
            if unknown:
                if len(rows) == 1:
                    raise _err(f"unknown customer {unknown[0]!r}; add the customer first.", f"客户 {unknown[0]!r} 不存在，请先登记客户。")
                raise _err(f"unknown customer(s) {_rows(unknown)}; add them first.", f"这些客户不存在，请先登记：{_rows(unknown)}。")
            existing = set(s.scalars(select(Sale.sale_id).where(Sale.sale_id.in_(list(ids)))))
            if existing:
                raise _err(f"sale(s) already in the archive: {_rows(sorted(existing))}.", f"档案中已有这些销售记录：{_rows(sorted(existing))}。")
            s.execute(insert(Sale), _records(rows))
        return len(rows)

    def log_event(self, sale_id: str, event_date, kind: str, *, description: str = "", technician: str = "",
                  resolved: bool | None = None, cost_to_customer: float = 0.0, satisfaction: int | None = None) -> int:
        """Log one service event; returns its event_id. ``kind`` accepts 咨询/安装/维修/保养/换货/
        退货/回访/投诉/不合格认定 or the English keys of :data:`EVENT_KINDS`; ``resolved`` is the
        outcome of a repair (False = the product still does not work)."""
        ids = self.log_events(pd.DataFrame([{"sale_id": sale_id, "event_date": event_date, "kind": kind,
                                             "description": description, "technician": technician,
                                             "resolved": resolved, "cost_to_customer": cost_to_customer,
                                             "satisfaction": satisfaction}]))
        return ids[0]

    def log_events(self, events: pd.DataFrame) -> list[int]:
        """Log many events (columns sale_id, event_date, kind; optionally description, technician,
        resolved, cost_to_customer, satisfaction). Returns the new event ids.

        After-sale kinds (repair, exchange, refund, follow-up …) dated before the purchase are an
        error; consultations may precede it.
        """
        _need_columns(events, ["sale_id", "event_date", "kind"], "events")
        df = events.copy()
        bad = df.index[df["sale_id"].pipe(_blanks)]
        if len(bad):
            raise _err(f"events without sale_id in rows {_rows(bad)}.", f"这些服务记录缺少销售编号：{_rows(bad)}。")
        problems, kinds = [], []
        for label, v in df["kind"].items():
            try:
                kinds.append(_kind(v))
            except ValueError:
                kinds.append(None)
                problems.append(label)
        if problems:
            raise _err(f"unknown event kinds in rows {_rows(problems)}; use {list(EVENT_KINDS)} or "
                       f"{list(EVENT_KINDS.values())}.", f"这些行的服务记录类型无法识别：{_rows(problems)}。")
        rows = pd.DataFrame({"sale_id": df["sale_id"].astype(str),
                             "event_date": _days(df["event_date"], "events['event_date']"), "kind": kinds},
                            index=df.index)
        for col in ("description", "technician"):
            rows[col] = df[col].map(lambda v: "" if _blank(v) else str(v)) if col in df.columns else ""
        if "resolved" in df.columns:
            res = df["resolved"].map(_bool_or_none)
            bad = df.index[res.map(lambda v: v == "bad")]
            if len(bad):
                raise _err(f"resolved must be True, False or empty; rows {_rows(bad)}.", f"resolved 只能是 True、False 或空：{_rows(bad)}。")
            rows["resolved"] = res
        else:
            rows["resolved"] = None
        cost = pd.to_numeric(df["cost_to_customer"], errors="coerce").fillna(0.0) if "cost_to_customer" in df.columns \
            else pd.Series(0.0, index=df.index)
        bad = df.index[cost < 0]
        if len(bad):
            raise _err(f"cost_to_customer must be ≥ 0; rows {_rows(bad)}.", f"客户承担费用必须 ≥ 0：{_rows(bad)}。")
        rows["cost_to_customer"] = cost.astype(float)
        if "satisfaction" in df.columns:
            sat = pd.to_numeric(df["satisfaction"], errors="coerce")
            bad = df.index[(sat.isna() & ~df["satisfaction"].pipe(_blanks)) | ~(sat.isna() | sat.isin([1, 2, 3, 4, 5]))]
            if len(bad):
                raise _err(f"satisfaction must be a whole number 1–5 or empty; rows {_rows(bad)}.", f"满意度必须是 1–5 的整数或空：{_rows(bad)}。")
            rows["satisfaction"] = sat.astype(object).where(sat.notna(), None).map(lambda v: None if v is None else int(v))
        else:
            rows["satisfaction"] = None
        with Session(self.engine) as s, s.begin():
            wanted = list(pd.unique(rows["sale_id"]))
            bought = dict(s.execute(select(Sale.sale_id, Sale.purchase_date).where(Sale.sale_id.in_(wanted))).all())
            unknown = [x for x in wanted if x not in bought]
            if unknown:
                raise _err(f"unknown sale(s) {_rows(unknown)}; add the sale first.", f"这些销售记录不存在，请先登记：{_rows(unknown)}。")
            purchase = pd.to_datetime(rows["sale_id"].map(bought))
            early = rows.index[rows["kind"].isin(_AFTER_PURCHASE) & (rows["event_date"] < purchase)]
            if len(early):
                raise _err(f"after-sale events dated before the purchase in rows {_rows(early)}.",
                           f"这些售后记录的日期早于购买日期：{_rows(early)}。")
            rows["event_date"] = rows["event_date"].dt.date
            new_ids = s.scalars(insert(ServiceEvent).returning(ServiceEvent.event_id, sort_by_parameter_order=True),
                                _records(rows)).all()
        return list(new_ids)

    # ---- reading and rules
    def _sale(self, s: Session, sale_id: str) -> Sale:
        sale = s.get(Sale, str(sale_id))
        if sale is None:
            raise _err(f"unknown sale {sale_id!r}.", f"销售记录 {sale_id!r} 不存在。")
        return sale

    def events(self, sale_id: str | None = None) -> pd.DataFrame:
        """Service events (of one sale, or all) as a DataFrame ordered by date."""
        stmt = select(ServiceEvent).order_by(ServiceEvent.event_date, ServiceEvent.event_id)
        if sale_id is not None:
            stmt = stmt.where(ServiceEvent.sale_id == str(sale_id))
        return self._frame(stmt, ServiceEvent)

    def warranty_status(self, sale_id: str, on_date) -> dict:
        """Warranty status of a sale on a date: end date, in warranty, days left, free or paid repair (包修).

        Examples
        --------
        >>> with AfterSalesArchive(":memory:") as a:
        ...     a.add_customer("C1"); a.add_sale("S1", "C1", "洗衣机", "2024-01-15", warranty_months=12)
        ...     st = a.warranty_status("S1", "2025-01-14")
        >>> st["in_warranty"], st["days_left"], st["repair"]
        (True, 0, 'free 免费')
        """
        with Session(self.engine) as s:
            sale = self._sale(s, sale_id)
            end = warranty_end(sale.purchase_date, sale.warranty_months)
        today = _day(on_date, "on_date")
        inside = bool(today <= end)
        return {"sale_id": str(sale_id), "warranty_end": end, "in_warranty": inside,
                "days_left": int((end - today).days) if inside else 0,
                "repair": "free 免费" if inside else "paid 收费"}

    def three_guarantees_decision(self, sale_id: str, on_date) -> dict:
        """The 三包 decision for a sale on a date (see :func:`three_guarantees_decision`)."""
        with Session(self.engine) as s:
            sale = self._sale(s, sale_id)
            purchase, months = sale.purchase_date, sale.warranty_months
        ev = self.events(sale_id)
        return {"sale_id": str(sale_id), **three_guarantees_decision(purchase, months, ev, on_date)}

    def three_guarantees_table(self, on_date) -> pd.DataFrame:
        """The 三包 decision of every sale on a date, one row per sale (without the rule text)."""
        today = _day(on_date, "on_date")
        sales = self._frame(select(Sale).order_by(Sale.sale_id), Sale)
        events = self.events()[["sale_id", "event_date", "kind", "resolved"]]
        return _three_guarantees(sales, events, today)

    def schedule_followups(self, days_after: Iterable[int] = (7, 30)) -> int:
        """Create follow-ups ``days_after`` every sale (skipping ones already planned); returns how many."""
        sales = self._frame(select(Sale.sale_id, Sale.purchase_date), None)
        if sales.empty:
            return 0
        plan = followup_schedule(sales, days_after)
        with Session(self.engine) as s, s.begin():
            have = set(s.execute(select(FollowUp.sale_id, FollowUp.days_after)).all())
            plan = plan[[(a, int(b)) not in have for a, b in zip(plan["sale_id"], plan["days_after"])]]
            if len(plan):
                plan = plan.assign(due_date=plan["due_date"].dt.date, days_after=plan["days_after"].astype(int))
                s.execute(insert(FollowUp), _records(plan))
        return len(plan)

    def due_followups(self, on_date) -> pd.DataFrame:
        """Follow-ups due on or before ``on_date`` and not done yet, with the customer's contact and
        ``days_overdue``."""
        today = _day(on_date, "on_date").date()
        stmt = (select(FollowUp.followup_id, FollowUp.sale_id, FollowUp.days_after, FollowUp.due_date,
                       Sale.customer_id, Customer.name, Customer.phone, Sale.product)
                .join(Sale, Sale.sale_id == FollowUp.sale_id).join(Customer, Customer.customer_id == Sale.customer_id)
                .where(FollowUp.done_date.is_(None), FollowUp.due_date <= today)
                .order_by(FollowUp.due_date, FollowUp.followup_id))
        out = self._frame(stmt, None)
        out["days_overdue"] = (pd.Timestamp(today) - pd.to_datetime(out["due_date"])).dt.days.astype(int)
        return out

    def complete_followup(self, followup_id: int, done_date, *, method: str = "电话", feedback: str = "") -> None:
        """Record that a follow-up was done (method 电话/信函/上门, feedback text)."""
        done = _day(done_date, "done_date").date()
        with Session(self.engine) as s, s.begin():
            f = s.get(FollowUp, int(followup_id))
            if f is None:
                raise _err(f"unknown follow-up {followup_id!r}.", f"回访记录 {followup_id!r} 不存在。")
            if f.done_date is not None:
                raise _err(f"follow-up {followup_id!r} was already done on {f.done_date}.", f"回访 {followup_id!r} 已于 {f.done_date} 完成。")
            if done < self._sale(s, f.sale_id).purchase_date:
                raise _err("a follow-up cannot be done before the purchase.", "回访日期不能早于购买日期。")
            f.done_date, f.method, f.feedback = done, str(method), str(feedback)

    def birthday_greetings(self, month: int, year: int | None = None) -> pd.DataFrame:
        """Customers with a birthday in ``month`` (of ``year``, default this year) and their contact."""
        if not isinstance(month, (int, np.integer)) or not 1 <= month <= 12:
            raise _err(f"month must be 1–12, got {month!r}.", f"月份必须是 1–12，收到 {month!r}。")
        customers = self._frame(select(Customer).order_by(Customer.customer_id), Customer)
        sched = birthday_schedule(customers, year or date.today().year)
        sched = sched[sched["birthday"].dt.month == month]
        return sched.merge(customers[["customer_id", "name", "phone", "address"]], on="customer_id", how="left")

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """All four tables as DataFrames: customers, sales, events, followups."""
        return {"customers": self._frame(select(Customer).order_by(Customer.customer_id), Customer),
                "sales": self._frame(select(Sale).order_by(Sale.sale_id), Sale),
                "events": self.events(),
                "followups": self._frame(select(FollowUp).order_by(FollowUp.followup_id), FollowUp)}

    def import_shipped(self, customers: pd.DataFrame, orders: pd.DataFrame,
                       service_tickets: pd.DataFrame | None = None, *, warranty_months: int = 12) -> dict[str, int]:
        """Fill the archive from the shipped datasets (``customers``, ``orders``, ``service_tickets``).

        Orders become sales (order_id → sale_id, product_id → product, order_date, amount → price);
        tickets become events (consultation → consult, installation → install, repair, maintenance,
        return → refund) dated ``opened_at``, with the ticket's rating as satisfaction. The
        datasets record no repair outcome, so ``resolved`` stays empty. The shipped customers file
        has duplicate rows on purpose: drop them first, or this raises.
        """
        _need_columns(customers, ["customer_id"], "customers")
        _need_columns(orders, ["order_id", "customer_id", "product_id", "order_date"], "orders")
        cust = customers[[c for c in ("customer_id", "name", "phone", "address") if c in customers.columns]]
        sales = pd.DataFrame({"sale_id": orders["order_id"], "customer_id": orders["customer_id"],
                              "product": orders["product_id"], "purchase_date": orders["order_date"],
                              "price": orders["amount"] if "amount" in orders.columns else None})
        n = {"customers": self.add_customers(cust), "sales": self.add_sales(sales, warranty_months=warranty_months)}
        if service_tickets is not None:
            _need_columns(service_tickets, ["order_id", "request", "opened_at"], "service_tickets")
            t = service_tickets
            ev = pd.DataFrame({"sale_id": t["order_id"], "event_date": t["opened_at"], "kind": t["request"],
                               "description": t["ticket_id"] if "ticket_id" in t.columns else "",
                               "technician": t["engineer"] if "engineer" in t.columns else "",
                               "satisfaction": t["rating_1_5"] if "rating_1_5" in t.columns else None})
            n["events"] = len(self.log_events(ev))
        return n

    def _frame(self, stmt, model) -> pd.DataFrame:
        with self.engine.connect() as conn:
            df = pd.read_sql(stmt, conn)
        if model is not None:
            df = df[[c.name for c in model.__table__.columns]]
        for col in df.columns:
            if col.endswith("_date") or col == "birthday":
                df[col] = pd.to_datetime(df[col])
        return df


def _sqlite_foreign_keys(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as plain Python values (None for missing) for SQLAlchemy."""
    out = []
    for rec in frame.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
                clean[k] = None
            elif isinstance(v, np.integer):
                clean[k] = int(v)
            elif isinstance(v, np.floating):
                clean[k] = float(v)
            elif isinstance(v, np.bool_):
                clean[k] = bool(v)
            else:
                clean[k] = v
        out.append(clean)
    return out
