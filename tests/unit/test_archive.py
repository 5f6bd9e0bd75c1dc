"""Tests of crmlab.archive: catalogue, credit, cards, normalisation, consolidation, quality, analysis.

References used for cross-checks:

* Pairwise precision/recall of a deduplication: Christen, P. (2012). *Data Matching*. Springer,
  §7.3 (pair-based measures) — re-computed here by enumerating every pair with itertools.
* String similarity: ``rapidfuzz.fuzz.ratio`` (rapidfuzz 3.x documentation: "normalized Indel
  similarity", 0–100) and the standard library's ``difflib.SequenceMatcher.ratio`` (2·M/T).
* Solvency ratios: the textbook's formulas (task 5 §5.3.2 2) on our digest's worked example D1
  (流动比率 200 %, 速动比率 106.7 %, 现金比率 50 %, 超速动比率 100 %, 负债流动率 120 %,
  资产负债率 40 %).
* FedEx score (task 5 拓展学习) on the digest's example D2: 2 × 8,000 + 5,000 = 21,000.
* RFM quintiles on the digest's example D3 (10 customers, cells 555 … 111; top 40 % of customers
  give 80.4 % of the monetary value, 60 % give 92.5 %).
"""
from __future__ import annotations

import difflib
import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import archive, datasets, errors, value
from helpers import bilingual


@pytest.fixture(scope="module")
def customers():
    return datasets.load("customers")


@pytest.fixture(scope="module")
def orders():
    return datasets.load("orders")


@pytest.fixture(scope="module")
def messy():
    return archive.scattered_records(n_customers=400, seed=11)


# ------------------------------------------------------------------------- catalogue
def test_catalogue_levels_and_unique_codes():
    cat = archive.column_catalogue()
    assert cat.index.is_unique
    assert set(cat["level"]) == {1, 2, 3}
    labels = [lab for c in archive.COLUMNS for lab in (c.code, c.zh, *c.aliases)]
    assert len(labels) == len(set(labels)), "a label names two fields"
    # the shipped customers table is entirely in the catalogue
    assert (archive.columns_by_level(datasets.load("customers"))["level"] > 0).all()
    with pytest.raises(archive.ArchiveError) as e:
        archive.column_catalogue(4)
    assert bilingual(e.value)


def test_catalogue_matches_the_system_models():
    """One domain model: level-1 columns exist on crmlab.system's Customer where it has them."""
    models = pytest.importorskip("crmlab.system.models")
    cols = set(models.Customer.__table__.c.keys()) | set(models.CreditRecord.__table__.c.keys())
    for code in ("name", "industry", "region", "address", "phone", "card_type", "stop_reason",
                 "first_trade_date", "last_trade_date", "credit_limit", "credit_grade", "report_date", "valid_until"):
        assert code in cols
    assert archive._catalogue_entry("no").code == "customer_id"


def test_validate_archive_on_shipped_customers(customers):
    before = customers.copy()
    issues = archive.validate_archive(customers, errors="report")
    assert set(issues["problem"]) == {"duplicate_id"}
    assert len(issues) == 24                       # 12 customers keyed twice (data card)
    with pytest.raises(archive.ArchiveError) as e:
        archive.validate_archive(customers)
    assert bilingual(e.value) and "客户编号重复" in str(e.value)
    assert archive.validate_archive(customers.drop_duplicates()).empty
    pd.testing.assert_frame_equal(customers, before)


def test_validate_archive_requires_level1_and_rejects_bad_options():
    with pytest.raises(archive.ArchiveError, match="customer_id"):
        archive.validate_archive(pd.DataFrame({"name": ["a"]}))
    with pytest.raises(archive.ArchiveError):
        archive.validate_archive(pd.DataFrame({"customer_id": ["a"], "name": ["b"]}), errors="ignore")
    with pytest.raises(archive.ArchiveError):
        archive.validate_archive(pd.DataFrame({"customer_id": ["a"], "name": ["b"]}), level=5)
    with pytest.raises(archive.ArchiveError):
        archive.validate_archive([1, 2])


# ------------------------------------------------------------------------- collection methods
def test_collection_methods_catalogue():
    m = archive.COLLECTION_METHODS
    assert len(m) == 17
    assert m["zh"].iloc[0] == "原始记录法" and m["zh"].iloc[-1] == "行业网站法"
    assert set(m["family"]) == {"traditional", "modern"} and set(m["party"]) == {"first", "third"}
    assert (m["must_verify"] == (m["party"] == "third")).all()


def test_source_mix_counts_and_bad_label():
    df = pd.DataFrame({"source_method": ["熟人法", "熟人", "acquaintances", "行业网站法"], "verified": [1, 1, 0, 0]})
    mix = archive.source_mix(df, verified="verified")
    assert mix.loc["acquaintances", "n"] == 3 and mix["share"].sum() == pytest.approx(1)
    assert mix.loc["industry_sites", "unverified_third_party"] == 1
    with pytest.raises(archive.ArchiveError) as e:
        archive.source_mix(pd.DataFrame({"source_method": ["算命法"]}))
    assert bilingual(e.value)


