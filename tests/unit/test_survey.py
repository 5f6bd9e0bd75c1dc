"""Tests of crmlab.survey: questionnaire model, form, plan, sampling, Likert coding, cleaning, analysis.

Published references used below:

- Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, §4.4 (proportions) and §4.6
  (means): n0 = z²p(1−p)/e², n0 = (zσ/e)², n = n0 / (1 + (n0 − 1)/N).
- Israel, G. D. (1992, rev. 2009). *Determining Sample Size*, PEOD-6, University of Florida IFAS:
  95 % confidence, ±5 %, p = .5 → n0 = 385; for a population of 2,000 farmers, n = 323.
- Bartlett, J. E., Kotrlik, J. W. & Higgins, C. C. (2001). Organizational research: determining
  appropriate sample size in survey research. *Information Technology, Learning, and Performance
  Journal* 19(1), 43–50: population 1,679; continuous data (7-point scale, s = 7/6, d = 7 × .03
  = .21, t = 1.96): n0 ≈ 118 → n = 111; categorical data (p = .5, d = .05): n0 = 384 → n = 313.
- Zaiontz, C. *Real Statistics Using Excel*, "Cronbach's Alpha" pages: Likert example (15
  respondents × 10 items, 1–7) α = 0.59172; binary example (12 × 11) α = .738019 and α without
  item 1 = .76321. pingouin ships both data sets (``cronbach_alpha``, ``cronbach_wide_missing``,
  credited to www.real-statistics.com; the binary one with a few cells blanked, which the
  column medians restore).
- pingouin (GPL-3, used here only as a test oracle) ``cronbach_alpha``; scipy and statsmodels for χ².
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crmlab import datasets, survey
from crmlab.survey import (LIKERT_5, LIKERT_7, Question, Questionnaire, Section, SurveyError, SurveyPlan,
                           code_likert)
from helpers import bilingual

SURVEY_DIR = Path(survey.__file__).parent


# -- shared fixtures ----------------------------------------------------------------------------
PREFACE = ("尊敬的顾客：您好！我们是星海电器市场部，正在进行顾客购买与满意度的调查。您是从我们的客户名单中随机选出的。"
           "请根据实际情况在选项上打“√”。本问卷采取匿名方式，所有信息仅用于统计分析，我们将严格保密。"
           "请于11月30日前交回。谢谢您的支持与合作！")


def appliance_questionnaire() -> Questionnaire:
    """The digest's constructed appliance questionnaire (Q-A), shortened."""
    return Questionnaire(
        "家电消费者调查问卷",
        [Section("一、基本情况", [
            Question("A1", "您的性别", options=["男", "女"], objectives=["profile"]),
            Question("A2", "您的年龄", options=["18岁以下", "18–25岁", "26–35岁", "36–45岁", "46–60岁", "60岁以上"],
                     objectives=["profile"]),
            Question("A5", "您家庭常住人口（人）", "数值题", min_value=1, max_value=10, integer=True,
                     objectives=["profile"]),
        ]),
            Section("二、购买情况", [
                Question("B1", "过去12个月您是否购买过本品牌家电？", "判断题", skip={"否": "D1"},
                         objectives=["buying"]),
                Question("B4", "购买时您最看重的因素", "多选题",
                         options=[("价格", 1), ("质量", 3), ("外观", 1), ("功能", 2), ("品牌", 2), ("售后服务", 2),
                                  ("节能", 1)], max_choices=3, objectives=["buying"]),
            ]),
            Section("三、满意度", [
                Question("C1", "您对本品牌产品质量的满意程度", "量表题", objectives=["satisfaction"]),
                Question("C9", "请评价以下各项服务", "矩阵题", rows=["送货", "安装", "售后"], objectives=["satisfaction"]),
            ]),
            Section("四、意见", [Question("D1", "您对本品牌还有哪些意见和建议？", "问答题", required=False,
                                         objectives=["ideas"])])],
        preface=PREFACE, closing="问卷到此结束，再次感谢您的合作！",
        objectives={"profile": "了解顾客基本情况", "buying": "了解购买行为", "satisfaction": "测量满意度",
                    "ideas": "收集意见"})


GOOD_ANSWERS = {"A1": "女", "A2": "26–35岁", "A5": "3", "B1": "是", "B4": ["质量", "售后服务"], "C1": "满意",
                "C9": ["很满意", "满意", "一般"], "D1": "送货再快一点"}


