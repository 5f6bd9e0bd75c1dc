"""How an action was done (the audit log's channel: code, the desktop client, the phone page) and the
log's hash chain, which notices rows edited, inserted, deleted or stripped of their hash by hand
(e.g. in a SQLite browser). On SQLite and PostgreSQL, and for a database file made before both."""
import sqlite3

import pytest
from sqlalchemy import text

from crmlab import check, system
from crmlab.system import mobile
from crmlab.system import ui

from helpers import bilingual


def _lead(desk, n=1):
    return desk.new_lead(f"意向{n}", source="网站", customer_name=f"客户{n}", contact_name="钱工")


def test_each_channel_is_written_in_the_log(crm):
    _lead(crm.login("zhangsan"), 1)
    mobile.MobileSession(crm, "zhangsan").desk.new_lead("手机上录的线索", source="网站", customer_name="乙",
                                                        contact_name="丙")
    _lead(crm.login("lisi", channel="ui"), 3)
    log = crm.audit_log(action="new_lead")
    assert log["channel"].tolist() == ["desk", "mobile", "ui"]
    check.crm.audit(crm, "new_lead", user="zhangsan", channel="mobile", count=1)
    with pytest.raises(AssertionError, match="渠道"):
        check.crm.audit(crm, "new_lead", user="lisi", channel="mobile")


def test_the_desktop_client_logs_its_clicks_as_ui():
    crm = system.open(":memory:", demo=True)
    client = ui.app(crm, "zhangsan")
    assert client.desk.channel == "ui"
    client.switch_user("lisi")
    assert client.desk.channel == "ui"


def test_an_unknown_channel_is_refused():
    crm = system.open(":memory:", demo=True)
    with pytest.raises(system.GuardFailed) as info:
        crm.login("zhangsan", channel="email")
    bilingual(info.value)
    assert crm.audit_log()["action"].tolist() == ["seed_demo"]


def test_the_chain_holds_after_a_whole_flow(crm):
    system.demo.full_flow(crm, "甲公司")
    assert crm.audit_chain_problems() == []
    check.crm.consistent(crm)
    log = crm.audit_log()
    assert log["prev_hash"].iloc[1:].tolist() == log["hash"].iloc[:-1].tolist()


@pytest.mark.parametrize("forgery, words", [
    ("UPDATE audit_log SET user_login = 'lisi' WHERE action = 'convert_lead'", "写入后被改动过"),
    ("UPDATE audit_log SET channel = 'mobile' WHERE action = 'convert_lead'", "写入后被改动过"),
    ("DELETE FROM audit_log WHERE action = 'new_lead'", "被删除或插入过"),
    ("INSERT INTO audit_log (at, user_login, role, action, channel, prev_hash, hash) "
     "SELECT at, user_login, role, 'win', channel, hash, hash FROM audit_log ORDER BY id DESC LIMIT 1", "被改动过"),
    ("UPDATE audit_log SET hash = NULL, prev_hash = NULL WHERE action = 'audit'", "没有哈希"),
])
def test_a_log_edited_by_hand_is_noticed(crm, forgery, words):
    system.demo.full_flow(crm, "甲公司")
    with crm.engine.begin() as con:
        con.execute(text(forgery))
    problems = crm.audit_chain_problems()
    assert problems and any(words in p for p in problems), problems
    for p in problems:
        bilingual(p)
    with pytest.raises(AssertionError, match="数据一致性"):
        check.crm.consistent(crm)


def test_a_reopened_file_goes_on_with_the_chain(tmp_path):
    path = tmp_path / "crm.db"
    crm = system.open(path, demo=True)
    _lead(crm.login("zhangsan"), 1)
    crm.close()
    again = system.open(path)
    _lead(again.login("zhangsan"), 2)
    assert again.audit_chain_problems() == []
    assert len(again.audit_log()) == 3


def test_a_database_from_before_the_chain_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    crm = system.open(path, demo=True)
    _lead(crm.login("zhangsan"), 1)
    crm.close()
    con = sqlite3.connect(path)                 # what an older crmlab wrote: no channel, no hashes
    for column in ("channel", "prev_hash", "hash"):
        con.execute(f"ALTER TABLE audit_log DROP COLUMN {column}")
    con.commit()
    con.close()
    again = system.open(path)
    _lead(again.login("zhangsan", channel="mobile"), 2)
    log = again.audit_log()
    assert log["channel"].isna().tolist() == [True, True, False] and log["channel"].iloc[-1] == "mobile"
    assert again.audit_chain_problems() == []
