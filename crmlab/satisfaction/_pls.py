"""PLS path modelling (超出教材): estimates, reliability and importance-performance of a PLS model."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._errors import _error
from ._ipa import ipa_quadrants


# ---- PLS path modelling -----------------------------------------------------------------------

@dataclass(frozen=True, repr=False)
class PLSResult:
    """Result of :func:`pls_path_model`.

    Attributes
    ----------
    path_coefficients : DataFrame constructs × constructs, rows = from, columns = to (0 = no path).
    r2 : R² of each endogenous construct.
    loadings : outer loading of each item on its construct (correlation item–score).
    weights : outer weight of each item (standardised: the scores are Σ weight × z-scored item).
    scores : standardised latent-variable scores (mean 0, SD 1), one row per respondent used.
    index_0_100 : 0–100 index of each construct from the unstandardised outer weights.
    total_effects : DataFrame constructs × constructs, direct + indirect effects.
    scheme, iterations, converged, n_obs, n_dropped, scale : how the model was estimated.
    """

    path_coefficients: pd.DataFrame
    r2: pd.Series
    loadings: pd.Series
    weights: pd.Series
    scores: pd.DataFrame
    index_0_100: pd.Series
    total_effects: pd.DataFrame
    measurement: dict
    structure: list
    scheme: str
    iterations: int
    converged: bool
    n_obs: int
    n_dropped: int
    scale: tuple
    data: pd.DataFrame

    def reliability(self) -> pd.DataFrame:
        """Reliability and validity per construct; see :func:`reliability`."""
        return reliability(self)

    def outer_model(self) -> pd.DataFrame:
        """One row per item: construct, weight, loading and communality (loading²)."""
        rows = [(c, i, self.weights[i], self.loadings[i]) for c, its in self.measurement.items() for i in its]
        table = pd.DataFrame(rows, columns=["construct", "item", "weight", "loading"])
        table["communality"] = table["loading"] ** 2
        return table

    def __repr__(self) -> str:
        r2 = ", ".join(f"{k} {v:.3f}" for k, v in self.r2.items())
        return (f"PLSResult({len(self.measurement)} constructs, {len(self.structure)} paths, "
                f"n={self.n_obs}, scheme={self.scheme!r}, iterations={self.iterations}, R²: {r2})")


_SCHEMES = ("path", "centroid", "factorial")


def _check_measurement(measurement) -> dict[str, list[str]]:
    if not isinstance(measurement, Mapping) or not measurement:
        raise _error("measurement must map each construct to its list of item columns",
                     "measurement 必须把每个潜变量映射到它的题目列列表")
    out, owner = {}, {}
    for construct, items in measurement.items():
        items = [items] if isinstance(items, str) else list(items or [])
        if not items:
            raise _error(f"construct {construct!r} has no items", f"潜变量 {construct!r} 没有题目")
        for item in items:
            if item in owner:
                raise _error(f"item {item!r} is listed under {owner[item]!r} and {construct!r}; "
                             "each item measures one construct",
                             f"题目 {item!r} 同时属于 {owner[item]!r} 和 {construct!r}；每个题目只能测量一个潜变量")
            owner[item] = construct
        out[construct] = items
    return out


def _check_structure(structure, constructs: list[str]) -> list[tuple[str, str]]:
    if isinstance(structure, (str, bytes)) or not isinstance(structure, Sequence) or not structure:
        raise _error("structure must be a non-empty list of (from, to) pairs",
                     "structure 必须是非空的 (from, to) 路径列表")
    paths = []
    for pair in structure:
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise _error(f"each path must be a (from, to) pair, got {pair!r}", f"每条路径必须是 (from, to)，而不是 {pair!r}")
        paths.append((pair[0], pair[1]))
    unknown = sorted({c for p in paths for c in p if c not in constructs}, key=str)
    if unknown:
        raise _error(f"structure names unknown constructs {unknown}; measurement has {constructs}",
                     f"structure 中有未定义的潜变量 {unknown}；measurement 中只有 {constructs}")
    loops = [p for p in paths if p[0] == p[1]]
    if loops:
        raise _error(f"a construct cannot cause itself: {loops}", f"潜变量不能指向自己：{loops}")
    dupes = sorted({p for p in paths if paths.count(p) > 1})
    if dupes:
        raise _error(f"duplicate paths: {dupes}", f"重复的路径：{dupes}")
    alone = [c for c in constructs if not any(c in p for p in paths)]
    if alone:
        raise _error(f"constructs without any path: {alone}", f"以下潜变量没有任何路径：{alone}")
    _topological_order(constructs, paths)  # raises on a cycle
    return paths


def _topological_order(constructs: list[str], paths: list[tuple[str, str]]) -> list[str]:
    preds = {c: {a for a, b in paths if b == c} for c in constructs}
    order, done = [], set()
    while len(order) < len(constructs):
        ready = [c for c in constructs if c not in done and preds[c] <= done]
        if not ready:
            cycle = [c for c in constructs if c not in done]
            raise _error(f"the structure has a feedback loop among {cycle}; PLS path models here must be "
                         "recursive (no cycles)", f"结构模型中 {cycle} 之间存在循环；此处只支持无循环的路径模型")
        order += ready
        done |= set(ready)
    return order


def _check_data(data, items: list[str], na: str) -> tuple[pd.DataFrame, int]:
    if not isinstance(data, pd.DataFrame):
        raise _error("data must be a pandas DataFrame with one column per item",
                     "data 必须是 pandas DataFrame，每个题目一列")
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise _error(f"missing item columns: {missing}", f"数据中缺少题目列：{missing}")
    if data.columns.duplicated().any():
        dupes = sorted(set(data.columns[data.columns.duplicated()]) & set(items), key=str)
        if dupes:
            raise _error(f"duplicate item columns in data: {dupes}", f"数据中题目列重复：{dupes}")
    frame = data[items]
    dtypes = frame.dtypes
    bad = [c for c, t in zip(items, dtypes) if not pd.api.types.is_numeric_dtype(t)]
    if bad:
        raise _error(f"non-numeric item columns {bad}; code Likert labels as numbers first "
                     "(crmlab.survey.code_likert)",
                     f"题目列 {bad} 不是数值；请先用 crmlab.survey.code_likert 把标签编码为数字")
    values = frame.to_numpy(dtype=float, na_value=np.nan)     # a copy: the caller's data stay as they are
    if np.isinf(values).any():
        raise _error("the item columns contain infinite values", "题目列中有无穷大值")
    incomplete = np.isnan(values).any(axis=1)
    n_bad = int(incomplete.sum())
    if na not in ("raise", "drop"):
        raise _error(f"na must be 'raise' or 'drop', got {na!r}", f"na 只能是 'raise' 或 'drop'")
    if n_bad and na == "raise":
        raise _error(f"{n_bad} of {len(values)} rows have missing item values; pass na='drop' to "
                     f"drop them ({n_bad} rows would be dropped)",
                     f"{len(values)} 行中有 {n_bad} 行题目缺失；传入 na='drop' 可删除这些行（将删除 {n_bad} 行）")
    index = frame.index
    if n_bad:
        values, index = values[~incomplete], index[~incomplete]
    if len(values) < 3:
        raise _error(f"too few complete rows ({len(values)}; {n_bad} dropped for missing values)",
                     f"完整的行太少（{len(values)} 行；因缺失删除了 {n_bad} 行）")
    flat = [c for c, sd in zip(items, values.std(axis=0, ddof=1)) if not sd > 0]
    if flat:
        raise _error(f"items without variation (every answer the same): {flat}",
                     f"以下题目没有变化（所有回答相同）：{flat}")
    return pd.DataFrame(values, index=index, columns=items), n_bad


def _inner_weights(C: np.ndarray, P: np.ndarray, scheme: str) -> np.ndarray:
    """Inner weights E: column j says how the neighbours' scores combine into construct j's
    inner estimate. C is the correlation matrix of the current scores, P[i, j] = 1 for i → j."""
    adjacent = (P + P.T) > 0
    if scheme == "centroid":                  # sign of the correlation with each neighbour
        return np.sign(C) * adjacent
    if scheme == "factorial":                 # the correlation with each neighbour
        return C * adjacent
    # path weighting: successors by correlation, predecessors by multiple-regression coefficients
    E = C * P.T
    for j in range(P.shape[0]):
        pred = np.flatnonzero(P[:, j])
        if pred.size:
            E[pred, j] = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
    return E


def pls_path_model(data: pd.DataFrame, measurement: Mapping[str, Sequence[str]],
                   structure: Sequence[tuple[str, str]], *, scheme: str = "path", scale=None,
                   na: str = "raise", max_iter: int = 300, tol: float = 1e-7) -> PLSResult:
    """Estimate a satisfaction-index path model by PLS path modelling (Wold's PLS-PM, mode A).

    Beyond the textbook (超出教材): national indices (ACSI, ECSI, CCSI) are path models among
    latent variables (image, expectation, perceived quality, perceived value, satisfaction,
    complaints, loyalty), each measured by several survey items, estimated with PLS.
    This is teaching code written with numpy, so the algorithm can be read line by line; it
    reproduces the reference implementation seminr (and SmartPLS) — see the unit tests.

    The algorithm (all items z-scored; every construct in mode A, "reflective"):

    1. start with weight 1 for each item of a construct; outer estimate = weighted sum of its
       items, scaled to variance 1;
    2. inner estimate of each construct = combination of its neighbours' outer estimates, with
       inner weights by ``scheme``: ``"path"`` (predecessors by regression coefficients,
       successors by correlations; the default, as seminr), ``"centroid"`` (sign of the
       correlation) or ``"factorial"`` (the correlation);
    3. mode A: new outer weight of an item = its covariance with the inner estimate; rescale so
       the score has variance 1;
    4. repeat 2–3 until the weights change by less than ``tol`` in total (Σ|Δw|);
    5. scores = Σ weight × z-scored item; path coefficients = OLS of each endogenous score on
       its predecessors; R² of those regressions; loadings = correlation item–score.

    Every step only needs the correlation matrix R of the items (the score correlations are
    WᵀRW), so the loop costs nothing extra for 100 000 respondents.

    The 0–100 index of a construct uses the unstandardised weights w̃ᵢ = wᵢ / sᵢ (outer weight
    over item SD), normalised to Σw̃ = 1: index = 100 × (Σ w̃ᵢ x̄ᵢ − lo) / (hi − lo), the ACSI/ECSI
    convention. It is meaningful when the weights are positive (they are in healthy models).

    Parameters
    ----------
    data : one row per respondent, numeric item columns (code Likert labels first).
    measurement : construct name → list of its item columns (mode A).
    structure : list of ``(from, to)`` paths; must be recursive (no loops).
    scheme : ``"path"`` (default), ``"centroid"`` or ``"factorial"``.
    scale : (lo, hi) codes of the rating scale for the 0–100 index; default: the lowest and
        highest code observed in the item columns (pass it: (1, 10) for ECSI items).
    na : ``"raise"`` (default) stops on rows with missing items and says how many;
        ``"drop"`` drops them (``result.n_dropped`` says how many).
    max_iter, tol : iteration limit and convergence threshold (seminr's defaults).

    Returns
    -------
    PLSResult with ``.path_coefficients``, ``.r2``, ``.loadings``, ``.weights``, ``.scores``,
    ``.index_0_100``, ``.total_effects`` and ``.reliability()``.

    Examples
    --------
    >>> from crmlab.satisfaction import ECSI_MEASUREMENT, ECSI_STRUCTURE, simulate_survey
    >>> survey = simulate_survey(n=500, seed=1)
    >>> result = pls_path_model(survey, ECSI_MEASUREMENT, ECSI_STRUCTURE, scale=(1, 10))
    >>> round(float(result.path_coefficients.loc["Quality", "Satisfaction"]), 2)
    0.46
    >>> round(float(result.r2["Satisfaction"]), 2)
    0.47
    >>> round(float(result.index_0_100["Satisfaction"]), 1)
    68.9
    """
    if scheme not in _SCHEMES:
        raise _error(f"scheme must be one of {list(_SCHEMES)}, got {scheme!r}",
                     f"scheme 只能是 {list(_SCHEMES)} 之一，而不是 {scheme!r}")
    blocks = _check_measurement(measurement)
    constructs = list(blocks)
    paths = _check_structure(structure, constructs)
    items = [i for its in blocks.values() for i in its]
    frame, n_dropped = _check_data(data, items, na)

    X = frame.to_numpy(dtype=float)
    n, k = X.shape[0], len(constructs)
    means, sds = X.mean(axis=0), X.std(axis=0, ddof=1)
    Z = (X - means) / sds                                  # z-scored items
    R = (Z.T @ Z) / (n - 1)                                # item correlation matrix
    col = {c: j for j, c in enumerate(constructs)}
    row = {i: r for r, i in enumerate(items)}
    M = np.zeros((len(items), k))                          # which item belongs to which construct
    for c, its in blocks.items():
        for i in its:
            M[row[i], col[c]] = 1.0
    P = np.zeros((k, k))                                   # P[i, j] = 1 for a path i → j
    for a, b in paths:
        P[col[a], col[b]] = 1.0

    def unit_variance(W: np.ndarray) -> np.ndarray:       # scale so var(Z @ w) = wᵀRw = 1
        return W / np.sqrt(np.einsum("ij,ik,kj->j", W, R, W))

    W = unit_variance(M.copy())                            # step 1
    converged, iterations = False, 0
    for iterations in range(1, max_iter + 1):
        C = W.T @ R @ W                                    # correlations of the outer estimates
        E = _inner_weights(C, P, scheme)                   # step 2
        inner_sd = np.sqrt(np.einsum("ij,ik,kj->j", E, C, E))
        new = M * (R @ W @ E) / inner_sd                   # step 3 (mode A): cov(item, inner estimate)
        new = unit_variance(new)
        change = float(np.abs(new - W).sum())
        W = new
        if change < tol:                                   # step 4
            converged = True
            break

    scores = Z @ W                                         # step 5
    C = W.T @ R @ W
    loadings = ((R @ W) * M).sum(axis=1)
    B = np.zeros((k, k))
    r2 = {}
    for c in _topological_order(constructs, paths):
        j = col[c]
        pred = np.flatnonzero(P[:, j])
        if pred.size:
            beta = np.linalg.solve(C[np.ix_(pred, pred)], C[pred, j])
            B[pred, j] = beta
            r2[c] = float(beta @ C[pred, j])
    total = np.linalg.inv(np.eye(k) - B) - np.eye(k)     # B + B² + B³ + … (recursive model)

    lo, hi = (float(X.min()), float(X.max())) if scale is None else (float(scale[0]), float(scale[1]))
    if not hi > lo:
        raise _error(f"scale needs lo < hi, got {(lo, hi)}", f"量表需要 lo < hi，实际 {(lo, hi)}")
    index = {}
    for c, its in blocks.items():
        rows_c = [row[i] for i in its]
        w_raw = W[rows_c, col[c]] / sds[rows_c]            # unstandardised weights
        w_raw = w_raw / w_raw.sum()
        index[c] = float(100 * (w_raw @ means[rows_c] - lo) / (hi - lo))

    r2_order = [c for c in constructs if c in r2]
    return PLSResult(
        path_coefficients=pd.DataFrame(B, index=constructs, columns=constructs),
        r2=pd.Series([r2[c] for c in r2_order], index=r2_order, name="r2", dtype=float),
        loadings=pd.Series(loadings, index=items, name="loading"),
        weights=pd.Series((W * M).sum(axis=1), index=items, name="weight"),
        scores=pd.DataFrame(scores, index=frame.index, columns=constructs),
        index_0_100=pd.Series(index, name="index_0_100", dtype=float),
        total_effects=pd.DataFrame(total, index=constructs, columns=constructs),
        measurement={c: list(its) for c, its in blocks.items()},
        structure=list(paths), scheme=scheme, iterations=iterations, converged=converged,
        n_obs=n, n_dropped=n_dropped, scale=(lo, hi), data=frame,
    )


def _cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's α = k/(k−1) × (1 − Σ item variances / variance of the sum)."""
    k = items.shape[1]
    item_var = items.var(ddof=1).sum()
    total_var = items.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - item_var / total_var))


