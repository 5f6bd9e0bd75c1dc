"""Datasets for the labs: shipped CSV files, seeded generators and typed loaders (数据集).

>>> from crmlab import datasets
>>> customers = datasets.load("customers")
>>> customers["signup_date"].dtype.kind
'M'
>>> fresh = datasets.generate("orders", seed=7, n_customers=200)   # a new, smaller market
>>> sorted(datasets.names())[:3]
['complaints', 'contacts', 'customers']

Nothing is downloaded: the shipped files travel inside the package, and :func:`generate` makes
new markets locally from a seed. :func:`regenerate` rewrites the shipped files and their data
cards; a test proves that it reproduces them byte for byte.

Two public data sets travel with them, unchanged and under their own licences (:data:`PUBLIC`,
each in its own folder with a ``LICENSE`` file): the CDNOW purchases of Fader & Hardie (MIT, read
by ``crmlab.value.load_cdnow``) and the ECSI ``mobi`` survey (GPL-3, read by
``crmlab.satisfaction.load_mobi``). :func:`regenerate` leaves them alone.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from ._cards import CARDS, PUBLIC, card_markdown
from ._generate import DEFAULT_SEED, dirty_rows, generate_market

__all__ = ["load", "generate", "names", "data_dir", "public_file", "regenerate", "dirty_rows", "DEFAULT_SEED",
           "CARDS", "PUBLIC"]


def names() -> list[str]:
    """Names of the shipped datasets."""
    return list(CARDS)


def data_dir() -> Path:
    """Folder holding the shipped CSV files.

    In a wheel they live in ``crmlab/datasets/data``; in a source checkout (editable install)
    they are read from the repository's top-level ``datasets/`` folder.
    """
    packaged = Path(str(resources.files(__name__) / "data"))
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "datasets"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("crmlab's dataset files are missing; reinstall crmlab (pip install crmlab)")


def public_file(name: str, filename: str) -> Path:
    """Path of one file of a shipped public data set (:data:`PUBLIC`), e.g. ``("mobi", "mobi.csv")``.

    These files are copied unchanged from the packages that first distributed them and keep their
    own licences (the ``LICENSE`` file in the same folder); their loaders are
    ``crmlab.value.load_cdnow`` and ``crmlab.satisfaction.load_mobi``.
    """
    if name not in PUBLIC or filename not in PUBLIC[name]["files"]:
        raise KeyError(f"unknown public data file {name}/{filename}; available: "
                       + ", ".join(f"{n}/{f}" for n, card in PUBLIC.items() for f in card["files"]))
    path = data_dir() / name / filename
    if not path.is_file():
        raise FileNotFoundError(f"crmlab's data file {name}/{filename} is missing; reinstall crmlab "
                                f"/ crmlab 的数据文件 {name}/{filename} 缺失，请重新安装 crmlab")
    return path


def _typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    card = CARDS[name]
    for column, (kind, _) in card["columns"].items():
        if kind in ("date", "datetime"):
            frame[column] = pd.to_datetime(frame[column].replace("", pd.NA))
        elif kind == "int?":
            frame[column] = pd.to_numeric(frame[column]).astype("Int64")
        elif kind == "str":
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def load(name: str) -> pd.DataFrame:
    """Load a shipped dataset as a typed DataFrame (dates parsed, text never NaN).

    Parameters
    ----------
    name : one of :func:`names`, e.g. ``"customers"`` or ``"orders"``.
    """
    if name not in CARDS:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(names())}")
    frame = pd.read_csv(data_dir() / f"{name}.csv", dtype=str, keep_default_na=False)
    for column, (kind, _) in CARDS[name]["columns"].items():
        if kind in ("int", "float"):
            frame[column] = pd.to_numeric(frame[column])
    return _typed(name, frame)


def generate(name: str, seed: int = DEFAULT_SEED, n_customers: int = 1200) -> pd.DataFrame:
    """Generate one table of a fresh market, typed like :func:`load`.

    With the default ``seed`` and size it equals ``load(name)``; other seeds give new, equally
    realistic markets (the hidden tests of the labs use them).
    """
    if name not in CARDS:
        raise KeyError(f"unknown dataset {name!r}; available: {', '.join(names())}")
    frame = generate_market(seed, n_customers)[name]
    # Round-trip through text so types match the shipped CSV exactly.
    text = frame.to_csv(index=False, lineterminator="\n")
    from io import StringIO
    raw = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
    for column, (kind, _) in CARDS[name]["columns"].items():
        if kind in ("int", "float"):
            raw[column] = pd.to_numeric(raw[column])
    return _typed(name, raw)


def regenerate(out: str | Path | None = None, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write every dataset and its data card (``NAME.csv`` and ``NAME.md``) to ``out``.

    ``out`` defaults to the repository's ``datasets/`` folder. Returns the written paths.
    """
    out = Path(out) if out is not None else Path(__file__).resolve().parents[2] / "datasets"
    out.mkdir(parents=True, exist_ok=True)
    tables = generate_market(seed)
    dirt = dirty_rows(seed)
    written = []
    for name, frame in tables.items():
        missing = set(frame.columns) ^ set(CARDS[name]["columns"])
        if missing:  # pragma: no cover - guards the cards against drift
            raise RuntimeError(f"data card of {name} does not match its columns: {sorted(missing)}")
        csv = out / f"{name}.csv"
        frame.to_csv(csv, index=False, lineterminator="\n")
        card = out / f"{name}.md"
        card.write_text(card_markdown(name, frame, seed, dirt), encoding="utf-8")
        written += [csv, card]
    return written