# ================================================================================================
# Likert coding
# ================================================================================================
class TestLikert:
    def test_constants_are_the_textbook_scales(self):
        assert list(LIKERT_5.items()) == [("很满意", 5), ("满意", 4), ("一般", 3), ("不满意", 2), ("很不满意", 1)]
        # digest D §3.A2: 很满意、满意、较满意、一般、不太满意、不满意、极不满意 (high → low), coded 7..1
        assert list(LIKERT_7) == ["很满意", "满意", "较满意", "一般", "不太满意", "不满意", "极不满意"]
        assert list(LIKERT_7.values()) == [7, 6, 5, 4, 3, 2, 1]
        with pytest.raises(TypeError):
            LIKERT_5["很满意"] = 1  # read-only, shared by every module

    def test_chinese_english_numeric_and_mixed(self):
        s = pd.Series(["很满意", "满意", "一般", "不满意", "很不满意", "极不满意", "Very Satisfied", " strongly_disagree ",
                       "neither agree nor disagree", 4, 2.0, "3"], index=list("abcdefghijkl"), name="q")
        out = code_likert(s)
        assert out.tolist() == [5, 4, 3, 2, 1, 1, 5, 1, 3, 4, 2, 3]
        assert out.index.tolist() == list("abcdefghijkl") and out.name == "q" and out.dtype == float
        assert out.attrs["likert_unknown"] == []

    def test_seven_levels(self):
        labels = list(LIKERT_7)
        assert code_likert(labels, levels=7).tolist() == [7, 6, 5, 4, 3, 2, 1]
        assert code_likert(["somewhat agree", "neutral", "7"], levels=7).tolist() == [5, 4, 7]
        assert np.isnan(code_likert(["很不满意"], levels=7)[0])  # not one of the 7 digest labels

    def test_highest_satisfaction_gets_highest_code(self):
        for levels, scale in ((5, LIKERT_5), (7, LIKERT_7)):
            codes = code_likert(list(scale), levels=levels)
            assert codes.is_monotonic_decreasing and codes.iloc[0] == levels and codes.iloc[-1] == 1

    def test_reverse(self):
        assert code_likert(["strongly agree", "agree", "一般"], reverse=True).tolist() == [1, 2, 3]
        assert code_likert(["较满意"], levels=7, reverse=True).tolist() == [3]

    def test_unknown_labels_become_nan_and_are_flagged_never_raise(self):
        s = pd.Series(["满意", "非常满意", "6", "满意满意", "", None, np.nan, 4.5, True, [1]])
        codes, flags = code_likert(s, return_flags=True)
        assert codes.tolist()[0] == 4 and codes.iloc[1:].isna().all()
        assert flags.tolist() == [False, True, True, True, False, False, False, True, True, True]
        assert [v for _, _, v in codes.attrs["likert_unknown"]][:3] == ["非常满意", "6", "满意满意"]
        assert survey.likert_unknown(s).tolist() == flags.tolist()

    def test_dataframe_in_out_and_caller_unchanged(self):
        frame = pd.DataFrame({"q1": ["很满意", "x"], "q2": ["一般", "满意"]}, index=["r1", "r2"])
        before = frame.copy()
        out, flags = code_likert(frame, return_flags=True)
        pd.testing.assert_frame_equal(frame, before)
        assert out.to_dict() == {"q1": {"r1": 5.0, "r2": np.nan}, "q2": {"r1": 3.0, "r2": 4.0}} or \
            (out.loc["r1"].tolist() == [5, 3] and np.isnan(out.loc["r2", "q1"]))
        assert flags.values.tolist() == [[False, False], [True, False]]
        assert out.attrs["likert_unknown"] == [("r2", "q1", "x")]

    def test_custom_scale_and_bad_parameters(self):
        willing = {"非常愿意": 5, "愿意": 4, "说不准": 3, "不愿意": 2, "非常不愿意": 1}
        assert code_likert(["愿意", "非常不愿意", "满意"], scale=willing).tolist()[:2] == [4, 1]
        with pytest.raises(SurveyError) as err:
            code_likert(["满意"], levels=4)
        assert bilingual(err)
        with pytest.raises(ValueError) as err:
            code_likert(["x"], scale={"x": 9})
        assert bilingual(err)

    def test_labels_round_trip(self):
        assert survey.likert_labels(code_likert(list(LIKERT_5))).tolist() == list(LIKERT_5)
        assert survey.likert_labels(pd.Series([7, 1, np.nan, 2.5]), levels=7).tolist() == ["很满意", "极不满意", None, None]
        with pytest.raises(SurveyError):
            survey.likert_labels([1], lang="fr")


