"""Student feedback pages (评分反馈) without the hidden tests' code.

nbgrader's ``generate_feedback`` shows the hidden tests to the student (jupyter/nbgrader#917,
#1363: by design, still open). crmlab keeps nbgrader's feedback page (its ``feedback`` HTML
template, rendered by :func:`render` with one cached exporter per worker) after
:func:`hide_hidden_tests`, which

- removes every ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` region from the cells' code;
- keeps the *result* of a hidden test (passed or failed, the check's bilingual message and hint)
  but replaces its traceback — which quotes the failing source line — by one line
  ``ErrorName: message``;
- keeps what a student's code printed only in answer cells (:func:`reduce_outputs`): test cells
  show passed or failed with the check's message and hint, other cells no output;
- removes any output anywhere in the notebook that quotes a hidden-test line;
- puts a bilingual summary on top: each graded cell's points, whether it passed, the check's
  message with its hint, and the problems the grader found (timeouts, restored cells …).

Teachers who run nbgrader's own ``generate_feedback`` can get the same hiding with the
preprocessor :class:`HideHiddenTests` (see ``docs/teaching.md``).

Example
-------
>>> import nbformat
>>> cell = nbformat.v4.new_code_cell("# key\\n### BEGIN HIDDEN TESTS\\nassert answer == 42\\n### END HIDDEN TESTS")
>>> strip_hidden_source(cell.source)
'# key'
>>> hidden_lines([cell.source])
['assert answer == 42']
"""
from __future__ import annotations

import copy
import html

import nbformat

__all__ = ["BEGIN", "END", "hidden_lines", "strip_hidden_source", "hide_hidden_tests", "reduce_outputs", "summary_html",
           "missing_html", "render", "HideHiddenTests"]

BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"
MIN_SCRUB = 12          # hidden lines shorter than this (")", "else:") are not searched in outputs

STATUS = {
    "passed": "✓ passed 通过", "failed": "✗ failed 未通过", "error": "✗ error 出错",
    "timeout": "✗ timed out 超时", "not run": "✗ not run 未运行", "stderr": "✗ wrote to stderr 有错误输出",
    "missing": "✗ missing 缺失", "not graded": "✗ not graded 未评分", "not attempted": "✗ not attempted 未作答",
    "withheld": "⚠ withheld, review by hand 暂扣，请人工复核",
}


def strip_hidden_source(source: str, begin: str = BEGIN, end: str = END) -> str:
    """``source`` without its hidden-test regions (markers included); an unclosed region runs to the end."""
    kept, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def hidden_lines(sources, begin: str = BEGIN, end: str = END) -> list[str]:
    """The stripped, non-empty lines inside the hidden-test regions of the given cell sources."""
    lines, seen = [], set()
    for source in sources:
        inside = False
        for line in source.split("\n"):
            if begin in line:
                inside = True
            elif end in line:
                inside = False
            elif inside and line.strip() and line.strip() not in seen:
                seen.add(line.strip())
                lines.append(line.strip())
    return lines


def _texts(output) -> list[str]:
    kind = output.get("output_type")
    if kind == "stream":
        return [output.get("text", "")]
    if kind == "error":
        return [output.get("ename", ""), output.get("evalue", ""), *output.get("traceback", [])]
    data = output.get("data", {})
    return [v if isinstance(v, str) else "\n".join(map(str, v)) if isinstance(v, list) else str(v)
            for v in data.values()]


def _quotes(text: str, needles: list[str]) -> bool:
    flat = " ".join(text.split())
    return any(n in flat for n in needles)


def hide_hidden_tests(nb, hidden: list[str], begin: str = BEGIN, end: str = END):
    """A copy of an autograded notebook with hidden-test code removed and their results kept.

    ``hidden`` lists the hidden-test lines (:func:`hidden_lines` of the gradebook's source cells).
    Returns ``(notebook, removed)`` where ``removed`` counts outputs taken out because they quoted
    hidden code.
    """
    nb = copy.deepcopy(nb)
    needles = [" ".join(line.split()) for line in hidden if len(line.replace(" ", "")) >= MIN_SCRUB]
    removed = 0
    for cell in nb.cells:
        had_hidden = begin in cell.source
        if had_hidden:
            cell.source = strip_hidden_source(cell.source, begin, end)
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if had_hidden and out.get("output_type") == "error":
                out = nbformat.NotebookNode(output_type="error", ename=out.get("ename", ""),
                                            evalue=out.get("evalue", ""),
                                            traceback=[f"{out.get('ename', '')}: {out.get('evalue', '')}"])
            if needles and any(_quotes(t, needles) for t in _texts(out)):
                removed += 1
                out = nbformat.NotebookNode(output_type="stream", name="stdout",
                                            text="[output removed: it quoted hidden test code "
                                                 "输出引用了隐藏测试代码，已删除]\n")
            outputs.append(out)
        cell.outputs = outputs
    return nb, removed


def _role(cell) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    if meta.get("solution"):
        return "answer"
    return "test" if meta.get("grade") else "other"


