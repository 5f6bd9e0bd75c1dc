"""Customer satisfaction (客户满意度): the textbook's methods and satisfaction-index path models.

Part 1 follows the textbook, 学习情境3 任务8 (task 8, customer satisfaction management):

- C = b/a and its three readings (§8.2.1): :func:`satisfaction_ratio`, :func:`classify_satisfaction`,
  :func:`expectation_gap` (the textbook prints the AMA definition "满意 = 期望 − 结果" with the
  sign reversed — a textbook error flagged there);
- Likert answers → numbers (§8.3.9, §8.3.10 step 3): :func:`likert_scores` (the coding itself
  lives in :mod:`crmlab.survey`);
- the CSI three-level indicator system (§8.3.10 step 2): :func:`indicator_table`,
  :func:`missing_questions`, :func:`rollup_scores`;
- Delphi weights (§8.3.10 step 3): :func:`delphi_weights`;
- the composite score Σ(satisfaction × importance)/Σ importance (§8.3.10 step 3):
  :func:`composite_score`, and the 0–100 rescale :func:`to_0_100` (with the ×20 trap,
  :func:`naive_0_100`);
- the four improvement categories, importance × satisfaction (§8.3.10 step 7):
  :func:`ipa_quadrants`, :func:`ipa_chart`.

Part 2 goes beyond the textbook (超出教材, clearly labelled): national satisfaction-index models
(ACSI, ECSI, CCSI) as path models estimated with PLS path modelling (:func:`pls_path_model`),
0–100 indices from the outer weights, derived importance for an importance–performance map
(:func:`importance_performance`), scale reliability and validity (:func:`reliability`), the ECSI
``mobi`` data shipped with crmlab (:func:`load_mobi`) and a survey simulator
(:func:`simulate_survey`).

The package keeps one module per concept: ``_measures``, ``_indicators`` (indicator system, Delphi),
``_ipa``, ``_index_models``, ``_pls``, ``_data`` (mobi, simulated surveys) and ``_answers``. Use the
names from here.

Example
-------
>>> from crmlab import satisfaction as sat
>>> sat.classify_satisfaction(perceived=9, expected=8)
'非常满意'
>>> round(sat.composite_score({"质量": 4.2, "价格": 3.6}, {"质量": 5, "价格": 4}), 4)
3.9333
>>> sat.to_0_100(1), 1 * 20          # a 1 on a 1–5 scale is 0 on 0–100, not 20
(0.0, 20)
"""
# One module per concept (crmlab/satisfaction/_*.py); every name is re-exported here, as before the split.
from ._errors import SatisfactionError
from ._measures import (
    SATISFACTION_LEVELS, classify_satisfaction, composite_score, expectation_gap, likert_scores, naive_0_100,
    satisfaction_ratio, to_0_100,
)
from ._indicators import DelphiResult, delphi_weights, indicator_table, missing_questions, rollup_scores
from ._ipa import IPA_QUADRANTS, ipa_chart, ipa_quadrants
from ._index_models import (
    ACSI_STRUCTURE, CCSI_STRUCTURE, CONSTRUCT_ZH, ECSI_MEASUREMENT, ECSI_STRUCTURE, INDEX_MODELS, acsi_score,
    index_model_paths,
)
from ._pls import PLSResult, _alpha, _cronbach_alpha, importance_performance, pls_path_model, reliability
from ._data import load_mobi, simulate_survey
from ._answers import _read_csi_questions, _read_csi_tree

__all__ = [
    "SatisfactionError",
    # part 1: the textbook
    "SATISFACTION_LEVELS", "satisfaction_ratio", "classify_satisfaction", "expectation_gap",
    "likert_scores", "composite_score", "to_0_100", "naive_0_100",
    "indicator_table", "missing_questions",
    "rollup_scores", "DelphiResult", "delphi_weights",
    "IPA_QUADRANTS", "ipa_quadrants", "ipa_chart",
    # part 2: beyond the textbook
    "CONSTRUCT_ZH", "ECSI_MEASUREMENT", "ECSI_STRUCTURE", "ACSI_STRUCTURE", "CCSI_STRUCTURE",
    "INDEX_MODELS", "index_model_paths", "acsi_score",
    "PLSResult", "pls_path_model", "reliability", "importance_performance",
    "load_mobi", "simulate_survey",
]


def __getattr__(name: str):
    """``CSI_EXAMPLE_TREE`` and ``CSI_EXAMPLE_QUESTIONS`` are read through recorded accessors (lab answers)."""
    if name == "CSI_EXAMPLE_TREE":
        return _read_csi_tree()
    if name == "CSI_EXAMPLE_QUESTIONS":
        return _read_csi_questions()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