# ================================================================================================
# Questionnaire model and design rules
# ================================================================================================
class TestQuestionnaire:
    def test_types_options_codes_and_scores(self):
        q = appliance_questionnaire()
        assert q.columns() == ["A1", "A2", "A5", "B1", "B4", "C1", "C9_1", "C9_2", "C9_3", "D1"]
        b1 = q.question("B1")
        assert [(o.code, o.label, o.score) for o in b1.options] == [("A", "是", 1.0), ("B", "否", 0.0)]
        assert [o.value for o in q.question("C1").options] == [5, 4, 3, 2, 1]
        assert [o.score for o in q.question("B4").options] == [1, 3, 1, 2, 2, 2, 1]
        assert Question("x", "t", "单选").qtype == Question("x", "t", "single").qtype == "single"
        with pytest.raises(SurveyError) as err:
            Question("x", "t", "ranking")
        assert bilingual(err)
        with pytest.raises(SurveyError):
            Question("x", "t", "likert", levels=4)

    def test_good_design_has_no_errors(self):
        issues = appliance_questionnaire().validate()
        assert [str(i) for i in issues if i.severity == "error"] == []
        assert appliance_questionnaire().is_valid()
        frame = appliance_questionnaire().validate(as_frame=True)
        assert list(frame.columns) == ["rule", "severity", "where", "en", "zh"]

    @pytest.mark.parametrize("question, rule", [
        (Question("X1", "您对我们产品的价格和质量满意吗？", "likert", objectives=["o"]), "double_barrelled"),
        (Question("X1", "您最满意哪些项目？还有哪些地方需要改进？", "open", objectives=["o"]), "double_barrelled"),
        (Question("X1", "Are you satisfied with our prices and delivery?", "likert", objectives=["o"]),
         "double_barrelled"),
        (Question("X1", "您对我们优质的售后服务满意吗", "likert", objectives=["o"]), "leading"),
        (Question("X1", "难道您不认为我们的价格很合理吗", "true_false", objectives=["o"]), "leading"),
        (Question("X1", "Don't you agree that our staff are friendly", "true_false", objectives=["o"]), "leading"),
        (Question("X1", "您是不是不会不推荐本品牌", "true_false", objectives=["o"]), "double_negative"),
        (Question("X1", "您" + "对本品牌" * 20 + "满意吗", "likert", objectives=["o"]), "too_long"),
    ])
    def test_wording_rules_flag(self, question, rule):
        q = Questionnaire("t", questions=[question], preface=PREFACE, objectives={"o": "目标"})
        hits = [i for i in q.validate() if i.rule == rule]
        assert hits and hits[0].severity == "warning" and hits[0].where == "X1"
        assert re.search(r"[\u4e00-\u9fff]", hits[0].zh) and re.search(r"[a-z]", hits[0].en)

    def test_no_false_alarm_on_compound_words(self):
        q = Questionnaire("t", questions=[Question("X1", "送货是否及时", "true_false", objectives=["o"]),
                                          Question("X2", "您是否参与过我们的活动", "true_false", objectives=["o"])],
                          preface=PREFACE, objectives={"o": "目标"})
        assert [i for i in q.validate() if i.rule == "double_barrelled"] == []

    @pytest.mark.parametrize("kwargs, rule, severity", [
        ({"preface": ""}, "preface_missing", "error"),
        ({"preface": "您好！我们是星海电器，为了解顾客需求开展本调查。请填写。"}, "preface_element", "error"),
        ({"objectives": {"o": "目标", "extra": "从未调查的目标"}}, "objective_uncovered", "error"),
        ({"objectives": {}}, "objectives_missing", "warning"),
        ({"admin_fields": ()}, "admin_fields", "warning"),
        ({"closing": ""}, "closing_missing", "info"),
    ])
    def test_structure_rules(self, kwargs, rule, severity):
        base = dict(questions=[Question("X1", "您的性别", options=["男", "女"], objectives=["o"])], preface=PREFACE,
                    objectives={"o": "目标"}, closing="谢谢！")
        base.update(kwargs)
        hits = [i for i in Questionnaire("t", **base).validate() if i.rule == rule and i.severity == severity]
        assert hits

    def test_preface_as_dict_of_elements(self):
        elements = {k: "…" for k, *_ in survey.PREFACE_ELEMENTS}
        q = Questionnaire("t", questions=[Question("X1", "您的性别", options=["男", "女"])], preface=elements)
        assert not [i for i in q.validate() if i.rule.startswith("preface")]
        del elements["confidentiality"]
        q = Questionnaire("t", questions=[Question("X1", "您的性别", options=["男", "女"])], preface=elements)
        assert [i.zh for i in q.validate() if i.rule == "preface_element"] == ["卷首语缺少：匿名和保密"]

    @pytest.mark.parametrize("questions, rule", [
        ([Question("X1", "您的性别", options=["男"])], "too_few_options"),
        ([Question("X1", "您的性别", options=["男", "女"]), Question("X1", "您的年龄", options=["老", "少"])],
         "duplicate_code"),
        ([Question("X1", "您的性别", options=["男", "男"])], "duplicate_option"),
        ([Question("X1", "您的年龄", options=["18–25岁", "25–35岁", "35岁以上"])], "overlapping_options"),
        ([Question("X1", "您的月收入", options=["3 000–5 999元", "5 000–9 999元"])], "overlapping_options"),
        ([Question("X1", "因素", "multiple", options=[("价格", 1), "质量"])], "scores_partial"),
        ([Question("X1", "因素", "multiple", options=["价格", "质量"], max_choices=3)], "max_choices"),
        ([Question("X1", "满意度", "likert", options=["好", "中", "差"])], "scale_levels"),
        ([Question("X1", "请评价", "matrix")], "matrix_rows"),
        ([Question("X1", "人数", "numeric", min_value=10, max_value=1)], "numeric_bounds"),
        ([Question("X1", "是否购买", "判断题", skip={"否": "X9"})], "skip_target"),
        ([Question("X1", "您的性别", options=["男", "女"]), Question("X2", "是否购买", "判断题", skip={"否": "X1"})],
         "skip_target"),
        ([Question("X1", "是否购买", "判断题", skip={"也许": "END"})], "skip_answer"),
        ([Question("X1", "您的性别", options=["男", "女"], objectives=["nope"])], "unknown_objective"),
        ([Question("", "您的性别", options=["男", "女"])], "code_missing"),
        ([Question("X1", "", options=["男", "女"])], "text_missing"),
        ([], "no_questions"),
    ])
    def test_design_errors(self, questions, rule):
        q = Questionnaire("t", questions=questions, preface=PREFACE)
        hits = [i for i in q.validate() if i.rule == rule]
        assert hits, [str(i) for i in q.validate()]
        assert all(re.search(r"[\u4e00-\u9fff]", h.zh) for h in hits)

    def test_bad_construction(self):
        with pytest.raises(SurveyError):
            Questionnaire("t", sections=[], questions=[])
        with pytest.raises(SurveyError):
            Questionnaire("t", questions=["not a question"])
        with pytest.raises(SurveyError):
            Question("x", "t", options=[1.5])
        with pytest.raises(KeyError) as err:
            appliance_questionnaire().question("Z9")
        assert bilingual(err)

    def test_skip_logic(self):
        q = appliance_questionnaire()
        assert q.asked({"B1": "否"}) == ["A1", "A2", "A5", "B1", "D1"]
        assert q.asked({"B1": "B"}) == q.asked({"B1": False}) == q.asked({"B1": "否"})
        assert q.asked({"B1": "是"}) == ["A1", "A2", "A5", "B1", "B4", "C1", "C9", "D1"]
        end = Questionnaire("t", questions=[Question("Q1", "是否购买", "判断题", skip={"否": "END"}),
                                             Question("Q2", "您的性别", options=["男", "女"])])
        assert end.asked({"Q1": "否"}) == ["Q1"]

    def test_check_answers(self):
        q = appliance_questionnaire()
        record, errors = q.check_answers(GOOD_ANSWERS)
        assert errors == {}
        assert record == {"A1": "女", "A2": "26–35岁", "A5": 3.0, "B1": "是", "B4": "质量;售后服务", "C1": "满意",
                          "C9_1": "很满意", "C9_2": "满意", "C9_3": "一般", "D1": "送货再快一点"}
        # skipped questions need no answer, and answers to them are ignored
        record, errors = q.check_answers({"A1": "男", "A2": "A", "A5": 2, "B1": "否", "C1": "乱填"})
        assert errors == {} and record["C1"] is None and record["B4"] is None
        bad = dict(GOOD_ANSWERS, A1="其他", A5="12", B4="价格;质量;外观;功能", C9=["很满意", "满意"])
        bad.pop("C1")
        _, errors = q.check_answers(bad)
        assert set(errors) == {"A1", "A5", "B4", "C1", "C9"}
        assert all(bilingual(m) for m in errors.values())
        _, errors = q.check_answers(dict(GOOD_ANSWERS, A5="2.5", B4=["价格", "价格"]))
        assert set(errors) == {"A5", "B4"}
        # matrix answers by column
        _, errors = q.check_answers({**{k: v for k, v in GOOD_ANSWERS.items() if k != "C9"},
                                     "C9_1": 5, "C9_2": "满意", "C9_3": "一般"})
        assert errors == {}

    def test_markdown_and_html(self):
        q = appliance_questionnaire()
        md = q.to_markdown()
        assert md.startswith("# 家电消费者调查问卷")
        for text in ("> 尊敬的顾客", "## 一、基本情况", "**A1.** 您的性别（单选题）", "- ○ A. 男", "□ B. 质量",
                     "最多选 3 项", "选“否”者请跳至 D1", "| 送货 |", "**其他资料**", "- 访问员姓名：", "问卷到此结束"):
            assert text in md, text
        assert "（3分）" in q.to_markdown(show_scores=True) and "（3分）" not in md
        html = Questionnaire("<b>x</b>", questions=[Question("A1", "<script>", options=["<i>", "b"])]).to_html()
        assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;i&gt;" in html
        assert q._repr_html_() == q.to_html()

    def test_codebook_encode_and_score(self):
        q = appliance_questionnaire()
        book = q.codebook()
        assert list(book.columns) == ["column", "question", "qtype", "text", "code", "label", "value", "score"]
        c1 = book[book["column"] == "C1"]
        assert dict(zip(c1["label"], c1["value"])) == dict(LIKERT_5)
        assert book[book["question"] == "B4"]["column"].tolist() == [f"B4_{c}" for c in "ABCDEFG"]
        raw = pd.DataFrame([q.check_answers(GOOD_ANSWERS)[0],
                            {"A1": "A", "A2": "F", "A5": 1, "B1": "否", "C1": None, "D1": ""},
                            {"A1": "男", "A2": "60岁以上", "A5": "x", "B1": "是", "B4": "质量;星期天", "C1": "非常满意",
                             "C9_1": "very satisfied"}])
        before = raw.copy()
        coded = q.encode(raw)
        pd.testing.assert_frame_equal(raw, before)
        assert coded.loc[0, ["A1", "A2", "A5", "B1", "C1", "C9_1", "C9_2", "C9_3"]].tolist() == [2, 3, 3, 1, 4, 5, 4, 3]
        assert coded.loc[0, [f"B4_{c}" for c in "ABCDEFG"]].tolist() == [0, 1, 0, 0, 0, 1, 0]
        assert coded.loc[1, ["A1", "A2", "B1"]].tolist() == [1, 6, 0] and np.isnan(coded.loc[1, "C1"])
        assert coded.loc[2, "C9_1"] == 5
        assert sorted(coded.attrs["unknown"]) == sorted([(2, "A5", "x"), (2, "B4", "质量;星期天"), (2, "C1", "非常满意")])
        assert "D1" in coded.columns and coded.loc[0, "D1"] == "送货再快一点"
        # Kingdee 分值: B1 是 1 + B4 质量 3 + 售后 2 + C1 满意 4 + C9 5+4+3
        assert q.score(raw).tolist() == [1 + 3 + 2 + 4 + 5 + 4 + 3, 0.0, 1 + 5]

    def test_summarize_like_kingdee(self):
        q = appliance_questionnaire()
        raw = pd.DataFrame([q.check_answers(GOOD_ANSWERS)[0],
                            q.check_answers(dict(GOOD_ANSWERS, B4="价格;质量", C1="很满意"))[0],
                            {"A1": "男", "B1": "否", "C1": "乱填"}])
        table = q.summarize(raw)
        b4 = table[table["question"] == "B4"].set_index("label")
        assert b4.loc["质量", "n"] == 2 and b4.loc["质量", "percent"] == 100.0 and b4.loc["价格", "percent"] == 50.0
        assert b4.loc["质量", "score"] == 3
        c1 = table[table["column"] == "C1"].set_index("label")
        assert c1["n"].sum() == 2 and c1.loc["满意", "percent"] == 50.0       # 乱填 is not counted
        assert set(table["question"]) == {"A1", "A2", "B1", "B4", "C1", "C9"}

    def test_reverse_item_is_encoded_the_other_way(self):
        q = Questionnaire("t", questions=[Question("R1", "送货经常延误", "likert", reverse=True)])
        assert q.encode(pd.DataFrame({"R1": ["很满意", "很不满意", "4"]}))["R1"].tolist() == [1, 5, 2]

    def test_kingdee_question_bank_round_trip(self):
        q = appliance_questionnaire()
        bank, options = q.to_question_bank()
        assert set(bank["qtype"]) <= {"单选题", "多选题", "判断题", "问答题"}
        assert bank.set_index("q_id").loc["C9_2", "stem"] == "请评价以下各项服务：安装"
        assert options[options["q_id"] == "B4"]["score"].tolist() == [1, 3, 1, 2, 2, 2, 1]
        assert options[options["q_id"] == "B1"][["text", "score"]].values.tolist() == [["是", 1.0], ["否", 0.0]]
        back = Questionnaire.from_question_bank(bank, options, title="题库问卷")
        b4 = back.question("B4")
        assert b4.qtype == "multiple" and [(o.label, o.score) for o in b4.options] == \
            [(o.label, o.score) for o in q.question("B4").options]
        assert back.question("D1").qtype == "open" and back.question("C1").qtype == "single"
        bank2, options2 = back.to_question_bank()
        pd.testing.assert_frame_equal(bank2, bank)
        pd.testing.assert_frame_equal(options2, options)
        with pytest.raises(SurveyError):
            Questionnaire.from_question_bank(bank.drop(columns="stem"), options)


