"""Customer surveys (客户调查): questionnaires, survey plans, sampling, coding, cleaning, analysis.

Textbook task 3 (客户信息调查与分析): the survey steps (§3.2), survey methods and the questionnaire's
four parts (§3.3), organising and analysing the material and the report (§3.4); the Kingdee survey
question bank (调查题库, task 12 §12.6) for question types and option scores. Sampling, Likert
coding and cleaning live only here; :mod:`crmlab.satisfaction` imports them.

The pieces, each a small module:

- questionnaire model — :class:`Question`, :class:`Section`, :class:`Questionnaire` (validate,
  Markdown/HTML, codebook, encode, Kingdee question bank) and :class:`SurveyForm` (ipywidgets);
- Likert coding — :data:`LIKERT_5`, :data:`LIKERT_7`, :func:`code_likert`, :func:`likert_labels`;
- survey plan — :func:`survey_steps`, :class:`SurveyPlan`, :func:`survey_methods`,
  :func:`suggest_methods`;
- sampling — :func:`simple_random_sample`, :func:`systematic_sample`, :func:`stratified_sample`,
  :func:`cluster_sample`, :func:`quota_sample`, :func:`sample_size_proportion`,
  :func:`sample_size_mean`;
- organising responses — :func:`clean_responses`, :func:`frequency_table`, :func:`likert_table`,
  :func:`describe_items`, :func:`crosstab`, :func:`chi_square`, :func:`cronbach_alpha`,
  :func:`item_total`, :func:`report_skeleton`.

Known source errors, flagged where they matter: the textbook files stratified (类型抽样) and
cluster (整群抽样) sampling as non-random (they are probability methods), and prints 大意抽样 for
立意抽样 (purposive sampling).

Example
-------
>>> from crmlab import datasets, survey
>>> raw = datasets.load("survey_responses")
>>> result = survey.clean_responses(raw)
>>> result.summary()[["input", "kept", "dropped"]].tolist()
[368, 328, 40]
>>> items = [c for c in raw.columns if c.startswith("q")]
>>> round(survey.cronbach_alpha(survey.code_likert(result.kept[items])), 3)
0.895
"""
from __future__ import annotations

from ._errors import SurveyError
from ._likert import (AGREE_5_EN, AGREE_7_EN, LIKERT_5, LIKERT_5_EN, LIKERT_7, LIKERT_7_EN, code_likert,
                      likert_labels, likert_scale, likert_unknown)
from ._organise import (REASONS, REPORT_BLOCKS, REPORT_FORMS, CleaningResult, chi_square, clean_responses,
                        cronbach_alpha, crosstab, describe_items, frequency_table, item_total, likert_items,
                        likert_table, report_skeleton)
from ._plan import (BUDGET_ITEMS, OUTSOURCE_CONDITIONS, PLAN_TRANSITIONS, PROPOSAL_SECTIONS, STAGES,
                    SURVEY_METHODS, SURVEY_STEPS, SURVEY_TYPES, SurveyPlan, should_outsource, suggest_methods,
                    survey_methods, survey_steps)
from ._questionnaire import (ADMIN_FIELDS, END, KINGDEE_TYPES, MULTI_SEP, PREFACE_ELEMENTS, QUESTION_TYPES,
                             DesignIssue, Option, Question, Questionnaire, Section)
from ._sampling import (SAMPLING_METHODS, allocate_proportional, cluster_sample, finite_population_correction,
                        is_random, quota_sample, sample_size_mean, sample_size_proportion, sampling_methods,
                        simple_random_sample, stratified_sample, systematic_sample, z_value)

__all__ = [
    "SurveyError",
    # Likert
    "LIKERT_5", "LIKERT_7", "LIKERT_5_EN", "LIKERT_7_EN", "AGREE_5_EN", "AGREE_7_EN", "code_likert",
    "likert_labels", "likert_scale", "likert_unknown",
    # questionnaire
    "QUESTION_TYPES", "KINGDEE_TYPES", "PREFACE_ELEMENTS", "ADMIN_FIELDS", "MULTI_SEP", "END", "Option",
    "Question", "Section", "Questionnaire", "DesignIssue", "SurveyForm",
    # plan
    "STAGES", "SURVEY_STEPS", "SURVEY_TYPES", "SURVEY_METHODS", "PROPOSAL_SECTIONS", "BUDGET_ITEMS",
    "OUTSOURCE_CONDITIONS", "PLAN_TRANSITIONS", "survey_steps", "survey_methods", "suggest_methods",
    "should_outsource", "SurveyPlan",
    # sampling
    "SAMPLING_METHODS", "sampling_methods", "is_random", "simple_random_sample", "systematic_sample",
    "allocate_proportional", "stratified_sample", "cluster_sample", "quota_sample", "z_value",
    "finite_population_correction", "sample_size_proportion", "sample_size_mean",
    # organising
    "REASONS", "CleaningResult", "clean_responses", "likert_items", "frequency_table", "likert_table",
    "describe_items", "crosstab", "chi_square", "cronbach_alpha", "item_total", "REPORT_FORMS",
    "REPORT_BLOCKS", "report_skeleton",
]


def __getattr__(name):
    # The form needs ipywidgets; import it only when asked for, so `crmlab.survey` stays light.
    if name == "SurveyForm":
        from ._form import SurveyForm
        return SurveyForm
    raise AttributeError(f"module 'crmlab.survey' has no attribute {name!r}")