# ------------------------------------------------------------------------- contacts
def test_decision_roles_and_map(customers):
    assert archive.decision_role("评估小组") == "evaluator"
    with pytest.raises(archive.ArchiveError) as e:
        archive.decision_role("boss")
    assert bilingual(e.value)
    contacts = datasets.load("contacts")
    m = archive.decision_map(contacts, customers.drop_duplicates())
    orgs = customers.drop_duplicates().query("customer_type == 'organisation'")["customer_id"]
    assert set(orgs) <= set(m.index)                      # organisations without contacts are listed
    assert (m.loc[~m.index.isin(contacts["customer_id"]), "n_contacts"] == 0).all()
    assert (m["has_required"] == (m["decision_maker"] > 0)).all()
    assert m["n_contacts"].sum() == len(contacts)
    bad = contacts.head(3).assign(decision_role=["decision_maker", "老大", "user"])
    with pytest.raises(archive.ArchiveError, match="老大"):
        archive.decision_map(bad)


# ------------------------------------------------------------------------- credit (dynamic management)
def test_credit_status_window_boundaries():
    as_of = pd.Timestamp("2025-06-30")
    ages = [0, 90, 91, 365, 366]
    credit = pd.DataFrame({"customer_id": [f"C{a}" for a in ages],
                           "report_date": [as_of - pd.Timedelta(days=a) for a in ages]})
    before = credit.copy()
    st_ = archive.credit_status(credit, as_of).loc[credit["customer_id"]]
    assert st_["status"].tolist() == ["valid", "valid", "review", "review", "expired"]
    assert st_["status_zh"].tolist() == ["有效", "有效", "待复查", "待复查", "过期"]
    assert archive.CREDIT_VALIDITY_DAYS == (90, 365)
    pd.testing.assert_frame_equal(credit, before)


def test_credit_status_valid_until_latest_and_missing():
    credit = pd.DataFrame({"customer_id": ["A", "A", "B"], "report_date": ["2025-01-01", "2025-06-01", "2025-06-01"],
                           "valid_until": [None, "2025-06-15", None], "credit_limit": [1, 2, 3]})
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"]})
    st_ = archive.credit_status(credit, "2025-06-30", customers=customers)
    assert st_.loc["A", "credit_limit"] == 2               # the latest report counts
    assert st_["status"].to_dict() == {"A": "expired", "B": "valid", "C": "missing"}


def test_credit_status_needs_as_of_and_rejects_future_reports():
    credit = pd.DataFrame({"customer_id": ["A"], "report_date": ["2025-07-01"]})
    with pytest.raises(archive.ArchiveError) as e:
        archive.credit_status(credit, None)
    assert bilingual(e.value) and "wall clock" in str(e.value)
    with pytest.raises(archive.ArchiveError) as e:
        archive.credit_status(credit, "2025-06-30")
    assert e.value.code == "FUTURE_REPORT" and bilingual(e.value)
    with pytest.raises(archive.ArchiveError):
        archive.credit_status(credit, "2025-12-31", review_days=400)
    with pytest.raises(archive.ArchiveError):
        archive.credit_status(credit.assign(report_date=["not a date"]), "2025-12-31")


# ------------------------------------------------------------------------- card types
def test_card_types_rules():
    customers = pd.DataFrame({"customer_id": ["P", "C", "F1", "F2"], "stop_reason": [None, "", None, "倒闭"]})
    orders = pd.DataFrame({"customer_id": ["C", "F1", "F2", "P"],
                           "order_date": ["2025-06-01", "2024-01-01", "2025-06-01", "2026-01-05"],
                           "amount": [10.0, 20.0, 30.0, 40.0]})
    before = customers.copy()
    cards = archive.card_types(customers, orders, as_of="2025-06-30")
    assert cards["card_type"].to_dict() == {"P": "prospect", "C": "current", "F1": "former", "F2": "former"}
    assert cards.loc["P", "n_orders"] == 0                   # an order after as_of does not count
    assert cards.loc["F1", "needs_stop_reason"] and not cards.loc["F2", "needs_stop_reason"]
    assert cards.loc["F2", "stop_reason"] == "倒闭" and cards.loc["F1", "total_amount"] == 20.0
    pd.testing.assert_frame_equal(customers, before)


def test_card_types_on_shipped_data_never_drops(customers, orders):
    cust = customers.drop_duplicates()
    cards = archive.card_types(cust, orders, as_of="2025-12-31")
    assert cards.index.tolist() == cust["customer_id"].tolist()
    assert (cards.loc[cards["card_type"] == "prospect", "n_orders"] == 0).all()
    assert cards["n_orders"].sum() == len(orders)