# ================================================================================================
# ipywidgets form (driven programmatically: no browser, no kernel)
# ================================================================================================
class TestForm:
    @staticmethod
    def fill(form, answers):
        for code, value in answers.items():
            form.set_answer(code, value)

    def test_widgets_are_real_ipywidgets(self):
        import ipywidgets as widgets
        form = appliance_questionnaire().form()
        assert isinstance(form.widget, widgets.VBox)
        assert isinstance(form.inputs["A1"], widgets.RadioButtons) and form.inputs["A1"].value is None
        assert all(isinstance(b, widgets.Checkbox) for b in form.inputs["B4"].children)
        assert isinstance(form.inputs["C9_2"], widgets.RadioButtons)
        assert isinstance(form.inputs["D1"], widgets.Textarea) and isinstance(form.inputs["A5"], widgets.Text)
        assert isinstance(form.submit_button, widgets.Button)
        assert "application/vnd.jupyter.widget-view+json" in form._repr_mimebundle_()

    def test_set_widgets_click_submit_and_rows_append(self):
        clock = iter(pd.date_range("2025-11-01 09:00", periods=5, freq="h"))
        form = appliance_questionnaire().form(clock=lambda: next(clock))
        seen = []
        form.on_submit.append(seen.append)
        # drive the widgets directly, as a student would click them
        form.inputs["A1"].value = "女"
        form.inputs["A2"].value = "26–35岁"
        form.inputs["A5"].value = "3"
        form.inputs["B1"].value = "是"
        for box in form.inputs["B4"].children:
            box.value = box.description in ("质量", "售后服务")
        form.inputs["C1"].value = "满意"
        for col, label in zip(["C9_1", "C9_2", "C9_3"], ["很满意", "满意", "一般"]):
            form.inputs[col].value = label
        form.inputs["D1"].value = "送货再快一点"
        form.submit_button.click()
        assert len(form.responses) == 1 and "✓" in form.message.value
        row = form.responses.iloc[0]
        assert row["response_id"] == "R00001" and row["submitted_at"] == pd.Timestamp("2025-11-01 09:00")
        assert row[form.questionnaire.columns()].tolist() == \
            ["女", "26–35岁", 3.0, "是", "质量;售后服务", "满意", "很满意", "满意", "一般", "送货再快一点"]
        assert seen and seen[0]["response_id"] == "R00001"
        # the form is cleared for the next respondent
        assert form.inputs["A1"].value is None and form.inputs["D1"].value == ""
        # second respondent, via the helper, with the skip: B1 = 否 jumps to D1
        self.fill(form, {"A1": "男", "A2": "B", "A5": 4, "B1": "否"})
        assert form._boxes["C1"].layout.display == "none" and form._boxes["D1"].layout.display is None
        assert form.submit()
        assert form.responses["response_id"].tolist() == ["R00001", "R00002"]
        assert pd.isna(form.responses.loc[1, "C1"]) and form.responses.loc[1, "A2"] == "18–25岁"
        coded = form.questionnaire.encode(form.responses)
        assert coded["B4_B"].tolist()[0] == 1 and coded.attrs["unknown"] == []

    def test_invalid_answers_show_inline_errors_and_append_nothing(self):
        form = appliance_questionnaire().form()
        self.fill(form, dict(GOOD_ANSWERS, A5="twelve"))
        for box in form.inputs["B4"].children:   # four ticks where at most three are allowed
            box.value = box.description in ("价格", "质量", "外观", "功能")
        form.inputs["C1"].value = None
        form.submit_button.click()
        assert len(form.responses) == 0
        assert "✗" in form.message.value and "未保存" in form.message.value
        assert "twelve" in form.errors["A5"].value and "不是数字" in form.errors["A5"].value
        assert "最多选 3 项" in form.errors["B4"].value
        assert "必答题未作答" in form.errors["C1"].value
        assert form.errors["A1"].value == ""
        # the answers stay so the student can fix them; fixing and resubmitting works
        assert form.inputs["A1"].value == "女"
        form.inputs["A5"].value = "3"
        form.set_answer("B4", "质量")
        form.inputs["C1"].value = "一般"
        assert form.submit() and len(form.responses) == 1 and form.errors["A5"].value == ""

    def test_appends_to_a_copy_of_existing_responses(self):
        q = appliance_questionnaire()
        existing = q.empty_responses()
        existing.loc[0] = ["R00001", pd.Timestamp("2025-10-01"), *[None] * len(q.columns())]
        before = existing.copy()
        form = q.form(existing)
        self.fill(form, GOOD_ANSWERS)
        assert form.submit()
        pd.testing.assert_frame_equal(existing, before)
        assert form.responses["response_id"].tolist() == ["R00001", "R00002"]
        with pytest.raises(SurveyError):
            q.form(pd.DataFrame({"response_id": []}))
        with pytest.raises(SurveyError):
            survey.SurveyForm("not a questionnaire")


