"""Tests for crmlab.value, task 4 part: textbook CLV, identification and selection, the customer
pyramid, and the beyond-the-textbook RFM summary, BG/NBD, Gamma-Gamma and discounted CLV.

References used as oracles:
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way: an
  alternative to the Pareto/NBD model. Marketing Science 24(2), 275–284. Table 1, BG/NBD on the
  CDNOW sample (2,357 customers, 39 weeks): r = 0.243, α = 4.414, a = 0.793, b = 2.426,
  LL = −9582.4.
- Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
  customer base analysis. Journal of Marketing Research 42(4), 415–430; and Hardie's note "The
  Gamma-Gamma model of monetary value" (2013): Gamma-Gamma on the 946 CDNOW repeat buyers,
  p = 6.25, q = 3.74, γ = 15.44.
- lifetimes 0.11.3 (MIT): summary_data_from_transaction_data, BetaGeoFitter, GammaGammaFitter,
  fitted here in the test on the same data (a test-only reference in crmlab's dev extra; the tests
  that need it are skipped without it), and the source of the CDNOW files crmlab ships.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmlab import value
from helpers import bilingual

try:
    import lifetimes.utils as lifetimes_utils
except ImportError:  # the reference implementation is in crmlab's dev extra
    lifetimes_utils = None
requires_lifetimes = pytest.mark.skipif(lifetimes_utils is None,
                                        reason="lifetimes (test reference, dev extra) is not installed")
# ------------------------------------------------------------------------------------------
# Textbook CLV = s / t × T (task 4 §4.1.3)
# ------------------------------------------------------------------------------------------

def test_clv_simple_digest_example():
    # Digest §3.C1: s = 100 元, t = 30 days, T = 365 → 1216.67; T = 730 → 2433.33
    assert value.clv_simple(100, 30, 365) == pytest.approx(1216.6667, abs=1e-4)
    assert value.clv_simple(100, 30, 730) == pytest.approx(2433.3333, abs=1e-4)
    out = value.clv_simple(pd.Series([100.0, 50.0]), pd.Series([30.0, 10.0]), 365)
    assert isinstance(out, pd.Series)
    np.testing.assert_allclose(out, [100 / 30 * 365, 50 / 10 * 365])


@pytest.mark.parametrize("s,t,T", [(100, 0, 365), (100, -1, 365), (-5, 30, 365), (100, 30, -1),
                                   (np.nan, 30, 365)])
def test_clv_simple_bad_input(s, t, T):
    with pytest.raises(ValueError) as excinfo:
        value.clv_simple(s, t, T)
    bilingual(excinfo)


def _digest_tx():
    return pd.DataFrame({
        "customer_id": ["A"] * 4 + ["B", "C", "C"],
        "order_date": pd.to_datetime(["2024-01-05", "2024-02-04", "2024-03-05", "2024-04-04", "2024-03-01",
                                      "2024-05-01", "2024-05-01"]),
        "amount": [120.0, 80.0, 100.0, 100.0, 50.0, 10.0, 30.0],
    })


def test_clv_from_transactions_digest_example():
    tx = _digest_tx()
    before = tx.copy()
    out = value.clv_from_transactions(tx, T=365)
    pd.testing.assert_frame_equal(tx, before)  # input untouched
    assert list(out.columns) == ["n", "s", "t", "T", "clv"]
    assert out.loc["A", "n"] == 4 and out.loc["A", "s"] == 100 and out.loc["A", "t"] == 30
    assert out.loc["A", "clv"] == pytest.approx(1216.67, abs=0.005)
    assert np.isnan(out.loc["B", "t"]) and np.isnan(out.loc["B", "clv"])  # one purchase: no cycle
    assert out.loc["C", "t"] == 0 and np.isnan(out.loc["C", "clv"])       # same-day purchases: no cycle
    filled = value.clv_from_transactions(tx, T=365, default_t=60)
    assert filled.loc["B", "clv"] == pytest.approx(50 / 60 * 365)
    weeks = value.clv_from_transactions(tx, T=52, unit="W")
    assert weeks.loc["A", "clv"] == pytest.approx(100 / (30 / 7) * 52)
    per_customer = value.clv_from_transactions(tx, T=pd.Series({"A": 730, "B": 1, "C": 1}))
    assert per_customer.loc["A", "clv"] == pytest.approx(2433.33, abs=0.005)


def test_clv_from_transactions_bad_input():
    tx = _digest_tx()
    with pytest.raises(ValueError) as e1:
        value.clv_from_transactions(tx.drop(columns="amount"), T=365)
    with pytest.raises(ValueError) as e2:
        value.clv_from_transactions(tx.assign(amount=-tx["amount"]), T=365)
    with pytest.raises(ValueError) as e3:
        value.clv_from_transactions(tx, T=365, unit="Y")
    with pytest.raises(ValueError) as e4:
        value.clv_from_transactions(tx, T=-1)
    for e in (e1, e2, e3, e4):
        bilingual(e)


# ------------------------------------------------------------------------------------------
# Value types, prospects, funnel (task 4 §4.1.3, §4.2.3, §4.3)
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,expected", [
    ("individual", "intrinsic"), ("个人", "intrinsic"), ("organisation", "extrinsic"), ("企业", "extrinsic"),
    ("政府", "extrinsic"), ("government", "extrinsic"), ("合作伙伴", "strategic"), ("第三方", "strategic"),
    ("partner", "strategic"),
])
def test_value_type(kind, expected):
    assert value.value_type(kind, lang="en") == expected
    assert value.value_type(kind) == value.value_type(kind, lang="zh") == value.VALUE_TYPES[expected][0]


def test_value_type_series_and_errors():
    out = value.value_type(pd.Series(["individual", "organisation"], index=["c1", "c2"]), lang="zh")
    assert out.to_dict() == {"c1": "内在价值型客户", "c2": "外在价值型客户"}
    assert value.value_type_strategy("extrinsic").startswith("expert-consultant")
    with pytest.raises(ValueError) as e1:
        value.value_type("alien")
    with pytest.raises(ValueError) as e2:
        value.value_type("个人", lang="fr")
    bilingual(e1)
    bilingual(e2)


def test_identification_steps_order():
    assert [zh for _, zh in value.IDENTIFICATION_STEPS] == ["定位客户", "调整客户", "客户细分", "发展客户"]


def test_is_prospect():
    assert value.is_prospect(True, True) and not value.is_prospect(True, False)
    out = value.is_prospect(pd.Series([True, True, False]), pd.Series([True, False, True]))
    assert out.tolist() == [True, False, False]


def test_prospect_temperature_digest_boundaries():
    # digest §3.C10: today 2024-06-01; 19 d → hot, 75 d → warm, 106 d → cold;
    # boundaries 30 → hot, 31 → warm, 90 → warm, 91 → cold (a month = 30 days)
    today = pd.Timestamp("2024-06-01")
    days = [19, 75, 106, 30, 31, 90, 91, -3]
    dates = pd.Series([today + pd.Timedelta(days=d) for d in days])
    assert value.prospect_temperature(dates, today, lang="en").tolist() == [
        "hot", "warm", "cold", "hot", "warm", "warm", "cold", "hot"]
    assert value.prospect_temperature("2024-06-20", today) == "热客"      # Chinese by default
    # calendar months: 2024-07-01 is exactly one month after 2024-06-01
    assert value.prospect_temperature("2024-07-01", today, calendar=True, lang="en") == "hot"
    assert value.prospect_temperature("2024-07-02", today, calendar=True, lang="en") == "warm"
    assert value.prospect_temperature("2024-09-01", today, calendar=True) == "暖客"
    assert value.prospect_temperature("2024-09-02", today, calendar=True, lang="en") == "cold"
    with pytest.raises(ValueError) as e:
        value.prospect_temperature("not a date", today)
    bilingual(e)


def test_prospect_importance_and_purchase_type():
    assert value.prospect_importance(pd.Series([95, 80, 79.9, 60, 10]), lang="en").tolist() == [
        "highest", "highest", "higher", "higher", "ordinary"]
    assert value.prospect_importance(70) == "重要程度较高"      # Chinese by default
    with pytest.raises(ValueError):
        value.prospect_importance(70, cuts=(50, 60))
    assert value.purchase_type([], "P1", lang="en") == "new_buy"
    assert value.purchase_type(["P2"], "P1", lang="en") == "new_buy"
    assert value.purchase_type(["P1", "P2"], "P1", lang="en") == "rebuy"
    assert value.purchase_type(["P1"], "P3", replaces="P1", lang="en") == "replacement"
    assert value.purchase_type(["P1"], "P3", replaces="P1") == "更新购买"      # Chinese by default
    assert value.purchase_type([], "P1") == "新购"
    assert len(value.CONVERSION_POINTS) == 9


def test_conversion_funnel():
    # task 4 case: 王强 contacted ~500 customers, 9 showed interest → 1.8 %
    f = value.conversion_funnel({"contacted": 500, "interested": 9, "bought": 3})
    assert f["count"].tolist() == [500, 9, 3]
    assert f.loc["interested", "step_rate"] == pytest.approx(0.018)
    assert f.loc["bought", "step_rate"] == pytest.approx(1 / 3)
    assert f.loc["bought", "overall_rate"] == pytest.approx(0.006)
    with pytest.raises(ValueError) as e:
        value.conversion_funnel({"a": 10, "b": 20})
    bilingual(e)
    with pytest.raises(ValueError):
        value.conversion_funnel({"a": 10, "b": -1})
    counts = value.funnel_counts(pd.Series(["潜在客户", "new", "新客户", "repeat", "忠诚客户", "potential"]))
    assert counts.tolist() == [6, 4, 2, 1]
    with pytest.raises(ValueError):
        value.funnel_counts(pd.Series(["vip"]))


# ------------------------------------------------------------------------------------------
# Scorecards and the key-customer matrix (task 4 §4.2.3, §4.2.4, §4.4.2)
# ------------------------------------------------------------------------------------------

def test_dealer_scorecard_digest_example():
    # digest §3.C6: 王老板 7.77, 赵老板 6.56 and vetoed (信誉 5 < 6)
    rows = [[8, 9, 9, 7, 6, 8, 7, 7, 8, 8], [8, 5, 5, 9, 5, 6, 8, 8, 6, 5]]
    zh = pd.DataFrame(rows, index=["王老板", "赵老板"], columns=list(value.DEALER_CRITERIA.values()))
    en = pd.DataFrame(rows, index=["王老板", "赵老板"], columns=list(value.DEALER_CRITERIA))
    for frame in (zh, en):
        out = value.dealer_scorecard(frame)
        assert out["score"].tolist() == [7.77, 6.56]
        assert out["vetoed"].tolist() == [False, True]
        assert out.loc["王老板", "rank"] == 1 and np.isnan(out.loc["赵老板", "rank"])
    no_veto = value.dealer_scorecard(zh, veto={})
    assert no_veto["rank"].tolist() == [1.0, 2.0]
    assert sum(value.DEALER_WEIGHTS.values()) == pytest.approx(1)
    assert len(value.DEALER_CRITERIA) == 10


def test_weighted_score_bad_input():
    s = pd.DataFrame({"a": [5, 6], "b": [7, 8]})
    with pytest.raises(ValueError) as e1:
        value.weighted_score(s, {"a": 0.5, "b": 0.6})
    with pytest.raises(ValueError) as e2:
        value.weighted_score(s, {"a": 0.5, "c": 0.5})
    with pytest.raises(ValueError) as e3:
        value.weighted_score(s.assign(a=[0, 11]), {"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError) as e4:
        value.weighted_score(s, {"a": 0.5, "b": 0.5}, veto={"c": 3})
    for e in (e1, e2, e3, e4):
        bilingual(e)


def test_general_scorecard_and_quality_traits():
    c = pd.DataFrame([[9, 8, 8, 5, 7, 6, 9], [4, 3, 6, 8, 2, 5, 4]], index=["K1", "K2"],
                     columns=list(value.STRATEGIC_CRITERIA.values()))
    out = value.general_scorecard(c)
    assert out["score"].tolist() == pytest.approx([52 / 7, 32 / 7])
    assert len(value.GENERAL_SELECTION_POINTS) == 6 and len(value.QUALITY_TRAITS) == 3
    traits = pd.DataFrame({k: [True, True, False] for k, _ in value.QUALITY_TRAITS})
    assert value.quality_traits_count(traits).tolist() == [3, 3, 0]


def test_key_customer_matrix_digest_example():
    # digest §3.C7 (constructed factors and weights; cut 5.5, ≥ cut is high)
    f = pd.DataFrame(
        [[9, 8, 7, 9, 8, 9, 8], [8, 9, 9, 7, 3, 4, 5], [3, 4, 3, 6, 9, 8, 9], [4, 3, 5, 4, 3, 2, 4],
         [6, 5, 6, 5, 6, 5, 5]],
        index=["C1", "C2", "C3", "C4", "C5"],
        columns=["采购规模", "利润率", "增长潜力", "信用", "我方份额", "关系强度", "产品匹配度"])
    attr = {"采购规模": 0.3, "利润率": 0.3, "增长潜力": 0.2, "信用": 0.2}
    adv = {"我方份额": 0.4, "关系强度": 0.3, "产品匹配度": 0.3}
    out = value.key_customer_matrix(f, attr, adv)      # Chinese by default
    assert out["attractiveness"].tolist() == [8.3, 8.3, 3.9, 3.9, 5.5]
    assert out["advantage"].tolist() == [8.3, 3.9, 8.7, 3.0, 5.4]
    assert out["type"].tolist() == ["关键客户", "关键发展客户", "维持客户", "机会主义客户", "关键发展客户"]
    en = value.key_customer_matrix(f, attr, adv, cut=(5.6, 5.0), lang="en")
    assert en.loc["C5", "type"] == "maintenance"
    assert value.key_customer_cell(True, True, lang="en") == "key"
    assert value.key_customer_cell(True, True) == "关键客户"
    assert value.key_customer_cell(False, False, lang="zh") == "机会主义客户"


# ------------------------------------------------------------------------------------------
# Customer pyramid (task 1 §1.1.2; [001] 图1‑2)
# ------------------------------------------------------------------------------------------

def test_customer_pyramid_and_abc_by_count():
    v = pd.Series(np.arange(100, 0, -1, dtype=float), index=[f"c{i}" for i in range(100)])
    by_count = value.abc_by_count(v)
    assert by_count.value_counts().to_dict() == {"C": 80, "B": 15, "A": 5}
    assert (by_count.iloc[:5] == "A").all()
    pyr = value.customer_pyramid(v, by_count, order=["A", "B", "C"])
    assert pyr.index.tolist() == ["A", "B", "C"]
    assert pyr["customers"].tolist() == [5, 15, 80]
    assert pyr["customer_share"].sum() == pytest.approx(1) and pyr["value_share"].sum() == pytest.approx(1)
    assert pyr.loc["A", "value"] == 100 + 99 + 98 + 97 + 96
    default = value.customer_pyramid(v)  # ABC by cumulative value
    assert default["customers"].sum() == 100 and default.index.tolist() == ["A", "B", "C"]
    zh = value.customer_pyramid(v, pd.Series(np.where(v > 20, "重要型", "普通型"), index=v.index),
                                order=["贵宾型", "重要型", "普通型"])
    assert zh["customers"].tolist() == [0, 80, 20]
    with pytest.raises(ValueError):
        value.customer_pyramid(v, by_count, order=["A", "B"])


def test_existing_value_functions_unchanged():
    revenue = pd.Series([50, 30, 10, 5, 5], index=list("abcde"))
    assert value.top_share(revenue, 0.2) == 0.5
    assert value.share_of_customers_for(revenue, 0.8) == 0.4
    assert value.abc_classes(revenue).tolist() == ["A", "A", "B", "B", "C"]
    assert value.value_loyalty_cell(True, False) == "risk"


# ------------------------------------------------------------------------------------------
# rfm_summary against lifetimes (beyond the textbook)
# ------------------------------------------------------------------------------------------

def _generated(n=3000, customers=400, seed=0, string_ids=False):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, customers, n)
    return pd.DataFrame({
        "cust": np.char.add("K", ids.astype(str)) if string_ids else ids * 7 + 100,
        "when": pd.Timestamp("2023-12-20") + pd.to_timedelta(rng.integers(0, 400 * 24 * 60, n), unit="min"),
        "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
    })


def _lifetimes(df, cust, date, amount, end, freq):
    return lifetimes_utils.summary_data_from_transaction_data(
        df, cust, date, amount, observation_period_end=end, freq=freq)


def assert_same_summary(ours, ref):
    assert ours.index.tolist() == ref.index.tolist()
    assert list(ours.columns) == list(ref.columns)
    for col in ref.columns:
        np.testing.assert_allclose(ours[col].to_numpy(), ref[col].to_numpy(), rtol=1e-10, atol=1e-9, err_msg=col)


@requires_lifetimes
@pytest.mark.parametrize("freq", ["D", "W", "h", "s"])
@pytest.mark.parametrize("end", [None, "2024-06-30", "2024-06-30 15:20"])
@pytest.mark.parametrize("string_ids", [False, True])
def test_rfm_summary_matches_lifetimes_generated(freq, end, string_ids):
    df = _generated(string_ids=string_ids)
    before = df.copy()
    ours = value.rfm_summary(df, "cust", "when", "amount", end=end, freq=freq)
    pd.testing.assert_frame_equal(df, before)
    assert_same_summary(ours, _lifetimes(df, "cust", "when", "amount", end, freq))


@requires_lifetimes
@pytest.mark.parametrize("freq", ["D", "W"])
def test_rfm_summary_matches_lifetimes_on_cdnow_master(freq):
    tx = value.load_cdnow("master")
    for end in (None, "1997-09-30"):
        ours = value.rfm_summary(tx, "customer_id", "date", "amount", end=end, freq=freq)
        assert_same_summary(ours, _lifetimes(tx, "customer_id", "date", "amount", end, freq))
    full = value.rfm_summary(tx, "customer_id", "date", "amount", end=None, freq="D")
    assert len(full) == 23_570 and full["frequency"].mean() == pytest.approx(1.868, abs=5e-4)


def test_rfm_summary_reproduces_the_published_cdnow_summary():
    # The FHL (2005) calibration data are the daily summary of the 1/10 sample to 1997-09-30,
    # expressed in weeks and rounded to 2 decimals.
    tx = value.load_cdnow("transactions")
    published = value.load_cdnow("summary")
    ours = value.rfm_summary(tx, "customer_id", "date", "amount", end="1997-09-30", freq="D")
    assert ours.index.tolist() == published.index.tolist()
    assert (ours["frequency"] == published["frequency"]).all()
    np.testing.assert_allclose((ours["recency"] / 7).round(2), published["recency"], atol=1e-9)
    np.testing.assert_allclose((ours["T"] / 7).round(2), published["T"], atol=1e-9)
    np.testing.assert_allclose(ours["monetary_value"], published["monetary_value"], atol=0.005 + 1e-9)


@requires_lifetimes
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.integers(0, 6), st.integers(0, 60 * 24 * 40), st.integers(0, 500)),
                     min_size=1, max_size=40),
       freq=st.sampled_from(["D", "W", "h"]), end_offset=st.integers(0, 60 * 24 * 50))
def test_rfm_summary_property_matches_lifetimes(rows, freq, end_offset):
    start = pd.Timestamp("2024-02-26 07:00")
    df = pd.DataFrame({"c": [r[0] for r in rows],
                       "d": [start + pd.Timedelta(minutes=r[1]) for r in rows],
                       "a": [r[2] / 4 for r in rows]})
    end = start + pd.Timedelta(minutes=end_offset)
    if df["d"].min().to_period(freq) > end.to_period(freq):
        with pytest.raises(ValueError):
            value.rfm_summary(df, "c", "d", "a", end=end, freq=freq)
        return
    assert_same_summary(value.rfm_summary(df, "c", "d", "a", end=end, freq=freq),
                        _lifetimes(df, "c", "d", "a", end, freq))


def test_rfm_summary_months_strings_and_timezones():
    tx = pd.DataFrame({"id": ["a", "a", "a", "b"],
                       "date": ["2024-01-31", "2024-02-01", "2024-02-29", "2024-03-15"],
                       "amount": [1.0, 2.0, 3.0, 4.0]})
    m = value.rfm_summary(tx, "id", "date", "amount", end="2024-05-01", freq="M")
    assert m.loc["a"].tolist() == [1.0, 1.0, 4.0, 5.0]   # Jan and Feb; Feb's two purchases merged
    assert m.loc["b"].tolist() == [0.0, 0.0, 2.0, 0.0]
    no_money = value.rfm_summary(tx, "id", "date", None, end="2024-05-01")
    assert list(no_money.columns) == ["frequency", "recency", "T"]
    aware = tx.assign(date=pd.to_datetime(tx["date"]).dt.tz_localize("Asia/Shanghai"))
    assert_same_summary(value.rfm_summary(aware, "id", "date", "amount", end="2024-05-01"),
                        value.rfm_summary(tx, "id", "date", "amount", end="2024-05-01"))
    # transactions after `end` are ignored, as in lifetimes
    cut = value.rfm_summary(tx, "id", "date", "amount", end="2024-02-10")
    assert cut.index.tolist() == ["a"] and cut.loc["a", "frequency"] == 1


def test_rfm_summary_bad_input():
    tx = pd.DataFrame({"id": ["a", "b"], "date": pd.to_datetime(["2024-01-01", "2024-01-05"]), "amount": [1.0, 2.0]})
    cases = [
        lambda: value.rfm_summary(tx, "id", "day", "amount"),                           # missing column
        lambda: value.rfm_summary(tx.assign(amount=[1.0, -2.0]), "id", "date", "amount"),  # negative amount
        lambda: value.rfm_summary(tx, "id", "date", "amount", end="2023-12-31"),        # end before transactions
        lambda: value.rfm_summary(tx.assign(id=["a", None]), "id", "date", "amount"),    # missing id
        lambda: value.rfm_summary(tx.assign(amount=[1.0, np.nan]), "id", "date", "amount"),
        lambda: value.rfm_summary(tx.assign(amount=["1", "2"]), "id", "date", "amount"),
        lambda: value.rfm_summary(tx.assign(date=["2024-01-01", "soon"]), "id", "date", "amount"),
        lambda: value.rfm_summary(tx, "id", "date", "amount", freq="Q"),
        lambda: value.rfm_summary(tx, "id", "date", "amount", end="next spring"),
        lambda: value.rfm_summary(tx.iloc[:0], "id", "date", "amount"),
        lambda: value.rfm_summary(tx.to_dict(), "id", "date", "amount"),
    ]
    for case in cases:
        with pytest.raises(ValueError) as e:
            case()
        bilingual(e)


# ------------------------------------------------------------------------------------------
# CDNOW loader
# ------------------------------------------------------------------------------------------

def test_load_cdnow_shapes():
    s = value.load_cdnow("summary")
    assert s.shape == (2357, 4) and list(s.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert int((s["frequency"] > 0).sum()) == 946
    t = value.load_cdnow("transactions")
    assert t.shape == (6919, 4) and t["customer_id"].nunique() == 2357
    assert pd.api.types.is_datetime64_any_dtype(t["date"])
    m = value.load_cdnow("master")
    assert m.shape == (69659, 4) and m["customer_id"].nunique() == 23570
    with pytest.raises(ValueError) as e:
        value.load_cdnow("weekly")
    bilingual(e)


def test_load_cdnow_does_not_import_lifetimes():
    code = ("import sys; from crmlab import value; value.load_cdnow('summary'); value.load_cdnow('master'); "
            "print('lifetimes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_load_cdnow_without_lifetimes(monkeypatch):
    # crmlab ships the files (datasets/cdnow): blocking lifetimes changes nothing
    import importlib.util

    expected = {kind: value.load_cdnow(kind) for kind in ("summary", "transactions")}
    real = importlib.util.find_spec
    monkeypatch.setitem(sys.modules, "lifetimes", None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "lifetimes" else real(name, *a))
    for kind, frame in expected.items():
        pd.testing.assert_frame_equal(value.load_cdnow(kind), frame)


def _lifetimes_folder():
    """lifetimes/datasets of the installed lifetimes, found without importing it (skip without it)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lifetimes (the source of the CDNOW files, dev extra) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "datasets"


