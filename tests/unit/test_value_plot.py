"""crmlab.value.plot_value_matrix: the two value-matrix scatter plots of lab 01 (issue 20: symlog
ticks crowding near zero, quadrant labels in an empty band, Chinese labels)."""
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from crmlab import value

matplotlib.use("Agg")

LOYALTY = {(True, True): "黄金客户 gold", (False, True): "风险客户 risk", (True, False): "边际客户 marginal",
           (False, False): "垃圾客户 junk"}
RESPONSE = {(True, True): "最佳 best", (False, True): "奇异 strange", (True, False): "致命诱惑 fatal attraction",
            (False, False): "幽灵 ghost"}


@pytest.fixture(scope="module")
def customers():
    rng = np.random.default_rng(1)
    n = 400
    months = rng.integers(1, 25, n)
    loss = rng.random(n) < 0.15
    profit = np.where(loss, -rng.lognormal(6, 1.2, n), rng.lognormal(7.5, 1.6, n) * months / 6)
    return pd.DataFrame({"active_months": months, "profit": profit, "response_rate": rng.beta(2, 5, n)})


def _draw(customers, x, labels):
    import matplotlib.pyplot as plt
    cells = (value.value_loyalty_matrix if x == "active_months" else value.value_response_matrix)(
        customers["profit"], customers[x])
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # "Glyph … missing from font": tofu
        ax = value.plot_value_matrix(customers, x, "profit", cells, labels, xlabel="活跃月数 / 响应率",
                                     ylabel="利润 profit, 元", title="客户价值矩阵")
        ax.figure.canvas.draw()
    yield ax
    plt.close(ax.figure)


@pytest.mark.parametrize("x, labels", [("active_months", LOYALTY), ("response_rate", RESPONSE)])
def test_ticks_are_readable_and_labels_sit_among_the_points(customers, x, labels):
    for ax in _draw(customers, x, labels):
        renderer = ax.figure.canvas.get_renderer()
        ticks = [t for t in ax.get_yticklabels() if t.get_text()]
        texts = [t.get_text() for t in ticks]
        assert "0" in texts and "10,000" in texts and not any("^" in t or "$" in t for t in texts)
        boxes = sorted((t.get_window_extent(renderer) for t in ticks), key=lambda b: b.y0)
        assert all(a.y1 <= b.y0 for a, b in zip(boxes, boxes[1:]))       # no two tick labels overlap
        ys = customers["profit"].to_numpy()
        y_cut = np.median(ys)
        to_axes = ax.transData + ax.transAxes.inverted()
        lowest = to_axes.transform((0, ys.min()))[1]
        cut = to_axes.transform((0, y_cut))[1]
        quadrant = [t for t in ax.texts if t.get_text() in labels.values()]
        assert len(quadrant) == 4
        for t in quadrant:
            _, y = t.get_position()
            assert lowest <= y <= 1 and (y < cut) == (t.get_text() in (labels[(True, False)], labels[(False, False)]))
        assert lowest < 0.08                                              # no empty band under the points
        fonts = {t.get_fontname() for t in quadrant + [ax.title]}
        assert fonts == {"Noto Sans CJK SC"}
