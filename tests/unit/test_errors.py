"""crmlab has one error family (issue 18): every exception class it defines is a CRMLabError (a
ValueError), every message reads "中文 / English", and the two "not allowed now" errors are one."""
from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil

import pandas as pd
import pytest

import crmlab
from crmlab import archive, complaints, concepts, errors, events, loyalty, opportunity, satisfaction, service, \
    survey, value, visits
from crmlab.system import errors as system_errors
from helpers import bilingual

#: Exception classes of crmlab that are deliberately NOT CRMLabErrors, with the reason.
OUTSIDE_THE_FAMILY = {
    "crmlab._checkbase.CheckFailed": "an AssertionError: nbgrader scores a failed test cell by its AssertionError",
    "crmlab.check.NotReady": "a RuntimeError: a cell ran before its exercise was done, not bad input",
    "crmlab.sandbox.SandboxUnavailable": "a RuntimeError: the grading sandbox (bubblewrap) is missing on the host",
}

MODULES = sorted(m.name for m in pkgutil.walk_packages(crmlab.__path__, "crmlab."))


def _exception_classes():
    """Every exception class defined in a crmlab module (not merely imported there), by qualified name."""
    found = {}
    for name in MODULES:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("crmlab"):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return found


CLASSES = _exception_classes()


def test_the_walk_finds_the_known_roots():
    for name in ("crmlab.errors.CRMLabError", "crmlab.survey._errors.SurveyError", "crmlab.archive._errors.ArchiveError",
                 "crmlab.sales_method.OpportunityError", "crmlab.complaints._errors.InvalidTransition",
                 "crmlab.system.errors.CRMError", "crmlab._checkbase.CheckFailed"):
        assert name in CLASSES, name
    assert set(OUTSIDE_THE_FAMILY) <= set(CLASSES), "an exception listed as outside the family no longer exists"


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_crmlab_exception_is_a_crmlab_error(name):
    cls = CLASSES[name]
    if name in OUTSIDE_THE_FAMILY:
        assert not issubclass(cls, errors.CRMLabError), f"{name} is listed as outside the family"
        return
    assert issubclass(cls, errors.CRMLabError), f"{name} must derive from crmlab.errors.CRMLabError"
    assert issubclass(cls, ValueError), name


#: Errors with a constructor of their own (not ``code, en, zh``): how to build one.
OWN_CONSTRUCTORS = {
    "crmlab.system.errors.StaleRecord": lambda cls: cls("SJ000001", 3, 4, "lijingli"),
    "crmlab.system.classroom.RosterError": lambda cls: cls(pd.DataFrame(
        [{"line": 2, "student_id": "S01", "column": "role", "problem": "unknown role", "problem_zh": "未知角色"}])),
}


@pytest.mark.parametrize("name", sorted(n for n in CLASSES if n not in OUTSIDE_THE_FAMILY))
def test_every_error_class_speaks_the_one_format(name):
    cls = CLASSES[name]
    if name in OWN_CONSTRUCTORS:
        err = OWN_CONSTRUCTORS[name](cls)
        assert err.code and bilingual(err)
        return
    err = cls("DEMO", "something is wrong", "出错了")
    assert str(err) == "出错了 / something is wrong"
    assert (err.code, err.en, err.zh) == ("DEMO", "something is wrong", "出错了")
    bilingual(err)


def test_one_message_format():
    assert errors.bilingual("bad", "不对") == "不对 / bad" == f"不对{errors.SEPARATOR}bad"
    err = errors.CRMLabError("bad input", "输入有误")
    assert err.code == "CRMLAB_ERROR" and str(err) == "输入有误 / bad input"
    assert str(survey.SurveyError("bad", "不对")) == "不对 / bad" and survey.SurveyError.code == "SURVEY_ERROR"
    plain = errors.CRMLabError("a ready message / 现成的消息")
    assert (plain.en, plain.zh, str(plain)) == (None, None, "a ready message / 现成的消息")
    with pytest.raises(TypeError):
        errors.CRMLabError("A", "b", "c", "d")


def test_errors_survive_pickling():
    err = system_errors.StaleRecord("SJ000001", 3, 4, "lijingli")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is system_errors.StaleRecord and str(back) == str(err)
    assert (back.code, back.actual, back.changed_by) == ("STALE_RECORD", 4, "lijingli")


def test_one_invalid_transition():
    assert issubclass(opportunity.IllegalTransition, errors.InvalidTransition)
    assert issubclass(complaints.InvalidTransition, errors.InvalidTransition)
    assert issubclass(system_errors.IllegalTransition, errors.InvalidTransition)
    assert issubclass(system_errors.IllegalTransition, opportunity.IllegalTransition)   # still, as before
    rec = complaints.ComplaintRecord("CP1", "C1", "2024-03-01 09:00", target="O1", content="发票金额不对")
    wf = complaints.ComplaintWorkflow(rec)
    with pytest.raises(errors.InvalidTransition) as caught:
        wf.approve(by="王经理")
    assert caught.value.code == "ACTION_NOT_ALLOWED" and isinstance(caught.value, complaints.ComplaintError)
    assert bilingual(caught).startswith("不能在状态")


def test_crm_errors_are_no_longer_opportunity_errors():
    assert not issubclass(system_errors.CRMError, opportunity.OpportunityError)
    assert issubclass(system_errors.CRMError, errors.CRMLabError)
    # the two that are also domain-model errors keep saying so
    assert issubclass(system_errors.InvalidValue, opportunity.InvalidValue)


def test_every_module_raises_its_own_error_in_the_one_format():
    cases = [
        (archive.ArchiveError, lambda: archive.credit_status(pd.DataFrame({"x": [1]}), "2024-01-01")),
        (concepts.ConceptError, lambda: concepts.key_of("no such label", concepts.PURCHASE_MOTIVES)),
        (value.CustomerValueError, lambda: value.top_share([1, 2, 3], 0)),
        (service.ServiceError, lambda: service.service_summary(pd.DataFrame({"x": [1]}))),
        (loyalty.LoyaltyError, lambda: loyalty.loyalty_index(pd.DataFrame({"x": [1.0]}), weights={"nope": 1})),
        (satisfaction.SatisfactionError, lambda: satisfaction.satisfaction_ratio(5, 0)),
        (survey.SurveyError, lambda: survey.is_random("no such method")),
        (visits.VisitError, lambda: visits.time_split(-5)),
        (events.EventError, lambda: events.register(events.registration_log(), event_id="E1")),
        (complaints.ComplaintError, lambda: complaints.records_from_frame(pd.DataFrame({"x": [1]}))),
        (opportunity.InvalidValue, lambda: opportunity.Opportunity("OP1", customer_id="C1", owner="张三",
                                                                   expected_revenue=-1, created_at="2024-03-01")),
    ]
    for cls, call in cases:
        with pytest.raises(errors.CRMLabError) as caught:
            call()
        assert isinstance(caught.value, cls), (cls, caught.value)
        assert isinstance(caught.value, ValueError)
        bilingual(caught)
