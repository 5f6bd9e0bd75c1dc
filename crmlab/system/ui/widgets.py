"""Generic ipywidgets components driven by the declarations of :mod:`crmlab.system.ui.spec`.

* :class:`FormView` — one document form: fields in tabs, a toolbar of buttons, a status line and
  inline field errors. A click parses and checks the fields first (required, numbers, lines);
  then it runs the button's :class:`~crmlab.system.ui.spec.Call` s on the Desk inside
  :meth:`CRM.batch`, so a refused action leaves the database exactly as it was (nothing
  half-saved), and shows the engine's bilingual message inline. 保存 on an existing record sends
  only the changed fields (as Odoo's ``write``) with the record ``version`` it loaded
  (``expected_version``, optimistic locking).
* :class:`ListView` — a list of documents, customers or users with filters (status, search,
  mine only) and a picker that opens a record in the form.
* :class:`ReportView` — the 决策分析 reports of :mod:`crmlab.system.reports` as tables.

Every component has ``relabel(lang)`` for the language switch. Tests and notebooks drive them as a
student would click: set a widget's ``.value``, call ``button.click()``.
"""
from __future__ import annotations

import datetime as dt
import html
import inspect
import re

import ipywidgets as w
import pandas as pd

from crmlab.errors import bilingual

from .. import errors as _errors
from .. import lifecycle as lc
from .. import permissions as perm
from .. import reports as _reports
from .spec import LIST_COLUMNS, REPORT_COLUMNS, REPORTS, TABS, TEXT, VALUE_LABELS, FormSpec, _label

__all__ = ["FormView", "ListView", "ReportView", "StaleRecord", "frame_html", "message", "readable", "report_html"]


class _LocalStale(_errors.CRMError):
    """Raised by the UI when the engine has no optimistic locking yet and the record changed."""


#: The engine's StaleRecord when it exists (SYSTEM_CONTEXT spec), else the UI's own.
StaleRecord = getattr(_errors, "StaleRecord", None) or _LocalStale

_SHARED: dict = {}


def _shared(kind, cls=None):
    """One style / layout object shared by many widgets (fewer widget models: a faster form)."""
    key = (kind, cls)
    if key not in _SHARED:
        if kind == "style":
            _SHARED[key] = cls.class_traits()["style"].klass(description_width="120px")
        else:
            _SHARED[key] = w.Layout(width="460px") if kind == "wide" else w.Layout()
    return _SHARED[key]


def _input(cls, **kw):
    """An input widget with the shared description style and width."""
    kw.setdefault("layout", _shared("wide"))
    return cls(style=_shared("style", cls), **kw)
_OK, _BAD = "#1a7f37", "#b42318"
_DOC_NO = re.compile(r"^[A-Z]{2,5}\d{6}$")


# ------------------------------------------------------------------------------------ helpers
def _t(key: str, lang: str) -> str:
    return _label(TEXT[key], lang)


def message(err: Exception, lang: str = "zh") -> str:
    """The bilingual text of an error: ``[CODE] 中文 / English`` (the current language first)."""
    code = getattr(err, "code", type(err).__name__)
    zh, en = getattr(err, "zh", None), getattr(err, "en", None)
    if zh is None or en is None:
        text = str(err)
    else:
        text = bilingual(en, zh) if lang == "zh" else f"{en} / {zh}"   # the English page: English first
    return f"[{code}] {text}"


def _bi(pair: tuple, lang: str) -> str:
    return f"{pair[0]} / {pair[1]}" if lang == "zh" else f"{pair[1]} / {pair[0]}"


def _span(text: str, color: str) -> str:
    return f'<span style="color:{color}">{html.escape(text)}</span>'


def _num(x) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)):
        return ""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.10g}"


def _date(x):
    if x is None or x == "" or (isinstance(x, float) and pd.isna(x)):
        return None
    if isinstance(x, dt.datetime):
        return x.date()
    if isinstance(x, dt.date):
        return x
    return pd.Timestamp(x).date()


#: Spacing and lines of the tables (columns apart, a rule under the header, striped rows), in both languages.
_TABLE_STYLE = ("<style>.crmlab-table{border-collapse:collapse;margin:4px 0}"
                ".crmlab-table th,.crmlab-table td{padding:3px 12px;text-align:left;white-space:nowrap}"
                ".crmlab-table th{border-bottom:1px solid #888}.crmlab-table tbody tr:nth-child(even){background:#f4f6f8}"
                ".crmlab-scroll{overflow-x:auto;max-width:100%}"
                "</style>")