def test_card_types_bad_input(customers, orders):
    with pytest.raises(archive.ArchiveError) as e:
        archive.card_types(customers, orders, as_of="2025-12-31")           # 12 duplicated ids
    assert e.value.code == "DUPLICATE_ID" and bilingual(e.value)
    with pytest.raises(archive.ArchiveError) as e:
        archive.card_types(pd.DataFrame({"customer_id": ["X"]}), orders, as_of="2025-12-31")
    assert e.value.code == "UNKNOWN_CUSTOMER"
    neg = pd.DataFrame({"customer_id": ["X"], "order_date": ["2025-01-01"], "amount": [-5.0]})
    with pytest.raises(archive.ArchiveError) as e:
        archive.card_types(pd.DataFrame({"customer_id": ["X"]}), neg, as_of="2025-12-31")
    assert e.value.code == "NEGATIVE_AMOUNT" and bilingual(e.value)


# ------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 13800138000", "+8613800138000",
                                 "0086 138 0013 8000", "8613800138000", "１３８００１３８０００", "(138)0013.8000",
                                 "+86\u3000138 0013 8000"])
def test_normalise_phone_mobile_variants(raw):
    assert archive.normalise_phone(raw) == "13800138000"
    assert archive.phone_valid(raw)


@pytest.mark.parametrize("raw,expected,valid", [
    ("020-88881234", "02088881234", True), ("(0755) 8888 1234", "075588881234", True),
    ("+86 20 8888 1234", "02088881234", True), ("0086-755-88881234", "075588881234", True),
    ("1380013800", "1380013800", False), ("12345678901", "12345678901", False), ("abc", None, False),
    ("", None, False), (None, None, False)])
def test_normalise_phone_landlines_and_invalid(raw, expected, valid):
    assert archive.normalise_phone(raw) == expected
    assert archive.phone_valid(raw) is valid


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10 ** 8 - 1), st.sampled_from(["13", "15", "18", "19"]), st.integers(0, 9))
def test_every_mobile_format_normalises_to_one_key(body, head, third):
    mobile = f"{head}{third}{body:08d}"
    variants = [mobile, f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"+86-{mobile}", f"0086{mobile}",
                mobile.translate(str.maketrans("0123456789", "０１２３４５６７８９"))]
    keys = set(archive.normalise_phone(variants))
    assert keys == {mobile}
    assert archive.normalise_phone(archive.normalise_phone(mobile)) == mobile    # idempotent


def test_normalise_name_and_key():
    assert archive.normalise_name("星海 电器（上海）有限责任公司") == "星海电器(上海)有限公司"
    assert archive.normalise_name("ａｂｃ商行") == "ABC商行"
    assert archive.name_key("星海电器股份有限公司") == archive.name_key("星海电器公司") == "星海电器"
    s = pd.Series(["王伟", " 王 伟 ", None], index=["x", "y", "z"])
    out = archive.normalise_name(s)
    assert out.index.tolist() == ["x", "y", "z"] and out.tolist()[:2] == ["王伟", "王伟"] and out.isna().iloc[2]


@pytest.mark.parametrize("a,b", [
    ("广东省广州市天河区体育西路103号", "广东广州天河区体育西路１０３号"),
    ("广西壮族自治区南宁市青秀区民族大道1号", "广西南宁青秀区民族大道1号"),
    ("北京市朝阳区光明路3号", "北京 朝阳区 光明路3号"),
    ("上海市浦东新区世纪大道100号", "上海浦东新区世纪大道100号"),
])
def test_normalise_address_province_city_suffixes(a, b):
    assert archive.normalise_address(a) == archive.normalise_address(b)


def test_similarity_backends_agree_with_references():
    rapidfuzz = pytest.importorskip("rapidfuzz")
    pairs = [("星海电器", "星海电气"), ("王伟", "王玮"), ("广东广州天河区中山路1号", "广东广州天河区中山路12号"),
             ("abc", "xyz"), ("长沙天雅酒店", "长沙天雅酒店")]
    for a, b in pairs:
        ref_rf = rapidfuzz.fuzz.ratio(a, b)
        ref_dl = difflib.SequenceMatcher(None, a, b).ratio() * 100
        assert archive.similarity(a, b, "rapidfuzz") == pytest.approx(ref_rf)
        assert archive.similarity(a, b, "difflib") == pytest.approx(ref_dl)
        assert ref_rf == pytest.approx(ref_dl)         # same formula on these short strings
    assert archive.similarity(None, "a") == 0.0
    with pytest.raises(archive.ArchiveError):
        archive.similarity("a", "b", backend="levenshtein")


# ------------------------------------------------------------------------- duplicates and merging
def brute_force_scores(pred, truth):
    """Pairwise precision/recall by enumerating every pair (Christen 2012, §7.3)."""
    pred, truth = list(pred), list(truth)
    pp = tp = cp = 0
    for i, j in itertools.combinations(range(len(pred)), 2):
        same_p, same_t = pred[i] == pred[j], truth[i] == truth[j]
        pp += same_p
        tp += same_t
        cp += same_p and same_t
    return cp / pp, cp / tp