# ================================================================================================
# Survey plan and methods
# ================================================================================================
class TestPlan:
    def test_steps_checklist(self):
        steps = survey.survey_steps()
        assert len(steps) == 15
        assert steps["stage"].drop_duplicates().tolist() == ["topic", "plan", "fieldwork", "analysis"]
        assert steps["zh"].iloc[[0, 4, 10, 14]].tolist() == ["提出调查主题", "确定客户调查类型", "提出一份完整的调查建议书",
                                                           "提交报告"]
        assert steps.loc[steps["optional"], "step"].tolist() == ["hypotheses"]

    def test_plan_order_is_enforced_and_illegal_steps_change_nothing(self):
        plan = SurveyPlan("客户购买量下降的原因")
        assert plan.stage == "topic" and plan.checklist()["status"].eq("todo").all()
        plan.mark_done("propose_topic")
        snapshot = dict(plan.status)
        for step, call in (("sample_plan", plan.mark_done), ("report", plan.mark_done)):
            with pytest.raises(SurveyError) as err:
                call(step)
            assert bilingual(err)
        with pytest.raises(SurveyError):
            plan.skip("objectives", "no reason")           # only hypotheses may be skipped
        with pytest.raises(SurveyError):
            plan.skip("hypotheses", "  ")                  # a reason is required
        with pytest.raises(SurveyError):
            plan.mark_done("dance")
        assert plan.status == snapshot
        plan.mark_done("objectives").skip("hypotheses", "只收集事实").mark_done("information_needed")
        assert plan.stage == "plan"
        for step in plan.next_steps():
            plan.mark_done(step)
        plan.mark_done("collect")
        for step in ("process", "analyse", "report"):
            plan.mark_done(step)
        assert plan.stage == "done" and plan.next_steps() == []
        assert plan.checklist().set_index("step").loc["hypotheses", "status"] == "skipped"
        assert [t[:2] for t in survey.PLAN_TRANSITIONS] == [("topic", "plan"), ("plan", "fieldwork"),
                                                             ("fieldwork", "analysis"), ("analysis", "done")]

    def test_validate_and_proposal(self):
        empty = SurveyPlan("")
        problems = empty.validate()
        assert len(problems) >= 6 and all(bilingual(p) for p in problems)
        plan = SurveyPlan("客户购买量下降的原因", objectives=["找出购买量下降的原因"], hypotheses=["客户转向其他供应商"],
                          info_needed=["近两年购买量", "竞争对手报价"], survey_type="描述性", methods=["telephone", "drop_off"],
                          sample={"method": "stratified", "n": 200}, team="in_house",
                          budget={"劳务费": 3000, "问卷费": 500, "差旅费": 1500},
                          schedule=[("topic", "2025-11-01", "2025-11-05")])
        assert plan.survey_type == "descriptive" and plan.validate() == [] and plan.budget_total() == 5000
        md = plan.proposal_markdown(背景="销量连续两个季度下降。")
        heads = re.findall(r"^## \d\. (.+)$", md, flags=re.M)
        assert heads == list(survey.PROPOSAL_SECTIONS)
        assert "销量连续两个季度下降" in md and "电话调查法、留置问卷法" in md and "合计：5,000 元" in md
        with pytest.raises(SurveyError):
            plan.proposal_markdown(结论="x")
        causal = SurveyPlan("降价是否提高销量", objectives=["x"], info_needed=["销量"], survey_type="causal",
                            methods=["questionnaire", "desk"], sample={"method": "x"},
                            budget={"劳务费": 1, "问卷费": 1, "差旅费": 1})
        assert any("experiment" in p for p in causal.validate())

    def test_methods_and_when_to_use(self):
        table = survey.survey_methods()
        assert {"observation", "interview", "experiment", "questionnaire", "telephone", "mail", "drop_off",
                "desk"} == set(table.index)
        assert table.loc["drop_off", "zh"] == "留置问卷法" and table["when"].str.len().min() > 20
        assert survey.suggest_methods("causal").index[0] == "experiment"
        assert survey.suggest_methods("behaviour").index[0] == "observation"
        assert survey.suggest_methods("fast", "low_budget").index[0] in ("telephone", "desk")
        assert len(survey.suggest_methods("low_budget", k=2)) == 2
        with pytest.raises(SurveyError) as err:
            survey.suggest_methods("magic")
        assert bilingual(err)
        assert survey.should_outsource() == (False, [])
        assert survey.should_outsource(no_skill=True, urgent_or_large=True)[0]
        with pytest.raises(SurveyError):
            survey.should_outsource(bored=True)


