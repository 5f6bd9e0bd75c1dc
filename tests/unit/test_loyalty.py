"""Tests for crmlab.loyalty (textbook task 9: loyalty types, indicators, index, programmes)."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmlab import datasets, loyalty
from crmlab.value import load_cdnow
from crmlab.loyalty import (LOYALTY_TYPES, LoyaltyProgram, TescoRules, classify_loyalty, coalition_convert,
                            donation_program, loyalty_index, loyalty_indicators, loyalty_types,
                            price_elasticity, satisfaction_loyalty_table, satisfied_not_loyal,
                            satisfied_share_of_defectors, switching_cost, tesco_rewards)
from helpers import bilingual



# --------------------------------------------------------------------------- §9.1.2 loyalty types
def test_types_table_is_the_textbook_table_as_printed():
    t = LOYALTY_TYPES
    assert list(t.index) == ["monopoly", "inertia", "latent", "convenience", "price", "incentive", "super_value"]
    assert t["zh"].tolist() == ["垄断忠诚", "惰性忠诚", "潜在忠诚", "方便忠诚", "价格忠诚", "激励忠诚", "超值忠诚"]
    # the known source error is kept as printed: latent = low attachment, low repeat
    assert tuple(t.loc["latent", ["attachment", "repeat"]]) == ("low", "low")
    assert (t["attachment"] == "high").sum() == 1          # only super-value has high attachment
    assert "潜在忠诚" in loyalty.__doc__ and "Dick & Basu" in loyalty.__doc__


@pytest.mark.parametrize("attachment, repeat, driver, expected", [
    ("low", "high", "no_alternative", "monopoly"),
    ("low", "high", "inertia", "inertia"),
    ("low", "low", "constraint", "latent"),
    ("low", "high", "location", "convenience"),
    ("low", "low", "price", "price"),
    ("low", "high", "reward", "incentive"),
    ("high", "high", None, "super_value"),
    ("high", "high", "情感", "super_value"),
    ("低", "高", "懒得寻找", "inertia"),
    (False, True, "方便", "convenience"),
])
def test_every_type_is_reachable(attachment, repeat, driver, expected):
    assert classify_loyalty(attachment, repeat, driver, lang="en") == expected
    assert classify_loyalty(attachment, repeat, driver) == LOYALTY_TYPES.loc[expected, "zh"]   # Chinese by default


def test_chinese_output_and_dick_basu_convention():
    assert classify_loyalty("低", "低", "条件限制", lang="zh") == "潜在忠诚"
    assert classify_loyalty("high", "low", convention="dick_basu", lang="en") == "latent"
    assert classify_loyalty("low", "low", convention="dick_basu", lang="en") == "price"   # only price is left there


def test_ambiguous_contradictory_and_unknown_inputs_raise():
    with pytest.raises(ValueError) as e:
        classify_loyalty("low", "high")                  # four types share this cell
    assert "driver" in bilingual(e)
    with pytest.raises(ValueError) as e:
        classify_loyalty("low", "high", driver="price")  # price loyalty is low/low
    bilingual(e)
    with pytest.raises(ValueError) as e:
        classify_loyalty("high", "low")                  # no such row in the textbook
    assert "dick_basu" in bilingual(e)
    with pytest.raises(ValueError) as e:
        classify_loyalty("medium", "high", "inertia")
    bilingual(e)
    with pytest.raises(ValueError) as e:
        classify_loyalty("low", "high", "astrology")
    bilingual(e)
    with pytest.raises(ValueError):
        classify_loyalty("low", "high", "inertia", convention="other")
    with pytest.raises(ValueError):
        classify_loyalty("low", "high", "inertia", lang="fr")


def test_loyalty_types_reports_every_bad_row_and_keeps_the_frame():
    df = pd.DataFrame({"attachment": ["高", "低", "低", "低"], "repeat": ["高", "高", "高", "低"],
                       "driver": [None, "激励", "价格", None]})
    before = df.copy()
    with pytest.raises(ValueError) as e:
        loyalty_types(df)
    msg = bilingual(e)
    assert "row 2" in msg and "row 3" in msg and "row 1" not in msg
    pd.testing.assert_frame_equal(df, before)
    ok = loyalty_types(df.iloc[:2], lang="en")
    assert ok.tolist() == ["super_value", "incentive"]
    assert loyalty_types(df.iloc[:2]).tolist() == ["超值忠诚", "激励忠诚"]      # Chinese by default
    with pytest.raises(ValueError):      # numeric columns need a cut-off
        loyalty_types(pd.DataFrame({"attachment": [1.0], "repeat": [2.0]}), driver=None)


# --------------------------------------------------------------------------- §9.3 indicators and index
def test_index_reproduces_the_digest_worked_example():
    # D_retention.md §3.C5 (constructed example, hand-calculated): A 89.73, B 18.29, C 50.71.
    df = pd.DataFrame({"repeat_purchases": [24, 6, 12], "decision_days": [1, 10, 4],
                       "extra_distance_km": [3.0, 0.0, 1.0], "price_sensitivity": [0.4, 2.0, 1.0],
                       "competitor_liking": [1, 4, 3], "defect_tolerance": [5, 1, 3]}, index=list("ABC"))
    assert loyalty_index(df).tolist() == [89.73, 18.29, 50.71]
    # by hand for A: .25*1 + .15*(1-1/14) + .15*.6 + .2*(1-.4/2.5) + .15*1 + .1*1
    assert loyalty_index(df.loc["A"]) == round(100 * (.25 + .15 * 13 / 14 + .09 + .2 * .84 + .15 + .1), 2)


def test_index_missing_values_policy_and_bad_weights():
    df = pd.DataFrame({"repeat_purchases": [12, np.nan], "defect_tolerance": [3, 5]}, index=["x", "y"])
    w = {"repeat_purchases": 1, "defect_tolerance": 1}
    with pytest.raises(ValueError) as e:
        loyalty_index(df, w)
    assert "'y'" in bilingual(e)
    assert loyalty_index(df, w, missing="nan").isna().tolist() == [False, True]
    assert loyalty_index(df, w, missing="reweight").tolist() == [50.0, 100.0]
    for bad in ({"repeat_purchases": -1}, {"repeat_purchases": 0}, {"nonsense": 1}, {}):
        with pytest.raises(ValueError) as e:
            loyalty_index(df.fillna(0), bad)
        bilingual(e)
    with pytest.raises(ValueError):
        loyalty_index(df.fillna(0), w, bounds={"defect_tolerance": (5, 1)})
    with pytest.raises(ValueError):
        loyalty_index(df.fillna(0), w, directions={"defect_tolerance": 2})
    with pytest.raises(ValueError):
        loyalty_index(pd.DataFrame({"repeat_purchases": ["many"], "defect_tolerance": [1]}), w)
    with pytest.raises(ValueError):     # weighted column absent
        loyalty_index(pd.DataFrame({"repeat_purchases": [1]}), w)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-5, 40, allow_nan=False), min_size=6, max_size=6),
       st.integers(0, 5), st.floats(0.1, 10))
def test_index_is_bounded_and_moves_with_the_textbook_direction(values, k, step):
    names = list(loyalty.DEFAULT_WEIGHTS)
    row = dict(zip(names, values))
    base = loyalty_index(row)
    assert 0 <= base <= 100
    bumped = dict(row, **{names[k]: row[names[k]] + step})
    if loyalty.DIRECTIONS[names[k]] == 1:
        assert loyalty_index(bumped) >= base
    else:
        assert loyalty_index(bumped) <= base


def test_price_elasticity_midpoint_formula():
    # Midpoint method, Mankiw, Principles of Economics, ch. 5: price 4 → 6 and quantity 120 → 80
    # give a 40 % fall over a 40 % rise, elasticity 1 (here signed, −1).
    tx = pd.DataFrame({"customer_id": ["c"] * 2, "product_id": ["p"] * 2,
                       "order_date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "unit_price": [4.0, 6.0], "quantity": [120, 80]})
    assert price_elasticity(tx)["elasticity"].tolist() == [-1.0]
    bad = tx.assign(unit_price=[4.0, 0.0])
    with pytest.raises(ValueError) as e:
        price_elasticity(bad)
    bilingual(e)


LIFETIMES_WARNING = pytest.mark.filterwarnings("ignore:The 'mode.chained_assignment' option is deprecated")


def test_repeat_purchases_match_the_published_cdnow_calibration_summary():
    # Fader, Hardie & Lee (2005), Marketing Science 24(2): CDNOW 1/10 sample, 2,357 customers,
    # 39-week calibration period 1997-01-01 … 1997-09-30. The per-customer repeat-transaction counts
    # (x) they model come with crmlab (datasets/cdnow, copied from lifetimes): 2,457 repeat
    # transactions in all, 1,411 customers with none. We rebuild them from the raw transactions.
    summary = load_cdnow("summary")
    raw = load_cdnow("transactions")
    tx = pd.DataFrame({"customer_id": raw["customer_id"], "order_date": raw["date"]})
    ours = loyalty_indicators(tx, end="1997-09-30", period_days=273)["repeat_purchases"].reindex(summary.index)
    assert (ours == summary["frequency"]).all()
    assert ours.sum() == 2457 and (ours == 0).sum() == 1411 and len(ours) == 2357


@LIFETIMES_WARNING
def test_repeat_purchases_match_lifetimes_on_the_shipped_orders():
    # Reference implementation: lifetimes.utils.summary_data_from_transaction_data (MIT). Repeat
    # purchases inside a window = frequency at its end − frequency at its start.
    summary = pytest.importorskip("lifetimes.utils").summary_data_from_transaction_data  # dev extra
    orders = datasets.load("orders")
    end = pd.Timestamp("2025-12-31")
    start = end - pd.Timedelta(days=365)
    f_end = summary(orders, "customer_id", "order_date", observation_period_end=end)["frequency"]
    f_start = summary(orders[orders["order_date"] <= start], "customer_id", "order_date",
                      observation_period_end=start)["frequency"]
    expected = (f_end - f_start.reindex(f_end.index, fill_value=0)).astype(float)
    ours = loyalty_indicators(orders, end=end)["repeat_purchases"]
    pd.testing.assert_series_equal(ours.reindex(expected.index), expected, check_names=False)


def test_indicators_from_transactions_and_survey():
    orders = datasets.load("orders")
    before = orders.copy()
    ind = loyalty_indicators(orders)
    pd.testing.assert_frame_equal(orders, before)          # caller's frame untouched
    assert list(ind.columns) == list(loyalty.LOYALTY_INDICATORS.index)
    assert set(ind.index) == set(orders["customer_id"])     # nobody dropped
    assert ind["repeat_purchases"].ge(0).all()
    assert ind["decision_days"].isna().all()               # no survey → NaN column, not absent
    # price sensitivity equals the mean |elasticity| of the customer's pairs in the window
    pairs = price_elasticity(orders[orders["order_date"] > orders["order_date"].max() - pd.Timedelta(days=365)])
    one = pairs.dropna(subset=["elasticity"])["customer_id"].iloc[0]
    expected = pairs.loc[pairs["customer_id"] == one, "elasticity"].abs().mean()
    assert ind.loc[one, "price_sensitivity"] == pytest.approx(expected)

    survey = pd.DataFrame({"customer_id": ["C00001", "ZZZ"], "decision_days": [2, 5], "competitor_liking": [1, 5],
                           "defect_tolerance": [4, 2], "distance_km": [6.0, 1.0], "nearest_km": [1.0, 1.0]})
    both = loyalty_indicators(orders, survey)
    assert both.loc["ZZZ", "decision_days"] == 5 and np.isnan(both.loc["ZZZ", "repeat_purchases"])
    assert both.loc["C00001", "extra_distance_km"] == 5.0


@pytest.mark.parametrize("survey, words", [
    (pd.DataFrame({"customer_id": ["a", "a"], "decision_days": [1, 2]}), "several rows"),
    (pd.DataFrame({"customer_id": ["a"], "competitor_liking": [7]}), "competitor_liking"),
    (pd.DataFrame({"customer_id": ["a"], "decision_days": [-1]}), "decision_days"),
    (pd.DataFrame({"customer_id": ["a"], "defect_tolerance": ["很高"]}), "defect_tolerance"),
    (pd.DataFrame({"customer_id": ["a"], "distance_km": [3.0]}), "nearest_km"),
    (pd.DataFrame({"customer_id": ["a"], "price_sensitivity": [1.0]}), "computed from the transactions"),
])
def test_malformed_survey_is_reported(survey, words):
    tx = pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-01"]})
    with pytest.raises(ValueError) as e:
        loyalty_indicators(tx, survey)
    assert words in bilingual(e)


def test_malformed_transactions_are_reported():
    with pytest.raises(ValueError) as e:
        loyalty_indicators(pd.DataFrame({"customer_id": ["a", None], "order_date": ["2024-01-01", "2024-01-02"]}))
    assert "1" in bilingual(e)
    with pytest.raises(ValueError) as e:
        loyalty_indicators(pd.DataFrame({"customer_id": ["a", "b"], "order_date": ["2024-01-01", "someday"]}))
    bilingual(e)
    with pytest.raises(ValueError):
        loyalty_indicators(pd.DataFrame({"customer_id": ["a"], "order_date": ["2024-01-01"]}), period_days=0)
    with pytest.raises(ValueError):
        loyalty_indicators(pd.DataFrame({"customer": ["a"]}))
    with pytest.raises(TypeError):
        loyalty_indicators([("a", "2024-01-01")])


# --------------------------------------------------------------------------- §9.2 satisfied ≠ loyal
def test_satisfied_not_loyal_and_share_of_defectors():
    df = pd.DataFrame({"satisfaction": ["很满意", "满意", "一般", "不满意", "满意", "极不满意"],
                       "loyalty_index": [80, 40, 70, 10, 59.9, 5],
                       "churned": [False, True, False, True, True, True]})
    before = df.copy()
    sub = satisfied_not_loyal(df, loyal="loyalty_index", loyal_cut=60)
    assert sub.index.tolist() == [1, 4]
    sub.loc[1, "satisfaction"] = "changed"                       # a copy, not a view
    pd.testing.assert_frame_equal(df, before)
    table = satisfaction_loyalty_table(df, loyal="loyalty_index", loyal_cut=60)
    assert table.to_numpy().tolist() == [[1, 2], [1, 2]] and table.to_numpy().sum() == len(df)
    assert satisfied_share_of_defectors(df) == 0.5


def test_satisfaction_inputs_are_checked():
    with pytest.raises(ValueError) as e:
        satisfied_not_loyal(pd.DataFrame({"satisfaction": ["超级满意"], "loyal": [True]}))
    bilingual(e)
    with pytest.raises(ValueError):
        satisfied_not_loyal(pd.DataFrame({"satisfaction": [4, None], "loyal": [True, False]}))
    with pytest.raises(ValueError):            # numeric loyalty needs a cut-off
        satisfied_not_loyal(pd.DataFrame({"satisfaction": [4], "loyal": [55]}))
    with pytest.raises(ValueError):
        satisfied_share_of_defectors(pd.DataFrame({"satisfaction": [4], "churned": [False]}))


# --------------------------------------------------------------------------- §9.4 programmes
def test_tesco_rules_as_printed():
    # D_retention.md §3.C6: [45.20, 12.80, 38.00, 150.00] → 245 points, 1 voucher, 95 carried, 3 keys.
    r = tesco_rewards([45.20, 12.80, 38.00, 150.00])
    assert (r["points"], r["vouchers"], r["points_left"], r["keys"], r["key_chains"]) == (245, 1, 95, 3, 0)
    # 50 keys → 1 key-chain, 100 key-chains → 1 gold key-chain
    tx = pd.DataFrame({"customer_id": "big", "amount": [38.0] * 5_049})
    out = TescoRules().apply(tx).loc["big"]
    assert (out["keys"], out["key_chains"], out["keys_left"], out["gold_key_chains"]) == (5049, 100, 49, 1)
    assert out["key_chains_left"] == 0 and out["vouchers"] == 5049 * 38 // 150
    assert tesco_rewards([37.999999])["keys"] == 0 and tesco_rewards([38])["keys"] == 1


def test_tesco_bad_input():
    with pytest.raises(ValueError) as e:
        TescoRules().apply(pd.DataFrame({"customer_id": ["a"], "amount": [-5.0]}))
    bilingual(e)
    with pytest.raises(ValueError):
        tesco_rewards([10, "ten"])
    with pytest.raises(ValueError):
        tesco_rewards([])
    with pytest.raises(ValueError):
        TescoRules(voucher_points=0)


def test_tiered_programme_engine():
    prog = LoyaltyProgram()
    assert prog.tier_of(0) == "银卡" and prog.tier_of(4_999.99) == "银卡" and prog.tier_of(5_000) == "金卡"
    assert prog.assign_tiers(pd.Series([0, 5_000, 25_000])).astype(str).tolist() == ["银卡", "金卡", "钻石卡"]
    assert prog.rules()["multiplier"].tolist() == [1.0, 1.5, 2.0]
    # the upgrade counts from the next purchase
    tx = pd.DataFrame({"customer_id": ["a"] * 3 + ["b"], "amount": [5_000.0, 15_000.0, 100.0, 10.0],
                       "order_date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01", "2024-01-01"])})
    st_ = prog.statement(tx)
    assert st_.loc["a", "points"] == 5_000 + 22_500 + 200
    assert st_.loc["a", "tier"] == "钻石卡" and st_.loc["b", "points"] == 10
    assert st_.loc["a", "liability"] == pytest.approx(277.0)
    # out-of-order input gives the same result (sorted by date internally)
    pd.testing.assert_frame_equal(prog.statement(tx.iloc[::-1]), st_)


@pytest.mark.parametrize("kwargs", [
    {"tiers": {"银卡": 0, "金卡": 5_000, "钻石卡": 5_000}},
    {"tiers": {"金卡": 5_000, "银卡": 0}},
    {"tiers": {"金卡": 100}},
    {"tiers": {}},
    {"multipliers": {"铂金": 3}},
    {"multipliers": {"银卡": -1}},
    {"point_value": -0.01},
    {"level": 4},
])
def test_programme_validation(kwargs):
    with pytest.raises(ValueError) as e:
        LoyaltyProgram(**kwargs)
    bilingual(e)


def test_programme_bad_spend():
    with pytest.raises(ValueError):
        LoyaltyProgram().tier_of(-1)
    with pytest.raises(ValueError):
        LoyaltyProgram().assign_tiers(pd.Series([10, None]))


def test_coalition_conversion_conserves_value():
    rates = loyalty.COALITION_RATES
    pts = coalition_convert(1_000, "airline", "fuel")
    assert pts * rates["fuel"] == pytest.approx(1_000 * rates["airline"])
    assert coalition_convert(pts, "fuel", "airline") == pytest.approx(1_000)
    arr = coalition_convert(np.array([0, 10, 250]), "retail", "hotel")
    assert arr.tolist() == [0.0, 5.0, 125.0]
    for args in ((10, "airline", "bank"), (-1, "airline", "fuel"), (10, "a", "b", {"a": 0, "b": 1})):
        with pytest.raises(ValueError) as e:
            coalition_convert(*args)
        bilingual(e)


def test_donations_and_switching_cost():
    tx = pd.DataFrame({"amount": [100.0, 250.0, 50.0], "beneficiary": ["教堂A", "教堂B", "教堂A"]})
    assert donation_program(tx).to_dict() == {"教堂A": 1.5, "教堂B": 2.5}
    with pytest.raises(ValueError):
        donation_program(tx.assign(beneficiary=["教堂A", "", "教堂A"]))
    with pytest.raises(ValueError):
        donation_program(tx, rate=1.5)
    s = switching_cost(financial=100, process=20, emotional=300, learning=5)
    assert s["total"] == 425 and list(s.index) == ["financial", "process", "emotional", "learning", "total"]
    with pytest.raises(ValueError):
        switching_cost(financial=-1)
