"""The database schema of the simulated CRM (SQLAlchemy 2 ORM): one table per concept, readable.

Every table is a plain SQLAlchemy 2 declarative class, so ``print(Document.__table__.c.keys())``
or :func:`schema` shows the columns. Four groups:

* **organisation** — :class:`Department`, :class:`User` (login, role, department, the employee
  code a service engineer needs, Kingdee R31), :class:`HomeScheme` (主页方案, R1);
* **base data** (task 12) — :class:`Product` (物料 with the service flags of task 14),
  :class:`SalesMethodRow` / :class:`SalesStageRow` (方法/阶段, stored form of
  :class:`crmlab.sales_method.SalesMethod`), :class:`KnowledgeType`, :class:`ServiceLevel`,
  :class:`ExpenseType` (要素项目), :class:`Question` / :class:`QuestionOption` (调查题库);
* **the customer archive** (客户档案, task 5 §5.1–5.2 and Kingdee task 15) — three levels of data:
  level 1 basic data on :class:`Customer` (with the card type 潜在/现有/旧客户 and, for a former
  customer, the stop reason), level 2 business/personal profile :class:`CustomerProfile`, level 3
  relationship data: :class:`Contact` (decision roles, key contacts), :class:`CreditRecord`
  (资信 with a validity date; stale records are flagged), :class:`CardChange` (card history) and
  every document the customer appears on;
* **documents** (单据) — one header table :class:`Document` for every document type (Kingdee bills
  share a header: number, type, status, customer, owner, 源单类型/源单编号, total) with its lines
  :class:`DocLine` (分录), the push-down links :class:`DocLink`, multi-level audit steps
  :class:`AuditStep`; opportunities add their own tab :class:`Opportunity` (潜在机会, 销售阶段,
  项目总结), stage rows :class:`OppStage` and evaluation rounds :class:`Evaluation`; check-ins
  :class:`CheckIn` (签到, mobile); survey answers
  :class:`SurveyResponse`; the value model :class:`ValueModel`; and :class:`AuditLog`, the record of
  every change (who, when, what, before/after).

Example
-------
>>> from crmlab.system import models
>>> "status" in models.Document.__table__.c and "card_type" in models.Customer.__table__.c
True
>>> schema().query("table == 'customers'")["column"].tolist()[:4]
['no', 'name', 'kind', 'card_type']
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json

import pandas as pd
from sqlalchemy import (JSON, Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "Base", "Department", "User", "HomeScheme", "Product", "SalesMethodRow", "SalesStageRow",
    "KnowledgeType", "ServiceLevel", "ExpenseType", "Question", "QuestionOption", "Customer",
    "CustomerProfile", "Contact", "CreditRecord", "CardChange", "Document", "DocLine", "DocLink",
    "AuditStep", "Opportunity", "OppStage", "Evaluation", "CheckIn", "SurveyResponse", "ValueModel", "AuditLog",
    "Counter", "Clock", "schema",
]


class Base(DeclarativeBase):
    """Declarative base of every crmlab.system table."""


# --------------------------------------------------------------------------------------------
# Organisation
# --------------------------------------------------------------------------------------------
class Department(Base):
    """部门 Department."""
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))


class User(Base):
    """用户 User: a login bound to a role and a department (and, for engineers, an employee, R31)."""
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(30))
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    employee_code: Mapped[str | None] = mapped_column(String(20))
    authorised: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    home_scheme_id: Mapped[int | None] = mapped_column(ForeignKey("home_schemes.id"))
    home_blocks: Mapped[list | None] = mapped_column(JSON)


class HomeScheme(Base):
    """主页方案 Home-page scheme (task 12.1): maintained and assigned by the Administrator only (R1)."""
    __tablename__ = "home_schemes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    blocks: Mapped[list] = mapped_column(JSON)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", use_alter=True, name="fk_home_schemes_owner"))


# --------------------------------------------------------------------------------------------
# Base data (task 12)
# --------------------------------------------------------------------------------------------
class Product(Base):
    """物料 Product, with the service data of task 14.2‑2 (启用服务, 生成产品档案, 维修件, 使用寿命)."""
    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    unit: Mapped[str] = mapped_column(String(10), default="台")
    list_price: Mapped[float] = mapped_column(Float)
    floor_price: Mapped[float] = mapped_column(Float)
    cost_price: Mapped[float] = mapped_column(Float)
    is_part: Mapped[bool] = mapped_column(Boolean, default=False)
    service_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    gen_archive: Mapped[bool] = mapped_column(Boolean, default=False)
    repairable: Mapped[bool] = mapped_column(Boolean, default=False)
    life_months: Mapped[int | None] = mapped_column(Integer)


class SalesMethodRow(Base):
    """方法 Sales method (stored form of :class:`crmlab.sales_method.SalesMethod`)."""
    __tablename__ = "sales_methods"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    win_at_last_stage_only: Mapped[bool] = mapped_column(Boolean, default=True)


class SalesStageRow(Base):
    """阶段 Sales stage (stored form of :class:`crmlab.sales_method.Stage`, R3–R4)."""
    __tablename__ = "sales_stages"
    __table_args__ = (UniqueConstraint("method_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("sales_methods.id"))
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(30))
    name_zh: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(40))
    days: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float] = mapped_column(Float)
    control: Mapped[str] = mapped_column(String(10))
    conditions: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(10))
    method: Mapped[SalesMethodRow] = relationship(lazy="raise")


class KnowledgeType(Base):
    """知识类型 Knowledge type (task 12.4): code and name."""
    __tablename__ = "knowledge_types"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class ServiceLevel(Base):
    """服务级别 Service level (task 12.5): code, name, period (服务期限, months), content (服务内容)."""
    __tablename__ = "service_levels"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    term_months: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)


class ExpenseType(Base):
    """费用类型 (要素项目) Expense type for activity budgets (R8)."""
    __tablename__ = "expense_types"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Question(Base):
    """调查题库 Question-bank item (task 12.6, R5): stem and type; options below."""
    __tablename__ = "questions"
    no: Mapped[str] = mapped_column(String(20), primary_key=True)
    stem: Mapped[str] = mapped_column(Text)
    qtype: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(40))


class QuestionOption(Base):
    """答题分录 Answer option of a question, with its score (分值)."""
    __tablename__ = "question_options"
    id: Mapped[int] = mapped_column(primary_key=True)
    question_no: Mapped[str] = mapped_column(ForeignKey("questions.no"))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    question: Mapped[Question] = relationship(lazy="raise")


# --------------------------------------------------------------------------------------------
# The customer archive (客户档案)
# --------------------------------------------------------------------------------------------
class Customer(Base):
    """客户 Customer, level 1 of the archive (basic data) plus its card type and status.

    ``card_type``: ``prospect`` 潜在客户 → ``current`` 现有客户 (from the first trade) →
    ``former`` 旧客户 (the textbook's 旧客户调查卡; 流失客户 is accepted as an alias; stopped
    trading; ``stop_reason`` kept, history never deleted, task 5 §5.1.3). ``status`` saved →
    audited and ``is_trading`` (交易客户) gate its use (R34); ``value_score`` and
    ``value_grade`` are written only by the value model (R34, R35).
    """
    __tablename__ = "customers"
    no: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="organisation")
    card_type: Mapped[str] = mapped_column(String(12), default="prospect")
    status: Mapped[str] = mapped_column(String(12), default="saved")
    is_trading: Mapped[bool] = mapped_column(Boolean, default=False)
    industry: Mapped[str | None] = mapped_column(String(30))
    region: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[str | None] = mapped_column(String(30))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    value_score: Mapped[float | None] = mapped_column(Float)
    value_grade: Mapped[str | None] = mapped_column(String(4))
    first_trade_date: Mapped[dt.date | None] = mapped_column(Date)
    last_trade_date: Mapped[dt.date | None] = mapped_column(Date)
    stop_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    audited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    audited_by: Mapped[str | None] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class CustomerProfile(Base):
    """Level 2 of the archive: business profile (organisations) and personal profile (people)."""
    __tablename__ = "customer_profiles"
    customer_no: Mapped[str] = mapped_column(ForeignKey("customers.no"), primary_key=True)
    business_direction: Mapped[str | None] = mapped_column(String(120))
    business_scale: Mapped[str | None] = mapped_column(String(40))
    main_products: Mapped[str | None] = mapped_column(String(120))
    main_needs: Mapped[str | None] = mapped_column(String(120))
    target_market: Mapped[str | None] = mapped_column(String(120))
    gender: Mapped[str | None] = mapped_column(String(4))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    income_level: Mapped[str | None] = mapped_column(String(20))
    hobbies: Mapped[str | None] = mapped_column(String(120))
    product_preference: Mapped[str | None] = mapped_column(String(120))
    attitude_to_us: Mapped[str | None] = mapped_column(String(120))
    competitor_dealings: Mapped[str | None] = mapped_column(String(120))
    customer: Mapped[Customer] = relationship(lazy="raise")


class Contact(Base):
    """联系人 Contact with a decision role (决策者/采购/使用者/影响者/评估小组) and the key flag."""
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(ForeignKey("customers.no"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(40))
    dept: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(80))
    decision_role: Mapped[str] = mapped_column(String(20), default="user")
    is_key: Mapped[bool] = mapped_column(Boolean, default=False)
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    customer: Mapped[Customer] = relationship(lazy="raise")


class CreditRecord(Base):
    """资信/授信 Credit record with a validity date (task 5 §5.2.2: valid 3 months to 1 year)."""
    __tablename__ = "credit_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(ForeignKey("customers.no"), index=True)
    credit_limit: Mapped[float] = mapped_column(Float)
    credit_grade: Mapped[str] = mapped_column(String(8))
    report_date: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(40))
    customer: Mapped[Customer] = relationship(lazy="raise")


class CardChange(Base):
    """Card history: each change of card type (潜在 → 现有 → 旧客户 …) with its reason."""
    __tablename__ = "card_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(ForeignKey("customers.no"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    from_card: Mapped[str] = mapped_column(String(12))
    to_card: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(40))
    customer: Mapped[Customer] = relationship(lazy="raise")


# --------------------------------------------------------------------------------------------
# Documents (单据)
# --------------------------------------------------------------------------------------------
class Document(Base):
    """单据 Document header shared by every document type (Kingdee bill header).

    ``src_type``/``src_no`` are 源单类型/源单编号 (the document it was pushed down or created
    from); ``ref_no`` is the document it belongs to (e.g. an activity's opportunity, a work order's
    service request); ``stage`` is the opportunity stage stamped on a child document (R15);
    ``total`` always equals the sum of the item lines; ``data`` holds the type's other fields;
    ``version`` counts the changes (1 when created, +1 per action that changes the document) for
    optimistic locking (``expected_version=``, :class:`crmlab.system.StaleRecord`).
    """
    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_type_status", "doc_type", "status"),)
    no: Mapped[str] = mapped_column(String(20), primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(120))
    customer_no: Mapped[str | None] = mapped_column(ForeignKey("customers.no"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    src_type: Mapped[str | None] = mapped_column(String(24))
    src_no: Mapped[str | None] = mapped_column(String(20), index=True)
    ref_no: Mapped[str | None] = mapped_column(String(20), index=True)
    stage: Mapped[str | None] = mapped_column(String(30))
    total: Mapped[float] = mapped_column(Float, default=0.0)
    audit_levels: Mapped[list | None] = mapped_column(JSON)
    audit_step: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    audited_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    audited_by: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    customer: Mapped[Customer | None] = relationship(lazy="raise")
    contact: Mapped[Contact | None] = relationship(lazy="raise")
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class DocLine(Base):
    """分录 Document line: ``kind`` item (product lines), payment (收款计划), budget (费用预算), part."""
    __tablename__ = "doc_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_no: Mapped[str] = mapped_column(ForeignKey("documents.no"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="item")
    seq: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    description: Mapped[str | None] = mapped_column(String(120))
    qty: Mapped[float] = mapped_column(Float, default=1.0)
    price: Mapped[float] = mapped_column(Float, default=0.0)
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    document: Mapped[Document] = relationship(lazy="raise")  # orders the INSERTs


class DocLink(Base):
    """源单关系 Link between a source and a target document (下推, 转化, 源单, 派工 …)."""
    __tablename__ = "doc_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    src_type: Mapped[str] = mapped_column(String(24))
    src_no: Mapped[str] = mapped_column(String(20), index=True)
    dst_type: Mapped[str] = mapped_column(String(24))
    dst_no: Mapped[str] = mapped_column(String(20), index=True)
    relation: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditStep(Base):
    """多级审核 One step of a multi-level audit: level, approver, approve or reject."""
    __tablename__ = "audit_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_no: Mapped[str] = mapped_column(ForeignKey("documents.no"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    approver: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(10))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    document: Mapped[Document] = relationship(lazy="raise")


class Opportunity(Base):
    """商机 The opportunity's own tab (潜在机会, 销售阶段, 项目总结); its header is a :class:`Document`.

    ``status`` mirrors the document status with :mod:`crmlab.opportunity` codes plus the two
    Kingdee evaluation statuses: potential 未评估, evaluating 评估中, open 执行中, failed 不通过,
    won 赢单, lost 输单. ``active`` is False for a lost opportunity (Odoo: archived).
    """
    __tablename__ = "opportunities"
    __table_args__ = (Index("ix_opp_status_stage", "status", "stage"),)
    no: Mapped[str] = mapped_column(ForeignKey("documents.no"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    dept_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    customer_no: Mapped[str | None] = mapped_column(ForeignKey("customers.no"))
    method_id: Mapped[int] = mapped_column(ForeignKey("sales_methods.id"))
    stage: Mapped[str | None] = mapped_column(String(30))
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    expected_close: Mapped[dt.date | None] = mapped_column(Date)
    expected_revenue: Mapped[float] = mapped_column(Float, default=0.0)
    opp_source: Mapped[str | None] = mapped_column(String(30))
    interest: Mapped[str | None] = mapped_column(String(10))
    need: Mapped[str | None] = mapped_column(Text)
    evaluator: Mapped[str | None] = mapped_column(String(40))
    submitter: Mapped[str | None] = mapped_column(String(40))
    win_loss_date: Mapped[dt.date | None] = mapped_column(Date)
    win_reason: Mapped[str | None] = mapped_column(Text)
    lost_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    document: Mapped[Document] = relationship(lazy="raise")


class OppStage(Base):
    """销售阶段 tab: one row per stage an opportunity entered, with the counts its conditions need."""
    __tablename__ = "opp_stages"
    id: Mapped[int] = mapped_column(primary_key=True)
    opp_no: Mapped[str] = mapped_column(ForeignKey("opportunities.no"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    planned_end: Mapped[dt.datetime] = mapped_column(DateTime)
    actual_end: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    n_activity: Mapped[int] = mapped_column(Integer, default=0)
    n_task: Mapped[int] = mapped_column(Integer, default=0)
    n_quote: Mapped[int] = mapped_column(Integer, default=0)
    n_sample: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list | None] = mapped_column(JSON)
    opportunity: Mapped[Opportunity] = relationship(lazy="raise")


class Evaluation(Base):
    """商机评估 One evaluation round: submitter, evaluator, result (R12–R13)."""
    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    opp_no: Mapped[str] = mapped_column(ForeignKey("opportunities.no"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    submitter: Mapped[str] = mapped_column(String(40))
    evaluator: Mapped[str] = mapped_column(String(40))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(12))
    next_evaluator: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    opportunity: Mapped[Opportunity] = relationship(lazy="raise")


class CheckIn(Base):
    """签到 A check-in at a planned activity or task (mobile): who, when (CRM clock), place, coordinates."""
    __tablename__ = "check_ins"
    id: Mapped[int] = mapped_column(primary_key=True)
    doc_no: Mapped[str] = mapped_column(ForeignKey("documents.no"), index=True)
    user_login: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(120))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    document: Mapped[Document] = relationship(lazy="raise")


class SurveyResponse(Base):
    """问卷录入 One entered questionnaire: answers per question and the total score."""
    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_no: Mapped[str] = mapped_column(ForeignKey("documents.no"), index=True)
    customer_no: Mapped[str | None] = mapped_column(ForeignKey("customers.no"))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    answers: Mapped[dict] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    document: Mapped[Document] = relationship(lazy="raise")
    customer: Mapped[Customer | None] = relationship(lazy="raise")


class ValueModel(Base):
    """客户价值模型 Customer value model: dimension score ranges, weights, grades; draft → active."""
    __tablename__ = "value_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    bands: Mapped[dict] = mapped_column(JSON)
    weights: Mapped[dict] = mapped_column(JSON)
    grades: Mapped[list] = mapped_column(JSON)
    activated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(40))


class AuditLog(Base):
    """审计日志 Every change: who, role, when (simulated clock), what, status and field values before/after."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    user_login: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(30))
    doc_type: Mapped[str | None] = mapped_column(String(24))
    doc_no: Mapped[str | None] = mapped_column(String(20), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    #: how the action was done: ``desk`` (code in a notebook), ``ui`` (the ipywidgets client),
    #: ``mobile`` (the phone page of task 16) — see :data:`crmlab.system.engine.CHANNELS`
    channel: Mapped[str | None] = mapped_column(String(10), default="desk")
    #: hash chain over the log (:func:`audit_hash`, :meth:`crmlab.system.CRM.audit_chain_problems`): the previous
    #: row's hash and this row's, so a row edited, inserted or deleted by hand is noticed
    prev_hash: Mapped[str | None] = mapped_column(String(32))
    hash: Mapped[str | None] = mapped_column(String(32))


_CHAIN_FIELDS = ("at", "user_login", "role", "action", "doc_type", "doc_no", "from_status", "to_status", "before",
                 "after", "channel", "prev_hash")


def audit_hash(row) -> str:
    """The hash of one audit row — its content and the previous row's hash — as the log's chain
    stores it: SHA-256, 32 hex digits. A plain hash chain, not a signature: it notices a log edited
    by hand in a database browser (a row changed, inserted or deleted), not someone who recomputes it."""
    values = []
    for k in _CHAIN_FIELDS:
        v = row[k] if k in row else None
        if k == "at" and v is not None:
            v = v.isoformat() if hasattr(v, "isoformat") else str(v)
        values.append(v)
    text = json.dumps(values, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Counter(Base):
    """Document numbering: the last number used per document type (e.g. SJ000001)."""
    __tablename__ = "counters"
    doc_type: Mapped[str] = mapped_column(String(24), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Clock(Base):
    """The simulated clock (one row, ``id = 1``): part of the saved state, so a reopened database
    resumes where it stopped. Moved only by :meth:`crmlab.system.CRM.tick` / ``set_clock``."""
    __tablename__ = "clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[dt.datetime] = mapped_column(DateTime)


def schema() -> pd.DataFrame:
    """Every table and column (name, type, nullable, foreign key) as a DataFrame to print.

    >>> s = schema()
    >>> s.query("table == 'doc_links'")["column"].tolist()
    ['id', 'src_type', 'src_no', 'dst_type', 'dst_no', 'relation', 'at']
    """
    rows = []
    for table in Base.metadata.sorted_tables:
        for col in table.columns:
            fk = ", ".join(f.target_fullname for f in col.foreign_keys)
            rows.append({"table": table.name, "column": col.name, "type": str(col.type),
                         "nullable": bool(col.nullable), "primary_key": bool(col.primary_key),
                         "foreign_key": fk})
    return pd.DataFrame(rows)
