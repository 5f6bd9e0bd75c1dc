"""One vocabulary (issue 18): every closed code list of crmlab is a registered
:class:`crmlab.glossary.Vocabulary`, and the modules look their labels up there."""
import importlib

import pandas as pd
import pytest

from crmlab import errors, glossary
from helpers import bilingual

# modules that register vocabularies when imported
MODULES = ["crmlab.archive", "crmlab.opportunity", "crmlab.survey", "crmlab.events", "crmlab.service",
           "crmlab.visits", "crmlab.system.lifecycle", "crmlab.system.permissions", "crmlab.check_crm",
           "crmlab.system.engine"]
for _m in MODULES:
    importlib.import_module(_m)

EXPECTED = {"term", "decision_role", "card_type", "evaluation_result", "collection_method", "opportunity_status",
            "control_mode", "condition_kind", "grade_indicator", "prescreen_tier", "grade_level", "quote_principle",
            "comparison_attribute", "survey_type", "sampling_method", "question_type", "launch_item",
            "registration_field", "event_kind", "visit_type", "doc_type", "role"}
VOCABULARIES = sorted(glossary.vocabularies())


def test_the_registry_holds_every_vocabulary():
    assert EXPECTED <= set(VOCABULARIES)
    assert glossary.vocabulary("card_type") is glossary.CARD_TYPE
    with pytest.raises(errors.CRMLabError) as e:
        glossary.vocabulary("no_such_list")
    bilingual(e)


@pytest.mark.parametrize("name", VOCABULARIES)
def test_every_vocabulary_round_trips(name):
    v = glossary.vocabulary(name)
    assert len(v) > 0
    for code in v:
        assert v.code(code) == code
        assert v.code(v.zh(code)) == code                 # code → 中文 → code
        assert v.code(v.en(code)) == code                 # English → code
        assert v.code(f"  {v.zh(code).upper()} ") == code
        for label in v.labels(code):
            assert v.code(label) == code
            assert label in v


@pytest.mark.parametrize("name", VOCABULARIES)
def test_no_label_names_two_codes(name):
    v = glossary.vocabulary(name)
    seen: dict[str, str] = {}
    for code in v:
        for label in v.labels(code):
            key = glossary.normalise(label)
            assert seen.setdefault(key, code) == code, f"{name}: {label!r} names {seen[key]!r} and {code!r}"


def test_a_label_naming_two_codes_is_refused():
    with pytest.raises(ValueError, match="names both"):
        glossary.Vocabulary("clash", {"a": ("甲", "first", ("x",)), "b": ("乙", "second", ("X",))}, register=False)


@pytest.mark.parametrize("name", VOCABULARIES)
def test_unknown_labels_are_bilingual_errors_listing_the_codes(name):
    v = glossary.vocabulary(name)
    with pytest.raises(errors.CRMLabError) as e:
        v.code("no such label 无此标签")
    message = bilingual(e)
    assert isinstance(e.value, ValueError)
    assert all(code in message for code in v)


def test_labels_in_each_language():
    v = glossary.DECISION_ROLE
    assert [v.label("buyer", lang) for lang in ("zh", "en", "code", "both")] == ["采购", "buyer", "buyer", "采购 buyer"]
    assert v.table().loc["buyer", "zh"] == "采购"
    with pytest.raises(errors.CRMLabError):
        v.label("buyer", "fr")


# --- one code per concept ------------------------------------------------------------------
def test_purchaser_and_buyer_are_one_code():
    from crmlab import archive, datasets
    assert glossary.DECISION_ROLE.code("purchaser") == glossary.DECISION_ROLE.code("采购") == "buyer"
    assert archive.decision_role("purchaser") == "buyer"
    # the shipped contacts use the canonical codes
    assert set(datasets.load("contacts")["decision_role"]) <= set(glossary.DECISION_ROLE)