def test_dedup_scores_matches_pair_enumeration():
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 15, 60)
    pred = np.where(rng.random(60) < 0.8, truth, rng.integers(0, 15, 60))
    s = archive.dedup_scores(pred, truth)
    p, r = brute_force_scores(pred, truth)
    assert s["precision"] == pytest.approx(p) and s["recall"] == pytest.approx(r)
    assert s["f1"] == pytest.approx(2 * p * r / (p + r))
    with pytest.raises(archive.ArchiveError):
        archive.dedup_scores(pd.Series([1, 2], index=["a", "b"]), pd.Series([1, 2], index=["a", "c"]))


def test_scattered_records_is_seeded_and_aligned():
    a, ta = archive.scattered_records(n_customers=80, seed=5)
    b, tb = archive.scattered_records(n_customers=80, seed=5)
    c, _ = archive.scattered_records(n_customers=80, seed=6)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(ta, tb)
    assert not a.equals(c)
    assert ta.index.equals(a.index) and ta.nunique() == 80 and a["record_id"].is_unique
    assert set(a["region"]) <= {"华南", "北方"}
    # each salesperson's home territory is two prefecture-level areas (无锡中原)
    assert archive.WUXI_ZHONGYUAN["areas_per_salesperson"] == 2
    with pytest.raises(archive.ArchiveError):
        archive.scattered_records(n_customers=0)
    with pytest.raises(archive.ArchiveError):
        archive.scattered_records(dup_share=1.5)


def test_scattered_records_messiness_is_present(messy):
    records, truth = messy
    assert records["phone"].isna().any() and records["address"].isna().any()
    assert (~archive.phone_valid(records["phone"].dropna())).any()                 # invalid phones
    assert records["name"].str.contains("有限责任公司").any()
    assert records["phone"].dropna().str.contains(r"^\+86|^0086").any()
    assert (records["credit_limit"] < 0).any()                                     # keying errors
    # same name, different customers exist: names alone cannot decide
    same_name = records.assign(e=truth).groupby("name")["e"].nunique()
    assert (same_name > 1).any()


def test_find_duplicates_blocks_instead_of_all_pairs(messy):
    records, truth = messy
    pairs = archive.find_duplicates(records, city="city")
    n = len(records)
    assert len(pairs) < n * 5                     # far fewer than n(n-1)/2 ≈ n²/2 comparisons
    assert (pairs["match"] == (pairs["rule"] != "")).all()
    pos = {lab: i for i, lab in enumerate(records.index)}
    assert all(pos[a] < pos[b] for a, b in zip(pairs["left"], pairs["right"]))
    m = pairs[pairs["match"]]
    precision = (truth.loc[m["left"]].to_numpy() == truth.loc[m["right"]].to_numpy()).mean()
    assert precision > 0.97


def test_find_duplicates_difflib_backend_gives_the_same_pairs(messy):
    records, _ = messy
    small = records.head(250)
    a = archive.find_duplicates(small, city="city", backend="rapidfuzz")
    b = archive.find_duplicates(small, city="city", backend="difflib")
    assert a[["left", "right"]].equals(b[["left", "right"]])
    assert (a["match"] == b["match"]).mean() > 0.99


def test_find_duplicates_max_block_and_bad_options():
    df = pd.DataFrame({"name": [f"客户{i}" for i in range(30)], "phone": ["13800000000"] * 30})
    pairs = archive.find_duplicates(df, address=None, max_block=10)
    assert pairs.attrs["skipped_blocks"] == 1 and pairs.empty
    assert len(archive.find_duplicates(df, address=None, max_block=30)) == 30 * 29 // 2
    with pytest.raises(archive.ArchiveError):
        archive.find_duplicates(df, address=None, max_block=1)
    with pytest.raises(archive.ArchiveError):
        archive.find_duplicates(df, address="addr")


def test_consolidate_scores_and_nothing_lost(messy):
    records, truth = messy
    before = records.copy()
    res = archive.consolidate(records, id_col="record_id", city="city", date="recorded_at")
    pd.testing.assert_frame_equal(records, before)                                  # caller's frame untouched
    m = res.members
    # merged + kept = input, and every input id sits in exactly one record
    assert len(m) == len(records) and (m["status"] == "kept").sum() == len(res.records)
    assert len(res.records) + (m["status"] == "merged").sum() == len(records)
    listed = [i for ids in res.records["merged_ids"] for i in ids.split(", ")]
    assert sorted(listed) == sorted(records["record_id"])
    assert res.records["n_records"].sum() == len(records)
    # quality of the dedup against the ground truth
    s = archive.dedup_scores(m["cluster"].to_numpy(), truth.to_numpy())
    assert s["precision"] > 0.97 and s["recall"] > 0.90
    # better than dropping exact duplicates of the raw (name, phone) columns
    naive = records.groupby(["name", "phone"], dropna=False).ngroup()
    assert s["recall"] > archive.dedup_scores(naive.to_numpy(), truth.to_numpy())["recall"] + 0.3


