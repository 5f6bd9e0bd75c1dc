"""Helpers of the crmlab.system tests (imported as ``syshelpers``)."""
import datetime as dt

import pytest

from helpers import bilingual


def table_counts(crm) -> dict:
    """Rows per table: a fingerprint showing that a refused action changed nothing."""
    import sqlalchemy as sa

    from crmlab.system import models as m
    with crm.engine.connect() as con:
        return {t.name: con.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                for t in m.Base.metadata.sorted_tables}


def fingerprint(crm) -> tuple:
    """Row counts plus every document's status and total and every opportunity's stage."""
    import sqlalchemy as sa

    from crmlab.system import models as m
    with crm.engine.connect() as con:
        docs = con.execute(sa.select(m.Document.no, m.Document.status, m.Document.total, m.Document.updated_at)
                           .order_by(m.Document.no)).all()
        opps = con.execute(sa.select(m.Opportunity.no, m.Opportunity.status, m.Opportunity.stage,
                                     m.Opportunity.probability, m.Opportunity.expected_revenue)
                           .order_by(m.Opportunity.no)).all()
        custs = con.execute(sa.select(m.Customer.no, m.Customer.status, m.Customer.card_type, m.Customer.is_trading,
                                      m.Customer.value_grade).order_by(m.Customer.no)).all()
    return tuple(sorted(table_counts(crm).items())), tuple(docs), tuple(opps), tuple(custs)


def new_opportunity(crm, name="江南重工集团", rep="zhangsan", lines=(("R740", 2, 48_000), ("FW-3000", 1, 36_000)),
                    trading=True):
    """Lead → convert → (audit + trading customer) → 潜在机会 filled in; returns (opp, customer)."""
    zs = crm.login(rep)
    lead = zs.new_lead(f"{name} 服务器购买意愿", source="市场活动", customer_name=name, contact_name="钱工")
    opp = zs.convert_lead(lead, new_customer=True, new_contact=True)
    cust = crm.doc(opp)["customer_no"]
    if trading:
        lj = crm.login("lijingli")
        lj.audit(cust)
        lj.set_trading(cust)
    zs.set_potential(opp, expected_close=crm.now.date() + dt.timedelta(days=90), source="市场活动", interest="高",
                     need="替换老旧服务器")
    for product, qty, price in lines:
        zs.add_interest(opp, product, qty=qty, price=price)
    return opp, cust


def open_opportunity(crm, name="江南重工集团", rep="zhangsan", **kw):
    """An opportunity evaluated to 执行中 (stage 了解情况)."""
    opp, cust = new_opportunity(crm, name, rep, **kw)
    crm.login(rep).submit_evaluation(opp, evaluator="lijingli")
    crm.login("lijingli").evaluate(opp, "pass")
    crm.tick(hours=1)
    return opp, cust


def to_signing(crm, opp, rep="zhangsan"):
    """Walk an open opportunity through the four stage pushes (activity, task, quote, sample)."""
    zs = crm.login(rep)
    zs.new_activity(opp, "初次拜访")
    zs.advance(opp, end_stage_now=True)
    task = zs.new_task(opp, "机房环境调研")
    zs.assign_task(task, rep)
    zs.complete_task(task, actual_start=crm.now, actual_end=crm.now)
    zs.advance(opp, end_stage_now=True)
    quote = zs.new_quote_from_opportunity(opp)
    zs.advance(opp, end_stage_now=True)
    zs.new_sample(opp, [("R740", 1, 48_000)])
    zs.advance(opp, end_stage_now=True)
    return quote


def refused(crm, exc, fn, *args, code=None, **kw):
    """Assert that fn(*args) raises exc (with code) and changes nothing."""
    before = fingerprint(crm)
    with pytest.raises(exc) as info:
        fn(*args, **kw)
    if code is not None:
        assert info.value.code == code, info.value.code
    bilingual(info)                                          # 中文 / English
    assert fingerprint(crm) == before
    return info.value
