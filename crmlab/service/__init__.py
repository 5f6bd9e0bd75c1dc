"""Customer service (客户服务管理): service stages, an after-sales archive with 三包, schedules, standards.

Textbook task 11:

- §11.2 service by time — pre-sale, in-sale and after-sale (售前、售中、售后服务):
  :data:`SERVICE_ACTIVITIES`, :func:`service_stage`, :func:`classify_service`,
  :func:`stage_mismatches`, :func:`service_summary`; §11.1.1 the three service levels
  :data:`SERVICE_LEVELS`;
- §11.2.3 and the 实训 (build an after-sales electronic archive, 售后服务电子档案):
  :class:`AfterSalesArchive` — SQLAlchemy 2 ORM, a SQLite file by default, any SQLAlchemy URL
  (e.g. PostgreSQL) accepted — with warranty status and the 三包 rule
  (:func:`three_guarantees_decision`), follow-ups (及时回访) and birthday greetings
  (:func:`followup_schedule`, :func:`birthday_schedule`);
- §11.3 service standards — hardware, software, people (服务硬件、服务软件、服务人员):
  :data:`SERVICE_STANDARD_ITEMS`, :func:`service_standard_score`, :func:`service_standard_table`;
- 任务引入 王永庆卖米: :func:`rice_run_out`, :func:`next_delivery`, :func:`rice_delivery_plan`.

The package keeps one module per concept: ``_stages``, ``_models`` (archive tables), ``_warranty``
(三包, schedules), ``_archive`` (:class:`AfterSalesArchive`), ``_standards``, ``_rice`` and ``_answers``.
Use the names from here.

Example
-------
>>> from crmlab import service
>>> service.service_stage("免费调试安装"), service.service_stage("consultation", lang="en")
('售中服务', 'pre_sale')
>>> service.next_delivery("2024-03-01", kg_delivered=20, household_size=4, kg_per_person_month=5)
Timestamp('2024-03-30 00:00:00')
>>> with service.AfterSalesArchive(":memory:") as archive:
...     archive.add_customer("C1", "张三", birthday="1990-05-20")
...     archive.add_sale("S1", "C1", "空调 KF-35", "2024-01-10", warranty_months=12)
...     _ = archive.log_event("S1", "2024-03-01", "维修", resolved=False)
...     _ = archive.log_event("S1", "2024-04-01", "维修", resolved=False)
...     archive.three_guarantees_decision("S1", on_date="2024-04-02")["decision"]
'exchange_or_refund'
"""
# One module per concept (crmlab/service/_*.py); every name is re-exported here, as before the split.
from ._errors import ServiceError
from ._stages import SERVICE_LEVELS, STAGES, classify_service, service_stage, service_summary, stage_mismatches
from ._models import EVENT_KIND, EVENT_KINDS, Customer, FollowUp, Sale, ServiceEvent, _Base, _kind
from ._warranty import birthday_schedule, followup_schedule, three_guarantees_decision, warranty_end
from ._archive import AfterSalesArchive
from ._standards import SERVICE_STANDARD_ITEMS, service_standard_score, service_standard_table
from ._rice import next_delivery, rice_delivery_plan, rice_run_out
from ._answers import _read_service_activities

__all__ = [
    "ServiceError",
    "STAGES", "SERVICE_LEVELS", "service_stage", "classify_service",
    "stage_mismatches", "service_summary",
    "EVENT_KINDS", "AfterSalesArchive", "warranty_end", "three_guarantees_decision",
    "followup_schedule", "birthday_schedule",
    "SERVICE_STANDARD_ITEMS", "service_standard_score", "service_standard_table",
    "rice_run_out", "next_delivery", "rice_delivery_plan",
]


def __getattr__(name: str):
    """``SERVICE_ACTIVITIES`` (activity → stage) is read through a recorded accessor (it holds a lab answer)."""
    if name == "SERVICE_ACTIVITIES":
        return _read_service_activities()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