def test_consolidate_audit_lists_every_value_not_kept(messy):
    records, _ = messy
    res = archive.consolidate(records, id_col="record_id", city="city", date="recorded_at")
    rec = records.set_index("record_id")
    multi = res.records[res.records["n_records"] > 1]
    audit = res.audit.set_index(["cluster", "field"])
    for cluster, row in multi.head(60).iterrows():
        ids = row["merged_ids"].split(", ")
        vals = rec.loc[ids, "credit_limit"].dropna()
        if vals.nunique() > 1:
            entry = audit.loc[(row["cluster"], "credit_limit")]
            kept = float(entry["kept_value"])
            dropped = {float(x.split(": ")[1]) for x in entry["not_kept"].split("; ")}
            assert set(vals) == dropped | {kept}
            assert entry["action"] == "conflict" and bilingual(errors.bilingual(entry["reason_en"], entry["reason_zh"]))
            assert row["credit_limit"] == kept
    # the record date keeps the latest
    for _, row in multi.head(30).iterrows():
        assert row["recorded_at"] == rec.loc[row["merged_ids"].split(", "), "recorded_at"].max()


def test_consolidate_majority_vote_and_fill():
    df = pd.DataFrame({"record_id": ["a", "b", "c"], "name": ["星海酒店", "星海酒店", "星海 酒店"],
                       "phone": ["13800138000", "138 0013 8000", "+86 13800138000"],
                       "address": ["广州天河区中山路1号", None, None],
                       "contact": [None, "李明", "李明"], "credit_limit": [1000.0, 2000.0, 2000.0]})
    res = archive.consolidate(df, id_col="record_id")
    assert len(res.records) == 1
    r = res.records.iloc[0]
    assert r.name == "a"                            # the most complete record is kept …
    assert r["contact"] == "李明"                   # … its blank filled …
    assert r["credit_limit"] == 2000.0              # … and the majority value wins
    assert set(res.audit["action"]) == {"filled", "conflict"}
    assert res.summary()["merged"] == 2


def test_consolidate_bad_input():
    df = pd.DataFrame({"record_id": ["a", "a"], "name": ["x", "y"], "phone": [None, None], "address": [None, None]})
    with pytest.raises(archive.ArchiveError) as e:
        archive.consolidate(df, id_col="record_id")
    assert e.value.code == "DUPLICATE_ID" and bilingual(e.value)
    with pytest.raises(archive.ArchiveError):
        archive.consolidate(df, id_col="nope")


# ------------------------------------------------------------------------- quality report
def test_quality_issues_and_report(messy):
    records, _ = messy
    before = records.copy()
    issues = archive.quality_issues(records, as_of="2025-12-31")
    assert set(issues["problem"]) == {"bad_phone", "negative_amount"}
    n_bad_phone = int((~archive.phone_valid(records["phone"].dropna())).sum())
    assert (issues["problem"] == "bad_phone").sum() == n_bad_phone
    assert (issues["problem"] == "negative_amount").sum() == int((records["credit_limit"] < 0).sum())
    rep = archive.quality_report(records, as_of="2025-12-31", updated="recorded_at")
    assert rep.loc["phone", "completeness"] == pytest.approx(records["phone"].notna().mean())
    assert rep.loc["phone", "invalid"] == n_bad_phone
    fresh = (pd.to_datetime(records["recorded_at"]) > pd.Timestamp("2024-12-31")).mean()
    assert rep.loc["record_id", "freshness"] == pytest.approx(fresh)
    assert np.isnan(rep.loc["name", "validity"])
    pd.testing.assert_frame_equal(records, before)


def test_quality_flags_each_kind():
    df = pd.DataFrame({"customer_id": ["C1", None, "C3"], "name": ["甲", "", "丙"],
                       "signup_date": ["2025-01-01", "2026-02-01", "bad"], "birth_year": [1980, 1850, None],
                       "region": ["华东", "火星", None], "campaigns_received": [1, -1, 2.5], "verified": [True, "maybe", 0]})
    got = archive.quality_issues(df, as_of="2025-12-31")
    assert set(zip(got["column"], got["problem"])) == {
        ("customer_id", "blank_id"), ("name", "blank_name"), ("signup_date", "future_date"), ("signup_date", "bad_date"),
        ("birth_year", "bad_year"), ("region", "unknown_label"), ("campaigns_received", "bad_count"),
        ("verified", "bad_bool")}
    assert (got["zh"].str.len() > 0).all()
    with pytest.raises(archive.ArchiveError):
        archive.quality_report(df, fresh_days=0)