def _alpha(items: pd.DataFrame) -> float:
    try:
        from crmlab.survey import cronbach_alpha
    except ImportError:
        return _cronbach_alpha(items)
    value = cronbach_alpha(items)
    if isinstance(value, tuple):  # (alpha, confidence interval) style
        value = value[0]
    return float(value)


def reliability(result: PLSResult) -> pd.DataFrame:
    """Reliability and validity of each construct's scale.

    Beyond the textbook (超出教材). Columns:

    - ``alpha``: Cronbach's α on the raw items (via :func:`crmlab.survey.cronbach_alpha`);
      ``alpha_std``: standardised α (from the item correlations, as seminr reports it);
    - ``rho_c``: composite reliability (Σλ)² / ((Σλ)² + Σ(1 − λ²)) from the loadings λ;
    - ``ave``: average variance extracted, mean λ² (convergent validity: ≥ 0.5 is the usual bar);
    - ``fornell_larcker``: discriminant validity, √AVE larger than the construct's correlation
      with every other construct.

    α is not defined for a single item (NaN). Rules of thumb: α and ρc ≥ 0.7, AVE ≥ 0.5.

    Examples
    --------
    >>> from crmlab.satisfaction import ECSI_MEASUREMENT, ECSI_STRUCTURE, simulate_survey
    >>> result = pls_path_model(simulate_survey(n=300, seed=2), ECSI_MEASUREMENT, ECSI_STRUCTURE)
    >>> table = reliability(result)
    >>> list(table.columns)
    ['n_items', 'alpha', 'alpha_std', 'rho_c', 'ave', 'fornell_larcker']
    >>> bool(table.loc["Quality", "rho_c"] > 0.8)
    True
    """
    corr = result.scores.corr().to_numpy()
    rows = {}
    for j, (c, its) in enumerate(result.measurement.items()):
        lam = result.loadings[its].to_numpy()
        k = len(its)
        if k > 1:
            alpha = _alpha(result.data[its])
            r = result.data[its].corr().to_numpy()
            mean_r = (r.sum() - k) / (k * (k - 1))
            alpha_std = k * mean_r / (1 + (k - 1) * mean_r)
        else:
            alpha = alpha_std = np.nan
        rho_c = lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam ** 2).sum())
        ave = float((lam ** 2).mean())
        others = np.delete(np.abs(corr[j]), j)
        rows[c] = {"n_items": k, "alpha": alpha, "alpha_std": alpha_std, "rho_c": float(rho_c),
                   "ave": ave, "fornell_larcker": bool(np.sqrt(ave) > others.max()) if others.size else True}
    return pd.DataFrame.from_dict(rows, orient="index")