def test_the_former_card_is_the_textbooks_old_customer_card():
    from crmlab import archive
    from crmlab.system import _rows
    assert glossary.CARD_TYPE.zh("former") == "旧客户"                 # 旧客户调查卡, task 5 §5.1.3
    assert glossary.CARD_TYPE.code("流失客户") == "former"             # accepted as an alias
    assert archive.CARD_TYPES.loc["former", "short_zh"] == glossary.CARD_TYPE.zh("former")
    assert _rows._CARD["former"] == "旧客户"


# --- the modules read the registry: each lookup accepts every label of its vocabulary ------
def _every_label(v):
    return [(label, code) for code in v for label in v.labels(code)]


def test_archive_reads_the_registry():
    from crmlab import archive
    for label, code in _every_label(glossary.DECISION_ROLE):
        assert archive.decision_role(label) == code
    contacts = pd.DataFrame({"customer_id": ["C1"] * 2, "decision_role": ["purchaser", "采购者"]})
    assert archive.decision_map(contacts)["buyer"].tolist() == [2]
    for label, code in _every_label(archive.COLLECTION_METHOD):
        mix = archive.source_mix(pd.DataFrame({"source_method": [label]}))
        assert mix.index.tolist() == [code]


def test_opportunity_reads_the_registry():
    from crmlab import opportunity as op
    for label, code in _every_label(op.STATUS):
        assert op.status_code(label) == code
    for label, code in _every_label(op.GRADE_LEVEL):
        assert op.due_date("2024-03-01", label) == op.due_date("2024-03-01", code)
    for label, code in _every_label(op.QUOTE_PRINCIPLE):
        assert op.suggest_price(1000, 800, label) == op.suggest_price(1000, 800, code)
    for label, code in _every_label(op.PRESCREEN_TIER):
        assert op.prescreen(10, tier=label) == op.prescreen(10, tier=code)


def test_survey_reads_the_registry():
    from crmlab import survey
    from crmlab.survey import _plan, _questionnaire, _sampling
    for label, code in _every_label(_sampling.SAMPLING_METHOD):
        assert survey.is_random(label) == survey.is_random(code)
    for label, code in _every_label(_questionnaire.QUESTION_TYPE):
        assert _questionnaire._qtype(label) == code
    for label, code in _every_label(_plan.SURVEY_TYPE):
        assert _plan.SurveyPlan(topic="t", survey_type=label).survey_type == code


def test_events_service_visits_read_the_registry():
    from crmlab import events, service, visits
    for label, code in _every_label(service.EVENT_KIND):
        assert service._kind(label) == code
    for label, code in _every_label(visits.VISIT_TYPE):
        assert visits.visit_type(label) == code
    for label, code in _every_label(events.REGISTRATION_FIELD):
        assert events.REGISTRATION_FIELD.get(label) == code
    log = events.registration_log([{"姓名": "李明", "Event ID": "E1"}])
    assert log.loc[0, "event_id"] == "E1"


def test_system_reads_the_registry():
    from crmlab import check_crm
    from crmlab.system import _actions, engine, lifecycle, permissions
    for label, code in _every_label(lifecycle.DOC_TYPE):
        assert lifecycle.doc_type_code(label) == code
    for label, code in _every_label(permissions.ROLE):
        assert permissions.role_code(label) == code
    for label, code in _every_label(glossary.CARD_TYPE):
        assert engine._card_code(label) == code
    for label, code in _every_label(glossary.DECISION_ROLE):
        assert _actions._alias(label, _actions._DECISION_ALIASES, "decision role", "决策角色") == code
    for label, code in _every_label(glossary.EVALUATION_RESULT):
        assert _actions._alias(label, _actions._RESULT_ALIASES, "evaluation result", "评估结果") == code
    # checks and the engine read the one table of evaluation results
    assert check_crm._EVALUATION_LABELS == _actions.EVALUATION_RESULTS
    assert _actions.EVALUATION_RESULTS == {c: glossary.EVALUATION_RESULT.zh(c) for c in glossary.EVALUATION_RESULT}
