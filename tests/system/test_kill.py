"""A process killed (SIGKILL) in the middle of an action leaves no partial document.

The child process installs its own pause: a SQLAlchemy ``before_commit`` listener on every ORM
session of that process, which counts the action's opportunity inside the still-open transaction
(its rows are written), prints ``PAUSED_BEFORE_COMMIT n`` and sleeps before the commit. The parent
kills it there and checks that nothing of the action is in the database (SQLite rolls the journal
back on the next open; PostgreSQL aborts the transaction of the dropped connection), and that the
database works on. The engine itself has no test hook.
"""
import os
import signal
import subprocess
import sys
import textwrap

from syshelpers import fingerprint

from crmlab import system

CHILD = textwrap.dedent("""
    import sys
    import time
    from sqlalchemy import event, text
    from sqlalchemy.orm import Session
    from crmlab import system

    @event.listens_for(Session, "before_commit")
    def pause(session):                 # the action's rows are flushed, the transaction still open
        n = session.execute(text("SELECT count(*) FROM opportunities")).scalar_one()
        print("PAUSED_BEFORE_COMMIT", n, flush=True)
        time.sleep(30)

    crm = system.open(sys.argv[1])
    zs = crm.login("zhangsan")
    zs.convert_lead(sys.argv[2], new_customer=True, new_contact=True)   # pauses before commit
    print("COMMITTED", flush=True)
""")


def test_killed_mid_action_leaves_no_partial_document(db_url):
    crm = system.open(db_url, demo=True)
    lead = crm.login("zhangsan").new_lead("服务器购买意愿", source="市场活动", customer_name="江南重工集团",
                                          contact_name="钱工")
    before = fingerprint(crm)
    crm.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, lead], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.split() == ["PAUSED_BEFORE_COMMIT", "1"], line  # the opportunity is written, not committed
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    crm = system.open(db_url)
    assert fingerprint(crm) == before                                # no opportunity, customer, contact, link or log
    assert crm.status(lead, lang="en") == "saved"
    assert crm.customers().query("name == '江南重工集团'").empty
    assert crm.check_invariants() == []
    opp = crm.login("zhangsan").convert_lead(lead, new_customer=True, new_contact=True)    # and it still works
    assert crm.status(opp, lang="en") == "potential"
    crm.close()
