"""An ipywidgets form for a questionnaire (问卷录入): students fill it in inside the notebook.

Every submission is checked with :meth:`Questionnaire.check_answers`; a valid one is appended to
``form.responses`` (a DataFrame), an invalid one shows an inline error under each wrong answer and
appends nothing. The form works without a browser: set the widgets' values and call
``form.submit_button.click()`` (this is how the tests drive it).
"""
from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from ._errors import bilingual, fail
from ._likert import MULTI_SEP, _split_multi

__all__ = ["SurveyForm"]

_ERROR_STYLE = "color:#b00020"
_OK_STYLE = "color:#1b5e20"


class SurveyForm:
    """A fill-in form for a :class:`Questionnaire`, built from real ipywidgets.

    Parameters
    ----------
    questionnaire : the questionnaire to fill in.
    responses : an existing response table to append to (copied, never changed); by default
        :meth:`Questionnaire.empty_responses`.
    id_prefix : prefix of the generated ``response_id`` (``R00001`` …).
    clock : a function returning the submission time (default: now, to the second).

    Attributes
    ----------
    responses : DataFrame — every valid submission so far, one row each.
    inputs : dict — the input widget of each response column: RadioButtons (single choice,
        true/false, Likert, each matrix row ``CODE_1`` …), a VBox of Checkbox (multiple choice),
        Textarea (open) or Text (numeric).
    errors : dict — question code → the HTML widget that shows that question's error.
    message : HTML widget — the form-level status line.
    submit_button : the 提交 Submit button.
    widget : the whole form (a VBox); displaying the form displays it.

    Examples
    --------
    >>> from crmlab.survey import Question, Questionnaire
    >>> q = Questionnaire("t", questions=[Question("A1", "您的性别", options=["男", "女"])])
    >>> form = q.form(clock=lambda: pd.Timestamp("2025-11-01 10:00"))
    >>> form.submit_button.click()                  # nothing chosen: an inline error, no row
    >>> len(form.responses), "必答题未作答" in form.errors["A1"].value
    (0, True)
    >>> form.inputs["A1"].value = "女"
    >>> form.submit_button.click()
    >>> form.responses[["response_id", "A1"]].values.tolist()
    [['R00001', '女']]
    """

    def __init__(self, questionnaire: "Questionnaire", responses: pd.DataFrame | None = None, *,
                 id_prefix: str = "R", clock: Callable[[], object] | None = None):
        if not hasattr(questionnaire, "check_answers"):      # a Questionnaire (the form sits above it)
            raise fail("SurveyForm needs a Questionnaire", "SurveyForm 需要一个 Questionnaire 问卷对象")
        self.questionnaire = questionnaire
        base = questionnaire.empty_responses() if responses is None else responses.copy()
        missing = [c for c in questionnaire.columns() if c not in base.columns]
        if missing:
            raise fail(f"the response table lacks the columns {missing}", f"答卷表缺少列 {missing}")
        self._base = base
        self._rows: list[dict] = []
        self.responses = base.copy()
        self.id_prefix = id_prefix
        self.clock = clock or (lambda: pd.Timestamp.now().floor("s"))
        self.on_submit: list[Callable[[dict], None]] = []
        self.inputs: dict[str, widgets.Widget] = {}
        self.errors: dict[str, widgets.HTML] = {}
        self._boxes: dict[str, widgets.VBox] = {}
        self.message = widgets.HTML("")
        self.submit_button = widgets.Button(description="提交 Submit", button_style="primary", icon="check")
        self.submit_button.on_click(self._submit)
        children = [widgets.HTML(f"<h3>{html.escape(questionnaire.title)}</h3>")]
        if questionnaire.preface:
            text = questionnaire.preface if isinstance(questionnaire.preface, str) \
                else " ".join(map(str, questionnaire.preface.values()))
            children.append(widgets.HTML(f"<blockquote>{html.escape(text)}</blockquote>"))
        for section in questionnaire.sections:
            if section.title:
                children.append(widgets.HTML(f"<h4>{html.escape(section.title)}</h4>"))
            for q in section.questions:
                children.append(self._question_box(q))
        children += [self.submit_button, self.message]
        self.widget = widgets.VBox(children)
        self._refresh()

    # -- building ----------------------------------------------------------------------------
    def _question_box(self, q) -> widgets.VBox:
        label = widgets.HTML(f"<b>{html.escape(q.code)}.</b> {html.escape(q.text)}"
                             f"{html.escape(self.questionnaire._kind_note(q))}")
        labels = [o.label for o in q.options]
        parts: list[widgets.Widget] = [label]
        if q.qtype in ("single", "true_false", "likert"):
            w = widgets.RadioButtons(options=labels, value=None,
                                     layout=widgets.Layout(width="auto"))
            w.observe(self._refresh, names="value")
            self.inputs[q.code] = w
            parts.append(w)
        elif q.qtype == "multiple":
            boxes = [widgets.Checkbox(value=False, description=lab, indent=False) for lab in labels]
            for b in boxes:
                b.observe(self._refresh, names="value")
            w = widgets.VBox(boxes)
            self.inputs[q.code] = w
            parts.append(w)
        elif q.qtype == "matrix":
            for row, col in zip(q.rows, q.columns()):
                w = widgets.RadioButtons(options=labels, value=None, description=row,
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="auto"))
                self.inputs[col] = w
                parts.append(w)
        elif q.qtype == "open":
            w = widgets.Textarea(value="", placeholder="请填写 / your answer")
            self.inputs[q.code] = w
            parts.append(w)
        else:  # numeric
            w = widgets.Text(value="", placeholder="数字 / a number")
            self.inputs[q.code] = w
            parts.append(w)
        err = widgets.HTML("")
        self.errors[q.code] = err
        parts.append(err)
        box = widgets.VBox(parts)
        self._boxes[q.code] = box
        return box

    # -- reading and setting -----------------------------------------------------------------
    def answers(self) -> dict:
        """The answers currently entered, keyed by question code (matrix rows by column)."""
        out: dict = {}
        for q in self.questionnaire.questions:
            if q.qtype == "multiple":
                out[q.code] = [b.description for b in self.inputs[q.code].children if b.value]
            elif q.qtype == "matrix":
                for col in q.columns():
                    out[col] = self.inputs[col].value
            else:
                value = self.inputs[q.code].value
                out[q.code] = value.strip() if isinstance(value, str) else value
        return out

    def set_answer(self, code: str, value) -> None:
        """Set a widget from Python (same effect as clicking): labels, letter codes or numbers.

        For a multiple-choice question give a list or a ``;``-joined string; for a matrix
        question a list in row order or a dict row → label.
        """
        q = self.questionnaire.question(code)
        if q.qtype == "multiple":
            chosen = {o.label for o in map(q.choice, _split_multi(value)) if o is not None}
            for b in self.inputs[code].children:
                b.value = b.description in chosen
        elif q.qtype == "matrix":
            items = [value.get(r) for r in q.rows] if isinstance(value, dict) else list(value)
            for col, item in zip(q.columns(), items):
                o = q.choice(item)
                self.inputs[col].value = None if o is None else o.label
        elif q.qtype in ("open", "numeric"):
            self.inputs[code].value = "" if value is None else str(value)
        else:
            o = q.choice(value)
            self.inputs[code].value = None if o is None else o.label

    def reset(self) -> None:
        """Clear every answer (after a successful submission this happens automatically)."""
        for w in self.inputs.values():
            if isinstance(w, widgets.VBox):
                for b in w.children:
                    b.value = False
            elif isinstance(w, widgets.RadioButtons):
                w.value = None
            else:
                w.value = ""
        for e in self.errors.values():
            e.value = ""

    # -- behaviour ---------------------------------------------------------------------------
    def _refresh(self, _change=None) -> None:
        """Hide the questions that the skip logic jumps over."""
        current = {}
        for q in self.questionnaire.questions:
            w = self.inputs.get(q.code)
            if q.qtype == "multiple":
                current[q.code] = MULTI_SEP.join(b.description for b in w.children if b.value)
            elif w is not None:
                current[q.code] = w.value
        asked = set(self.questionnaire.asked(current))
        for code, box in self._boxes.items():
            box.layout.display = None if code in asked else "none"

    def _next_id(self) -> str:
        used = set(self.responses["response_id"].astype(str)) if "response_id" in self.responses else set()
        k = len(self.responses) + 1
        while f"{self.id_prefix}{k:05d}" in used:
            k += 1
        return f"{self.id_prefix}{k:05d}"

    def _submit(self, _button=None) -> None:
        record, errors = self.questionnaire.check_answers(self.answers())
        for code, e in self.errors.items():
            e.value = (f"<span style='{_ERROR_STYLE}'>⚠ {html.escape(errors[code])}</span>"
                       if code in errors else "")
        if errors:
            text = bilingual(f"{len(errors)} answer(s) need fixing; nothing was saved",
                             f"有 {len(errors)} 道题需要修改，本份答卷未保存")
            self.message.value = f"<b style='{_ERROR_STYLE}'>✗ {html.escape(text)}</b>"
            return
        row = {"response_id": self._next_id(), "submitted_at": self.clock(), **record}
        self._rows.append(row)
        new = pd.DataFrame(self._rows, columns=list(dict.fromkeys([*self._base.columns, *row])))
        self.responses = pd.concat([self._base, new], ignore_index=True) if len(self._base) else new
        self.reset()
        text = bilingual(f"Saved {row['response_id']} ({len(self.responses)} in total)",
                         f"已保存答卷 {row['response_id']}（共 {len(self.responses)} 份）")
        self.message.value = f"<span style='{_OK_STYLE}'>✓ {html.escape(text)}</span>"
        for callback in self.on_submit:
            callback(row)

    def submit(self) -> bool:
        """Submit from Python (same as clicking the button); True when the answers were saved."""
        before = len(self.responses)
        self.submit_button.click()
        return len(self.responses) > before

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