def test_shipped_cdnow_files_are_those_of_lifetimes():
    from crmlab import datasets

    folder = _lifetimes_folder()
    for filename in datasets.PUBLIC["cdnow"]["files"]:
        assert datasets.public_file("cdnow", filename).read_bytes() == (folder / filename).read_bytes(), filename


@requires_lifetimes
def test_load_cdnow_summary_equals_lifetimes_own_loader():
    pytest.importorskip("pkg_resources")     # lifetimes' loaders need it (setuptools<81, dev extra)
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value as lt_load

    pd.testing.assert_frame_equal(value.load_cdnow("summary"), lt_load())


def test_load_cdnow_equals_the_frames_read_from_lifetimes(monkeypatch):
    # the same frames as when load_cdnow read the installed lifetimes' folder (crmlab 0.1.0)
    from crmlab import datasets

    folder = _lifetimes_folder()
    ours = {kind: value.load_cdnow(kind) for kind in ("summary", "transactions", "master")}
    monkeypatch.setattr(datasets, "public_file", lambda name, filename: folder / filename)
    for kind, frame in ours.items():
        pd.testing.assert_frame_equal(frame, value.load_cdnow(kind))


# ------------------------------------------------------------------------------------------
# BG/NBD, Gamma-Gamma and discounted CLV vs Fader, Hardie & Lee (2005) and lifetimes
# ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cdnow():
    return value.load_cdnow("summary")


