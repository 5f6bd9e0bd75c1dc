"""The class gradebook as Chinese teachers open it (成绩册): a CSV that Excel and WPS read, and an .xlsx.

``crmlab grade`` keeps one row per student × notebook (see :func:`crmlab.grading.gradebook`). Excel on a
Chinese Windows reads a CSV as GBK unless the file starts with a byte-order mark, so the CSV is written
as UTF-8 *with* a BOM (``utf-8-sig``); the workbook (openpyxl) has Chinese headers — 学号, 姓名 (from a
roster when one is given), one column per graded cell, 得分, 满分, 迟交, 问题 — on a sheet per
notebook row (成绩明细) and a sheet with one row per student (汇总), ready to upload.

>>> book = pd.DataFrame({"student": ["s01"], "lab": ["01_concepts"], "notebook": ["01_x"], "q1-visible": [2.0],
...                      "total": [2.0], "max": [3.0], "late": [False], "problems": [""]})
>>> chinese(book, pd.DataFrame({"学号": ["s01"], "姓名": ["张三"]})).columns.tolist()[:4]
['学号', '姓名', '实验 lab', '笔记本 notebook']
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

__all__ = ["HEADERS", "read_roster", "chinese", "summary", "write_csv", "write_xlsx", "write"]

HEADERS = {"student": "学号", "name": "姓名", "lab": "实验 lab", "notebook": "笔记本 notebook",
           "total": "得分 points", "max": "满分 max", "late": "迟交 late", "problems": "问题 problems"}
_ROSTER_ID = ("学号", "student", "student_id", "id")
_ROSTER_NAME = ("姓名", "name")


def read_roster(path) -> pd.DataFrame:
    """A roster file (CSV, UTF-8 or GBK, or .xlsx) with a 学号/student column and a 姓名/name column.

    Returns a frame with the columns 学号 and 姓名 (text)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xls"):
        raw = pd.read_excel(path, dtype=str)
    else:
        try:
            raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, dtype=str, encoding="gbk")
    cols = {str(c).strip().lower(): c for c in raw.columns}
    sid = next((cols[k] for k in _ROSTER_ID if k in cols), None)
    name = next((cols[k] for k in _ROSTER_NAME if k in cols), None)
    if sid is None or name is None:
        raise ValueError(f"花名册需要“学号”和“姓名”两列 (the roster needs 学号/student and 姓名/name columns): {path}")
    return pd.DataFrame({"学号": raw[sid].str.strip(), "姓名": raw[name].fillna("").str.strip()})


def chinese(book: pd.DataFrame, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """The gradebook with Chinese headers, 姓名 after 学号 (empty without a roster), 迟交 as 是/否."""
    out = book.copy()
    out["late"] = out["late"].map({True: "是", False: "否"}).fillna("")
    names = dict(zip(roster["学号"], roster["姓名"])) if roster is not None else {}
    out.insert(1, "name", out["student"].map(lambda sid: names.get(sid, "")))
    return out.rename(columns=HEADERS)


def summary(book: pd.DataFrame, roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per student: points per notebook, total, max (for the school's platform)."""
    wide = book.pivot_table(index="student", columns="notebook", values="total", aggfunc="sum", sort=False)
    wide.columns = [f"{c} 得分" for c in wide.columns]
    totals = book.groupby("student", sort=False)[["total", "max"]].sum()
    out = wide.join(totals).reset_index()
    names = dict(zip(roster["学号"], roster["姓名"])) if roster is not None else {}
    out.insert(1, "name", out["student"].map(lambda sid: names.get(sid, "")))
    return out.rename(columns={"student": "学号", "name": "姓名", "total": "总分 total", "max": "满分 max"})


def _atomic(path: Path, write) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def write_csv(book: pd.DataFrame, path) -> Path:
    """The gradebook as CSV in UTF-8 with a byte-order mark, so Excel and WPS show its Chinese right."""
    return _atomic(Path(path), lambda tmp: book.to_csv(tmp, index=False, encoding="utf-8-sig",
                                                        float_format="%g", lineterminator="\n"))


def write_xlsx(book: pd.DataFrame, path, roster: pd.DataFrame | None = None) -> Path:
    """The gradebook as an Excel workbook with Chinese headers: 成绩明细 (per notebook) and 汇总 (per student)."""
    def write(tmp):
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            summary(book, roster).to_excel(xl, sheet_name="汇总", index=False)
            chinese(book, roster).to_excel(xl, sheet_name="成绩明细", index=False)
            for sheet in xl.sheets.values():
                for column in sheet.columns:
                    width = max(len(str(c.value or "")) for c in column)
                    sheet.column_dimensions[column[0].column_letter].width = min(60, 4 + width * 1.6)
    return _atomic(Path(path), write)


def write(book: pd.DataFrame, folder, roster=None) -> list[Path]:
    """Write ``gradebook.csv`` and ``gradebook.xlsx`` into ``folder``; ``roster`` is a path or a frame."""
    if roster is not None and not isinstance(roster, pd.DataFrame):
        roster = read_roster(roster)
    folder = Path(folder)
    return [write_csv(book, folder / "gradebook.csv"), write_xlsx(book, folder / "gradebook.xlsx", roster)]