# ================================================================================================
# Sampling and sample size
# ================================================================================================
@pytest.fixture(scope="module")
def customers():
    return datasets.load("customers")


class TestSampling:
    def test_simple_random_is_seeded_and_leaves_frame_alone(self, customers):
        before = customers.copy()
        a = survey.simple_random_sample(customers, 50, seed=1)
        b = survey.simple_random_sample(customers, 50, seed=1)
        pd.testing.assert_frame_equal(a, b)
        assert len(a) == 50 and a.index.is_unique and set(a.index) <= set(customers.index)
        assert not a.equals(survey.simple_random_sample(customers, 50, seed=2))
        pd.testing.assert_frame_equal(customers, before)

    @pytest.mark.parametrize("n", [0, -1, 1.5, True, 10**6])
    def test_bad_sizes(self, customers, n):
        with pytest.raises(SurveyError) as err:
            survey.simple_random_sample(customers, n)
        assert bilingual(err)

    def test_systematic_textbook_example(self):
        frame = pd.DataFrame({"unit": range(1, 1001)})
        s = survey.systematic_sample(frame, 50, start=7)
        assert s["unit"].tolist() == list(range(7, 1001, 20))          # digest B §3.C2: k = 20, start 7
        r = survey.systematic_sample(frame, 50, seed=5)
        assert len(r) == 50 and set(np.diff(r["unit"])) == {20}
        pd.testing.assert_frame_equal(r, survey.systematic_sample(frame, 50, seed=5))
        odd = survey.systematic_sample(frame.iloc[:103], 10, seed=0)   # k = 10.3
        assert len(odd) == 10 and odd.index.is_unique
        by_desc = survey.systematic_sample(frame, 10, start=1, sort_by="unit")
        assert by_desc["unit"].tolist()[:2] == [1, 101]
        with pytest.raises(SurveyError):
            survey.systematic_sample(frame, 50, start=21)

    def test_proportional_allocation(self):
        assert survey.allocate_proportional({"华北": 400, "华东": 300, "华南": 200, "西部": 100}, 50).tolist() == \
            [20, 15, 10, 5]
        alloc = survey.allocate_proportional(pd.Series({"A": 523, "B": 301, "C": 176}), 40)
        assert alloc.to_dict() == {"A": 21, "B": 12, "C": 7}        # digest B §3.C3 largest remainder
        with pytest.raises(SurveyError):
            survey.allocate_proportional({"A": -1, "B": 3}, 2)

    def test_stratified(self, customers):
        s = survey.stratified_sample(customers, "region", 100, seed=3)
        expected = survey.allocate_proportional(customers["region"].value_counts(sort=False), 100)
        assert s["region"].value_counts(sort=False).reindex(expected.index).tolist() == expected.tolist()
        pd.testing.assert_frame_equal(s, survey.stratified_sample(customers, "region", 100, seed=3))
        own = survey.stratified_sample(customers, "region", allocation={"华东": 5, "华南": 2}, seed=0)
        assert own["region"].value_counts().to_dict() == {"华东": 5, "华南": 2}
        for bad in ({"火星": 1}, {"华东": 10**5}, {"华东": 1.5}):
            with pytest.raises(SurveyError):
                survey.stratified_sample(customers, "region", allocation=bad)
        with pytest.raises(SurveyError):
            survey.stratified_sample(customers, "region")
        with pytest.raises(SurveyError):
            survey.stratified_sample(customers, "planet", 10)

    def test_cluster_takes_whole_clusters(self, customers):
        s = survey.cluster_sample(customers, "city", 3, seed=4)
        chosen = s["city"].unique()
        assert len(chosen) == 3
        assert len(s) == customers["city"].isin(chosen).sum()
        with pytest.raises(SurveyError):
            survey.cluster_sample(customers, "city", 999)

    def test_quota(self, customers):
        q = survey.quota_sample(customers, "region", {"华东": 4, "华北": 2})
        assert q["region"].value_counts().to_dict() == {"华东": 4, "华北": 2}
        with pytest.raises(SurveyError):
            survey.quota_sample(customers, "region", {"华东": 10**5})

    def test_taxonomy_and_source_errors_are_flagged(self):
        assert survey.is_random("纯随机抽样", per="textbook") and survey.is_random("机械抽样", per="textbook")
        for method in ("类型抽样", "整群抽样"):
            assert survey.is_random(method) and not survey.is_random(method, per="textbook")
        assert survey.is_random("大意抽样") is False and survey.is_random("立意抽样", per="textbook") is False
        with pytest.raises(SurveyError):
            survey.is_random("magic")
        for fn in (survey.stratified_sample, survey.cluster_sample):
            assert "Source error" in fn.__doc__ and "non-random" in fn.__doc__
        assert "大意抽样" in survey._sampling.__doc__ and "立意抽样" in survey._sampling.__doc__
        assert "大意抽样" in survey.SAMPLING_METHODS["judgement"][1]

    def test_sample_size_published_examples(self):
        # Israel (1992) PEOD-6, applying Cochran (1977): n0 = 385, and 323 for N = 2,000
        assert survey.sample_size_proportion(0.05) == 385
        assert survey.sample_size_proportion(0.05, population=2000) == 323
        assert survey.sample_size_proportion(0.05, population=2000, z=1.96) == 323
        # Bartlett, Kotrlik & Higgins (2001), N = 1,679: categorical 384 → 313, continuous 118 → 111
        assert survey.sample_size_proportion(0.05, population=1679) == 313
        assert survey.sample_size_mean(7 / 6, 7 * 0.03, population=1679) == 111
        n0 = (1.96 * 7 / 6 / 0.21) ** 2
        assert round(n0, 1) == 118.6    # the paper prints 118 (truncated); rounding up gives 119
        assert survey.sample_size_mean(7 / 6, 0.21, z=1.96) == 119

    def test_sample_size_formula(self):
        z = survey.z_value(0.99)
        assert abs(z - 2.5758293035489) < 1e-9
        n0 = z ** 2 * 0.3 * 0.7 / 0.04 ** 2
        assert survey.sample_size_proportion(0.04, p=0.3, confidence=0.99) == int(np.ceil(n0))
        n = n0 / (1 + (n0 - 1) / 500)
        assert survey.sample_size_proportion(0.04, p=0.3, confidence=0.99, population=500) == int(np.ceil(n))
        assert survey.finite_population_correction(1, 10) == 1
        assert survey.sample_size_proportion(0.05, population=50) <= 50

    @pytest.mark.parametrize("kwargs", [dict(margin=0), dict(margin=5), dict(p=0), dict(p=1.2),
                                        dict(confidence=1), dict(population=0), dict(population=10.5),
                                        dict(z=-1)])
    def test_sample_size_bad_input(self, kwargs):
        with pytest.raises(SurveyError) as err:
            survey.sample_size_proportion(**kwargs)
        assert bilingual(err)
        with pytest.raises(SurveyError):
            survey.sample_size_mean(sd=0, margin=1)