# ------------------------------------------------------------------------- composition
def test_composition_tables(orders, customers):
    t = archive.composition(orders, "channel")
    assert t["value"].sum() == pytest.approx(orders["amount"].sum())
    assert t["value_share"].sum() == pytest.approx(1) and t["cumulative_share"].iloc[-1] == pytest.approx(1)
    assert t["value"].is_monotonic_decreasing
    assert t["customers"].to_dict() == orders.groupby("channel")["customer_id"].nunique().to_dict()
    sales = archive.sales_composition(orders)
    assert sales.loc["A", "value_share"] == pytest.approx(0.8, abs=0.02)
    assert sales["customers"].sum() == orders["customer_id"].nunique()
    prod = archive.product_composition(orders, datasets.load("products"))
    assert prod["value"].sum() == pytest.approx(orders["amount"].sum())
    reg = archive.region_composition(orders, customers.drop_duplicates())
    assert reg["customers"].sum() == orders["customer_id"].nunique()
    with pytest.raises(archive.ArchiveError):
        archive.region_composition(orders, customers)                    # duplicated ids
    with pytest.raises(archive.ArchiveError) as e:
        archive.composition(orders.assign(amount=-orders["amount"]), "channel")
    assert e.value.code == "NEGATIVE_AMOUNT" and bilingual(e.value)
    with pytest.raises(archive.ArchiveError):
        archive.product_composition(orders)                              # no category without products


# ------------------------------------------------------------------------- solvency
JIA = {"货币资金": 120, "有价证券": 30, "应收账款净额": 150, "预付账款": 20, "待摊费用": 10, "存货": 250,
       "流动资产": 600, "流动负债": 300, "负债总额": 500, "资产总额": 1250}


def test_solvency_ratios_worked_example_d1():
    r = archive.solvency_ratios(JIA)
    expected = {"current_ratio": 2.0, "quick_ratio": 320 / 300, "cash_ratio": 0.5, "super_quick_ratio": 1.0,
                "liability_liquidity_ratio": 1.2, "debt_asset_ratio": 0.4, "quick_to_current": (320 / 300) / 2}
    for k, v in expected.items():
        assert r[k] == pytest.approx(v)
    english = {"cash": 120, "securities": 30, "ar_net": 150, "prepaid": 20, "deferred": 10, "inventory": 250,
               "current_assets": 600, "current_liabilities": 300, "total_liabilities": 500, "total_assets": 1250}
    frame = pd.DataFrame([english, {**english, "inventory": 500}], index=["甲", "乙"])
    rf = archive.solvency_ratios(frame)
    assert rf.loc["甲"].to_dict() == pytest.approx(r.to_dict())
    assert rf.loc["乙", "quick_ratio"] == pytest.approx(70 / 300)
    flags = archive.solvency_flags(rf)
    assert flags.loc["乙", "quick_ratio"] == "attention" and flags.loc["乙", "current_ratio"] == "ideal"


@pytest.mark.parametrize("cur,flag", [(2.0, "ideal"), (1.99, "ok"), (1.0, "ok"), (0.99, "attention")])
def test_solvency_flag_thresholds_current(cur, flag):
    r = pd.Series({"current_ratio": cur, "quick_ratio": 1.0, "cash_ratio": 0.2, "quick_to_current": 1 / 1.5})
    f = archive.solvency_flags(r)
    assert f["current_ratio"] == flag
    assert f["quick_ratio"] == "ok" and f["cash_ratio"] == "attention" and f["quick_to_current"] == "near_guideline"
    assert archive.solvency_flags(r.replace({0.2: 0.5}), cash_too_high=0.4)["cash_ratio"] == "too_high"


def test_solvency_bad_input():
    for bad, code in (({**JIA, "流动负债": 0}, "ZERO_DENOMINATOR"), ({**JIA, "存货": -1}, "NEGATIVE_AMOUNT"),
                      ({**JIA, "存货": 700}, "INCONSISTENT"), ({k: v for k, v in JIA.items() if k != "存货"}, "MISSING_COLUMN")):
        with pytest.raises(archive.ArchiveError) as e:
            archive.solvency_ratios(bad)
        assert e.value.code == code and bilingual(e.value)
    assert set(archive.SOLVENCY_RULES.index) >= {"current_ratio", "quick_ratio", "cash_ratio", "super_quick_ratio",
                                                 "liability_liquidity_ratio", "debt_asset_ratio"}


# ------------------------------------------------------------------------- dealer evaluation
def test_dealer_evaluation_against_hand_computation():
    rng = np.random.default_rng(0)
    cols = list(archive.DEALER_EVALUATION)
    scores = pd.DataFrame(rng.integers(1, 6, size=(20, len(cols))), columns=cols)
    res = archive.dealer_evaluation(scores)
    w = pd.Series(archive.DEALER_EVALUATION_WEIGHTS)
    assert w.sum() == pytest.approx(1)
    manual = (scores[w.index] * w).sum(axis=1)
    assert np.allclose(res["score"], manual)
    assert (res["vetoed"] == (scores["credibility"] < 3)).all()
    assert res["rank"].isna().equals(res["vetoed"])
    fake = (scores["enthusiasm"] >= 4) & ((scores["funds"] <= 2) | (scores["credibility"] <= 2))
    assert (res["fake_enthusiasm"] == fake).all()
    with pytest.raises(ValueError):
        archive.dealer_evaluation(scores.assign(enthusiasm=9))


