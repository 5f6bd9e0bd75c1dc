"""Importance × satisfaction: the four improvement categories (IPA, task 8 §8.3.10 step 7)."""
from __future__ import annotations

import pandas as pd

from ..shortcuts import computes
from ._errors import _error
from ._measures import _item_series


# ---- importance × satisfaction: four improvement categories (§8.3.10 step 7) ------------------

# (high importance, high satisfaction) → (textbook label, English)
IPA_QUADRANTS = {
    (True, False): ("急需改进", "urgent improvement"),
    (True, True): ("应该继续保持", "keep it up"),
    (False, False): ("不占优先地位", "low priority"),
    (False, True): ("锦上添花", "nice to have"),
}


def _cut(values: pd.Series, cut, name: str) -> float:
    if isinstance(cut, str):
        if cut == "mean":
            return float(values.mean())
        if cut == "median":
            return float(values.median())
        raise _error(f"{name} must be 'mean', 'median' or a number, got {cut!r}",
                     f"{name} 只能是 'mean'、'median' 或数字")
    return float(cut)


@computes("ipa_quadrants", "四类改进因素（重要性—满意度四分图）", "improvement categories (IPA)")
def ipa_quadrants(importance, satisfaction, imp_cut="mean", sat_cut="mean") -> pd.DataFrame:
    """The four improvement categories of the importance × satisfaction grid (IPA).

    Textbook task 8 §8.3.10 step 7 names four kinds of improvement factor: high importance and
    low satisfaction → 急需改进 (urgent improvement); high and high → 应该继续保持 (keep it up);
    low and low → 不占优先地位 (low priority); low importance and high satisfaction → 锦上添花
    (nice to have). The textbook gives no cut-offs; crmlab's default (not the textbook's) is the
    classic IPA cross-hair at the item means, and "high" means ≥ the cut-off. Pass a number
    (e.g. 3, the scale midpoint) or ``"median"`` instead.

    Parameters
    ----------
    importance, satisfaction : mapping or Series item → mean rating (same items).
    imp_cut, sat_cut : ``"mean"``, ``"median"`` or a number.

    Returns
    -------
    DataFrame by item with ``importance``, ``satisfaction``, ``quadrant`` (Chinese) and
    ``quadrant_en``; the cut-offs are in ``.attrs["cuts"]``.

    Examples
    --------
    >>> imp = {"质量": 4.6, "价格": 4.1, "售后": 4.4, "环境": 2.9, "停车": 2.5}
    >>> sat = {"质量": 4.3, "价格": 3.2, "售后": 2.9, "环境": 4.4, "停车": 3.0}
    >>> ipa_quadrants(imp, sat)["quadrant"].to_dict()
    {'质量': '应该继续保持', '价格': '急需改进', '售后': '急需改进', '环境': '锦上添花', '停车': '不占优先地位'}
    """
    imp = _item_series(importance, "importance 重要性")
    sat = _item_series(satisfaction, "satisfaction 满意度")
    if set(imp.index) != set(sat.index):
        raise _error(f"items differ: {sorted(set(imp.index) ^ set(sat.index), key=str)}",
                     "重要性与满意度的题目不一致")
    if len(imp) == 0:
        raise _error("no items given", "没有题目")
    sat = sat.reindex(imp.index)
    ic, sc = _cut(imp, imp_cut, "imp_cut"), _cut(sat, sat_cut, "sat_cut")
    high_i, high_s = imp >= ic - 1e-12, sat >= sc - 1e-12
    labels = [IPA_QUADRANTS[(bool(a), bool(b))] for a, b in zip(high_i, high_s)]
    table = pd.DataFrame({"importance": imp, "satisfaction": sat,
                          "quadrant": [zh for zh, _ in labels], "quadrant_en": [en for _, en in labels]},
                         index=imp.index)
    table.attrs["cuts"] = {"importance": ic, "satisfaction": sc}
    return table


def ipa_chart(table: pd.DataFrame, ax=None, title: str | None = None):
    """Quadrant chart of an IPA table with Chinese + English quadrant labels.

    x = satisfaction (or ``performance`` for :func:`importance_performance`), y = importance;
    dashed lines at the cut-offs of the table; every point is labelled with its item.
    Uses :func:`crmlab.plotting.use_theme` so the Chinese labels render.

    Returns
    -------
    The matplotlib Axes.

    Examples
    --------
    >>> table = ipa_quadrants({"质量": 4.6, "价格": 4.1, "环境": 2.9}, {"质量": 4.3, "价格": 3.2, "环境": 4.4})
    >>> ax = ipa_chart(table)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('满意度 satisfaction', '重要性 importance')
    """
    import matplotlib.pyplot as plt

    from crmlab import plotting

    x_col = "satisfaction" if "satisfaction" in table.columns else "performance"
    if not isinstance(table, pd.DataFrame) or x_col not in table.columns or "importance" not in table.columns:
        raise _error("table must come from ipa_quadrants() or importance_performance()",
                     "table 必须来自 ipa_quadrants() 或 importance_performance()")
    plotting.use_theme()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    x, y = table[x_col].astype(float), table["importance"].astype(float)
    ax.scatter(x, y, color="C0", zorder=3)
    for name, xi, yi in zip(table.index, x, y):
        ax.annotate(str(name), (xi, yi), xytext=(4, 4), textcoords="offset points")
    cuts = table.attrs.get("cuts", {})
    x_cut = cuts.get(x_col, float(x.mean()))
    y_cut = cuts.get("importance", float(y.mean()))
    for values, cut, setter in ((x, x_cut, ax.set_xlim), (y, y_cut, ax.set_ylim)):
        lo, hi = min(values.min(), cut), max(values.max(), cut)
        pad = (hi - lo) * 0.25 or 0.5
        setter(lo - pad, hi + pad)
    labels = {(sat_high, imp_high): f"{zh}\n{en}" for (imp_high, sat_high), (zh, en) in IPA_QUADRANTS.items()}
    plotting.quadrant_labels(ax, labels, x_cut=x_cut, y_cut=y_cut, fontsize=9)
    ax.set_xlabel("满意度 satisfaction" if x_col == "satisfaction" else "表现 performance (0–100)")
    ax.set_ylabel("重要性 importance")
    ax.set_title(title or "重要性—满意度矩阵 importance × satisfaction")
    return ax
