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


def test_messages_are_chinese_first_and_carry_the_hint():
    msg = fails(check.number, 0.4, 0.5, "占比 share", hint="先排序 (sort first)。")
    assert msg.splitlines() == ["✗ 占比 share", "  应为 expected: 0.5", "  实际 got:      0.4",
                                "  提示 hint: 先排序 (sort first)。"]


def test_a_failed_check_shows_its_message_without_a_traceback():
    try:
        check.equal(1, 2, "数 n")
    except check.CheckFailed as err:
        lines = err._render_traceback_()
    assert "✗ 数 n" in lines[0] and not any("File" in line or "check.py" in line for line in lines)


def test_true_never_says_expected_true_got_false():
    msg = fails(check.true, False, "条件 condition", hint="看第 2 段")
    assert "True" not in msg and "False" not in msg and "提示 hint: 看第 2 段" in msg


def test_own_work_names_the_concept_not_the_function():
    from crmlab import shortcuts

    @shortcuts.computes("toy_sum", "玩具合计", "toy sum")
    def toy_sum(values):
        return sum(values)

    shortcuts.forget()
    check.own_work("toy_sum")                     # nothing called yet
    with check.reference():                       # outside a notebook: the tests' own references
        toy_sum([1])
    check.own_work("toy_sum")
    alias = toy_sum
    alias([1, 2])                                 # any route to the function counts
    msg = fails(check.own_work, "toy_sum", "other")
    assert "玩具合计 (toy sum)" in msg and "toy_sum(" not in msg
    shortcuts.forget()


def test_ready_stops_a_cell_politely_when_an_exercise_is_unfinished():
    with pytest.raises(check.NotReady, match="请先完成练习 3"):
        check.ready(None, "练习 3")
    assert check.ready(5, "练习 3") == 5


@pytest.mark.parametrize("func,args", [
    (check.number, (None, 1.0, "x")),
    (check.equal, (None, "gold", "x")),
    (check.is_frame, (None, "x")),
    (check.series_equal, (None, pd.Series([1]), "x")),
    (check.set_equal, (None, {"a"}, "x")),
    (check.frame_equal, (None, pd.DataFrame({"a": [1]}), "x")),
])
def test_an_unanswered_none_says_not_answered_yet(func, args):
    msg = fails(func, *args)
    assert "还没有作答" in msg and "None" in msg


@pytest.mark.parametrize("stub", [None, ..., set(), {}, [], ""])
def test_placeholders_left_by_the_release_count_as_unanswered(stub):
    assert "还没有作答" in fails(check.answered, stub, "答案 answer")


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
    assert "1 missing" in msg and "1 not expected" in msg and "缺少 1 项" in msg
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
