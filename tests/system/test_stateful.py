"""Property-based test (hypothesis RuleBasedStateMachine): random actions by random users.

After every step: no undeclared status, every push-down link consistent, totals equal their lines,
opportunity header and tab agree (``CRM.check_invariants``). Every refused action changed nothing;
every action that succeeded was allowed by the permission matrix for that user and document.
"""
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule, run_state_machine_as_test
from syshelpers import fingerprint

from crmlab import opportunity as op
from crmlab import system
from crmlab.system import permissions

USERS = ["zhangsan", "lisi", "lijingli", "wangzong", "zhaomin", "chenjing", "liugong", "admin"]
users = st.sampled_from(USERS)


def machine(url):
    class CRMMachine(RuleBasedStateMachine):
        opps = Bundle("opps")
        quotes = Bundle("quotes")

        def __init__(self):
            super().__init__()
            self.crm = system.open(url, demo=True)
            self.n = 0

        def teardown(self):
            if not url.startswith("sqlite://") or "/" in url[len("sqlite://"):]:
                self.crm.drop_schema()
            self.crm.close()

        # -- the oracle ----------------------------------------------------------------------
        def info(self, login):
            return self.crm._user(login)

        def attempt(self, login, area, action, doc_no, fn, also=()):
            """Run fn; a refusal must change nothing; a success must be allowed for this user."""
            u = self.info(login)
            owner = dept = None
            if doc_no is not None:
                d = self.crm.doc(doc_no)
                owner, dept = d["owner"], d.get("dept_id")
            before = fingerprint(self.crm)
            try:
                out = fn(self.crm.login(login))
            except (system.CRMError, op.OpportunityError):
                assert fingerprint(self.crm) == before
                return None
            own = owner is None or owner == login
            for a, b in ((area, action), *also):
                assert permissions.allowed(u.role, a, b, own=own, same_dept=dept is not None and dept == u.dept_id), \
                    (login, a, b, doc_no)
            return out

        # -- rules -----------------------------------------------------------------------------
        @rule(target=opps, user=users, with_lines=st.booleans())
        def lead_to_opportunity(self, user, with_lines):
            self.n += 1
            name = f"客户{self.n}"

            lead = self.attempt(user, "lead", "save", None,
                                lambda d: d.new_lead(f"{name} 意向", source="网站", customer_name=name,
                                                     contact_name="联系人"))
            if lead is None:
                return multiple()
            opp = self.attempt(user, "lead", "convert", lead,
                               lambda d: d.convert_lead(lead, new_customer=True, new_contact=True),
                               also=[("opportunity", "save")])
            if opp is None:
                return multiple()
            owner = self.crm.doc(opp)["owner"]
            desk = self.crm.login(owner)
            desk.set_potential(opp, expected_close="2024-06-30", source="网站", interest="高",
                               **({} if with_lines else {"expected_revenue": 50_000}))
            if with_lines:
                desk.add_interest(opp, "R740", qty=1, price=48_000)
            cust = self.crm.doc(opp)["customer_no"]
            self.crm.login("wangzong").audit(cust)
            self.crm.login("wangzong").set_trading(cust)
            return opp

        @rule(user=users, opp=opps, evaluator=users)
        def submit(self, user, opp, evaluator):
            self.attempt(user, "opportunity", "edit", opp, lambda d: d.submit_evaluation(opp, evaluator=evaluator))

        @rule(user=users, opp=opps, result=st.sampled_from(["forward", "reject", "pass", "fail"]), nxt=users)
        def evaluate(self, user, opp, result, nxt):
            evaluator = self.crm.doc(opp)["evaluator"]
            out = self.attempt(user, "opportunity", "evaluate", None,
                               lambda d: d.evaluate(opp, result, next_evaluator=nxt))
            if out is not None:
                assert user == evaluator

        @rule(user=users, opp=opps, kind=st.sampled_from(["activity", "task", "sample"]))
        def child(self, user, opp, kind):
            def fn(d):
                if kind == "activity":
                    return d.new_activity(opp, "拜访")
                if kind == "sample":
                    return d.new_sample(opp, [("R740", 1, 48_000)])
                return d.new_task(opp, "调研")
            out = self.attempt(user, kind, "save", opp, fn)
            if kind == "task" and out is not None:
                d = self.crm.login(user)
                d.assign_task(out, user)
                d.complete_task(out, actual_start=self.crm.now, actual_end=self.crm.now)

        @rule(target=quotes, user=users, opp=opps)
        def quote(self, user, opp):
            q = self.attempt(user, "quote", "save", opp, lambda d: d.new_quote_from_opportunity(opp))
            return q if q is not None else multiple()

        @rule(user=users, opp=opps, end=st.booleans())
        def advance(self, user, opp, end):
            self.attempt(user, "opportunity", "advance", opp, lambda d: d.advance(opp, end_stage_now=end))

        @rule(user=users, opp=opps, outcome=st.sampled_from(["win", "lose", "restore"]))
        def close(self, user, opp, outcome):
            def fn(d):
                if outcome == "win":
                    return d.win(opp, reason="中标", date=self.crm.now.date())
                if outcome == "lose":
                    return d.lose(opp, reason="价格")
                return d.restore(opp)
            self.attempt(user, "opportunity", "close", opp, fn)

        @rule(user=users, q=quotes)
        def audit_quote(self, user, q):
            self.attempt(user, "quote", "audit", q, lambda d: d.audit(q))

        @rule(user=users, q=quotes)
        def unaudit_quote(self, user, q):
            self.attempt(user, "quote", "audit", q, lambda d: d.unaudit(q))

        @rule(user=users, q=quotes)
        def contract(self, user, q):
            c = self.attempt(user, "contract", "save", q, lambda d: d.push_down(q, "contract"))
            if c is not None:
                assert self.crm.doc(c)["total"] == self.crm.doc(q)["total"]
                assert self.crm.doc(self.crm.doc(q)["ref_no"])["status"] == "won"          # R24

        @rule(hours=st.integers(1, 24 * 20))
        def tick(self, hours):
            self.crm.tick(hours=hours)

        @invariant()
        def consistent(self):
            assert self.crm.check_invariants() == []

    return CRMMachine


SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def test_random_action_sequences_sqlite():
    run_state_machine_as_test(machine("sqlite://"), settings=settings(max_examples=12, stateful_step_count=30,
                                                                       **SETTINGS))


def test_random_action_sequences_on_each_backend(db_url):
    run_state_machine_as_test(machine(db_url), settings=settings(max_examples=3, stateful_step_count=20, **SETTINGS))