def importance_performance(result: PLSResult, target: str = "Satisfaction", imp_cut="mean",
                           perf_cut="mean") -> pd.DataFrame:
    """Importance–performance map from a PLS model: derived importance × 0–100 performance.

    Beyond the textbook (超出教材): instead of asking customers how important each driver is,
    the importance of a construct is its total effect (direct + indirect) on ``target``, and its
    performance is its 0–100 index. The quadrants reuse the textbook's four improvement
    categories (:func:`ipa_quadrants`, cut-offs at the means by default); draw it with
    :func:`ipa_chart`.

    Returns
    -------
    DataFrame by driver with ``importance``, ``performance``, ``quadrant``, ``quadrant_en``,
    sorted by importance (largest first).

    Examples
    --------
    >>> from crmlab.satisfaction import ECSI_MEASUREMENT, ECSI_STRUCTURE, simulate_survey
    >>> result = pls_path_model(simulate_survey(n=500, seed=1), ECSI_MEASUREMENT, ECSI_STRUCTURE)
    >>> importance_performance(result, "Satisfaction").index.tolist()
    ['Quality', 'Expectation', 'Image', 'Value']
    """
    if target not in result.total_effects.columns:
        raise _error(f"unknown target construct {target!r}", f"未知的目标潜变量 {target!r}")
    effects = result.total_effects[target]
    drivers = effects.index[effects.abs() > 1e-12]
    if len(drivers) == 0:
        raise _error(f"no construct affects {target!r}", f"没有潜变量影响 {target!r}")
    table = ipa_quadrants(effects[drivers], result.index_0_100[drivers], imp_cut, perf_cut)
    cuts = table.attrs["cuts"]
    table = table.rename(columns={"satisfaction": "performance"})
    table = table.sort_values("importance", ascending=False, kind="stable")
    table.attrs["cuts"] = {"importance": cuts["importance"], "performance": cuts["satisfaction"]}
    return table