# ------------------------------------------------------------------------- FedEx
def test_fedex_score_d2_and_window_edges():
    orders = pd.DataFrame({"customer_id": ["K", "K", "K", "K", "K"],
                           "order_date": ["2025-12-31", "2025-09-30", "2025-10-01", "2025-06-30", "2026-01-01"],
                           "amount": [5000.0, 5000.0, 3000.0, 7000.0, 9999.0]})
    s = archive.fedex_score(orders, "2025-12-31").loc["K"]
    assert s["last_3m"] == 8000 and s["months_3_6"] == 5000 and s["score"] == archive.FEDEX_EXAMPLE["score"]


def test_fedex_groups_rules():
    as_of = pd.Timestamp("2025-12-31")
    d = lambda s: pd.Timestamp(s)                                          # noqa: E731
    rows = []
    # 20 steady mid buyers to make tiers meaningful
    for i in range(20):
        for m in ("2025-03-15", "2025-06-15", "2025-09-15", "2025-12-15"):
            rows.append((f"S{i}", d(m), 1000.0 + i))
    rows += [("BIG", d("2025-06-15"), 50_000.0), ("BIG", d("2025-12-15"), 50_000.0)]           # stable top
    rows += [("GROW", d("2025-06-15"), 10_000.0), ("GROW", d("2025-12-15"), 80_000.0)]         # growth
    rows += [("LOSTM", d("2025-06-15"), 20_000.0), ("LOSTM", d("2025-03-15"), 20_000.0)]       # lost, was high/mid
    rows += [("LOSTL", d("2025-06-15"), 100.0)]                                                # lost, was low
    rows += [("BACK", d(m), 200.0) for m in ("2024-02-15", "2024-04-15", "2024-06-15", "2024-08-15", "2025-12-01")]
    rows += [("SEAS", d("2024-12-10"), 300.0), ("SEAS", d("2025-12-10"), 300.0)]               # seasonal
    rows += [("GONE", d("2023-01-10"), 300.0)]                                                 # inactive
    orders = pd.DataFrame(rows, columns=["customer_id", "order_date", "amount"])
    g = archive.fedex_groups(orders, as_of)
    assert g.loc["BIG", "group"] == "stable_top10" and g.loc["BIG", "no"] == 1
    assert g.loc["GROW", "group"] == "growth_high" and g.loc["GROW", "no"] == 4
    assert g.loc["LOSTM", "group"] == "lost_mid" and g.loc["LOSTL", "group"] == "lost_low"
    assert g.loc["BACK", "group"] == "returned_low" and g.loc["BACK", "no"] == 7
    assert g.loc["SEAS", "group"] == "seasonal_low" and g.loc["SEAS", "no"] == 3
    assert g.loc["GONE", "group"] == "inactive"
    assert (g.loc[[f"S{i}" for i in range(20)], "group"].isin(["stable_mid", "other"])).all()
    assert g["decile"].between(1, 10).all()
    with pytest.raises(archive.ArchiveError):
        archive.fedex_groups(orders, as_of, growth=1.0)
    with pytest.raises(archive.ArchiveError):
        archive.fedex_groups(orders, as_of, top_share=0.7, mid_share=0.4)


def test_fedex_groups_on_shipped_orders(orders):
    g = archive.fedex_groups(orders, "2025-12-31")
    assert set(g.index) == set(orders["customer_id"])
    top = g[g["tier"] == "high"]
    assert len(top) == pytest.approx(0.1 * (g["score"] > 0).sum(), abs=1)
    assert set(g["group"]) <= set(archive.FEDEX_GROUPS.index)


# ------------------------------------------------------------------------- RFM
D3 = pd.DataFrame({"recency_days": [5, 40, 200, 12, 90, 365, 30, 60, 150, 8],
                   "frequency": [12, 4, 1, 8, 3, 1, 6, 2, 2, 10],
                   "monetary": [9600, 2400, 300, 5200, 1500, 200, 4100, 800, 1100, 7000]}, index=list("ABCDEFGHIJ"))


def reference_quintiles(x: pd.Series, q: int = 5) -> pd.Series:
    """Independent: stable sort, then equal-sized groups by position (ceil(rank·q/n))."""
    order = np.argsort(x.to_numpy(), kind="stable")
    rank = np.empty(len(x), int)
    rank[order] = np.arange(1, len(x) + 1)
    return pd.Series(np.ceil(rank * q / len(x)).astype(int), index=x.index)