# ================================================================================================
# Cleaning the shipped responses
# ================================================================================================
@pytest.fixture(scope="module")
def raw():
    return datasets.load("survey_responses")


@pytest.fixture(scope="module")
def cleaned(raw):
    return survey.clean_responses(raw)


ITEMS = ["q1_product_quality", "q2_price", "q3_delivery", "q4_installation", "q5_after_sales",
         "q6_staff_attitude", "q7_overall"]


class TestCleaning:
    def test_items_are_found(self, raw):
        assert survey.likert_items(raw) == ITEMS

    @pytest.mark.parametrize("kind", ["incomplete", "out_of_range", "duplicate"])
    def test_finds_exactly_the_planted_dirty_rows(self, cleaned, kind):
        assert sorted(cleaned.ids(kind)) == sorted(datasets.dirty_rows()[kind])

    def test_finds_every_planted_straight_liner(self, raw, cleaned):
        planted = set(datasets.dirty_rows()["straight_lined"])
        found = set(cleaned.ids("straight_lined"))
        assert planted <= found
        # the extra ones really are straight-lined: every item the same answer
        extra = raw[raw["response_id"].isin(found - planted)]
        assert (extra[ITEMS].nunique(axis=1) == 1).all()

    def test_straight_liners_match_the_data_card_exactly(self, cleaned):
        assert sorted(cleaned.ids("straight_lined")) == sorted(datasets.dirty_rows()["straight_lined"])

    def test_nothing_is_lost(self, raw, cleaned):
        assert len(cleaned.kept) + len(cleaned.dropped) == len(raw) == cleaned.n_input
        assert set(cleaned.kept.index).isdisjoint(cleaned.dropped.index)
        assert set(cleaned.kept.index) | set(cleaned.dropped.index) == set(raw.index)
        assert cleaned.report["id"].tolist() == cleaned.dropped["response_id"].tolist()
        assert cleaned.report["id"].is_unique and cleaned.report["detail"].str.len().min() > 3
        s = cleaned.summary()
        assert s["kept"] + s["dropped"] == s["input"] and s[list(survey.REASONS)].sum() == s["dropped"]
        pd.testing.assert_frame_equal(cleaned.kept, raw.loc[cleaned.kept.index])

    def test_caller_frame_unchanged_and_details(self, raw):
        before = raw.copy()
        result = survey.clean_responses(raw)
        pd.testing.assert_frame_equal(raw, before)
        report = result.report.set_index("id")
        assert report.loc["R00361", "detail"] == "copy of R00061"
        assert report.loc["R00046", "detail"].startswith("blank: ")
        assert "=" in report.loc["R00067", "detail"]
        assert report.loc["R00015", "reason_zh"] == "直线作答（所有题目选同一答案）"
        md = result.to_markdown()
        assert "有效答卷 kept: 328" in md and "重复答卷 duplicate: 8" in md

    def test_other_seed(self):
        raw7 = datasets.generate("survey_responses", seed=7, n_customers=400)
        dirt = datasets.dirty_rows(7, 400)
        result = survey.clean_responses(raw7)
        for kind in ("incomplete", "out_of_range", "duplicate"):
            assert sorted(result.ids(kind)) == sorted(dirt[kind])
        assert set(dirt["straight_lined"]) <= set(result.ids("straight_lined"))

    def test_edge_cases(self):
        raw = pd.DataFrame({"rid": ["A", "B", "B", "C", "D", "E"],
                            "q1": ["满意", "一般", "满意", "满意", "很满意", "满意"],
                            "q2": ["满意", "满意", "一般", "不满意", "一般", "一般"],
                            "q3": ["一般", "满意", "满意", "满意", "一般", "满意"],
                            "nps": [9, 8, 7, 11, "x", 5]})
        result = survey.clean_responses(raw, id_col="rid", ranges={"nps": (0, 10)})
        assert result.report[["id", "reason"]].values.tolist() == [["B", "duplicate_id"], ["C", "out_of_range"],
                                                                   ["D", "out_of_range"]]
        assert "nps=11 not in 0–10" in result.report.set_index("id").loc["C", "detail"]
        by_index = survey.clean_responses(raw.drop(columns="rid"), id_col=None, items=["q1", "q2", "q3"])
        assert by_index.report.empty and len(by_index.kept) == 6
        two_problems = pd.DataFrame({"id": ["X"], "a": ["满意"], "b": [""], "c": ["满意"], "d": ["满意"]})
        r = survey.clean_responses(two_problems, ["a", "b", "c", "d"], id_col="id")
        assert r.report.loc[0, "reason"] == "incomplete" and r.report.loc[0, "reasons"] == "incomplete;straight_lined"
        empty = survey.clean_responses(raw.iloc[:0], items=["q1", "q2", "q3"], id_col="rid")
        assert empty.summary()["input"] == 0
        with pytest.raises(SurveyError):
            survey.clean_responses(raw, id_col="nope")
        with pytest.raises(SurveyError):
            survey.clean_responses(raw, items=["q9"], id_col="rid")
        with pytest.raises(SurveyError):
            survey.clean_responses("not a frame")
        with pytest.raises(SurveyError):
            result.ids("ugly")