@pytest.fixture(scope="module")
def bgnbd(cdnow):
    return value.fit_bgnbd(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def gamma_gamma(cdnow):
    repeat = cdnow[cdnow["frequency"] > 0]
    return value.fit_gamma_gamma(repeat["frequency"], repeat["monetary_value"])


@pytest.fixture(scope="module")
def lt_fits(cdnow):
    lifetimes = pytest.importorskip("lifetimes")
    bgf = lifetimes.BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    repeat = cdnow[cdnow["frequency"] > 0]
    ggf = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return bgf, ggf


def test_bgnbd_published_values(bgnbd):
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), Table 1: r=0.243, α=4.414, a=0.793, b=2.426, LL=−9582.4
    assert set(bgnbd.params) == {"r", "alpha", "a", "b"}
    assert all(isinstance(v, float) for v in bgnbd.params.values())
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for k, v in published.items():
        assert round(bgnbd.params[k], 3) == v, (k, bgnbd.params[k])
    assert round(bgnbd.log_likelihood, 1) == -9582.4
    assert bgnbd.loglik == bgnbd.log_likelihood and bgnbd.converged and bgnbd.n_customers == 2357


def test_bgnbd_matches_lifetimes(bgnbd, lt_fits, cdnow):
    bgf, _ = lt_fits
    for k in ("r", "alpha", "a", "b"):
        assert bgnbd.params[k] == pytest.approx(bgf.params_[k], rel=1e-4)
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    for t in (1, 10, 39, 52):
        np.testing.assert_allclose(bgnbd.expected_purchases(t),
                                   bgf.conditional_expected_number_of_purchases_up_to_time(t, f, r, T), atol=1e-4)
        assert bgnbd.expected_purchases_new(t) == pytest.approx(bgf.expected_number_of_purchases_up_to_time(t),
                                                                rel=1e-5)
    np.testing.assert_allclose(bgnbd.p_alive(), bgf.conditional_probability_alive(f, r, T), atol=1e-5)
    # predictions for other customers, and the index is kept
    new = bgnbd.expected_purchases(10, pd.Series([0, 3], index=["x", "y"]), [0, 20.0], [30.0, 30.0])
    assert new.index.tolist() == ["x", "y"]
    np.testing.assert_allclose(new, bgf.conditional_expected_number_of_purchases_up_to_time(
        10, np.array([0, 3]), np.array([0, 20.0]), np.array([30.0, 30.0])), atol=1e-5)
    assert bgnbd.p_alive([0], [0], [10]).iloc[0] == 1.0
    # our log-likelihood at lifetimes' estimates is the same maximum
    ll_lt = value._bgnbd_loglik([bgf.params_[k] for k in ("r", "alpha", "a", "b")],
                                f.to_numpy(float), r.to_numpy(float), T.to_numpy(float)).sum()
    assert bgnbd.log_likelihood == pytest.approx(ll_lt, abs=1e-4)


