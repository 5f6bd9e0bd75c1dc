"""The gradebook opens right in Excel/WPS on a Chinese Windows: CSV with a BOM, an .xlsx with Chinese headers."""
import pandas as pd

from crmlab import gradebook

BOOK = pd.DataFrame({"student": ["s01", "s01", "s02"], "lab": ["01_concepts"] * 3,
                     "notebook": ["01_a", "02_b", "01_a"], "q1-visible": [2.0, None, 0.0],
                     "total": [5.0, 3.0, 0.0], "max": [6.0, 4.0, 6.0], "late": [False, False, True],
                     "problems": ["", "", "未作答 (no answer)"]})


def test_csv_has_a_byte_order_mark_and_reads_back(tmp_path):
    path = gradebook.write_csv(BOOK, tmp_path / "gradebook.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["problems"].fillna("").tolist() == ["", "", "未作答 (no answer)"]


def test_xlsx_has_chinese_headers_names_from_a_gbk_roster_and_a_summary(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes("学号,姓名\ns01,张三\ns02,李四\n".encode("gbk"))
    csv_path, xlsx = gradebook.write(BOOK, tmp_path / "out", roster=roster)
    detail = pd.read_excel(xlsx, sheet_name="成绩明细")
    assert list(detail.columns[:4]) == ["学号", "姓名", "实验 lab", "笔记本 notebook"]
    assert detail["姓名"].tolist() == ["张三", "张三", "李四"] and detail["迟交 late"].tolist() == ["否", "否", "是"]
    total = pd.read_excel(xlsx, sheet_name="汇总").set_index("学号")
    assert total.loc["s01", "总分 total"] == 8 and total.loc["s01", "满分 max"] == 10
    assert total.loc["s02", "01_a 得分"] == 0 and total.loc["s01", "姓名"] == "张三"
