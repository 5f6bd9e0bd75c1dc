"""crmlab.datasets: shipped files, typed loading, seeded regeneration, coherence between tables."""
import filecmp
from pathlib import Path

import pandas as pd
import pytest

from crmlab import datasets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("regenerated")
    datasets.regenerate(out)
    return out


def test_every_dataset_is_shipped_with_a_data_card():
    for name in datasets.names():
        assert (ROOT / "datasets" / f"{name}.csv").is_file()
        card = (ROOT / "datasets" / f"{name}.md").read_text(encoding="utf-8")
        for part in ("How generated", "seed", "Licence", "## Columns"):
            assert part in card, f"{name}.md lacks {part!r}"


def _public(path: Path) -> bool:
    """The public data sets' folders (datasets/cdnow/ …) and their hand-written cards (cdnow.md …)."""
    return (path.is_dir() or path.suffix == ".md") and path.stem in datasets.PUBLIC


def test_regeneration_with_the_same_seed_reproduces_the_shipped_bytes(regenerated):
    shipped = sorted(p.name for p in (ROOT / "datasets").iterdir() if not _public(p))
    assert shipped == sorted(p.name for p in regenerated.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(ROOT / "datasets", regenerated, shipped, shallow=False)
    assert not mismatch and not errors, f"regenerated files differ: {mismatch + errors}"


def test_every_public_data_set_is_shipped_with_its_licence_and_a_data_card():
    assert set(datasets.PUBLIC) == {"cdnow", "mobi"}
    assert not set(datasets.PUBLIC) & set(datasets.names())
    for name, meta in datasets.PUBLIC.items():
        folder = ROOT / "datasets" / name
        assert sorted(p.name for p in folder.iterdir()) == sorted(meta["files"] + meta["licence_files"])
        note = (folder / "LICENSE").read_text(encoding="utf-8")
        assert meta["licence"] in note and "Origin" in note, name
        card = (ROOT / "datasets" / f"{name}.md").read_text(encoding="utf-8")
        for part in ("Source", "Licence", meta["licence"], "## Columns", meta["loader"].rsplit(".", 1)[1],
                     *meta["files"], *meta["licence_files"]):
            assert part in card, f"{name}.md lacks {part!r}"
        for filename in meta["files"]:
            assert datasets.public_file(name, filename) == datasets.data_dir() / name / filename
    assert "GPL-3" in (ROOT / "datasets" / "mobi" / "COPYING").read_text(encoding="utf-8")
    with pytest.raises(KeyError, match="available"):
        datasets.public_file("mobi", "corp_rep_data.csv")


def test_the_cards_name_every_column_of_the_public_data():
    from crmlab import satisfaction, value
    cdnow = (ROOT / "datasets" / "cdnow.md").read_text(encoding="utf-8")
    for kind in ("summary", "transactions", "master"):
        frame = value.load_cdnow(kind)
        for column in [frame.index.name, *frame.columns] if kind == "summary" else frame.columns:
            assert f"`{column}`" in cdnow, (kind, column)
    mobi = (ROOT / "datasets" / "mobi.md").read_text(encoding="utf-8")
    for prefix in sorted({c.rstrip("0123456789") for c in satisfaction.load_mobi().columns}):
        assert f"`{prefix}" in mobi, prefix


def test_load_returns_typed_frames():
    orders = datasets.load("orders")
    assert orders["order_date"].dtype.kind == "M"
    assert orders["amount"].dtype.kind == "f" and orders["quantity"].dtype.kind == "i"
    customers = datasets.load("customers")
    assert str(customers["birth_year"].dtype) == "Int64"
    assert not customers["industry"].isna().any()          # text columns are never NaN
    assert datasets.load("complaints")["received_at"].dtype.kind == "M"


def test_generate_with_the_default_seed_equals_load():
    for name in ("customers", "orders", "survey_responses"):
        pd.testing.assert_frame_equal(datasets.generate(name), datasets.load(name))


def test_other_seeds_give_other_but_coherent_markets():
    a = datasets.generate("orders", seed=1, n_customers=300)
    b = datasets.generate("orders", seed=2, n_customers=300)
    assert not a.equals(b)
    customers = datasets.generate("customers", seed=1, n_customers=300)
    assert set(a["customer_id"]) <= set(customers["customer_id"])


def test_tables_agree_with_each_other():
    customers = datasets.load("customers")
    orders = datasets.load("orders")
    products = datasets.load("products")
    assert set(orders["customer_id"]) <= set(customers["customer_id"])
    assert set(orders["product_id"]) <= set(products["product_id"])
    assert (orders["amount"] - orders["quantity"] * orders["unit_price"]).abs().max() < 0.011
    complaints = datasets.load("complaints")
    merged = complaints.merge(orders, on="order_id", suffixes=("", "_order"))
    assert len(merged) == len(complaints)
    assert (merged["customer_id"] == merged["customer_id_order"]).all()
    assert (merged["received_at"] >= merged["order_date"]).all()
    opp = datasets.load("opportunities")
    orgs = set(customers.loc[customers["customer_type"] == "organisation", "customer_id"])
    assert set(opp["customer_id"]) <= orgs
    assert set(datasets.load("contacts")["customer_id"]) <= orgs


def test_dirty_rows_are_exactly_those_the_card_lists():
    dirt = datasets.dirty_rows()
    customers = datasets.load("customers")
    duplicated = customers.loc[customers.duplicated(keep="first"), "customer_id"]
    assert sorted(duplicated) == sorted(dirt["duplicate_customers"])
    card = (ROOT / "datasets" / "survey_responses.md").read_text(encoding="utf-8")
    for kind in ("incomplete", "out_of_range", "straight_lined", "duplicate"):
        assert dirt[kind], kind
        assert ", ".join(dirt[kind]) in card


def test_unknown_dataset_name_is_a_clear_error():
    with pytest.raises(KeyError, match="available"):
        datasets.load("nope")


def test_generators_do_not_read_the_clock(tmp_path, monkeypatch):
    """The same seed gives the same bytes whatever day it is (Faker's date helpers count from today)."""
    import datetime as dt

    import faker.providers.date_time as faker_dates

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2031, 2, 28, 23, 59, tzinfo=tz)

        @classmethod
        def today(cls):
            return cls(2031, 2, 28, 23, 59)

    from crmlab.datasets import _generate

    monkeypatch.setattr(faker_dates, "datetime", Later)
    _generate._market.cache_clear()            # draw anew under the moved clock
    datasets.regenerate(tmp_path)
    _generate._market.cache_clear()
    for name in ("contacts.csv", "customers.csv", "orders.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "datasets" / name).read_bytes(), name
