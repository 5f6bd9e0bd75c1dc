"""crmlab.check: every helper fails with CheckFailed (an AssertionError), bilingual, and never warns."""
import warnings

import numpy as np
import pandas as pd
import pytest

from crmlab import check


def fails(func, *args, **kwargs) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(check.CheckFailed) as info:
            func(*args, **kwargs)
    assert isinstance(info.value, AssertionError)
    return str(info.value)


def test_messages_are_bilingual_and_carry_the_hint():
    msg = fails(check.number, 0.4, 0.5, "share 占比", hint="Sort first. 先排序。")
    assert msg.startswith("✗ share 占比: expected 0.5, got 0.4.")
    assert "Hint 提示: Sort first. 先排序。" in msg


@pytest.mark.parametrize("func,args", [
    (check.number, (None, 1.0, "x")),
    (check.equal, (None, "gold", "x")),
    (check.is_frame, (None, "x")),
    (check.series_equal, (None, pd.Series([1]), "x")),
    (check.set_equal, (None, {"a"}, "x")),
    (check.frame_equal, (None, pd.DataFrame({"a": [1]}), "x")),
])
def test_an_unanswered_none_gets_the_run_the_cell_hint(func, args):
    assert "None" in fails(func, *args)


def test_number_tolerances_and_types():
    check.number(np.float64(1 / 3), 0.333333, "third", rel=1e-5)
    check.number(3, 3.0, "int is a number")
    fails(check.number, "0.5", 0.5, "text is not a number")
    fails(check.number, True, 1.0, "bool is not a number")
    fails(check.number, float("nan"), 1.0, "nan")


def test_equal_compares_type_and_value():
    check.equal("heavy", "heavy", "segment")
    check.equal(np.int64(3), 3, "numpy int equals int")
    fails(check.equal, "Heavy", "heavy", "case matters")
    fails(check.equal, 3, "3", "type matters")


def test_set_equal_does_not_reveal_members():
    msg = fails(check.set_equal, {"A", "B"}, {"B", "C"}, "letters")
    assert "1 missing" in msg and "1 not expected" in msg
    assert "'C'" not in msg
    fails(check.set_equal, "ABC", {"A"}, "a string is not a set")
    check.set_equal(["b", "a"], {"a", "b"}, "order ignored")


def test_frame_and_series_equal():
    expected = pd.DataFrame({"n": [2, 1], "share": [2 / 3, 1 / 3]}, index=["a", "b"])
    check.frame_equal(expected.copy(), expected, "t")
    fails(check.frame_equal, expected.iloc[::-1], expected, "order matters")
    check.frame_equal(expected.iloc[::-1], expected, "unless ignored", ignore_order=True)
    fails(check.frame_equal, expected.assign(n=[2, 2]), expected, "values")
    fails(check.frame_equal, expected.rename(columns={"n": "count"}), expected, "columns")
    s = pd.Series(["x", None], index=[1, 2])
    check.series_equal(s.copy(), s, "NaN equals NaN")
    fails(check.series_equal, pd.Series(["x", "y"], index=[1, 2]), s, "values differ")


def test_has_columns_and_one_of_and_true():
    check.has_columns(pd.DataFrame({"a": [1], "b": [1]}), ["a"], "t")
    fails(check.has_columns, pd.DataFrame({"a": [1]}), ["b"], "t")
    check.one_of("5/80", ["5/80", "20/80"], "claim")
    fails(check.one_of, "50/50", ["5/80", "20/80"], "claim")
    fails(check.true, False, "condition")
