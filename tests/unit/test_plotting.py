"""Chinese text renders with the shipped CJK font: no missing-glyph warning (no tofu boxes)."""
import io
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from crmlab import plotting  # noqa: E402


def test_chinese_labels_render_without_missing_glyphs():
    assert plotting.use_theme() == plotting.CJK_FONT
    assert plotting.cjk_font_path().stat().st_size > 1_000_000
    fig, ax = plt.subplots()
    ax.bar(["黄金客户", "风险客户", "边际客户", "垃圾客户"], [4, 3, 2, 1])
    ax.set(title="客户价值矩阵 value × loyalty", xlabel="客户细分", ylabel="满意度 −1")
    plotting.quadrant_labels(ax, {(True, True): "很满意", (False, False): "很不满意"}, x_cut=1.5, y_cut=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # "Glyph ... missing from font(s)" is a UserWarning
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_without_the_theme_matplotlib_would_warn(monkeypatch):
    # Guard the guard: the default font does lack these glyphs, so the test above means something.
    import pytest
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"], "font.sans-serif": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("客户")
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