def frame_html(frame: pd.DataFrame, lang: str = "zh", max_rows: int = 200) -> str:
    """A DataFrame as a small deterministic HTML table (no index; dates as YYYY-MM-DD)."""
    if frame is None or frame.empty:
        return f"<i>{_t('empty', lang)}</i>"
    f = frame.head(max_rows).copy()
    for c in f.columns:
        if pd.api.types.is_datetime64_any_dtype(f[c]):
            f[c] = f[c].dt.strftime("%Y-%m-%d %H:%M")
        elif pd.api.types.is_float_dtype(f[c]):
            f[c] = f[c].map(lambda v: "" if pd.isna(v) else f"{v:,.2f}".rstrip("0").rstrip("."))
        elif f[c].dtype == object:                   # an empty field shows nothing, not None
            f[c] = f[c].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    body = (_TABLE_STYLE + '<div class="crmlab-scroll">'
            + f.to_html(index=False, border=0, na_rep="", escape=True, classes="crmlab-table") + "</div>")
    more = f"<br><i>{len(frame)} {_t('rows', lang)}</i>" if len(frame) > max_rows else ""
    return body + more


# ------------------------------------------------------------------------------------ shown values
def _people(crm) -> dict:
    """login → name (张三, not zhangsan)."""
    users = crm.users()
    return dict(zip(users["login"], users["name"]))


def _stage_labels(crm, lang: str) -> dict:
    return {st.code: (st.name_zh if lang == "zh" else st.name_en) for st in crm.method().stages}


def _pct(v) -> str:
    return "—" if v is None or pd.isna(v) else f"{float(v):.1%}"


def _money(v) -> str:
    if v is None or pd.isna(v):
        return ""
    return f"{float(v):,.0f}" if float(v).is_integer() else f"{float(v):,.2f}"


_FORMATS = {"pct": _pct, "money": _money, "int": lambda v: "" if pd.isna(v) else str(int(v)),
            "score": lambda v: "" if pd.isna(v) else f"{float(v):.1f}"}


def readable(frame: pd.DataFrame, crm, lang: str = "zh") -> pd.DataFrame:
    """Codes as a person reads them: people by name (张三, not ``zhangsan``), customers by name,
    stages, card types and yes/no by their label; an amount column of zeros only (a lead has no
    amount) left blank. Column names are kept.

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> f = pd.DataFrame({"owner": ["zhangsan"], "customer_no": ["KH000001"], "stage": ["proposal"],
    ...                   "card_type": ["current"], "total": [0.0]})
    >>> readable(f, crm).values.tolist()
    [['张三', '华东电网科技', '制作方案', '现有客户', None]]
    """
    f = frame.copy()
    people = _people(crm)
    for c in ("owner", "handler", "follower", "created_by", "audited_by", "submitter", "evaluator", "next_evaluator",
              "executor"):
        if c in f and not pd.api.types.is_numeric_dtype(f[c]):
            f[c] = f[c].map(lambda v: people.get(v, v)).astype(object)
    if "customer_no" in f:
        names = dict(zip(crm.customers()["no"], crm.customers()["name"]))
        f["customer_no"] = f["customer_no"].map(lambda v: names.get(v, v)).astype(object)
    if "stage" in f and not pd.api.types.is_numeric_dtype(f["stage"]):
        stages = _stage_labels(crm, lang)
        order = {code: i for i, code in enumerate(stages)}
        if f["stage"].isin(list(stages) + ["—"]).all():       # a report by stage: in the method's order
            f = f.iloc[f["stage"].map(lambda v: order.get(v, len(order))).argsort(kind="stable")]
        f["stage"] = f["stage"].map(lambda v: stages.get(v, v)).astype(object)
    for c, labels in VALUE_LABELS.items():
        if c in f:
            f[c] = f[c].map(lambda v, labels=labels: _label(labels[v], lang) if v in labels else v).astype(object)
    if "total" in f and pd.api.types.is_numeric_dtype(f["total"]) and not f["total"].fillna(0).any():
        f["total"] = None
    return f


