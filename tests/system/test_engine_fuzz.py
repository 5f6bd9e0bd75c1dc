"""Random junk into every action (issue 17): whatever the values, an action either succeeds or
raises a bilingual CRM error (or ConditionsNotMet) and changes nothing — never a raw database,
driver or Python error. Hypothesis picks the action, the acting user and every argument (valid
document numbers mixed with NaN, infinities, huge numbers, NUL bytes, 10,000-character text, sets,
bytes, objects, nested JSON …). On SQLite and PostgreSQL.
"""
import datetime as dt
import inspect

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlab import opportunity as op
from crmlab import system
from crmlab.system.demo import full_flow

from syshelpers import fingerprint

#: Desk members that read (not actions) or need a DataFrame.
NOT_ACTIONS = {"documents", "get", "my_schedule", "user", "login", "crm"}
ACTIONS = sorted(n for n, f in inspect.getmembers(system.Desk, callable)
                 if not n.startswith("_") and n not in NOT_ACTIONS)
USERS = ["zhangsan", "lijingli", "wangzong", "admin", "zhaomin", "chenjing", "liugong", "zhougong", "lisi"]

_scalar = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e200, -1e200, 0, -1, 12345, 1.5]),
    st.text(max_size=12),
    st.builds(lambda n: "长" * n, st.sampled_from([121, 10_000])),
    st.sampled_from(["", " ", "now", "today", "abc", "\x00", "a\x00b", "2024-06-30",
                     "2024-03-01 10:00", "R740", "PSU", "KH000001", "SJ000001", "高", "决策者", "SL01",
                     "zhangsan", "lijingli", "通过，评估结束", "forward", "pass", "现有客户", "former", "quote",
                     "contract", "单选题", "是"]),
    st.binary(max_size=4),
    st.dates(min_value=dt.date(1, 1, 1)), st.datetimes(min_value=dt.datetime(1, 1, 1)),
    st.just(object()), st.just({1, 2}), st.just(frozenset()),
)
_junk = st.recursive(_scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.tuples(inner, inner, inner),
                                                        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.none()),
                                                                        inner, max_size=3)),
                     max_leaves=6)


def _world(crm):
    if not hasattr(crm, "_fuzz_world"):
        w = full_flow(crm, "甲方科技")
        zm = crm.login("zhaomin")
        q = zm.add_question("满意吗", "判断题")
        w["survey"] = zm.new_survey("满意度")
        w["question"] = q
        crm._fuzz_world = sorted({str(v) for v in w.values()})
    return crm._fuzz_world


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_junk_into_every_action_is_refused_cleanly(crm, data):
    numbers = _world(crm)
    name = data.draw(st.sampled_from(ACTIONS), label="action")
    login = data.draw(st.sampled_from(USERS), label="user")
    desk = crm.login(login)
    method = getattr(desk, name)
    args, kwargs = [], {}
    for p in inspect.signature(method).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            extra = data.draw(st.dictionaries(st.sampled_from(["industry", "subject", "need", "status", "owner_id",
                                                               "main_needs", "birth_date", "plan_start", "x"]),
                                              _junk, max_size=2), label="**kw")
            kwargs.update(extra)
            continue
        if p.kind is p.VAR_POSITIONAL:
            continue
        value = data.draw(st.one_of(st.sampled_from(numbers), _junk) if not args and p.default is p.empty
                          else _junk, label=p.name)
        if p.default is p.empty and p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = value
        elif p.default is p.empty:
            args.append(value)
        elif data.draw(st.booleans(), label=f"give {p.name}"):
            kwargs[p.name] = value
    before = fingerprint(crm)
    try:
        method(*args, **kwargs)
    except (system.CRMError, op.ConditionsNotMet) as err:
        assert " / " in str(err), (name, str(err))
        assert fingerprint(crm) == before, (name, args, kwargs)
    except TypeError as err:                 # a wrong call (missing or unknown argument): Python's own
        assert any(w in str(err) for w in ("unexpected keyword argument", "required positional argument",
                                            "multiple values for argument")), (name, repr(err))
        assert fingerprint(crm) == before
