"""Complaint management (客户投诉管理): record, typology, 8-step workflow, routing, KPIs, Ctrip case.

Textbook task 10:

- §10.1.2 the complaint typology (客户投诉的类型) on four independent dimensions — severity,
  cause, behaviour, purpose — :data:`TYPOLOGY`, :func:`typology`, :class:`ComplaintRecord`;
- §10.2.3 the eight-step handling process (客户投诉处理流程) as a declared state machine —
  :data:`TRANSITIONS`, :func:`transition_table`, :class:`ComplaintWorkflow`, :func:`replay`,
  :func:`complaint_flowchart`; step 3's routing examples — :func:`route`;
- §10.2.4 the five handling methods — :data:`HANDLING_METHODS`;
- step 4 (analyse causes) and step 8 (lower the complaint rate) as analytics —
  :func:`complaint_rate`, :func:`hours_to_close`, :func:`sla_share`, :func:`pareto_of_causes`,
  :func:`complaint_kpis`;
- §10.1.3 the 91 % / 18 % figures — :func:`customers_lost`;
- 拓展学习 the Ctrip fake-insurance case — :data:`CTRIP_TIMELINE`, :func:`ctrip_case`.

The shipped ``complaints`` dataset uses English category codes (product_quality, delivery,
installation, service_attitude, price, billing); :data:`DATASET_CATEGORIES` maps them onto the
textbook's cause types and departments. Every label input also accepts the textbook's Chinese.

The package keeps one module per concept: ``_errors``, ``_typology``, ``_records``, ``_workflow``,
``_routing``, ``_kpis``, ``_ctrip`` and ``_answers``. Use the names from here.

Example
-------
>>> from crmlab import complaints
>>> complaints.route("运输问题")
'储运部'
>>> complaints.typology("cause", "delivery")
'service'
>>> rec = complaints.ComplaintRecord("CP1", "C001", "2024-03-01 09:00", target="O17", demand="换货")
>>> wf = complaints.ComplaintWorkflow(rec)
>>> wf.record(at="2024-03-01 09:05").validate(at="2024-03-01 10:00").state
'validated'
>>> wf.approve(by="王经理")
Traceback (most recent call last):
...
crmlab.complaints._errors.InvalidTransition: 不能在状态“已判定成立”下执行“approve”；当前可执行：route。 / cannot 'approve' a complaint in state 'validated'; allowed now: route.
"""
# One module per concept (crmlab/complaints/_*.py); every name is re-exported here, as before the split.
from ._errors import ComplaintError, InvalidTransition
from ._typology import (
    DATASET_CATEGORIES, DATASET_SEVERITY, PURPOSE_ESCALATION, REMEDIES, TYPOLOGY, typology, typology_table,
)
from ._records import ComplaintRecord, records_from_frame
from ._workflow import ComplaintWorkflow, Transition, complaint_flowchart, replay, transition_table
from ._routing import DEFAULT_ROUTING, route, route_complaints
from ._kpis import complaint_kpis, complaint_rate, customers_lost, hours_to_close, pareto_of_causes, sla_share
from ._ctrip import CTRIP_TIMELINE, ctrip_case, uncovered_minutes
from ._answers import _ANSWER_KEYS

__all__ = [
    "ComplaintError",
    "TYPOLOGY", "typology", "typology_table", "DATASET_CATEGORIES", "DATASET_SEVERITY",
    "PURPOSE_ESCALATION", "REMEDIES",
    "ComplaintRecord", "records_from_frame",
    "InvalidTransition", "Transition", "transition_table",
    "ComplaintWorkflow", "replay", "complaint_flowchart",
    "DEFAULT_ROUTING", "route", "route_complaints",
    "complaint_rate", "hours_to_close", "sla_share", "pareto_of_causes", "complaint_kpis",
    "customers_lost", "CTRIP_TIMELINE", "uncovered_minutes", "ctrip_case",
]


def __getattr__(name: str):
    """``COMPLAINT_STEPS``, ``TRANSITIONS``, ``STATES``, ``CANONICAL_EDGES``, ``GUARDS``, ``HANDLING_METHODS`` and
    ``CTRIP_VIOLATIONS``: read through a recorded accessor (they hold lab answers: the order of the steps)."""
    if name in _ANSWER_KEYS:
        return _ANSWER_KEYS[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
