"""One plotting theme for every lab, with a CJK font so Chinese labels render (中文字体).

The font is Noto Sans CJK SC (SIL Open Font License), shipped inside the ``mplfonts`` wheel
on PyPI; we register the font file with matplotlib directly and do not run mplfonts' own
installer, which would rewrite the user's matplotlibrc.

Example
-------
>>> from crmlab import plotting
>>> plotting.use_theme()
'Noto Sans CJK SC'
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["use_theme", "cjk_font_path", "CJK_FONT", "quadrant_labels"]

CJK_FONT = "Noto Sans CJK SC"


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font file shipped by the ``mplfonts`` package."""
    path = Path(str(resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"))
    if not path.exists():  # pragma: no cover - only on a broken install
        raise FileNotFoundError(
            f"The CJK font is missing ({path}). Reinstall the 'mplfonts' package: pip install mplfonts")
    return path


def use_theme(context: str = "notebook") -> str:
    """Set the crmlab seaborn theme with a CJK-capable font and return the font's name.

    Call it once at the top of a notebook; every later plot can use Chinese text.
    """
    import matplotlib as mpl
    import seaborn as sns
    from matplotlib import font_manager

    path = str(cjk_font_path())
    if path not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(path)
    sns.set_theme(context=context, style="whitegrid", palette="deep",
                  font=CJK_FONT, rc={"axes.unicode_minus": False})
    # Keep DejaVu Sans as a fallback for symbols the CJK font lacks.
    mpl.rcParams["font.sans-serif"] = [CJK_FONT, "DejaVu Sans"]
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["figure.dpi"] = 80
    return CJK_FONT


def quadrant_labels(ax, labels: dict[tuple[bool, bool], str], *, x_cut: float, y_cut: float,
                    **text_kw) -> None:
    """Draw the two cut lines of a 2×2 matrix and write a label in each quadrant.

    ``labels`` maps (x is high, y is high) to the text of that quadrant.
    """
    ax.axvline(x_cut, color="grey", lw=1, ls="--")
    ax.axhline(y_cut, color="grey", lw=1, ls="--")
    # Work in axes coordinates (0–1) so the labels sit mid-quadrant on any scale, log included.
    to_axes = ax.transData + ax.transAxes.inverted()
    cx, cy = to_axes.transform((x_cut, y_cut))
    for (x_high, y_high), text in labels.items():
        x = (cx + 1) / 2 if x_high else cx / 2
        y = (cy + 1) / 2 if y_high else cy / 2
        ax.text(x, y, text, ha="center", va="center", alpha=0.85, transform=ax.transAxes,
                bbox=dict(boxstyle="round", fc="white", ec="grey", alpha=0.8), **text_kw)


def pyramid(labels: list[str], *, title: str = "", ax=None):
    """Draw a pyramid of ``len(labels)`` layers, the first label on the narrow top (e.g. a customer
    pyramid, A grade first), and return the axes. Colours follow the layer order.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = pyramid(["A 级 2 家", "B 级 5 家", "C 级 9 家"], title="客户金字塔")
    >>> [t.get_text() for t in ax.texts], len(ax.patches)
    (['A 级 2 家', 'B 级 5 家', 'C 级 9 家'], 3)
    >>> import matplotlib.pyplot as plt
    >>> plt.close(ax.figure)
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 0.5 + 1.0 * len(labels)))
    for i, label in enumerate(labels):
        width = 0.5 + 0.4 * i                   # each layer wider than the one above it
        ax.barh(-i, width, left=-width / 2, height=0.9, color=f"C{i}")
        ax.text(0, -i, label, ha="center", va="center", color="white", fontsize=9)
    ax.set(xlim=(-0.05 - width / 2, 0.05 + width / 2) if labels else None, title=title)
    ax.axis("off")
    return ax