def test_gamma_gamma_published_values_and_lifetimes(gamma_gamma, lt_fits, cdnow):
    # FHL (2005) "RFM and CLV" / Hardie's Gamma-Gamma note: p=6.25, q=3.74, γ=15.44 (the maximum is at 15.448)
    assert set(gamma_gamma.params) == {"p", "q", "v"}
    assert gamma_gamma.params["p"] == pytest.approx(6.25, abs=0.005)
    assert gamma_gamma.params["q"] == pytest.approx(3.74, abs=0.005)
    assert gamma_gamma.params["v"] == pytest.approx(15.44, abs=0.01)
    assert gamma_gamma.n_customers == 946
    _, ggf = lt_fits
    for k in ("p", "q", "v"):
        assert gamma_gamma.params[k] == pytest.approx(ggf.params_[k], rel=1e-4)
    f, m = cdnow["frequency"], cdnow["monetary_value"]
    np.testing.assert_allclose(gamma_gamma.conditional_expected_average_profit(f, m),
                               ggf.conditional_expected_average_profit(f, m), rtol=1e-5)
    p, q, v = (gamma_gamma.params[k] for k in ("p", "q", "v"))
    assert gamma_gamma.mean_spend() == pytest.approx(p * v / (q - 1))
    assert gamma_gamma.expected_average_profit([0], [0]).iloc[0] == pytest.approx(gamma_gamma.mean_spend())


