"""The application frame: header (user, language, clock), the menu tree, list, form and reports."""
from __future__ import annotations

import html

import ipywidgets as w

from ...errors import bilingual
from .. import permissions as perm
from .spec import FORMS, MENU, FormSpec, _label
from .widgets import FormView, ListView, ReportView, _t, message, report_html

__all__ = ["App", "app"]


#: On a narrow screen (a phone) the menu goes above the list and form instead of beside them, and the
#: header wraps; tables scroll sideways inside their pane (see ``frame_html``).
_STYLE = ("<style>@media (max-width: 700px){"
          ".crmlab-app{grid-template-columns:minmax(0,1fr) !important;grid-template-rows:auto auto auto !important;"
          "grid-template-areas:'header' 'left-sidebar' 'center' !important}"
          ".crmlab-app .widget-button{max-width:100%}}</style>")


class App:
    """The simulated Kingdee CRM in JupyterLab for one logged-in user.

    Parts (all ipywidgets): ``widget`` (the :class:`ipywidgets.AppLayout` shown), ``menu``
    (menu target → button of the tree), ``list`` (:class:`~crmlab.system.ui.widgets.ListView`),
    ``forms`` (document type → :class:`~crmlab.system.ui.widgets.FormView`, made on first use),
    ``reports`` (:class:`~crmlab.system.ui.widgets.ReportView`), ``user`` (login drop-down),
    ``language`` (中文 / English toggle). Displaying the app displays ``widget``.
    """

    def __init__(self, crm, user, lang: str = "zh"):
        if lang not in ("zh", "en"):
            raise ValueError(bilingual(f"lang is 'zh' or 'en', got {lang!r}", "语言只能是 'zh' 或 'en'"))
        self.crm, self.lang, self._quiet = crm, lang, False
        self.desk = crm.login(user, channel="ui")
        self.forms: dict[str, FormView] = {}
        self.current: str | None = None
        self.title = w.HTML("")
        self.user = w.Dropdown(style={"description_width": "40px"})
        self._user_options()
        self.language = w.ToggleButtons(options=[("中文", "zh"), ("English", "en")], value=lang)
        self.clock = w.HTML("")
        self.root = w.HTML("")
        self.menu: dict[str, w.Button] = {}
        sections = []
        for _key, _zh, _en, items in MENU:
            buttons = []
            for target, _izh, _ien in items:
                b = w.Button(layout=w.Layout(width="210px"))
                b.on_click(lambda _b, t=target: self.open(t))
                self.menu[target] = b
                buttons.append(b)
            sections.append(w.VBox(buttons))
        self.nav = w.Accordion(children=sections)
        self.home = w.HTML("")
        self.list = ListView(self)
        self.reports = ReportView(self)
        self.main = w.VBox([self.home])
        header = w.VBox([w.HTML(_STYLE), self.title,
                         w.HBox([self.user, self.language, self.clock], layout=w.Layout(flex_flow="row wrap"))])
        self.widget = w.AppLayout(header=header, left_sidebar=w.VBox([self.root, self.nav]), center=self.main,
                                  pane_widths=["250px", 1, 0], pane_heights=["80px", 1, 0])
        self.widget.add_class("crmlab-app")
        self.language.observe(lambda ch: self.set_lang(ch["new"]), names="value")
        self.user.observe(lambda ch: None if self._quiet or ch["new"] is None else self.switch_user(ch["new"]),
                          names="value")
        self.set_lang(lang)

    # -- display -----------------------------------------------------------------------------------
    def __repr__(self):
        u = self.desk.user
        role = perm.ROLES.get(u.role, (u.role, u.role))[0 if self.lang == "zh" else 1]
        where = "home"
        if self.current is not None and self.current.startswith("report:"):
            where = f"report {self.reports.picker.value}"
        elif self.current is not None:
            where = f"{self.current} {self.form.no or '(new)'}"
        return f"<crmlab CRM app: {u.name} ({u.login}, {role}) · lang={self.lang} · {where}>"

    def _repr_mimebundle_(self, **kwargs):
        data = self.widget._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)         # stable text (nbval compares it), not the widget tree
        return data

    # -- navigation -------------------------------------------------------------------------------
    @property
    def form(self) -> FormView | None:
        """The form on screen (None on the home page or a report)."""
        if self.current in FORMS:
            return self.forms[self.current]
        return None

    def form_for(self, doc_type: str) -> FormView:
        """The form of ``doc_type`` (made on first use)."""
        if doc_type not in self.forms:
            self.forms[doc_type] = FormView(self, FORMS[doc_type])
        return self.forms[doc_type]

    def open(self, target: str, no=None):
        """What a click on a menu item does: a form target shows its list and form (record ``no``
        if given); ``report:KEY`` shows that report. Returns the form or the report view."""
        if target.startswith("report:"):
            self.current = target
            self.reports.picker.value = target.split(":", 1)[1]
            self.reports.refresh()
            self.main.children = [self.reports.box]
            return self.reports
        if target not in FORMS:
            raise KeyError(bilingual(f"no form {target!r}; use one of {list(FORMS)}", f"没有表单 {target!r}"))
        form = self.form_for(target)
        self.current = target
        self.list.show(FORMS[target])
        self.main.children = [self.list.box, form.box]
        if no is not None:
            self.open_record(no)
        return form

    def open_record(self, no):
        """Load record ``no`` into the current form (errors inline)."""
        form = self.form
        try:
            form.load(no)
        except ValueError as err:
            form.last_error = err
            form._fail(message(err, self.lang))
        return form

    # -- data access through the logged-in user (record rules when the engine has them) ---------------
    def read(self, spec: FormSpec, no) -> dict:
        """One record as a dict (``_no`` = its key); documents through ``desk.get`` when available."""
        if spec.loader == "user":
            f = self.crm.users()
            f = f[f["login"] == str(no)]
            if f.empty:
                from ..errors import NotFound
                raise NotFound("NO_USER", f"no user {no!r}", f"找不到用户 {no!r}")
            rec = f.iloc[0].to_dict()
            rec["dept"] = self._dept_code(rec.get("dept"))
        elif spec.loader == "question":               # 调查题库: the question and its scored options
            qs = self.crm.table("questions")
            qs = qs[qs["no"] == str(no)]
            if qs.empty:
                from ..errors import NotFound
                raise NotFound("NO_QUESTION", f"no question {no!r} in the bank", f"调查题库中没有 {no!r}")
            rec = qs.iloc[0].to_dict()
            opts = self.crm.table("question_options")
            opts = opts[opts["question_no"] == str(no)].sort_values("seq")
            rec["options"] = ", ".join(f"{t}:{s:g}" for t, s in zip(opts["text"], opts["score"])) or None
        else:
            get = getattr(self.desk, "get", None)
            rec = dict(get(no) if callable(get) else self.crm.doc(no))
        rec["_no"] = str(no)
        return rec

    def _dept_code(self, name):
        f = self.crm.table("departments")
        hit = f[f["name"] == name]
        return hit["code"].iloc[0] if len(hit) else None

    def documents(self, doc_type: str, status=None):
        """Documents of a type this user may see (``desk.documents`` when the engine has it)."""
        fn = getattr(self.desk, "documents", None)
        if callable(fn):
            return fn(doc_type=doc_type, status=status)
        return self.crm.documents(doc_type=doc_type, status=status)

    def after_change(self, form=None):
        """Redraw what depends on the database after a successful action."""
        if self.current in FORMS:
            self.list.refresh()
        if form is not None and form.spec.loader == "user":
            self._user_options()
        self._show_header()

    def _user_options(self):
        users = self.crm.users()
        users = users[users["active"].astype(bool)]
        self._quiet = True                         # not a change of user
        try:
            self.user.options = [(f"{r.name} ({r.login})", r.login) for r in users.itertuples()]
            self.user.value = self.desk.login
        finally:
            self._quiet = False

    # -- user and language ----------------------------------------------------------------------------
    def switch_user(self, login):
        """Log in as another user (the textbook's exercises switch between 业务员, 经理 …)."""
        self.desk = self.crm.login(login, channel="ui")
        if self.user.value != self.desk.login:
            self.user.value = self.desk.login
        for form in self.forms.values():
            if form.no is not None:
                try:
                    form.load(form.no)
                except ValueError as err:           # the new user may not see it
                    form.new()
                    form.last_error = err
                    form._fail(message(err, self.lang))
            else:
                form.refresh_options()
        if self.current in FORMS:
            self.list.refresh()
        self._show_header()

    def set_lang(self, lang: str):
        """Switch every label to ``"zh"`` (中文, the textbook's) or ``"en"``."""
        if lang not in ("zh", "en"):
            raise ValueError(bilingual(f"lang is 'zh' or 'en', got {lang!r}", "语言只能是 'zh' 或 'en'"))
        self.lang = lang
        if self.language.value != lang:
            self.language.value = lang
            return                                    # the observer comes back here
        self.user.description = _t("user", lang)
        self.root.value = f"<b>{html.escape(_t('root', lang))}</b>"
        self.nav.titles = tuple(_label((zh, en), lang) for _, zh, en, _ in MENU)
        for _key, _zh, _en, items in MENU:
            for target, izh, ien in items:
                self.menu[target].description = izh if lang == "zh" else ien
        self.list.relabel(lang)
        self.reports.relabel(lang)
        for form in self.forms.values():
            form.relabel(lang)
        self._show_header()

    def _show_header(self):
        lang = self.lang
        self.title.value = f"<b>{html.escape(_t('title', lang))}</b>"
        self.clock.value = f"{_t('clock', lang)}: {self.crm.now:%Y-%m-%d %H:%M}"
        pending = self.crm.pending(self.desk.login)
        subjects = dict(zip(*(lambda d: (d["no"], d["subject"]))(self.crm.documents())))
        pending["subject"] = pending["no"].map(subjects)
        head = "待处理" if lang == "zh" else "Pending"
        self.home.value = f"<b>{head}</b><br>{report_html(pending, self.crm, lang)}"


def app(crm=None, user="zhangsan", lang: str = "zh") -> App:
    """The CRM user interface for ``user`` (login or name): menu tree, lists, forms, reports.

    Display it in JupyterLab (last line of a cell, or ``display(ui)``); drive it from code by
    setting widget values and clicking buttons. Without ``crm``: the living demo company in
    memory (:func:`crmlab.system.demo_company.open`, a company in its second year), as 张三.

    >>> from crmlab import system
    >>> from crmlab.system import ui
    >>> crm = system.open(":memory:", demo=True)
    >>> crm_ui = ui.app(crm, "zhangsan")
    >>> crm_ui
    <crmlab CRM app: 张三 (zhangsan, 业务员) · lang=zh · home>
    >>> form = crm_ui.open("lead")
    >>> form.fill(subject="服务器购买意愿", source="市场活动", customer_name="江南重工集团", contact_name="钱工")
    <FormView lead (new) new>
    >>> form.click("save")
    '✓ 保存成功 / Save: done → XS000001'
    >>> crm.status("XS000001")
    '已保存'
    """
    if crm is None:
        from ..demo_company import open as _demo_company
        crm = _demo_company(":memory:")
    return App(crm, user, lang)