def report_html(frame: pd.DataFrame, crm, lang: str = "zh") -> str:
    """A report as a person reads it: column names in ``lang`` (:data:`~crmlab.system.ui.spec.REPORT_COLUMNS`),
    shares as percentages (— where there is nothing to divide), amounts with thousands separators,
    codes by their labels (:func:`readable`).

    >>> from crmlab import system
    >>> crm = system.open(":memory:", demo=True)
    >>> html = report_html(pd.DataFrame({"won": [0], "lost": [0], "win_rate": [float("nan")]}), crm)
    >>> "<th>成交率</th>" in html and "<td>—</td>" in html and "win_rate" not in html
    True
    """
    f = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame.copy()
    f.columns.name = None                                    # a crosstab's column title is not a column
    if "阶段名称" in f and "stage" in f:                       # the stage is shown by its name
        f = f.drop(columns="阶段名称")
    roles = [c for c in f.columns if c in perm.ROLES]
    if roles:                                                # the permission matrix: scopes by their label
        scopes = VALUE_LABELS["scope"]
        f[roles] = f[roles].map(lambda v: _label(scopes[v], lang) if v in scopes else "")
    f = readable(f, crm, lang)
    for c, (_zh, _en, kind) in REPORT_COLUMNS.items():
        if c in f and kind in _FORMATS:
            f[c] = f[c].map(_FORMATS[kind]).astype(object)
    names = {c: _label(REPORT_COLUMNS[c][:2], lang) for c in f.columns if c in REPORT_COLUMNS}
    names.update({c: _label(perm.ROLES[c], lang) for c in roles})
    return frame_html(f.rename(columns=names), lang)


