"""The database of lab 04·05 (任务12–15 操作界面): work done by clicking in the CRM client counts.

The lab's company is the demo company (:func:`crmlab.system.open` with ``demo=True``) on Friday
2024-03-01, 09:00, with one lead that 张三 has just saved (:data:`LEAD`). The student converts it
and 李经理 audits the new customer by clicking in the client (:mod:`crmlab.system.ui`); the lab's
graded cells read the database afterwards, including the audit log's channel (``ui``: done in the
client, not at the desk in code) and its hash chain.

Where the clicks live: the client opened by :func:`client` (in the notebook) or :func:`serve`
(a Voila page) works on the SQLite file ``ui_lab.db`` beside the notebook, which travels with the
submission. :func:`open_lab` loads that file **into memory** each time the notebook runs, so
re-running the notebook (also at grading time) neither changes the file nor duplicates anything;
answers that drive the client from code act on that in-memory copy.

>>> crm = open_lab("no_such_file.db")
>>> facts(crm)
{'lead': 'XS000001', 'opportunity': None, 'customer': None}
>>> crm.doc("XS000001")["subject"], str(crm.now)
('服务器购买意愿', '2024-03-01 09:00:00')
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import engine

__all__ = ["LAB_DB", "CLOCK", "LEAD", "CLIENT", "build", "open_lab", "open_file", "facts", "client", "serve",
           "reset"]

#: The database file the client writes, beside the notebook (it travels with the submission).
LAB_DB = "ui_lab.db"
#: The CRM's "today" when the lab starts.
CLOCK = "2024-03-01 09:00"
#: The lead 张三 has saved (任务13.2 线索－新增), the start of the lab's opportunity.
LEAD = {"subject": "服务器购买意愿", "source": "市场活动", "customer_name": "江南重工集团", "contact_name": "钱工",
        "phone": "0510-8888 6666"}
#: The client as a web page (Voila serves it over ``$CRMLAB_DB``).
CLIENT = Path(__file__).resolve().parent / "ui" / "client_app.ipynb"


def build(url=":memory:"):
    """A new database with the demo company and 张三's saved lead (deterministic)."""
    crm = engine.open(url, demo=True, clock=CLOCK)
    fields = dict(LEAD)
    crm.login("zhangsan").new_lead(fields.pop("subject"), **fields)
    return crm


def open_file(path=LAB_DB):
    """The CRM on the file ``path`` itself (made with :func:`build` the first time): what the
    client works on, so every click is saved in the file."""
    path = Path(path)
    if not path.exists():
        build(f"sqlite:///{path.resolve()}").close()
    return engine.open(f"sqlite:///{path.resolve()}")


def open_lab(path=LAB_DB):
    """The lab's CRM: the file ``path`` loaded into memory when it exists (what the student clicked
    there), else a fresh start (:func:`build`). The file itself is never written here."""
    path = Path(path)
    if not path.exists():
        return build()
    return engine.open_copy(path)


def facts(crm) -> dict:
    """The lab's documents: the lead, the opportunity converted from it and its customer (``None``
    while not yet there)."""
    docs = crm.documents()
    mine = docs[docs["subject"] == LEAD["subject"]]
    lead = mine[mine["doc_type"] == "lead"]["no"].iloc[0]
    opps = mine[mine["doc_type"] == "opportunity"]["no"]
    opp = opps.iloc[0] if len(opps) else None
    return {"lead": lead, "opportunity": opp, "customer": crm.doc(opp)["customer_no"] if opp else None}


def client(path=LAB_DB, user="zhangsan"):
    """A button that opens the CRM client on the file ``path`` below it (as ``user``; switch users
    in its header). Nothing is opened until the button is clicked, so running the notebook (or
    grading it) never touches the file.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / LAB_DB
    >>> box = client(path)
    >>> path.exists()
    False
    >>> box.children[0].click()                     # the button: the client appears below it
    >>> len(box.children[1].children), path.exists()
    (1, True)
    """
    import ipywidgets as w

    from . import ui

    box = w.VBox([])
    button = w.Button(description="打开客户端 open the client", layout=w.Layout(width="260px"))

    def start(_):
        box.children = [ui.app(open_file(path), user).widget]

    button.on_click(start)
    return w.VBox([button, box])


def serve(path=LAB_DB, port: int | None = None, log=None):
    """The client as a web page over the file ``path`` (Voila on 127.0.0.1, in a subprocess; ``log``:
    a file for its output): returns ``(process, url)``; stop it with :func:`crmlab.system.mobile.stop`."""
    from . import mobile

    open_file(path).close()
    port = port or mobile.free_port()
    return mobile.start(f"sqlite:///{Path(path).resolve()}", port, notebook=CLIENT, log=log), f"http://127.0.0.1:{port}/"


def reset(path=LAB_DB) -> Path | None:
    """Start the lab again: move ``path`` aside to ``path.bak`` (nothing is deleted)."""
    path = Path(path)
    if not path.exists():
        return None
    backup = path.with_suffix(path.suffix + ".bak")
    shutil.move(path, backup)
    return backup