def test_clv_discounted_matches_lifetimes(bgnbd, gamma_gamma, lt_fits, cdnow):
    bgf, ggf = lt_fits
    args = (cdnow["frequency"], cdnow["recency"], cdnow["T"], cdnow["monetary_value"])
    ours = value.clv_discounted(bgnbd, gamma_gamma, *args, months=12, discount_rate=0.01, freq="W")
    ref = ggf.customer_lifetime_value(bgf, *args, time=12, discount_rate=0.01, freq="W")
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-4)
    assert ours.index.tolist() == cdnow.index.tolist()
    undiscounted = value.clv_discounted(bgnbd, gamma_gamma, *args, months=12, discount_rate=0.0, freq="W")
    assert (undiscounted >= ours).all()
    with pytest.raises(ValueError) as e:
        value.clv_discounted(bgnbd, gamma_gamma, *args, freq="Y")
    bilingual(e)


def test_fit_bad_input(cdnow):
    f, r, T = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    cases = [
        lambda: value.fit_bgnbd(f * 0, r * 0, T),                # nobody repeats
        lambda: value.fit_bgnbd(-f, r, T),                       # negative frequency
        lambda: value.fit_bgnbd(f + 0.5, r, T),                  # not whole numbers
        lambda: value.fit_bgnbd(f, T + 1, T),                    # recency > T
        lambda: value.fit_bgnbd(f, r, T.iloc[:10]),              # lengths differ
        lambda: value.fit_bgnbd(f.where(f > 3), r, T),           # missing values
        lambda: value.fit_bgnbd([], [], []),
        lambda: value.fit_gamma_gamma(f, cdnow["monetary_value"]),       # frequency 0 present
        lambda: value.fit_gamma_gamma(f[f > 0] * 0, cdnow["monetary_value"][f > 0]),
        lambda: value.fit_gamma_gamma(f[f > 0], -cdnow["monetary_value"][f > 0]),
    ]
    for case in cases:
        with pytest.raises(ValueError) as e:
            case()
        bilingual(e)
