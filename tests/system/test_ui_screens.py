"""The CRM client's screens over the living demo company: names not logins, nothing shown as None,
reports with Chinese column names and formatted numbers (issue 20, "screens without raw values")."""
import re

import pytest

from crmlab import system
from crmlab.system import demo_company, ui
from crmlab.system.ui import spec

LOGINS = ("zhangsan", "lisi", "lijingli", "wangzong", "chenjing", "liugong", "sungong", "zhaomin", "zhougong")


@pytest.fixture(scope="module")
def company():
    crm = demo_company.open(":memory:")
    yield crm
    crm.close()


def _cells(html: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", html, flags=re.S)


@pytest.mark.parametrize("user", ["zhangsan", "chenjing", "admin"])
def test_every_list_shows_names_and_no_none(company, user):
    app = ui.app(company, user)
    for target in spec.FORMS:
        app.open(target)
        cells = _cells(app.list.table.value)
        assert "None" not in cells and "nan" not in cells and "NaT" not in cells, target
        if spec.FORMS[target].source == "documents":
            assert not set(cells) & set(LOGINS), target           # 负责人 by name: 张三, not zhangsan


def test_the_rep_sees_a_company_at_work(company):
    app = ui.app(company, "zhangsan")
    for target in ("lead", "intelligence", "opportunity", "activity", "task", "sample", "price_list", "quote",
                   "contract", "product_archive", "service_request", "customer", "competitor", "question"):
        app.open(target)
        assert len(app.list.frame()) > 0, target
    app.open("lead")
    cells = _cells(app.list.table.value)
    assert "张三" in cells and "" in cells                         # an empty 客户 / 源单编号 shows nothing
    opts = [label for label, _ in app.list.status.options]
    assert opts[0] == "全部" and {"已保存", "已转化"} <= set(opts)     # the 状态 filter offers the statuses
    app.list.status.value = "converted"
    assert app.list.frame()["status"].tolist() == ["已转化"]
    lj = ui.app(company, "lijingli")                               # 待处理 on the home page, in words
    assert "<td>商机评估</td>" in lj.home.value and "江北新区数据中心建设" in lj.home.value


@pytest.mark.parametrize("key, zh, en", [
    ("win_rate", ["赢单数", "输单数", "成交率"], ["Won", "Lost", "Win rate"]),
    ("funnel", ["阶段", "成交概率", "数量", "金额", "加权金额"], ["Stage", "Probability", "Count", "Amount", "Weighted amount"]),
    ("pyramid", ["价值等级", "数量", "价值得分合计", "客户数占比", "价值占比"], ["Value grade", "Count", "Total value score",
                                                                 "Share of customers", "Share of value"]),
])
def test_reports_have_labelled_columns_and_formatted_numbers(company, key, zh, en):
    app = ui.app(company, "wangzong")
    app.open(f"report:{key}")
    html = app.reports.table.value
    assert re.findall(r"<th>(.*?)</th>", html) == zh
    assert re.search(r"<td>\d+\.\d%</td>", html)                  # a share as a percentage
    app.set_lang("en")
    assert re.findall(r"<th>(.*?)</th>", app.reports.table.value) == en


def test_funnel_rows_are_the_stages_in_order_by_name(company):
    app = ui.app(company, "wangzong", lang="zh")
    app.open("report:funnel")
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", app.reports.table.value)
    assert rows == ["了解情况", "预研阶段", "制作方案", "投标阶段", "签约阶段"]
    assert "1,238,300" in app.reports.table.value or re.search(r"<td>\d{1,3}(,\d{3})+</td>", app.reports.table.value)


def test_a_win_rate_with_nothing_decided_shows_a_dash_not_a_blank():
    crm = system.open(":memory:", demo=True)
    app = ui.app(crm, "zhangsan")
    app.open("report:win_rate")
    assert re.findall(r"<td>(.*?)</td>", app.reports.table.value) == ["0", "0", "—"]


def test_the_default_client_is_the_demo_company_as_zhangsan():
    app = ui.app()
    assert repr(app) == "<crmlab CRM app: 张三 (zhangsan, 业务员) · lang=zh · home>"
    assert str(app.crm.now) == f"{demo_company.TODAY} 08:30:00"
    app.crm.close()