def _version_support(fn) -> str:
    """How a Desk method takes ``expected_version``: ``"yes"`` (declared), ``"try"`` (no ``**kw``
    to swallow it: pass it, fall back on TypeError) or ``"no"`` (``**fields`` would store it)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return "no"
    if "expected_version" in params:
        return "yes"
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return "no"
    return "try"


def _stale(no, expected, actual, who, when):
    """The engine's StaleRecord (SYSTEM_CONTEXT spec) or, before it exists, the UI's own."""
    try:
        if StaleRecord is not _LocalStale:
            return StaleRecord(no, expected, actual, who, when)
    except TypeError:
        pass
    return _LocalStale("STALE_RECORD", f"{no} was changed by {who or 'someone else'} (version {actual}, you have "
                       f"version {expected}): reload and try again",
                       f"{no} 已被{who or '他人'}修改（当前版本 {actual}，你的版本 {expected}），请刷新后重试")


# ------------------------------------------------------------------------------------ options
def _options(app, name: str, lang: str) -> list[tuple[str, object]]:
    """Drop-down options read from the database: (label, code)."""
    crm = app.crm
    if name in ("customers", "trading_customers"):
        f = crm.customers()
        if name == "trading_customers":
            f = f[(f["status"] == "audited") & f["is_trading"].astype(bool)]
        return [(f"{r.no} {r.name}", r.no) for r in f.itertuples()]
    if name in ("products", "service_products"):
        f = crm.table("products").sort_values("code")
        if name == "service_products":
            f = f[f["service_enabled"].astype(bool) & f["gen_archive"].astype(bool)]
        return [(f"{r.code} {r.name}", r.code) for r in f.itertuples()]
    if name in ("evaluators", "service_staff", "engineers", "users"):
        roles = {"evaluators": tuple(perm.PERMISSIONS[("opportunity", "evaluate")]),
                 "service_staff": ("service_manager", "engineer"), "engineers": ("engineer",)}.get(name)
        f = crm.users()
        f = f[f["active"].astype(bool)]
        if roles:
            f = f[f["role"].isin(roles)]
        return [(f"{r.name} ({r.login})", r.login) for r in f.itertuples()]
    if name == "roles":
        return [(v[0] if lang == "zh" else v[1], k) for k, v in perm.ROLES.items()]
    if name == "departments":
        f = crm.table("departments").sort_values("code")
        return [(f"{r.code} {r.name}", r.code) for r in f.itertuples()]
    if name == "questions":
        f = crm.table("questions").sort_values("no")
        return [(f"{r.no} {r.stem}", r.no) for r in f.itertuples()]
    if name == "service_levels":
        f = crm.table("service_levels").sort_values("code")
        return [(f"{r.code} {r.name}", r.code) for r in f.itertuples()]
    if name in ("archives", "open_opportunities", "audited_contracts"):
        doc_type, status = {"archives": ("product_archive", None), "open_opportunities": ("opportunity", "open"),
                            "audited_contracts": ("contract", "audited")}[name]
        f = app.documents(doc_type, status)
        return [(f"{r.no} {r.subject or ''} {r.customer_no or ''}".strip(), r.no) for r in f.itertuples()]
    raise KeyError(f"unknown option list {name!r}")


# ------------------------------------------------------------------------------------ the form
class FormView:
    """A form for one document type, built from its :class:`~crmlab.system.ui.spec.FormSpec`.

    Attributes a test or a notebook uses: ``widgets`` (field name → input widget), ``buttons``
    (button key → :class:`ipywidgets.Button`), ``errors`` (field name → inline error HTML),
    ``status`` (the status line, HTML), ``no`` and ``version`` of the open record,
    ``message`` (the status text), ``last_error`` (the exception of the last refused click, else
    None), ``field_errors()`` (the red field messages), ``box`` (the widget).
    """

    def __init__(self, app, spec: FormSpec):
        self.app, self.spec = app, spec
        self.no, self.version, self.record, self.last_error, self.last_result = None, None, {}, None, None
        self.message = ""
        self._loaded: dict = {}
        self._option_cache: dict = {}
        self.widgets: dict[str, w.Widget] = {}
        self.errors: dict[str, w.HTML] = {}
        rows: dict[str, list] = {t: [] for t in spec.tabs()}
        for f in spec.fields:
            widget = self._make(f)
            self.widgets[f.name] = widget
            self.errors[f.name] = w.HTML("")
            rows[f.tab].append(w.HBox([widget, self.errors[f.name]], layout=_shared("row")))
        self.tables: dict[str, w.HTML] = {}
        for tab, table in spec.tables:
            self.tables[table] = w.HTML("")
            rows[tab].append(self.tables[table])
        self.buttons: dict[str, w.Button] = {}
        for b in spec.buttons:
            btn = w.Button(description=b.zh, button_style="primary" if b.key == "save" else "")
            btn.on_click(lambda _btn, b=b: self.press(b.key))
            self.buttons[b.key] = btn
        self.header = w.HTML("")
        self.status = w.HTML("")
        self.tab = w.Tab(children=[w.VBox(rows[t]) for t in spec.tabs()])
        self.box = w.VBox([self.header, w.HBox(list(self.buttons.values())), self.status, self.tab])
        self._used = {fld for c in (*spec.update, *(c for b in spec.buttons for c in b.calls)) for fld in c.fields()}
        self._create_fields = {fld for c in spec.create for fld in c.fields()}
        self.relabel(app.lang)
        self.new()

    def __repr__(self):
        status = self.record.get("status") if self.no is not None else "new"
        return f"<FormView {self.spec.doc_type} {self.no or '(new)'} {status}>"

    # -- widgets ---------------------------------------------------------------------------------
    def _make(self, f):
        if f.kind in ("area", "lines", "answers"):
            return _input(w.Textarea, rows=2 if f.kind == "area" else 3, placeholder=f.hint)
        if f.kind == "date":
            return _input(w.DatePicker)
        if f.kind == "choice":
            return _input(w.Dropdown, options=[("", None)], value=None)
        if f.kind == "combo":
            return _input(w.Combobox, options=[o[0] for o in f.options], placeholder=f.hint, ensure_option=False)
        if f.kind == "bool":
            return w.Checkbox(value=bool(f.default), indent=False, style=_shared("style", w.Checkbox))
        return _input(w.Text, placeholder=f.hint)

    def _choices(self, f, lang):
        if isinstance(f.options, str):
            return self._option_cache.get(f.options) or []
        return [(o[1] if lang == "zh" else o[2], o[0]) for o in f.options]

    def _set_choices(self, f, lang, keep=True):
        widget = self.widgets[f.name]
        value = widget.value if keep else None
        opts = [("", None)] + list(self._choices(f, lang))
        if value is not None and value not in [v for _, v in opts]:
            opts.append((str(value), value))
        widget.options = opts
        widget.value = value

    def refresh_options(self):
        """Re-read the drop-down lists from the database (customers, users, archives …)."""
        names = {f.options for f in self.spec.fields if f.kind == "choice" and isinstance(f.options, str)}
        self._option_cache = {n: _options(self.app, n, self.app.lang) for n in names}
        for f in self.spec.fields:
            if f.kind == "choice":
                self._set_choices(f, self.app.lang)

    def relabel(self, lang: str):
        """Show the labels in ``lang`` (``"zh"`` or ``"en"``); values stay."""
        for f in self.spec.fields:
            widget = self.widgets[f.name]
            widget.description = f.zh if lang == "zh" else f.en
            if f.kind == "choice":
                if isinstance(f.options, str) and f.options == "roles":
                    self._option_cache["roles"] = _options(self.app, "roles", lang)
                self._set_choices(f, lang)
        for b in self.spec.buttons:
            self.buttons[b.key].description = b.zh if lang == "zh" else b.en
        self.tab.titles = tuple(_label(TABS[t], lang) for t in self.spec.tabs())
        self._show_header(lang)

    def _show_header(self, lang=None):
        lang = lang or self.app.lang
        name = _label((self.spec.zh, self.spec.en), lang)
        if self.no is None:
            self.header.value = f"<b>{html.escape(name)}</b> {_t('new_record', lang)}"
            return
        status = self.record.get("status")
        text = f"<b>{html.escape(name)}</b> · {_t('no', lang)} {html.escape(str(self.no))}"
        if status is not None:
            label = lc.status_label(status) if lang == "zh" else str(status).replace("_", " ")
            text += f" · {_t('status', lang)} {html.escape(label)}"
        if self.version is not None:
            text += f" · {_t('version', lang)} {self.version}"
        self.header.value = text

    # -- values ------------------------------------------------------------------------------------
    def fill(self, **values):
        """Set field values as a user would type them (dates may be strings); returns self."""
        for name, v in values.items():
            f = self.spec.field(name)
            widget = self.widgets[name]
            if f.kind == "date":
                v = _date(v)
            elif f.kind == "bool":
                v = bool(v)
            elif f.kind == "list" and isinstance(v, (list, tuple)):
                v = ", ".join(map(str, v))
            elif f.kind in ("text", "area", "number", "lines", "pairs", "mapping", "combo", "list", "answers"):
                numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
                v = "" if v is None else (_num(v) if numeric else str(v))
            elif f.kind == "choice" and v is not None and v not in [o for _, o in widget.options]:
                widget.options = list(widget.options) + [(str(v), v)]
            widget.value = v
        return self

    def _parse(self, f):
        """(value, error text pair or None) of one field."""
        v = self.widgets[f.name].value
        if f.kind in ("date", "choice"):
            return v, None
        if f.kind == "bool":
            return bool(v), None
        s = (v or "").strip()
        if f.kind in ("text", "area", "combo"):
            return s or None, None
        if not s:
            return None, None
        if f.kind == "list":                          # names or numbers, separated by commas or spaces
            return [x for x in re.split(r"[,，;；、\s]+", s) if x], None
        try:
            if f.kind == "number":
                return float(s), None
            if f.kind == "answers":                   # one answer a line: "question: option" (多选: a|b)
                out = {}
                for row in s.splitlines():
                    if not row.strip():
                        continue
                    k, sep, x = row.replace("：", ":").partition(":")
                    if not sep or not k.strip() or not x.strip():
                        raise ValueError(row)
                    x = x.strip()
                    out[k.strip()] = [y.strip() for y in x.split("|") if y.strip()] if "|" in x else x
                return out, None
            if f.kind == "lines":
                out = []
                for row in s.splitlines():
                    parts = row.replace(",", " ").split()
                    if not parts:
                        continue
                    if len(parts) not in (2, 3):
                        raise ValueError(row)
                    line = {"product": parts[0], "qty": float(parts[1])}
                    if len(parts) == 3:
                        line["price"] = float(parts[2])
                    out.append(line)
                return out, None
            pairs = []
            for item in re.split(r"[,，;；\n]", s):
                if not item.strip():
                    continue
                k, sep, x = item.replace("：", ":").rpartition(":")
                if not sep or not k.strip():
                    raise ValueError(item)
                pairs.append((k.strip(), float(x)))
            return (dict(pairs) if f.kind == "mapping" else pairs), None
        except ValueError:
            return None, TEXT[{"number": "number", "lines": "lines", "answers": "answers"}.get(f.kind, "pairs")]

    def values(self) -> dict:
        """The parsed field values (unparsable fields → None)."""
        return {f.name: self._parse(f)[0] for f in self.spec.fields}

    def field_errors(self) -> dict[str, str]:
        """The inline errors now shown, as plain text: field name → message."""
        return {k: html.unescape(re.sub(r"<[^>]+>", "", v.value)) for k, v in self.errors.items() if v.value}

    def dirty(self) -> set[str]:
        """Names of the fields changed since the record was loaded."""
        vals = self.values()
        return {k for k, v in vals.items() if v != self._loaded.get(k)}

    # -- loading ------------------------------------------------------------------------------------
    def new(self):
        """新增: an empty form."""
        self.no, self.version, self.record = None, None, {}
        self.refresh_options()
        for f in self.spec.fields:
            self._put(f, f.default)
        self._after_load()

    def load(self, no):
        """Open record ``no`` (read through the logged-in user's desk when the engine allows)."""
        rec = self.app.read(self.spec, no)
        self.no, self.record = rec["_no"], rec
        self.version = rec.get("version")
        self.refresh_options()
        lines = None
        for f in self.spec.fields:
            src = f.source
            if src == "":
                v = f.default
            elif src == "@lines" or src.startswith("lines."):
                if lines is None:
                    lines = self.app.crm.lines(self.no)
                if src == "@lines":
                    v = "\n".join(" ".join([str(r.product), _num(r.qty), _num(r.price)])
                                  for r in lines.itertuples() if r.product is not None)
                else:
                    v = lines[src[6:]].iloc[0] if len(lines) else None
            else:
                v = rec.get(src)
            self._put(f, v)
        self._after_load()

    def _put(self, f, v):
        widget = self.widgets[f.name]
        if f.kind == "date":
            widget.value = _date(v)
        elif f.kind == "bool":
            widget.value = bool(f.default if v is None else v)
        elif f.kind == "choice":
            if v is not None and v not in [o for _, o in widget.options]:
                widget.options = list(widget.options) + [(str(v), v)]
            widget.value = v
        elif f.kind == "number":
            widget.value = _num(v)
        elif f.kind == "list" and isinstance(v, (list, tuple)):
            widget.value = ", ".join(map(str, v))
        else:
            widget.value = "" if v is None else str(v)

    def _after_load(self):
        self._loaded = self.values()
        for f in self.spec.fields:
            err = self.errors[f.name]
            err.value = ""
            if self.no is None:
                editable = f.name in self._create_fields
            else:
                editable = not f.locked and f.name in self._used
            self.widgets[f.name].disabled = not editable
        for b in self.spec.buttons:
            if b.key == "new":
                enabled = True
            elif b.key == "save":
                enabled = bool(self.spec.create) if self.no is None else bool(self.spec.update)
            else:
                enabled = self.no is not None
            self.buttons[b.key].disabled = not enabled
        self._show_tables()
        self._show_header()

    def _show_tables(self):
        crm, lang = self.app.crm, self.app.lang
        for table, out in self.tables.items():
            if self.no is None:
                out.value = ""
                continue
            if table == "lines":
                f = crm.lines(self.no)[["seq", "product", "description", "qty", "price", "amount"]]
            elif table == "payment":
                f = crm.lines(self.no, "payment")[["seq", "description", "due_date", "amount"]]
            elif table == "budget":
                f = crm.lines(self.no, "budget")[["seq", "description", "amount"]]
            elif table == "stages":
                f = crm.stages(self.no)[["seq", "stage", "started_at", "planned_end", "actual_end", "n_activity",
                                         "n_task", "n_quote", "n_sample"]]
            elif table == "questions":                 # the survey's questions (问卷设计)
                qs = crm.table("questions").set_index("no")
                items = [q for q in (self.record.get("items") or []) if q in qs.index]
                f = pd.DataFrame({"seq": range(1, len(items) + 1), "question": items,
                                  "stem": [qs.loc[q, "stem"] for q in items], "qtype": [qs.loc[q, "qtype"] for q in items]})
            elif table == "survey_summary":            # 汇总分析: counts per option
                from .. import reports
                f = reports.survey_summary(crm, self.no) if self.record.get("status") == "summarized" else None
            elif table == "project_stages":            # ticked stages, the current one marked
                stages, at = self.record.get("stages") or [], self.record.get("stage_index")
                f = pd.DataFrame({"seq": range(1, len(stages) + 1), "stage": stages,
                                  "current": ["●" if i == at else "" for i in range(len(stages))]})
            elif table == "evaluations":
                f = crm.evaluations(self.no)[["round", "submitter", "evaluator", "result", "next_evaluator", "comment"]]
            else:
                f = crm.links(self.no)[["src_type", "src_no", "dst_type", "dst_no", "relation"]]
            out.value = frame_html(f, lang)

    # -- buttons ------------------------------------------------------------------------------------
    def press(self, key: str) -> str:
        """What a click on button ``key`` does; returns the status text (also shown inline)."""
        lang = self.app.lang
        b = next(x for x in self.spec.buttons if x.key == key)
        self.last_error, self.last_result = None, None
        for err in self.errors.values():
            err.value = ""
        if key == "new":
            self.new()
            return self._say(_bi(TEXT["cleared"], lang), _OK)
        creating = key == "save" and self.no is None
        calls = (self.spec.create if creating else self.spec.update) if key == "save" else b.calls
        if self.no is None and not creating:
            return self._fail(_bi(TEXT["save_first"], lang))
        parsed, bad = {}, {}
        for f in self.spec.fields:
            parsed[f.name], problem = self._parse(f)
            if problem:
                bad[f.name] = problem
        needed = [f.name for f in self.spec.fields if f.required] if creating else list(b.requires)
        for name in needed:
            if parsed.get(name) in (None, "", [], {}) and name not in bad:
                bad[name] = TEXT["required"]
        if bad:
            for name, pair in bad.items():
                self.errors[name].value = _span("✗ " + _bi(pair, lang), _BAD)
            return self._fail(_bi(TEXT["fix"], lang))
        plan = self._plan(calls, parsed, key == "save" and not creating)
        if not plan:
            return self._say(_bi(TEXT["nothing"], lang), _OK)
        try:
            result = self._execute(plan)
        except ValueError as err:                    # every CRM error is a ValueError; the database is unchanged
            self.last_error = err
            return self._fail(message(err, lang))
        self.last_result = result
        self.app.crm.checkpoint()                    # a database file alone now holds the click (a hand-in)
        if creating:
            self.no = result
        shown = isinstance(result, str) and (creating or b.opens or _DOC_NO.match(result))
        done = "✓ " + _bi((f"{b.zh}成功", f"{b.en}: done"), lang) + (f" → {result}" if shown else "")
        try:
            self.load(self.no)
        except ValueError:                             # e.g. no longer visible to this user
            self.new()
        self.app.after_change(self)
        if b.opens and isinstance(result, str):
            target = self.app.open(b.opens, result)
            target._say(done, _OK)
        return self._say(done, _OK)

    def _plan(self, calls, parsed, updating):
        dirty = {k for k, v in parsed.items() if v != self._loaded.get(k)} if updating else set()
        plan = []
        for c in calls:
            if c.when and all(parsed.get(x) in (None, "", [], {}) for x in c.when):
                continue
            kwargs = {}
            if updating and c.partial:
                kwargs = {p: parsed[f] for p, f in c.kwargs if f in dirty}
                if not kwargs:
                    continue
            else:
                if updating and not (set(c.fields()) & dirty):
                    continue
                kwargs = {p: parsed[f] for p, f in c.kwargs if parsed[f] not in (None, "")}
            plan.append((c, [a if a.startswith("@") else parsed[a] for a in c.args], kwargs))
        return plan

    def _execute(self, plan):
        crm, desk = self.app.crm, self.app.desk
        result, first = None, True
        with crm.batch():                              # all calls of one click: one transaction
            for c, args, kwargs in plan:
                fn = getattr(desk, c.method)
                mode = "no"
                if first and c.args[:1] == ("@no",) and self.version is not None:
                    first = False
                    mode = _version_support(fn)
                    if mode != "yes":                  # the engine cannot check it: the UI does
                        self._check_version()
                args = [self.no if a == "@no" else result if a == "@result" else a for a in args]
                if mode == "no":
                    out = fn(*args, **kwargs)
                else:
                    try:
                        out = fn(*args, **kwargs, expected_version=self.version)
                    except TypeError as err:           # an engine without optimistic locking yet
                        if mode == "yes" or "expected_version" not in str(err):
                            raise
                        out = fn(*args, **kwargs)
                if result is None:
                    result = out
        return result

    def _check_version(self):
        """Optimistic lock, also checked by the UI (inside the click's transaction): the record must
        still be at the ``version`` this form loaded."""
        current = self.app.read(self.spec, self.no).get("version")
        if current is not None and current != self.version:
            log = self.app.crm.audit_log(doc_no=self.no)
            who, when = (log["user_login"].iloc[-1], log["at"].iloc[-1]) if len(log) else (None, None)
            raise _stale(self.no, self.version, current, who, pd.Timestamp(when).to_pydatetime() if when else None)

    def _say(self, text, color):
        self.status.value = _span(text, color)
        self.message = text
        return text

    def _fail(self, text):
        return self._say("✗ " + text if not text.startswith("✗") else text, _BAD)

    def click(self, key: str) -> str:
        """Click button ``key`` (as a user would) and return the status text."""
        self.buttons[key].click()
        return self.message


# ------------------------------------------------------------------------------------ the list
class ListView:
    """The list (维护) view of a document type with filters; ``picker`` + ``open_button`` open a row."""

    def __init__(self, app):
        self.app, self.spec, self._quiet = app, None, False
        # "" = all statuses (a Dropdown shows nothing for the value None, even as an option)
        self.status = _input(w.Dropdown, options=[("", "")], value="", layout=w.Layout(width="260px"))
        self.search = _input(w.Text, layout=w.Layout(width="300px"))
        self.mine = w.Checkbox(value=False, indent=False)
        self.refresh_button = w.Button()
        self.table = w.HTML("")
        self.picker = _input(w.Dropdown, options=[("", None)], value=None)
        self.open_button = w.Button()
        self.title = w.HTML("")
        for widget in (self.status, self.search, self.mine):
            widget.observe(lambda _ch: self.refresh(), names="value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.open_button.on_click(lambda _b: self.open_selected())
        self.box = w.VBox([self.title, w.HBox([self.status, self.search, self.mine, self.refresh_button]),
                           self.table, w.HBox([self.picker, self.open_button])])
        self.relabel(app.lang)

    def show(self, spec: FormSpec):
        """Show the list of ``spec``'s records (filters reset)."""
        self.spec = spec
        self._quiet = True
        self.status.value, self.search.value, self.mine.value = "", "", False
        self._quiet = False
        self.refresh()

    def data(self) -> pd.DataFrame:
        """All records of the list (before the filters)."""
        s = self.spec
        if s.source == "customers":
            return self.app.crm.customers()
        if s.source == "users":
            return self.app.crm.users()
        if s.source == "questions":
            return self.app.crm.table("questions").sort_values("no")
        return self.app.documents(s.doc_type)

    def frame(self) -> pd.DataFrame:
        """The records shown (filters applied), in the list's columns."""
        f = self.data()
        lang = self.app.lang
        if self.status.value and "status" in f:
            f = f[f["status"] == self.status.value]
        if self.mine.value:
            me = self.app.desk.user
            if "owner" in f:
                f = f[f["owner"] == me.login]
            elif "owner_id" in f:
                f = f[f["owner_id"] == me.id]
            elif "login" in f:
                f = f[f["login"] == me.login]
        text = self.search.value.strip().lower()
        if text:
            cols = [c for c in ("no", "subject", "name", "customer_no", "login") if c in f]
            hit = pd.Series(False, index=f.index)
            for c in cols:
                hit |= f[c].fillna("").astype(str).str.lower().str.contains(text, regex=False)
            f = f[hit]
        cols = [c for c, _, _ in LIST_COLUMNS[self.spec.source] if c in f]
        f = f[cols].reset_index(drop=True)
        if "status" in f:
            f["status"] = f["status"].map(lambda s: lc.status_label(s) if lang == "zh" else s)
        return f

    def _key(self):
        return {"users": "login"}.get(self.spec.source, "no")

    def refresh(self):
        """Re-read the database and redraw the table, status filter and picker."""
        if self.spec is None or self._quiet:
            return
        lang = self.app.lang
        data = self.data()
        statuses = sorted(data["status"].dropna().unique()) if "status" in data else []
        current = self.status.value
        self._quiet = True
        self.status.options = [(_t("all", lang), "")] + [
            (lc.status_label(s) if lang == "zh" else s, s) for s in statuses]
        self.status.value = current if current in statuses else ""
        self._quiet = False
        f = self.frame()
        labels = {c: _label((zh, en), lang) for c, zh, en in LIST_COLUMNS[self.spec.source]}
        self.table.value = frame_html(readable(f, self.app.crm, lang).rename(columns=labels), lang)
        key = self._key()
        keep = self.picker.value
        sub = "name" if "name" in f else "stem" if "stem" in f else "subject"
        opts = [(f"{r[key]} {r.get(sub) or ''}".strip(), r[key]) for r in f.to_dict("records")]
        self.picker.options = [("", None)] + opts
        self.picker.value = keep if keep in [v for _, v in opts] else None
        self.title.value = f"<b>{html.escape(_label((self.spec.zh, self.spec.en), lang))}</b> · {len(f)}"

    def open_selected(self):
        """Open the picked record in the form."""
        if self.picker.value is not None:
            self.app.open_record(self.picker.value)

    def relabel(self, lang: str):
        """Labels in ``lang``; the table is redrawn."""
        self.status.description = _t("status", lang)
        self.search.description = _t("search", lang)
        self.mine.description = _t("mine", lang)
        self.refresh_button.description = _t("refresh", lang)
        self.picker.description = _t("record", lang)
        self.open_button.description = _t("open", lang)
        self.refresh()


# ------------------------------------------------------------------------------------ reports
class ReportView:
    """决策分析: pick a report, see its table (:mod:`crmlab.system.reports`)."""

    def __init__(self, app):
        self.app = app
        self.picker = _input(w.Dropdown, options=[(v[0], k) for k, v in REPORTS.items()], value="funnel")
        self.table = w.HTML("")
        self.picker.observe(lambda _ch: self.refresh(), names="value")
        self.box = w.VBox([self.picker, self.table])
        self.relabel(app.lang)

    def frame(self) -> pd.DataFrame:
        """The chosen report as a DataFrame."""
        _, _, fn, kwargs = REPORTS[self.picker.value]
        if fn == "permissions":
            return perm.permission_table().reset_index()
        if fn == "lifecycle":
            return lc.lifecycle_table()
        return getattr(_reports, fn)(self.app.crm, **kwargs)

    def refresh(self):
        """Recompute and redraw the chosen report."""
        self.table.value = report_html(self.frame(), self.app.crm, self.app.lang)

    def relabel(self, lang: str):
        """Labels in ``lang``."""
        keep = self.picker.value
        self.picker.description = _t("report", lang)
        self.picker.options = [(v[0] if lang == "zh" else v[1], k) for k, v in REPORTS.items()]
        self.picker.value = keep
        self.refresh()

