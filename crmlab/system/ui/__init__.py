"""Interactive CRM in JupyterLab: the simulated Kingdee K/3 WISE CRM as menus, lists and forms.

The textbook's students click through menus and forms; so can ours. ``ui.app(crm, user)`` shows
the menu tree 所有功能 → 客户关系管理 → 市场管理 / 商机管理 / 销售过程 / 服务管理 / 客户管理 /
决策分析 / 系统管理 (textbook situation 4, tasks 12–15), list views with filters, and a form per
document with the textbook's buttons (新增, 保存, 审核, 下推, 转化, 提交评估, 评估, 阶段推进, 赢单,
分配, 派工, 接受, 处理). Each button is declared as data (:mod:`~crmlab.system.ui.spec`) and calls
:class:`~crmlab.system.Desk` actions in one transaction: a refused action shows the engine's
bilingual error inline in the form and changes nothing. Labels are Chinese by default (as in the
textbook) or English (the 中文 / English switch, or ``lang="en"``).

Modules: :mod:`~crmlab.system.ui.spec` (menu, forms, buttons, reports as data),
:mod:`~crmlab.system.ui.widgets` (generic form, list and report components),
:mod:`~crmlab.system.ui.app` (the frame).

Example
-------
>>> from crmlab import system
>>> from crmlab.system import ui
>>> crm = system.open(":memory:", demo=True)
>>> app = ui.app(crm, "zhangsan")                  # in JupyterLab: display(app) or end the cell with it
>>> lead = app.open("lead")                        # 市场管理 → 线索管理 (same as app.menu["lead"].click())
>>> lead.widgets["subject"].value = "服务器购买意愿"
>>> lead.widgets["source"].value = "市场活动"
>>> lead.widgets["customer_name"].value, lead.widgets["contact_name"].value = "江南重工集团", "钱工"
>>> lead.buttons["save"].click()
>>> lead.no, crm.status(lead.no)
('XS000001', '已保存')
>>> lead.buttons["convert"].click()                # 转化 without ticking 新增客户: refused inline
>>> print(lead.message)
✗ [CUSTOMER_NOT_ON_FILE] 客户 江南重工集团 不存在，请勾选【新增客户】 / customer '江南重工集团' is not on file: tick new_customer
>>> crm.status(lead.no), len(crm.documents(doc_type="opportunity"))
('已保存', 0)
>>> lead.widgets["new_customer"].value = lead.widgets["new_contact"].value = True
>>> lead.buttons["convert"].click()                # 转化 opens the new opportunity
>>> app.form.no, crm.status(app.form.no)
('SJ000001', '未评估')
"""
from . import spec
from .app import App, app
from .spec import FORMS, MENU, REPORTS, button_table, field_table, menu_table
from .widgets import FormView, ListView, ReportView, StaleRecord

__all__ = ["app", "App", "FormView", "ListView", "ReportView", "StaleRecord", "FORMS", "MENU", "REPORTS",
           "button_table", "field_table", "menu_table", "spec"]