def test_rfm_d3_cells_and_pareto():
    s = archive.rfm_scores(D3)
    expected = {"A": "555", "B": "333", "C": "111", "D": "444", "E": "233", "F": "111", "G": "444", "H": "322",
                "I": "222", "J": "555"}
    assert s["cell"].to_dict() == expected
    assert value.top_share(D3["monetary"], 0.4) == pytest.approx(0.804, abs=1e-3)
    assert value.top_share(D3["monetary"], 0.6) == pytest.approx(0.925, abs=1e-3)


def test_rfm_scores_against_reference_and_equal_sizes(orders):
    rfm = archive.rfm_table(orders, "2025-12-31", window_days=365)
    s = archive.rfm_scores(rfm)
    assert (s["F"] == reference_quintiles(rfm["frequency"])).all()
    assert (s["M"] == reference_quintiles(rfm["monetary"])).all()
    assert (s["R"] == reference_quintiles(-rfm["recency_days"])).all()
    sizes = s["F"].value_counts()
    assert sizes.max() - sizes.min() <= 1
    grid = archive.rfm_grid(s)
    assert len(grid) == 125 and grid["n"].sum() == len(s) and grid["share"].sum() == pytest.approx(1)
    # rfm_table agrees with a groupby
    o = orders[(orders["order_date"] > "2024-12-31") & (orders["order_date"] <= "2025-12-31")]
    assert rfm["frequency"].to_dict() == o.groupby("customer_id").size().to_dict()


def test_rfm_bad_input():
    with pytest.raises(archive.ArchiveError) as e:
        archive.rfm_scores(D3.head(3))
    assert e.value.code == "TOO_FEW" and bilingual(e.value)
    with pytest.raises(archive.ArchiveError):
        archive.rfm_scores(D3.assign(monetary=-D3["monetary"]))
    with pytest.raises(archive.ArchiveError):
        archive.rfm_grid(pd.DataFrame({"R": [6], "F": [1], "M": [1]}))


def test_migration_matrix_counts_everyone(orders):
    m = archive.rfm_migration(orders, "2024-12-31", "2025-12-31", on="cell")
    assert m.shape == (126, 126)
    assert m.to_numpy().sum() == orders["customer_id"].nunique()
    assert m.loc["absent", "absent"] == 0
    p = archive.rfm_migration(orders, "2024-12-31", "2025-12-31", on="F", normalize=True)
    assert np.allclose(p.loc[p.sum(axis=1) > 0].sum(axis=1), 1)
    with pytest.raises(archive.ArchiveError):
        archive.rfm_migration(orders, "2025-12-31", "2024-12-31")
    with pytest.raises(archive.ArchiveError):
        archive.migration_matrix(pd.Series(["a", None]), pd.Series(["a"]))


def test_without_rapidfuzz_difflib_is_used(monkeypatch, messy):
    """If rapidfuzz is not installed the module falls back to difflib (standard library)."""
    records, truth = messy
    monkeypatch.setattr(archive._normalise, "_Indel", None)          # the one backend of similarity and consolidate
    monkeypatch.setattr(archive._normalise, "FUZZY_BACKEND", "difflib")
    assert archive.similarity("星海电器", "星海电气") == 75.0
    with pytest.raises(archive.ArchiveError) as e:
        archive.similarity("a", "b", backend="rapidfuzz")
    assert bilingual(e.value)
    small = records.head(300)
    res = archive.consolidate(small, id_col="record_id", city="city")
    s = archive.dedup_scores(res.members["cluster"].to_numpy(), truth.head(300).to_numpy())
    assert s["precision"] > 0.95 and s["recall"] > 0.85


def test_validate_contacts(customers):
    contacts = datasets.load("contacts")
    before = contacts.copy()
    assert archive.validate_contacts(contacts, customers).empty          # many contacts per customer is fine
    bad = contacts.head(4).copy()
    bad.loc[bad.index[1], "phone"] = "+86 12"
    bad.loc[bad.index[2], "decision_role"] = "算命先生"
    bad.loc[bad.index[3], "customer_id"] = "C99999"
    got = archive.validate_contacts(bad, customers)
    assert got["problem"].tolist() == ["unknown_label", "bad_phone", "unknown_customer"]
    with pytest.raises(archive.ArchiveError) as e:
        archive.validate_contacts(bad, customers, errors="raise")
    assert bilingual(e.value)
    pd.testing.assert_frame_equal(contacts, before)


def test_case_figures():
    c = archive.NOTEBOOK_CASE
    assert (c["order_yuan"], c["winner_visits"], c["signed_on_visit"], c["director_days_off"]) == (20_000_000, 3, 3, 2)
    for field in ("contact_name", "hobbies"):
        assert archive.column_catalogue().loc[field, "level"] in (2, 3)    # the notebook's data are levels 2–3
    f = archive.FEDEX_EXAMPLE
    assert 2 * f["last_3m"] + f["months_3_6"] == f["score"] == 21_000
    assert archive.FEDEX_GROUPS.query("no > 0")["no"].tolist() == [1, 2, 3, 4, 5, 6, 7]
    assert archive.WUXI_ZHONGYUAN["regions"] == ("华南", "北方")
