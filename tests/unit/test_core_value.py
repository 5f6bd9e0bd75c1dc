"""crmlab.segmentation and the Pareto / ABC / matrix part of crmlab.value."""
import math

import numpy as np
import pandas as pd
import pytest

from crmlab import segmentation, value


def test_segment_sizes_counts_distinct_customers_largest_first():
    customers = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C3", "C4"],
                              "region": ["东", "西", "东", "东", "南"]})
    table = segmentation.segment_sizes(customers, "region")
    assert list(table.index) == ["东", "南", "西"]          # ties keep sorted order
    assert table["customers"].tolist() == [2, 1, 1]
    assert table["share"].sum() == pytest.approx(1.0)


def test_frequency_segments_follow_the_weekly_monthly_limits():
    orders = pd.DataFrame({"customer_id": ["w", "w", "m", "m", "s"],
                           "order_date": pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-01",
                                                         "2025-02-01", "2025-01-01"])})
    seg = segmentation.frequency_segments(orders)
    assert seg.to_dict() == {"m": "medium", "s": "light", "w": "heavy"}


def test_top_share_rounds_the_group_up_and_sorts():
    assert value.top_share(pd.Series([5, 50, 10, 30, 5]), 0.2) == 0.5
    assert value.top_share([40, 20, 10, 10, 10, 5, 5], 0.2) == 0.6   # ceil(1.4) = 2 customers
    assert value.top_share([1, 1, 1, 1, 1], 0.2) == 0.2               # 20 % of 5 is exactly 1
    with pytest.raises(ValueError):
        value.top_share([1, 2], 0)


def test_share_of_customers_for_and_pareto_table():
    revenue = pd.Series([50, 30, 10, 5, 5], index=list("abcde"))
    assert value.share_of_customers_for(revenue, 0.8) == 0.4
    assert value.share_of_customers_for(revenue, 0.5) == 0.2
    table = value.pareto_table(revenue)
    assert table["cum_value"].iloc[-1] == pytest.approx(1.0)
    assert table.index.tolist() == list("abcde")


def test_abc_classes_match_the_5_15_80_pyramid_on_a_textbook_shaped_market():
    # 100 customers: 5 bring 80 %, 15 bring 15 %, 80 bring 5 % ([001] 项目一 图1-2).
    values = pd.Series([16.0] * 5 + [1.0] * 15 + [5 / 80] * 80)
    classes = value.abc_classes(values)
    assert classes.value_counts().to_dict() == {"C": 80, "B": 15, "A": 5}


@pytest.mark.parametrize("high_value,high_loyalty,cell", [
    (True, True, "gold"), (True, False, "risk"), (False, True, "marginal"), (False, False, "junk")])
def test_value_loyalty_cells(high_value, high_loyalty, cell):
    assert value.value_loyalty_cell(high_value, high_loyalty) == cell


def test_matrices_use_median_split_with_at_or_above_as_high():
    v = pd.Series([1, 2, 3, 4], index=list("abcd"))
    loyal = pd.Series([4, 3, 2, 1], index=list("abcd"))
    cells = value.value_loyalty_matrix(v, loyal)
    assert cells.to_dict() == {"a": "marginal", "b": "marginal", "c": "risk", "d": "risk"}
    resp = value.value_response_matrix(v, pd.Series([0.9, 0.1, 0.9, 0.1], index=list("abcd")), response_cut=0.5)
    assert resp.to_dict() == {"a": "fatal_attraction", "b": "ghost", "c": "best", "d": "strange"}
