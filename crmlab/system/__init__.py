"""A simulated ERP-style CRM (模拟 Kingdee K/3 WISE CRM) for learning situation 4 (tasks 12–15).

One database (SQLAlchemy 2: a SQLite file by default, or PostgreSQL by URL), users with roles,
Kingdee-style documents with one declared lifecycle (save → audit → close, multi-level audit,
un-audit, push-down 下推), the customer archive (客户档案: three levels of customer data, contacts
with decision roles, credit records, 潜在/现有/旧客户 cards), and the textbook's flows:

* task 12 初始化设置 — users, home-page schemes, competitors, sales methods and stages,
  knowledge types, service levels, the survey question bank;
* task 13 市场与商机 — survey → activity → intelligence, lead → opportunity, evaluation, stages
  了解情况 → … → 签约阶段 with activities, tasks, quotes and samples, win / loss;
* task 14 销售与服务 — price list → quote → contract (payment plan) → project; product archive,
  service request → dispatch → accept → handle; service quotation → 下推 → service contract;
  customer care;
* task 15 客户与分析 — customer import (客户引入, :meth:`Desk.import_customers`), audit and 交易客户,
  the value model and pyramid, reports.

The opportunity's stages, probabilities and stage guards are those of :mod:`crmlab.opportunity`
(:data:`crmlab.sales_method.DEFAULT_METHOD`; the days, probabilities and conditions are crmlab's
defaults — the textbook prints none). Every rule R1–R35 of the digest is enforced and tested.

Every document carries a ``version`` for optimistic locking (``expected_version=`` on the actions,
:class:`StaleRecord`); :meth:`Desk.documents` / :meth:`Desk.get` apply the read record rules;
:meth:`Desk.my_schedule` and :meth:`Desk.check_in` serve the mobile page; :meth:`CRM.batch` runs
many actions in one transaction (a savepoint per action).

Modules: :mod:`~crmlab.system.engine` (:func:`open`, :class:`CRM`, :class:`Desk`),
:mod:`~crmlab.system.lifecycle` (the declared lifecycle), :mod:`~crmlab.system.permissions`,
:mod:`~crmlab.system.models` (the schema), :mod:`~crmlab.system.reports`,
:mod:`~crmlab.system.demo`, :mod:`~crmlab.system.errors`.

Example
-------
>>> from crmlab import system
>>> crm = system.open(":memory:", demo=True)        # schema + demo company in one call
>>> zs, lj = crm.login("zhangsan"), crm.login("lijingli")
>>> lead = zs.new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
>>> opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
>>> zs.set_potential(opp, expected_close="2024-06-30", source="市场活动", interest="高")
>>> zs.add_interest(opp, "R740", qty=2, price=48_000), zs.add_interest(opp, "FW-3000", qty=1, price=36_000)
(96000.0, 132000.0)
>>> zs.submit_evaluation(opp, evaluator="lijingli")
'evaluating'
>>> lj.evaluate(opp, "通过，评估结束")
'open'
>>> d = crm.doc(opp)
>>> d["stage"], d["probability"], d["status_zh"]
('understanding', 0.1, '执行中')
>>> try:
...     zs.advance(opp, end_stage_now=True)      # 了解情况 is strictly controlled: one activity first
... except system.ConditionsNotMet as err:
...     print(err.code, err.unmet)
CONDITION_NOT_MET (('activity', 1, 0),)
>>> crm.status(opp)                               # refused: nothing changed
'执行中'
"""
from . import demo, lifecycle, models, permissions, reports
from .engine import CRM, DEFAULT_CLOCK, DEFAULT_FILE, Desk, open
from .errors import (ConditionsNotMet, Conflict, CRMError, GuardFailed, IllegalTransition, InvalidValue, NotFound,
                     PermissionDenied, ReadOnly, StaleRecord)
from .lifecycle import lifecycle_table, push_down_table
from .permissions import permission_table
from . import mobile  # task 16: the phone page (Voila), see crmlab/system/mobile.py

__all__ = ["open", "CRM", "Desk", "DEFAULT_CLOCK", "DEFAULT_FILE", "CRMError", "PermissionDenied",
           "IllegalTransition", "GuardFailed", "ReadOnly", "NotFound", "StaleRecord", "InvalidValue", "Conflict", "ConditionsNotMet",
           "lifecycle_table", "push_down_table", "permission_table", "lifecycle", "models", "permissions", "reports",
           "demo"]