def reduce_outputs(nb, answers: bool = True):
    """A copy where only answer cells keep what they printed; test cells keep pass/fail and the message.

    - answer cells (nbgrader ``solution``) keep their outputs (``answers=False``: removed too, for
      a notebook whose checking code was tampered with);
    - graded test cells keep only an error's name and message (the check's text with its hint),
      never a traceback or anything printed while they ran (a hook could print the test's code);
    - every other cell (read-only or added by the student) loses its outputs.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        role = _role(cell)
        if role == "answer" and answers:
            continue
        if role == "test":
            cell.outputs = [nbformat.NotebookNode(output_type="error", ename=o.get("ename", ""), evalue=o.get("evalue", ""),
                                                  traceback=[f"{o.get('ename', '')}: {o.get('evalue', '')}"])
                            for o in cell.get("outputs", []) if o.get("output_type") == "error"][:1]
        else:
            cell.outputs = []
    return nb


def _esc(text) -> str:
    return html.escape(str(text)).replace("\n", "<br>")


def summary_html(summary: dict) -> str:
    """The bilingual summary block: points per graded cell, messages with hints, problems found."""
    cells = summary.get("cells", [])
    total = sum(c["points"] for c in cells)
    maximum = sum(c["max_points"] for c in cells)
    late = " · <b>late 迟交</b>" if summary.get("late") else ""
    rows = "".join(
        f"<tr><td><code>{_esc(c['grade_id'])}</code></td><td>{c['points']:g} / {c['max_points']:g}</td>"
        f"<td>{_esc(STATUS.get(c['status'], c['status']))}</td><td>{_esc(c.get('message', ''))}</td></tr>"
        for c in cells)
    problems = summary.get("problems", [])
    plist = ("<h4>Problems found 发现的问题</h4><ul>" + "".join(f"<li>{_esc(p)}</li>" for p in problems) + "</ul>"
             if problems else "")
    return (f"<h3>Feedback 评分反馈 — {_esc(summary.get('student', ''))}</h3>"
            f"<p><b>Score 得分: {total:g} / {maximum:g}</b>{late}</p>"
            "<table class=\"table table-condensed\"><tr><th>Graded cell 评分单元格</th><th>Points 得分</th>"
            "<th>Result 结果</th><th>What the check says 检查提示</th></tr>"
            f"{rows}</table>{plist}"
            "<p><small>Hidden tests run on fresh data at grading time; their code is not shown. "
            "隐藏测试在评分时使用新数据运行，其代码不予显示。</small></p>")


def missing_html(student: str, lab: str, notebook: str, problems: list[str], cells: list[dict]) -> str:
    """A feedback page for a notebook that could not be graded (missing, unreadable …)."""
    body = summary_html({"student": student, "cells": cells, "problems": problems})
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{_esc(notebook)}</title></head>"
            f"<body><h2>{_esc(lab)} / {_esc(notebook)}</h2>{body}</body></html>")


def _preprocessor_class():
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets import Dict, List

    class HideHiddenTests(NbGraderPreprocessor):
        """nbgrader feedback preprocessor: hide hidden-test code, keep results, add a summary."""

        hidden = List([], help="hidden-test lines to hide (default: read from the gradebook)").tag(config=True)
        summary = Dict({}, help="summary data for the top of the page").tag(config=True)

        def preprocess(self, nb, resources):
            hidden = list(self.hidden)
            info = resources.get("nbgrader", {})
            if not hidden and info.get("db_url"):
                from nbgrader.api import Gradebook

                with Gradebook(info["db_url"]) as gb:
                    sources = [c.source for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells]
                hidden = hidden_lines(sources)
            nb, removed = hide_hidden_tests(reduce_outputs(nb), hidden)
            if self.summary:
                nb.cells.insert(0, nbformat.v4.new_markdown_cell(summary_html(dict(self.summary))))
            return nb, resources

    return HideHiddenTests


def _hide():
    if "HideHiddenTests" not in globals():
        globals()["HideHiddenTests"] = _preprocessor_class()
    return globals()["HideHiddenTests"]


def __getattr__(name):
    if name == "HideHiddenTests":
        return _hide()
    raise AttributeError(f"module 'crmlab.feedback' has no attribute {name!r}")


_EXPORTER = None


def _exporter():
    """One HTMLExporter per process with nbgrader's ``feedback`` template (compiling it is slow)."""
    global _EXPORTER
    if _EXPORTER is None:
        import os

        import nbgrader
        from nbconvert import HTMLExporter
        from traitlets.config import Config

        here = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader")
        c = Config()
        c.HTMLExporter.template_name = "feedback"
        c.HTMLExporter.extra_template_basedirs = [os.path.join(here, "templates")]
        c.HTMLExporter.extra_template_paths = [os.path.join(here, "static", "node_modules", "bootstrap", "dist", "css")]
        _EXPORTER = HTMLExporter(config=c)
    return _EXPORTER


def render(executed, notebook: str, hidden: list[str], summary: dict, answers: bool = True) -> tuple[str, int]:
    """nbgrader's feedback page for an autograded notebook, without hidden-test code.

    ``summary`` carries ``student``, ``cells`` (grade id, points, max points, status, message),
    ``problems`` and ``late``; the scores shown are those cells' points. Returns the HTML and the
    number of outputs removed because they quoted hidden-test code. This is what nbgrader's
    ``generate_feedback`` renders (same template), with :func:`hide_hidden_tests` applied first.
    """
    nb, removed = hide_hidden_tests(reduce_outputs(executed, answers), hidden)
    summary = dict(summary)
    if removed:
        summary["problems"] = [*summary.get("problems", []),
                               f"{removed} output(s) quoting hidden test code were removed "
                               f"(引用隐藏测试代码的输出已删除)"]
    scores = {c["grade_id"]: c for c in summary.get("cells", [])}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta and meta.get("grade"):
            got = scores.get(meta.get("grade_id"), {})
            meta["score"] = got.get("points", 0.0)
            meta["points"] = got.get("max_points", meta.get("points", 0))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(summary_html(summary)))
    cells = summary.get("cells", [])
    resources = {"nbgrader": {"notebook": notebook, "score": sum(c["points"] for c in cells),
                              "max_score": sum(c["max_points"] for c in cells), "late_penalty": 0}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body, removed