# ================================================================================================
# Tables, cross-tabs and χ², reliability, report
# ================================================================================================
class TestAnalysis:
    def test_frequency_and_likert_tables(self, cleaned):
        table = survey.frequency_table(cleaned.kept["q7_overall"], order=list(LIKERT_5))
        assert table.index.tolist() == list(LIKERT_5)
        assert table["n"].sum() == len(cleaned.kept) and abs(table["percent"].sum() - 100) < 0.5
        assert table["cum_percent"].iloc[-1] == 100.0
        lt = survey.likert_table(cleaned.kept, ITEMS)
        assert list(lt.columns) == list(LIKERT_5) + ["n", "mean"]
        assert (lt[list(LIKERT_5)].sum(axis=1).sub(100).abs() < 0.6).all()
        codes = code_likert(cleaned.kept[ITEMS])
        assert np.allclose(lt["mean"], codes.mean().round(2))
        desc = survey.describe_items(codes, levels=5)
        assert desc.loc["q2_price", "mean"] < desc.loc["q6_staff_attitude", "mean"]   # planted item biases
        with pytest.raises(SurveyError):
            survey.describe_items(cleaned.kept[ITEMS])

    def test_crosstab_and_chi_square_against_scipy_and_statsmodels(self, cleaned, customers):
        from scipy.stats import chi2_contingency
        from statsmodels.stats.contingency_tables import Table

        data = cleaned.kept.merge(customers[["customer_id", "customer_type"]], on="customer_id")
        table = survey.crosstab(data, "customer_type", "q7_overall", margins=False)
        res = survey.chi_square(data, "customer_type", "q7_overall")
        ref = chi2_contingency(table.to_numpy())
        assert np.isclose(res["chi2"], ref.statistic) and np.isclose(res["p"], ref.pvalue) and res["dof"] == ref.dof
        sm = Table(table.to_numpy()).test_nominal_association()
        assert np.isclose(res["chi2"], sm.statistic) and np.isclose(res["p"], sm.pvalue)
        v = np.sqrt(ref.statistic / (table.to_numpy().sum() * (min(table.shape) - 1)))
        assert np.isclose(res["cramers_v"], v)
        pct = survey.crosstab(data, "customer_type", "q7_overall", percent="row")
        assert np.allclose(pct.drop(index="合计").sum(axis=1), 100, atol=0.5)
        # 2 × 2 with and without Yates
        two = pd.DataFrame([[30, 10], [20, 40]])
        assert np.isclose(survey.chi_square(two)["chi2"], chi2_contingency(two, correction=True).statistic)
        assert np.isclose(survey.chi_square(two, correction=False)["chi2"], 16.6666666667)
        for bad in (pd.DataFrame([[1, 2]]), pd.DataFrame([[1, -2], [3, 4]])):
            with pytest.raises(SurveyError):
                survey.chi_square(bad)
        with pytest.raises(SurveyError):
            survey.crosstab(data, "customer_type", "q7_overall", percent="diagonal")

    def test_cronbach_alpha_published_and_pingouin(self):
        import pingouin as pg

        likert = pg.read_dataset("cronbach_alpha").pivot(index="Subj", columns="Items", values="Scores")
        alpha = survey.cronbach_alpha(likert)
        assert isinstance(alpha, float)
        assert round(alpha, 5) == 0.59172                      # Zaiontz, Real Statistics, Likert example
        assert np.isclose(alpha, pg.cronbach_alpha(likert)[0])
        binary = pg.read_dataset("cronbach_wide_missing")
        filled = binary.fillna(binary.median())
        assert round(survey.cronbach_alpha(filled), 6) == 0.738019                    # Zaiontz, binary example
        assert round(survey.cronbach_alpha(filled.drop(columns="Q1")), 5) == 0.76321  # … without item 1
        assert survey.item_total(filled).loc["Q1", "alpha_if_deleted"] == 0.763
        assert np.isclose(survey.cronbach_alpha(binary), pg.cronbach_alpha(binary, nan_policy="listwise")[0])
        assert np.isclose(survey.cronbach_alpha(binary, "pairwise"), pg.cronbach_alpha(binary)[0])

    def test_cronbach_alpha_on_the_shipped_survey(self, cleaned):
        import pingouin as pg

        codes = code_likert(cleaned.kept[ITEMS])
        assert np.isclose(survey.cronbach_alpha(codes), pg.cronbach_alpha(codes)[0])
        assert 0.8 < survey.cronbach_alpha(codes) < 0.95

    def test_cronbach_alpha_bad_input(self):
        with pytest.raises(SurveyError) as err:
            survey.cronbach_alpha(pd.DataFrame({"a": ["满意", "一般"], "b": ["满意", "满意"]}))
        assert bilingual(err) and "code_likert" in str(err.value)
        with pytest.raises(SurveyError):
            survey.cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
        with pytest.raises(SurveyError):
            survey.cronbach_alpha(pd.DataFrame({"a": [1, np.nan], "b": [2, 3]}))
        with pytest.raises(SurveyError):
            survey.cronbach_alpha(pd.DataFrame({"a": [1, 2], "b": [2, 3]}), nan_policy="magic")
        with pytest.raises(SurveyError):
            survey.cronbach_alpha([[1, 2], [3, 4]])
        assert np.isnan(survey.cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [4, 4, 4]})))

    def test_item_total(self, cleaned):
        codes = code_likert(cleaned.kept[ITEMS])
        table = survey.item_total(codes)
        total = codes.sum(axis=1)
        r = np.corrcoef(codes["q2_price"], total - codes["q2_price"])[0, 1]
        assert np.isclose(table.loc["q2_price", "item_total_r"], round(r, 3))
        assert np.isclose(table.loc["q2_price", "alpha_if_deleted"],
                          round(survey.cronbach_alpha(codes.drop(columns="q2_price")), 3))
        reversed_item = codes.assign(q2_price=6 - codes["q2_price"])
        assert survey.item_total(reversed_item).loc["q2_price", "item_total_r"] < 0

    def test_report_skeleton(self, cleaned):
        md = survey.report_skeleton("2025年11月满意度调查", "综合报告", content={"结论": "总体满意度较高"},
                                    cleaning=cleaned, alpha=0.891)
        assert md.startswith("# 2025年11月满意度调查（综合报告）")
        assert re.findall(r"^## .、(.+)$", md, flags=re.M) == ["背景材料", "调查事实", "分析与建议"]
        assert "总体满意度较高" in md and "Cronbach's α = 0.891" in md and "剔除 dropped: 40" in md
        assert "（待填写 to do）" in md
        with pytest.raises(SurveyError):
            survey.report_skeleton("x", "小报告")
        with pytest.raises(SurveyError):
            survey.report_skeleton("x", content={"花絮": "…"})


# ================================================================================================
# housekeeping
# ================================================================================================
def test_no_gpl_imports_and_public_api():
    for path in SURVEY_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        gpl = r"^\s*(import|from)\s+(pingouin|seminr|plspm|factor_analyzer|lifetimes)\b"
        assert not re.search(gpl, text, re.M), path
    for name in survey.__all__:
        assert getattr(survey, name) is not None, name
    for name in survey.__all__:
        obj = getattr(survey, name)
        if callable(obj) and not isinstance(obj, type(LIKERT_5)):
            assert obj.__doc__, name
