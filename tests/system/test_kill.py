"""A process killed (SIGKILL) in the middle of an action leaves no partial document.

The child process opens the database with ``CRMLAB_SYSTEM_PAUSE`` set: every action flushes its
rows, prints ``PAUSED_BEFORE_COMMIT`` and sleeps before committing. The parent kills it there and
checks that nothing of the action is in the database (SQLite rolls the journal back on the next
open; PostgreSQL aborts the transaction of the dropped connection), and that the database works on.
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
    from crmlab import system
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
    env = {**os.environ, "CRMLAB_SYSTEM_PAUSE": "30"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db_url, lead], stdout=subprocess.PIPE, env=env, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "PAUSED_BEFORE_COMMIT", line        # rows are flushed, not committed
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    crm = system.open(db_url)
    assert fingerprint(crm) == before                                # no opportunity, customer, contact, link or log
    assert crm.status(lead) == "saved"
    assert crm.customers().query("name == '江南重工集团'").empty
    assert crm.check_invariants() == []
    opp = crm.login("zhangsan").convert_lead(lead, new_customer=True, new_contact=True)    # and it still works
    assert crm.status(opp) == "potential"
    crm.close()
