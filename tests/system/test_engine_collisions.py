"""Concurrent writers: document numbers taken from many connections at once never collide, and a
unique-key collision ends as a bilingual Conflict (never a raw IntegrityError) after the engine's
one retry policy. Each on SQLite and PostgreSQL."""
import threading

import pytest
import sqlalchemy as sa

from crmlab import system
from crmlab.system import engine
from crmlab.system import models as m


# -- document numbers from many connections at once ------------------------------------------------
def test_documents_numbered_at_once_by_many_connections_never_collide(db_url):
    system.open(db_url, demo=True).close()
    n_threads, n_each = 4, 8
    crms = [system.open(db_url) for _ in range(n_threads)]
    start = threading.Barrier(n_threads)
    made, errors = [], []

    def work(i):
        desk = crms[i].login("zhangsan")
        start.wait()
        try:
            for j in range(n_each):   # the lead counter row does not exist yet: created race-free too
                made.append(desk.new_lead(f"意向 {i}-{j}", source="网站", customer_name=f"客户{i}-{j}",
                                          contact_name="钱工"))
        except Exception as err:     # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in crms:
        c.close()
    assert errors == []
    assert len(made) == len(set(made)) == n_threads * n_each
    crm = system.open(db_url)
    assert sorted(crm.documents(doc_type="lead")["no"]) == sorted(made)
    assert crm.table("counters").set_index("doc_type").loc["lead", "last"] == n_threads * n_each
    crm.close()


def test_a_unique_key_collision_is_a_conflict_not_an_integrity_error(crm):
    zs = crm.login("zhangsan")
    zs.new_lead("甲", source="网站", customer_name="甲", contact_name="乙")
    with crm.engine.begin() as con:                           # a counter behind its documents
        con.execute(sa.update(m.Counter).where(m.Counter.doc_type == "lead").values(last=0))
    before = len(crm.audit_log())
    with pytest.raises(system.Conflict) as info:
        zs.new_lead("乙", source="网站", customer_name="乙", contact_name="丙")
    assert isinstance(info.value, system.CRMError) and info.value.code == "CONFLICT"
    assert "请重试" in str(info.value)
    assert len(crm.audit_log()) == before and len(crm.documents(doc_type="lead")) == 1


# -- the one retry policy ---------------------------------------------------------------------------
class _Deadlock(Exception):
    sqlstate = "40P01"


def _operational(orig) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("UPDATE counters", {}, orig)


def test_the_retry_policy_tells_collisions_from_errors():
    unique = sa.exc.IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: counters.doc_type"))
    not_null = sa.exc.IntegrityError("INSERT", {}, Exception("NOT NULL constraint failed: customers.name"))
    assert engine._collision(unique) and not engine._collision(not_null)
    assert engine._collision(_operational(_Deadlock("deadlock detected")))
    assert engine._collision(_operational(Exception("database is locked")))
    assert not engine._collision(_operational(Exception("unable to open database file")))
    assert all(0 <= engine._backoff(k) <= 0.005 * 2 ** k for k in range(engine.RETRIES))


def test_a_collision_is_tried_again_then_said_as_a_conflict(crm, monkeypatch):
    monkeypatch.setattr(engine, "_backoff", lambda attempt: 0)
    zs = crm.login("zhangsan")
    tries = []

    def collide_once(c):
        tries.append(c.user.login)
        if len(tries) == 1:
            raise _operational(_Deadlock("deadlock detected"))
        return "done"
    assert crm._run("zhangsan", collide_once) == "done" and len(tries) == 2

    def always(c):
        tries.append(c.user.login)
        raise _operational(_Deadlock("deadlock detected"))
    tries.clear()
    with pytest.raises(system.Conflict) as info:
        crm._run("zhangsan", always)
    assert len(tries) == engine.RETRIES and info.value.code == "CONFLICT" and "请重试" in str(info.value)

    def broken(c):
        tries.append(c.user.login)
        raise _operational(Exception("disk I/O error"))
    tries.clear()
    with pytest.raises(sa.exc.OperationalError):         # not a collision: raised at once, not retried
        crm._run("zhangsan", broken)
    assert len(tries) == 1
    assert zs.new_lead("甲", source="网站", customer_name="甲", contact_name="乙").startswith("XS")
