"""Grading with nbgrader (自动评分): one command for a whole class, safely, with feedback and a gradebook.

nbgrader wants its own folder layout (source/ → release/ → submitted/ → autograded/ → feedback/).
crmlab keeps that layout in temporary folders, so the repository, the teacher's submission folder
and the output folder are never written to by nbgrader or by student code.

Two entry points:

- :func:`autograde` — plain ``nbgrader autograde`` of a few folders in one throw-away course;
  returns every graded cell's points (used by the lab-integrity tests).
- :func:`grade_class` — the teacher's command (``crmlab grade LAB --submissions PATH``): grades a
  whole class in parallel worker processes and writes, under ``OUT/LAB/``,

  - ``results/STUDENT.json`` — the stable store: one file per student, keyed by a hash of the
    submission, the lab and the grading settings (re-running skips unchanged submissions; a
    changed submission is regraded and the old result kept in ``results/history/``);
  - ``feedback/STUDENT/NOTEBOOK.html`` — nbgrader's feedback page with a bilingual summary of
    failed checks and hints, hidden-test *source* removed but their results kept;
  - ``gradebook.csv`` — rewritten from the store on every run: one row per student × notebook,
    one column per graded cell (nbgrader's own ``export`` has totals only), total, max, late
    flag and the problems found.

How a submission is graded (each step is nbgrader's where nbgrader can do it):

1. **Collect**: a folder per student (``PATH/STUDENT/*.ipynb`` or nbgrader's
   ``PATH/STUDENT/LAB/*.ipynb``, optional ``timestamp.txt``), or an LMS zip through nbgrader's
   ``zip_collect`` (:func:`collect_zip`).
2. **Sanitize** (:func:`sanitize_submission`, crmlab, before nbgrader sees the files): read
   damaged JSON leniently; match renamed notebooks by their cells' checksums; ignore extra
   notebooks; keep one copy of each duplicated ``grade_id`` (plain nbgrader crashes on copies,
   jupyter/nbgrader#1083) and of nbgrader's metadata as released; put back deleted answer and
   read-only cells (nbgrader's ``add_missing_cells`` re-inserts deleted *test* cells but crashes
   with a ``KeyError`` when the answer cell before them was deleted too); note edited test cells,
   wrong kernels and code that tampers with the checks.
3. **Autograde** with nbgrader in a per-student course and gradebook (the workaround for
   jupyter/nbgrader#174: parallel autograde with one gradebook per process, merged afterwards):
   nbgrader restores edited and hidden tests from its gradebook (checksums), overwrites the
   kernelspec and executes with :class:`GuardedExecute` — nbgrader's executor plus a hard
   per-notebook deadline, an output cap and survival of a dead kernel — with
   ``NBGRADER_EXECUTION=autograde`` set.
4. **Feedback**: nbgrader's feedback page (its ``feedback`` template), rendered by
   :func:`crmlab.feedback.render` after hidden-test code is removed; scores, late flag and notes go
   to ``results/STUDENT.json``; a notebook handed in exactly as released is not run (crmlab's
   integrity checks prove it scores 0).

Workers are plain ``python`` subprocesses (POSIX), not ``multiprocessing`` children, so a script
calling :func:`grade_class` needs no ``if __name__ == "__main__"`` guard.

Safety: each student's kernel runs in a bubblewrap sandbox (:mod:`crmlab.sandbox`) that sees only a
copy of that student's files and the read-only Python environment — never the submissions, the
output folder, nbgrader's gradebooks, the lab template or the checkout — with its own ``/proc``, no
network and limits; its processes all end with the job. Grading refuses to run without it unless
``sandbox=False``. nbgrader stays outside the sandbox; hidden tests reach the kernel only as it runs
them and are wiped from IPython's history after. Tampering with the checks inside the kernel cannot be prevented (the
tests run in the student's process, as in nbgrader) but is detected (:mod:`crmlab.tamper`): the
marks of the affected cells are withheld for review. The feedback page keeps only what answer cells
printed. :func:`grade_notebook` grades one notebook the same way (a self-check). See
``docs/teaching.md``.

Example (not run here: it starts a kernel per student)::

    from crmlab import grading
    book = grading.grade_class("01_concepts", "submissions/", "grades/")
    book[["student", "total", "max"]]
"""
from __future__ import annotations

import ast
import copy
import csv
import datetime as _dt
import difflib
import hashlib
import io
import json
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pandas as pd

from . import labtools

__all__ = [
    "prepare_course", "autograde", "is_grading", "find_submissions", "collect_zip", "ZIP_FORMATS",
    "submission_hash", "submission_data", "read_notebook", "sanitize_submission", "GuardedExecute", "grade_class",
    "load_results", "gradebook", "cell_results", "nbgrader_feedback_layout", "grade_notebook", "check_sandbox",
]

DEFAULT_CELL_TIMEOUT = 120          # seconds; nbgrader_config.py may set Execute.timeout instead
DEFAULT_NOTEBOOK_TIMEOUT = 900      # seconds of kernel time per notebook, all cells together
OUTPUT_LIMIT = 1_000_000            # bytes of output kept per cell
MEMORY_LIMIT = 4 * 2**30            # address space of each worker and kernel (bytes; 0 = none)
FILE_SIZE_LIMIT = 256 * 2**20       # largest file student code may write (bytes; 0 = none)
IOPUB_TIMEOUT = 30                  # seconds to wait for a cell's last output after its reply (busy machines)
SANDBOX_PROCESSES = 256             # processes of the sandbox's user (RLIMIT_NPROC)
STUDENT = "student"                 # the student id inside each per-student nbgrader course
RESULT_VERSION = 2                  # 2: kernels in the sandbox, tamper checks, answer-cell-only outputs


def _note(en: str, zh: str) -> str:
    return f"{en} ({zh})"


# =========================================================================== plain nbgrader
def prepare_course(root: Path, lab: str, course: Path) -> Path:
    """Make an nbgrader course folder with the lab's source and a gradebook holding its tests."""
    labtools.copy_course(root, course)
    # Grading needs the gradebook copy of every locked cell and hidden test: generate with the db.
    labtools._nbgrader(course, "generate_assignment", lab, "--force")
    return course


def autograde(lab: str, submissions: dict[str, Path], root: Path | None = None,
              course: Path | None = None) -> pd.DataFrame:
    """Autograde each student's folder of notebooks for one lab with plain nbgrader.

    Returns one row per student × notebook × graded cell with columns ``student``,
    ``notebook``, ``grade_id``, ``points``, ``max_points``, ``error`` and ``message``; the
    errors come from the autograded notebooks, the points from nbgrader's gradebook. This is
    nbgrader unchanged (serial, no sanitizing): the lab-integrity tests use it to prove that real
    nbgrader agrees; teachers use :func:`grade_class`.
    """
    from nbgrader.api import Gradebook

    root = Path(root) if root else labtools.find_root()
    owned = course is None
    course = Path(course or tempfile.mkdtemp(prefix="crmlab-grade-"))
    try:
        prepare_course(root, lab, course)
        for student, folder in submissions.items():
            dest = course / "submitted" / student / lab
            shutil.copytree(folder, dest, dirs_exist_ok=True)
        labtools._nbgrader(course, "autograde", lab, "--force")
        rows = []
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for student in submissions:
                for nb_path in sorted((course / "autograded" / student / lab).glob("*.ipynb")):
                    executed = nbformat.read(nb_path, as_version=4)
                    errors = labtools.cell_grades(executed).set_index("grade_id")
                    for grade in gb.find_submission_notebook(nb_path.stem, lab, student).grades:
                        if grade.cell.cell_type != "code":
                            continue
                        err = errors.loc[grade.name] if grade.name in errors.index else None
                        rows.append({"student": student, "notebook": nb_path.stem, "grade_id": grade.name,
                                     "points": grade.score, "max_points": grade.max_score,
                                     "error": "" if err is None else err["error"],
                                     "message": "" if err is None else err["message"]})
        return pd.DataFrame(rows, columns=["student", "notebook", "grade_id", "points", "max_points",
                                           "error", "message"])
    finally:
        if owned:
            shutil.rmtree(course, ignore_errors=True)


def is_grading() -> bool:
    """True while nbgrader runs the notebook (``NBGRADER_EXECUTION`` is set by nbgrader).

    Widgets and other interactive cells can check it and skip waiting for a click::

        if not grading.is_grading():
            display(form.widget)

    >>> import os
    >>> is_grading() == bool(os.environ.get("NBGRADER_EXECUTION"))
    True
    """
    return bool(os.environ.get("NBGRADER_EXECUTION"))


# =========================================================================== collecting submissions
def find_submissions(path: str | Path, lab: str) -> dict[str, Path]:
    """Students and their submission folders in a class folder.

    Each sub-folder of ``path`` is one student (hidden folders and ``_``-prefixed ones are
    skipped); nbgrader's layout ``path/STUDENT/LAB/`` is recognised too. A student folder
    without notebooks is still a student (graded as "missing notebook").

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "alice").mkdir(); (d / "bob" / "01_concepts").mkdir(parents=True)
    >>> {k: v.name for k, v in find_submissions(d, "01_concepts").items()}
    {'alice': 'alice', 'bob': '01_concepts'}
    """
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"no submissions folder {path} (提交文件夹不存在)")
    found = {}
    for folder in sorted(path.iterdir(), key=lambda p: p.name):
        if not folder.is_dir() or folder.name.startswith((".", "_")):
            continue
        inner = folder / lab
        found[folder.name] = inner if inner.is_dir() else folder
    return found


# Regular expressions for nbgrader's FileNameCollectorPlugin (matched against the full path of
# each extracted file, so they start with ".*/").
ZIP_FORMATS = {
    # Canvas "Download submissions": lastfirst_12345_678901_NAME.ipynb (LATE_ after the name if late)
    "canvas": r".*/(?P<student_id>[^/_]+)_(?:LATE_)?\d+_\d+_(?P<file_id>[^/]+\.ipynb)$",
    # Moodle "Download all submissions": Full Name_123456_assignsubmission_file_/NAME.ipynb
    "moodle": r".*/(?P<student_id>[^/]+?)_\d+_assignsubmission_file_/(?:.*/)?(?P<file_id>[^/]+\.ipynb)$",
    # nbgrader's documented example: STUDENT_attempt_TIMESTAMP_NAME.ipynb
    "attempt": r".*/(?:[^/]*_)?(?P<student_id>[^/_]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>[^/]+\.ipynb)$",
}


def collect_zip(archive: str | Path, lab: str, dest: str | Path, root: Path | None = None,
                regexp: str = "canvas") -> dict[str, Path]:
    """Unpack an LMS download with nbgrader's ``zip_collect`` into ``dest/STUDENT/``.

    ``regexp`` is a key of :data:`ZIP_FORMATS` (``canvas``, ``moodle``, ``attempt``) or a regular
    expression with the named groups ``student_id`` and ``file_id`` (optionally ``timestamp``),
    matched against each extracted file's full path. Returns :func:`find_submissions` of ``dest``.
    """
    root = Path(root) if root else labtools.find_root()
    archive, dest = Path(archive).resolve(), Path(dest)
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"{archive} is not a zip file (不是 zip 文件)")
    pattern = ZIP_FORMATS.get(regexp, regexp)
    with tempfile.TemporaryDirectory(prefix="crmlab-zip-") as tmp:
        course = Path(tmp)
        shutil.copy2(root / "nbgrader_config.py", course / "nbgrader_config.py")
        if (root / "labs" / lab).is_dir():
            shutil.copytree(root / "labs" / lab, course / "labs" / lab)
        incoming = course / "downloaded" / lab / "archive"
        incoming.mkdir(parents=True)
        shutil.copy2(archive, incoming / archive.name)
        labtools._nbgrader(course, "zip_collect", lab, "--force",
                           f"--FileNameCollectorPlugin.named_regexp={pattern}")
        submitted = course / "submitted"
        dest.mkdir(parents=True, exist_ok=True)
        if submitted.is_dir():
            for student in submitted.iterdir():
                shutil.copytree(student / lab, dest / student.name, dirs_exist_ok=True)
    return find_submissions(dest, lab)


def _submission_files(folder: Path) -> list[Path]:
    return sorted(p for p in [*folder.rglob("*.ipynb"), *folder.rglob("*.db")]
                  if p.is_file() and not p.is_symlink() and ".ipynb_checkpoints" not in p.parts)


#: Largest data file a notebook may take from a submission (e.g. the phone page's ``mobile_lab.db``).
DATA_FILE_LIMIT = 50 * 2**20


def submission_data(folder: str | Path, release) -> tuple[dict[str, Path], list[str]]:
    """The data files a released notebook declares it reads from the student's folder
    (``metadata.crmlab.submission_files``, e.g. the CRM database the phone page of lab 04·06
    writes), found in the submission, and notes on those missing or refused (a link, too large)."""
    folder = Path(folder)
    found, notes = {}, []
    for name in (release.metadata.get("crmlab", {}) or {}).get("submission_files", []):
        paths = sorted((p for p in folder.rglob(name) if ".ipynb_checkpoints" not in p.parts),
                       key=lambda p: (len(p.parts), str(p)))
        if not paths:
            notes.append(_note(f"{name} is missing: the work saved in it cannot be graded",
                               f"缺少文件 {name}，其中保存的操作无法评分"))
            continue
        path = paths[0]
        if path.is_symlink() or not path.is_file():
            notes.append(_note(f"{name} is not a plain file; ignored", f"{name} 不是普通文件，已忽略"))
        elif path.stat().st_size > DATA_FILE_LIMIT:
            notes.append(_note(f"{name} is larger than {DATA_FILE_LIMIT // 2**20} MB; ignored",
                               f"{name} 超过 {DATA_FILE_LIMIT // 2**20} MB，已忽略"))
        else:
            found[name] = path
            wal = path.with_name(path.name + "-wal")      # SQLite's log of what is not yet in the file
            if wal.is_file() and not wal.is_symlink() and wal.stat().st_size <= DATA_FILE_LIMIT:
                found[name + "-wal"] = wal
    return found, notes


def submission_hash(folder: str | Path) -> str:
    """SHA-256 of a submission folder's notebooks and data files (names and bytes) and its ``timestamp.txt``."""
    folder = Path(folder)
    h = hashlib.sha256()
    files = _submission_files(folder)
    stamp = folder / "timestamp.txt"
    if stamp.is_file():
        files.append(stamp)
    for path in files:
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


# =========================================================================== sanitizing
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _gid(cell) -> str | None:
    return _meta(cell).get("grade_id")


def read_notebook(data: bytes) -> tuple[nbformat.NotebookNode | None, str | None]:
    """Parse a submitted notebook leniently: ``(notebook, note)``.

    Valid notebooks (any nbformat version) come back as version 4 with ``note=None``. A file
    whose JSON parses but whose structure is damaged is rebuilt from its cells, with a note. A
    file that is not JSON (for example truncated) gives ``(None, note)``.

    >>> nb, note = read_notebook(b'{"cells": [{"cell_type": "code", "source": ["x = 1"]}]}')
    >>> nb.cells[0].source, note.split(";")[0]
    ('x = 1', 'the notebook file did not follow the notebook format')
    >>> read_notebook(b'{"cells": [')[0] is None
    True
    """
    try:
        text = data.decode("utf-8-sig")
        raw = json.loads(text)
    except (UnicodeDecodeError, ValueError) as err:
        return None, _note(f"not a valid notebook file: broken or truncated JSON ({str(err)[:80]})",
                           "不是有效的笔记本文件：JSON 损坏或被截断")
    if isinstance(raw, dict) and raw.get("nbformat") in (3, 4):
        try:
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
            return nb, None
        except Exception:  # damaged structure: rebuild from whatever cells there are
            pass
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, _note("not a valid notebook file: no list of cells", "不是有效的笔记本文件：没有单元格列表")
    nb = nbformat.v4.new_notebook()
    for c in raw["cells"]:
        if not isinstance(c, dict):
            continue
        source = c.get("source", "")
        source = "".join(map(str, source)) if isinstance(source, list) else str(source)
        kind = c.get("cell_type") if c.get("cell_type") in ("code", "markdown", "raw") else "code"
        new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
               "raw": nbformat.v4.new_raw_cell}[kind](source)
        meta = c.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("nbgrader"), dict):
            new.metadata["nbgrader"] = meta["nbgrader"]
        nb.cells.append(new)
    return nb, _note("the notebook file did not follow the notebook format; it was rebuilt from its cells",
                     "笔记本文件格式有误，已按单元格重建")


def _match_score(nb, release) -> int:
    """How many released nbgrader cells (id and checksum) a submitted notebook carries."""
    wanted = {(_gid(c), _meta(c).get("checksum")) for c in release.cells if _gid(c)}
    have = {(_gid(c), _meta(c).get("checksum")) for c in nb.cells if _gid(c)}
    by_id = {g for g, _ in wanted} & {g for g, _ in have}
    return 2 * len(wanted & have) + len(by_id)


@dataclass
class Submission:
    """What the sanitizer found for one student: notebooks to grade (by name) and notes."""
    notebooks: dict[str, nbformat.NotebookNode] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)   # notebook name -> notes
    general: list[str] = field(default_factory=list)                # notes not tied to a notebook


def sanitize_submission(folder: str | Path, releases: dict[str, nbformat.NotebookNode]) -> Submission:
    """Read a student's folder and make each expected notebook safe for nbgrader.

    ``releases`` maps notebook name (without ``.ipynb``) to the released student version. Files
    are matched by name first, then by content (a renamed copy), and each matched notebook goes
    through :func:`sanitize_notebook`. Nothing in ``folder`` is changed.
    """
    folder = Path(folder)
    sub = Submission(problems={name: [] for name in releases})
    parsed = []
    for path in _submission_files(folder) if folder.is_dir() else []:
        rel = path.relative_to(folder).as_posix()
        nb, note = read_notebook(path.read_bytes())
        parsed.append((rel, path.stem, nb, note))
    taken: dict[str, str] = {}
    # 1. exact names
    for rel, stem, nb, note in parsed:
        if stem in releases and stem not in taken:
            taken[stem] = rel
            if note:
                sub.problems[stem].append(f"{rel}: {note}")
            if nb is not None:
                sub.notebooks[stem] = nb
    # 2. renamed copies, matched by content (then by name similarity)
    for rel, stem, nb, note in parsed:
        if rel in taken.values():
            continue
        if nb is None:
            sub.general.append(f"{rel}: {note}")
            continue
        scores = {name: _match_score(nb, rel_nb) for name, rel_nb in releases.items()}
        best = max(scores, key=lambda n: (scores[n], difflib.SequenceMatcher(None, n, stem).ratio()))
        if scores[best] > 0 and best not in taken:
            taken[best] = rel
            sub.notebooks[best] = nb
            sub.problems[best].append(_note(f"notebook {rel} was renamed; graded as {best}.ipynb",
                                            f"笔记本被改名，按 {best}.ipynb 评分"))
            if note:
                sub.problems[best].append(f"{rel}: {note}")
        elif scores[best] > 0:
            sub.general.append(_note(f"{rel} is an extra copy of {best}.ipynb; ignored ({taken[best]} was graded)",
                                     "多余的副本，未评分"))
        else:
            sub.general.append(_note(f"extra notebook {rel} is not part of the lab; ignored",
                                     "多余的笔记本，不属于本实验，未评分"))
    for name in releases:
        if name not in sub.notebooks:
            if name not in taken:
                sub.problems[name].append(_note(f"notebook {name}.ipynb is missing: 0 points",
                                                "缺少笔记本，记 0 分"))
            continue
        nb, notes = sanitize_notebook(sub.notebooks[name], releases[name])
        sub.notebooks[name] = nb
        sub.problems[name] += notes
    return sub


def _fresh_id(used: set, base: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_-]", "-", base)[:50] or "cell"
    new, i = base, 1
    while new in used:
        i += 1
        new = f"{base}-{i}"
    used.add(new)
    return new


def _placement_score(cells, index: int, release_order: list[str]) -> int:
    """1 when the nbgrader cell before ``cells[index]`` is the one before it in the release."""
    gid = _gid(cells[index])
    prev = next((_gid(c) for c in reversed(cells[:index]) if _gid(c)), None)
    pos = release_order.index(gid)
    return int(prev == (release_order[pos - 1] if pos else None))


def sanitize_notebook(nb, release) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of a submitted notebook that nbgrader can grade, and notes on what was wrong.

    - notebook metadata (kernel, language) is reset to the released one;
    - outputs are cleared and cell ids made unique;
    - cells carrying a ``grade_id`` that the lab does not have lose their nbgrader metadata;
    - of several cells with the same ``grade_id`` one keeps it — the one in the released
      position, else the last (nbgrader's choice) — and the copies become ordinary cells;
    - each nbgrader cell gets its released metadata and type back (points, locked …);
    - a deleted answer cell comes back empty, a deleted read-only cell as released (deleted
      *test* cells are left to nbgrader's ``OverwriteCells.add_missing_cells``);
    - edited test cells are noted (nbgrader restores them from its gradebook);
    - assignments to the checking modules (``check.number = …``) are noted for review.
    """
    nb = copy.deepcopy(nb)
    notes: list[str] = []
    released = {_gid(c): c for c in release.cells if _gid(c)}
    order = [g for g in (_gid(c) for c in release.cells) if g]

    # kernel and notebook metadata
    kernel = (nb.metadata.get("kernelspec") or {}).get("name")
    want = (release.metadata.get("kernelspec") or {}).get("name")
    if kernel != want:
        notes.append(_note(f"kernel metadata was {kernel!r}, not {want!r}; graded with {want}",
                           f"内核信息错误，已按 {want} 评分"))
    nb.metadata = copy.deepcopy(release.metadata)
    nb.nbformat, nb.nbformat_minor = 4, max(int(nb.get("nbformat_minor", 5) or 5), 5)

    # outputs, cell ids
    used: set = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        cid = cell.get("id")
        if not isinstance(cid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cid) or cid in used:
            cell["id"] = _fresh_id(used, f"cell-{len(used)}")
        else:
            used.add(cid)

    # unknown ids
    for cell in nb.cells:
        if "nbgrader" in cell.metadata and _gid(cell) not in released:
            gid = _gid(cell)
            del cell.metadata["nbgrader"]
            if gid:
                notes.append(_note(f"a cell with the unknown grade id {gid!r} was graded as an ordinary cell",
                                   "未知的评分编号，按普通单元格处理"))

    # duplicates
    for gid in order:
        where = [i for i, c in enumerate(nb.cells) if _gid(c) == gid]
        if len(where) > 1:
            keep = max(where, key=lambda i: (_placement_score(nb.cells, i, order), i))
            for i in where:
                if i != keep:
                    del nb.cells[i].metadata["nbgrader"]
            notes.append(_note(f"cell {gid} appears {len(where)} times (copied or split); one copy was graded",
                               f"单元格 {gid} 出现 {len(where)} 次（被复制或拆分），只评一份"))

    # released metadata and cell type; edited or changed cells
    for cell in nb.cells:
        gid = _gid(cell)
        if gid is None:
            continue
        ref = released[gid]
        changed_type = cell.cell_type != ref.cell_type
        if changed_type:
            kind = ref.cell_type
            cell.cell_type = kind
            if kind == "code":
                cell.outputs, cell.execution_count = [], None
            else:
                cell.pop("outputs", None)
                cell.pop("execution_count", None)
        was = dict(_meta(cell))
        cell.metadata["nbgrader"] = copy.deepcopy(ref.metadata["nbgrader"])
        for key in ("editable", "deletable"):
            if key in ref.metadata:
                cell.metadata[key] = ref.metadata[key]
        meta = ref.metadata["nbgrader"]
        if meta.get("locked") or meta.get("grade"):
            from .feedback import strip_hidden_source

            edited = strip_hidden_source(cell.source) != ref.source
            flags = any(was.get(k) != meta.get(k) for k in ("grade", "solution", "locked", "points"))
            if meta.get("grade") and not meta.get("solution"):
                what, zh = "test cell", "测试单元格"
            else:
                what, zh = "read-only cell", "只读单元格"
            if edited or flags or changed_type:
                notes.append(_note(f"{what} {gid} was changed; the original was restored",
                                   f"{zh} {gid} 被修改，已恢复原样"))

    # deleted cells: answer and read-only cells here, test cells by nbgrader (add_missing_cells)
    present = {_gid(c) for c in nb.cells if _gid(c)}
    for pos, gid in enumerate(order):
        if gid in present:
            continue
        ref = released[gid]
        meta = ref.metadata["nbgrader"]
        if meta.get("grade") and not meta.get("solution"):
            notes.append(_note(f"test cell {gid} was deleted; nbgrader put it back",
                               f"测试单元格 {gid} 被删除，已由 nbgrader 恢复"))
            continue
        new = copy.deepcopy(ref)
        new["id"] = _fresh_id(used, f"restored-{gid}")
        if meta.get("solution"):
            new.source = "# answer cell missing from the submission 提交中缺少此作答单元格"
            notes.append(_note(f"answer cell {gid} was deleted; put back empty",
                               f"作答单元格 {gid} 被删除，已放回空白单元格"))
        else:
            notes.append(_note(f"read-only cell {gid} was deleted; the original was put back",
                               f"只读单元格 {gid} 被删除，已恢复原样"))
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
        before = [g for g in order[:pos] if g in present]
        if before:
            at = next(i for i, c in enumerate(nb.cells) if _gid(c) == before[-1]) + 1
        else:
            after = [g for g in order[pos + 1:] if g in present]
            at = (next(i for i, c in enumerate(nb.cells) if _gid(c) == after[0]) if after
                  else len(nb.cells))
        nb.cells.insert(at, new)
        present.add(gid)

    # answers never touched
    untouched = [g for g in order if _meta(released[g]).get("solution")
                 and any(_gid(c) == g and c.source == released[g].source for c in nb.cells)]
    if untouched and len(untouched) == sum(1 for g in order if _meta(released[g]).get("solution")):
        notes.append(_note("no answer was written (every answer cell is as released)", "未作答"))
    notes += _strip_hidden_marks(nb)
    notes += _tamper_notes(nb, release)
    return nb, notes


def _strip_hidden_marks(nb) -> list[str]:
    """Only the lab's test cells may carry the hidden-test mark that ``check.reference()`` trusts."""
    from .shortcuts import HIDDEN_MARK

    notes = []
    for cell in nb.cells:
        meta = _meta(cell)
        is_test = meta.get("grade") and not meta.get("solution")
        if cell.cell_type == "code" and not is_test and HIDDEN_MARK in cell.source:
            cell.source = cell.source.replace(HIDDEN_MARK, "### (hidden-test mark removed)")
            notes.append(_note("a cell outside the tests carried the hidden-test mark; removed — review by hand",
                               "非测试单元格带有隐藏测试标记，已删除，请人工复核"))
    return notes


def _crmlab_names(release) -> set[str]:
    """Names the lab binds to crmlab modules (``from crmlab import check`` → ``check``)."""
    names = {"crmlab"}
    for cell in release.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "crmlab":
                names.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "crmlab":
                        names.add(a.asname or a.name.split(".")[0])
    return names


def _python_only(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _root_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _tamper_notes(nb, release) -> list[str]:
    """Flag student code that rebinds or patches the checking modules (for the teacher to review)."""
    guarded = _crmlab_names(release)
    released_sources = {c.source for c in release.cells}
    notes = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or _meta(cell).get("locked") or cell.source in released_sources:
            continue
        try:
            tree = ast.parse(_python_only(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            hit = None
            for t in targets:
                for sub in ast.walk(t):
                    if isinstance(sub, (ast.Attribute, ast.Subscript)) and (
                            _root_name(sub) in guarded or ast.unparse(sub).startswith("sys.modules")):
                        hit = ast.unparse(sub)
                    elif isinstance(sub, ast.Name) and sub.id in guarded and isinstance(sub.ctx, ast.Store):
                        hit = sub.id
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("setattr", "delattr") and node.args
                    and _root_name(node.args[0]) in guarded):
                hit = ast.unparse(node)
            if hit:
                where = _gid(cell) or f"cell {i}"
                notes.append(_note(f"{where} changes the checking code ({hit[:60]}): review by hand",
                                   "疑似篡改评分代码，请人工复核"))
                break
    return notes


# =========================================================================== execution guard
def _guarded_execute_class():
    """Build :class:`GuardedExecute` lazily (nbgrader is a heavy import)."""
    from nbclient.exceptions import DeadKernelError
    from nbformat.notebooknode import NotebookNode
    from jupyter_core.utils import run_sync
    from nbgrader.preprocessors import Execute
    from traitlets import Dict, Integer, Unicode

    from . import tamper

    class GuardedExecute(Execute):
        """nbgrader's Execute with a hard per-notebook deadline, an output cap and dead-kernel survival.

        - every cell still has nbgrader's per-cell ``timeout`` (interrupt, then a
          ``CellTimeoutError`` output); the whole notebook also has ``notebook_timeout`` seconds:
          a running cell is cut at the deadline and later cells are not run (``NotebookTimeout``);
        - output beyond ``output_limit`` bytes per cell is dropped while it arrives (a print loop
          cannot fill the memory) and a note says so; the cell keeps running;
        - if the kernel dies (``os._exit``, a crash, memory), the remaining cells are marked
          ``KernelDied`` instead of nbgrader failing the whole submission;
        - after a graded cell, hidden tests are wiped from IPython's input history (``In``,
          ``_i``…) and ``linecache`` (the same hidden step as the tamper check);
        - with ``tamper_report`` set, hidden steps in the kernel take a baseline of the checking
          machinery before the first cell and compare after every graded cell (after the last of
          graded cells that follow one another) (:mod:`crmlab.tamper`); the changes found per
          graded cell go to that JSON file.
        """

        notebook_timeout = Integer(DEFAULT_NOTEBOOK_TIMEOUT, help="seconds for all cells of a notebook").tag(config=True)
        output_limit = Integer(OUTPUT_LIMIT, help="bytes of output kept per cell").tag(config=True)
        tamper_report = Unicode("", help="JSON file for the tamper checks ('' = no checks)").tag(config=True)
        guarded = Dict({}, help="names the lab binds to crmlab (crmlab.tamper.guarded_names)").tag(config=True)

        def preprocess(self, nb, resources=None, km=None):
            self._deadline = time.monotonic() + self.notebook_timeout
            self._dead = False
            self._baseline, self._checked, self._tamper, self._pending = None, False, {}, []
            try:
                return super().preprocess(nb, resources, km)
            finally:
                if self.tamper_report:
                    Path(self.tamper_report).write_text(json.dumps(
                        {"baseline": self._baseline is not None, "cells": self._tamper}), encoding="utf-8")

        async def _async_kernel_check(self, mode: str):
            """Run crmlab.tamper's hidden step in the kernel; its parsed answer, or None."""
            msg_id = self.kc.execute("", silent=True, store_history=False,
                                     user_expressions={"tamper": tamper.expression(mode, self.guarded)})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    msg = await self.kc.shell_channel.get_msg(timeout=max(0.1, deadline - time.monotonic()))
                except Exception:
                    return None
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    return tamper.parse(msg)
            return None

        _kernel_check = run_sync(_async_kernel_check)

        def _verify(self, cell, index):
            """After a graded cell, or a run of graded cells one after another, compare with the baseline."""
            gid = _gid(cell)
            if not self.tamper_report or self._dead or self._baseline is None or not gid or not _meta(cell).get("grade"):
                return
            self._pending.append(gid)
            following = next((c for c in self.nb.cells[index + 1:] if c.cell_type == "code" and c.source.strip()), None)
            if following is not None and _meta(following).get("grade") and not _meta(following).get("solution"):
                return                      # no student code before the next test: check after it
            pending, self._pending = self._pending, []
            now = self._kernel_check("verify")
            if now is None and not run_sync(self.km.is_alive)():
                return                      # the kernel died: the cells after it are not run anyway
            found = tamper.differences(self._baseline, now)
            for g in pending if found else []:
                self._tamper[g] = found

        def _get_timeout(self, cell):
            timeout = super()._get_timeout(cell)
            remaining = max(1, int(self._deadline - time.monotonic()) + 1)
            return remaining if timeout is None else min(timeout, remaining)

        @staticmethod
        def _error(cell, ename, evalue):
            cell.outputs.append(NotebookNode(output_type="error", ename=ename, evalue=evalue,
                                             traceback=[f"{ename}: {evalue}"]))

        def preprocess_cell(self, cell, resources, index):
            if cell.cell_type != "code" or not cell.source.strip():
                return cell, resources
            if self._dead:
                cell.outputs = []
                self._error(cell, "KernelDied", "the kernel died before this cell; it was not run "
                            "(内核已退出，此单元格未运行)")
                return cell, resources
            if time.monotonic() >= self._deadline:
                cell.outputs = []
                self._error(cell, "NotebookTimeout", f"the notebook ran longer than {self.notebook_timeout} s "
                            f"in total; this cell was not run (整个笔记本超时，此单元格未运行)")
                return cell, resources
            self._kept, self._cut = 0, False
            if self.tamper_report and not self._checked:
                self._checked = True
                self._baseline = self._kernel_check("baseline")
            try:
                cell, resources = super().preprocess_cell(cell, resources, index)
                self._verify(cell, index)
                if time.monotonic() >= self._deadline:   # cut by the notebook deadline, not the cell limit
                    for out in cell.outputs:
                        if out.output_type == "error" and out.ename == "CellTimeoutError":
                            out.ename = "NotebookTimeout"
                            out.evalue = (f"the notebook ran longer than {self.notebook_timeout} s in total; "
                                          f"this cell was stopped (整个笔记本超时，此单元格被中止)")
                            out.traceback = [f"NotebookTimeout: {out.evalue}"]
                return cell, resources
            except DeadKernelError:
                self._dead = True
                cell = self.nb.cells[index]
                self._error(cell, "KernelDied", "the kernel died while running this cell "
                            "(os._exit, a crash or too much memory) (运行此单元格时内核退出)")
                return cell, resources

        def output(self, outs, msg, display_id, cell_index):
            if msg["msg_type"] != "error":
                size = len(json.dumps(msg.get("content", {}), ensure_ascii=False))
                self._kept += size
                if self._kept > self.output_limit:
                    if not self._cut:
                        self._cut = True
                        outs.append(NotebookNode(
                            output_type="stream", name="stdout",
                            text=f"\n[crmlab: output cut after {self.output_limit // 1000} kB "
                                 f"输出过长，已截断]\n"))
                    return None
            return super().output(outs, msg, display_id, cell_index)

    return GuardedExecute


def _guarded():
    if "GuardedExecute" not in globals():
        globals()["GuardedExecute"] = _guarded_execute_class()
    return globals()["GuardedExecute"]


def __getattr__(name):
    if name == "GuardedExecute":
        return _guarded()
    raise AttributeError(f"module 'crmlab.grading' has no attribute {name!r}")


# =========================================================================== one student (in a worker)
@dataclass
class Settings:
    cell_timeout: int = DEFAULT_CELL_TIMEOUT
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    output_limit: int = OUTPUT_LIMIT
    memory_limit: int = MEMORY_LIMIT
    sandbox: bool = True

    def key(self) -> str:
        return (f"cell={self.cell_timeout};nb={self.notebook_timeout};out={self.output_limit}"
                + ("" if self.sandbox else ";no-sandbox"))


def _rmtree(path: Path) -> None:
    def onerror(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass
    if Path(path).exists():
        shutil.rmtree(path, onerror=onerror)


def _job_config(template: Path, course: Path, db: Path, lab: str, notebook: str, settings: Settings,
                sandbox_work: Path | None = None, report: Path | None = None, guarded: dict | None = None):
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput,
                                        SaveAutoGrades)

    c = labtools.load_config(template)
    c.CourseDirectory.root = str(course)
    c.CourseDirectory.db_url = f"sqlite:///{db}"
    c.CourseDirectory.assignment_id = lab
    c.CourseDirectory.student_id = STUDENT
    c.CourseDirectory.notebook_id = notebook
    c.OverwriteCells.add_missing_cells = True
    c.Autograde.autograde_preprocessors = [
        _guarded(), IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades, AssignLatePenalties,
        CheckCellMetadata]
    c.GuardedExecute.timeout = settings.cell_timeout
    c.GuardedExecute.notebook_timeout = settings.notebook_timeout
    c.GuardedExecute.output_limit = settings.output_limit
    c.GuardedExecute.interrupt_on_timeout = True
    c.GuardedExecute.iopub_timeout = IOPUB_TIMEOUT
    c.GuardedExecute.shutdown_kernel = "immediate"
    c.GuardedExecute.tamper_report = str(report or "")
    c.GuardedExecute.guarded = dict(guarded or {})
    if settings.sandbox:
        from . import sandbox

        c.GuardedExecute.kernel_manager_class = sandbox.kernel_manager_class()
        c.SandboxKernelManager.work = str(sandbox_work)
        c.SandboxKernelManager.limits = sandbox.Limits(
            memory=settings.memory_limit, file_size=FILE_SIZE_LIMIT,
            cpu_seconds=settings.notebook_timeout + 120, processes=SANDBOX_PROCESSES)
    return c


def _cell_status(cell) -> tuple[str, str, str]:
    """(status, error name, message) of an executed grade cell."""
    ename, evalue = labtools._error_of(cell)
    if not ename:
        return "passed", "", ""
    if ename in labtools.ASSERTION_ERRORS:
        return "failed", ename, evalue
    if ename == "CellTimeoutError":
        return "timeout", ename, _note("the cell took too long and was stopped", "单元格运行超时，已被中止")
    if ename in ("NotebookTimeout", "KernelDied"):
        return "not run", ename, evalue
    if ename == "stderr":
        return "stderr", ename, _note(f"the cell wrote to stderr, which nbgrader scores 0: {evalue[:200]}",
                                      "单元格向 stderr 输出内容，nbgrader 记 0 分")
    return "error", ename, f"{ename}: {evalue[:300]}"


def _run_notes(executed, release) -> list[str]:
    """Notes on how the notebook ran: timeouts, cut output, a dead kernel, errors in answers or set-up."""
    notes, errors = [], []
    first_answer = next((i for i, c in enumerate(executed.cells) if _meta(c).get("solution")), len(executed.cells))
    skipped = {"NotebookTimeout": 0, "KernelDied": 0}
    for i, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        stopped = any(o.output_type == "error" and o.ename in ("CellTimeoutError", "NotebookTimeout", "KernelDied")
                      for o in cell.get("outputs", []))
        gid = _gid(cell)
        where = f"answer cell {gid}" if _meta(cell).get("solution") else (
            f"test cell {gid}" if gid else f"cell {i}")
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and "[crmlab: output cut" in out.get("text", ""):
                notes.append(_note(f"{where} printed too much; its output was cut", "输出过长，已截断"))
            if out.output_type != "error":
                continue
            if out.ename == "CellTimeoutError":
                notes.append(_note(f"{where} ran too long (an endless loop, or waiting for input?) and was stopped",
                                   "运行超时（死循环或等待输入？），已被中止"))
            elif out.ename in skipped:
                if skipped[out.ename] == 0:
                    notes.append(_note(f"{out.evalue.split(';')[0].split(' (')[0]}; cells from {where} on were not run",
                                       "此后的单元格未运行"))
                skipped[out.ename] += 1
            elif out.ename == "StdinNotImplementedError":
                notes.append(_note(f"{where} asks for keyboard input (input()), which grading cannot answer",
                                   "评分时无法回答 input() 输入"))
            elif stopped and out.ename == "KeyboardInterrupt":
                continue
            elif not gid and i < first_answer or _meta(cell).get("solution"):
                errors.append(_note(f"{where} raised {out.ename}: {str(out.evalue)[:120]}", f"运行出错 {out.ename}"))
    if len(errors) > 3:
        errors = errors[:3] + [_note(f"{len(errors) - 3} more answer cells raised errors", "其余作答单元格也有错误")]
    return notes + errors


def _unattempted(nb, release) -> bool:
    """True when a submitted notebook has exactly the released cells (types and sources)."""
    cells = [(c.cell_type, c.source) for c in nb.cells]
    return cells == [(c.cell_type, c.source) for c in release.cells]


def _grade_notebook(template: Path, work: Path, lab: str, name: str, nb, timestamp: str | None,
                    settings: Settings, guarded: dict | None = None,
                    data: dict[str, Path] | None = None) -> tuple[dict | None, str | None]:
    """Autograde one sanitized notebook in a fresh course; returns (executed notebook info, error).
    ``data``: the student's data files the notebook reads (:func:`submission_data`), copied beside it."""
    from nbgrader.converters import Autograde

    course = work / "course"
    _rmtree(work)
    (course / "submitted" / STUDENT / lab).mkdir(parents=True)
    # the gradebook lives apart from the course the student's kernel runs in
    gbdir = Path(tempfile.mkdtemp(prefix="crmlab-gb-", dir=work.parent.parent))
    shutil.copy2(template / "nbgrader_config.py", course / "nbgrader_config.py")
    source = template / "solutions" / lab
    for path in source.rglob("*"):   # supporting files, never the solution notebooks
        if path.is_file() and path.suffix != ".ipynb" and not path.name.endswith(".mutants.toml"):
            dest = course / "solutions" / lab / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    (course / "solutions" / lab).mkdir(parents=True, exist_ok=True)
    db = gbdir / "gradebook.db"
    shutil.copy2(template / "gradebook.db", db)
    submitted = course / "submitted" / STUDENT / lab
    nbformat.write(nb, submitted / f"{name}.ipynb")
    if timestamp:
        (submitted / "timestamp.txt").write_text(timestamp, encoding="utf-8")
    for file_name, path in (data or {}).items():
        shutil.copyfile(path, submitted / file_name)
    sandbox_work = _sandbox_copy(template, work, lab, name, nb, data) if settings.sandbox else None
    report = gbdir / "tamper.json"
    config = _job_config(template, course, db, lab, name, settings, sandbox_work, report, guarded)
    app = Autograde(coursedir=_coursedir(config), config=config)
    app.force = True
    app.create_student = True
    try:
        app.start()
    except Exception as err:  # nbgrader failed this notebook: report it, keep the class going
        _rmtree(gbdir)
        return None, f"{type(err).__name__}: {str(err)[:300]}"
    path = course / "autograded" / STUDENT / lab / f"{name}.ipynb"
    if not path.exists():
        _rmtree(gbdir)
        return None, "nbgrader wrote no autograded notebook"
    return {"path": path, "db": db, "course": course, "tamper": _read_json(report)}, None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _sandbox_copy(template: Path, work: Path, lab: str, name: str, nb, data: dict[str, Path] | None = None) -> Path:
    """The kernel's working folder in the sandbox: the lab's supporting files, the student's notebook
    and the data files it reads from the submission.

    Only this copy is mounted (read-write) in the sandbox: never nbgrader's course, whose
    autograded notebook holds the hidden tests while they run.
    """
    from . import sandbox

    dest = work / "sandbox"
    source = template / "solutions" / lab
    for path in source.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb" and not path.name.endswith(".mutants.toml"):
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{name}.ipynb")
    for file_name, path in (data or {}).items():
        shutil.copyfile(path, dest / file_name)
    sandbox.prepare_dir(dest)
    return dest


def _coursedir(config):
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=config)


def _hidden_lines(db: Path, lab: str, name: str) -> list[str]:
    from nbgrader.api import Gradebook

    from . import feedback

    with Gradebook(f"sqlite:///{db}") as gb:
        sources = [c.source for c in gb.find_notebook(name, lab).source_cells]
    return feedback.hidden_lines(sources)


REVIEW = _note("review by hand", "请人工复核")


def _withhold(cells: list[dict], report: dict) -> list[str]:
    """Withhold the marks of graded cells after which the checking code was found changed."""
    found = report.get("cells", {})
    for cell in cells:
        if cell["grade_id"] in found:
            from . import tamper

            cell.update(points=0.0, status="withheld",
                        message=_note(f"marks withheld: the checking code was changed ({tamper.describe(found[cell['grade_id']], 2)})",
                                      "评分代码被改动，分数暂扣") + f"; {REVIEW}")
    return [c["grade_id"] for c in cells if c["grade_id"] in found]


def _tamper_problems(report: dict, withheld: list[str]) -> list[str]:
    from . import tamper

    notes = []
    if withheld:
        first = report["cells"][withheld[0]]
        notes.append(_note(f"the checking machinery was tampered with ({tamper.describe(first, 3)}): the marks of "
                           f"{len(withheld)} graded cell(s) from {withheld[0]} on are withheld and every output is left "
                           f"out of the feedback; review by hand", "评分机制被篡改，相关分数暂扣，请人工复核"))
    if report and not report.get("baseline", True):
        notes.append(_note("the tamper check could not take its baseline; marks were not checked for tampering",
                           "篡改检测未能运行"))
    return notes


def _grade_student(job: dict) -> dict:
    """Grade one student's submission (runs inside a worker process)."""
    from nbgrader.api import Gradebook

    from . import feedback

    template, work, lab = Path(job["template"]), Path(job["work"]), job["lab"]
    settings = Settings(**job["settings"])
    releases = {name: nbformat.reads(text, as_version=4) for name, text in job["releases"].items()}
    sub = sanitize_submission(job["folder"], releases)
    stamp_file = Path(job["folder"]) / "timestamp.txt"
    timestamp = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.is_file() else None
    result = {"student": job["student"], "lab": lab, "submission_hash": job["submission_hash"],
              "lab_hash": job["lab_hash"], "status": "graded", "timestamp": timestamp,
              "seconds_late": 0.0, "general": sub.general, "notebooks": [], "feedback": {}}
    for name, release in releases.items():
        layout = [(c.metadata.nbgrader["grade_id"], float(c.metadata.nbgrader["points"]))
                  for c in release.cells if _meta(c).get("grade") and c.cell_type == "code"]
        problems = list(sub.problems.get(name, []))
        data, notes = submission_data(job["folder"], release)
        problems += notes
        cells = [{"grade_id": g, "points": 0.0, "max_points": m, "status": "missing", "error": "", "message": ""}
                 for g, m in layout]
        entry = {"notebook": name, "cells": cells, "problems": problems}
        result["notebooks"].append(entry)
        if name not in sub.notebooks:
            result["feedback"][name] = feedback.missing_html(job["student"], lab, name, problems + sub.general,
                                                             cells)
            continue
        if _unattempted(sub.notebooks[name], release) and not data:       # clicks saved in a data file count
            # Exactly the released notebook: crmlab's integrity checks prove it scores 0 on every
            # graded cell, so it is not run (a kernel saved per skipped notebook).
            for cell in cells:
                cell.update(status="not attempted", message=_note("no answer was written", "未作答"))
            if job.get("duedate") and timestamp:
                from nbgrader.utils import parse_utc

                late = (parse_utc(timestamp) - parse_utc(job["duedate"])).total_seconds()
                result["seconds_late"] = max(result["seconds_late"], late, 0.0)
            html_text, _ = feedback.render(release, name, [], {
                "student": job["student"], "cells": cells, "problems": problems + sub.general,
                "late": result["seconds_late"] > 0})
            result["feedback"][name] = html_text
            continue
        started = time.monotonic()
        from . import tamper

        info, error = _grade_notebook(template, work, lab, name, sub.notebooks[name], timestamp, settings,
                                      tamper.guarded_names(release), data)
        if error:
            problems.append(_note(f"nbgrader could not grade this notebook: {error}", "nbgrader 无法评分此笔记本"))
            for cell in cells:
                cell["status"] = "not graded"
            result["status"] = "error"
            result["feedback"][name] = feedback.missing_html(job["student"], lab, name, problems + sub.general,
                                                             cells)
            continue
        executed = nbformat.read(info["path"], as_version=4)
        by_id = {_gid(c): c for c in executed.cells if _gid(c)}
        with Gradebook(f"sqlite:///{info['db']}") as gb:
            submission = gb.find_submission(lab, STUDENT)
            result["seconds_late"] = max(result["seconds_late"], float(submission.total_seconds_late or 0))
            scores = {g.name: (g.score, g.max_score) for g in gb.find_submission_notebook(name, lab, STUDENT).grades}
        for cell in cells:
            score, max_score = scores.get(cell["grade_id"], (0.0, cell["max_points"]))
            cell["points"], cell["max_points"] = float(score or 0), float(max_score)
            status, ename, message = _cell_status(by_id[cell["grade_id"]]) if cell["grade_id"] in by_id else (
                "missing", "", "")
            cell.update(status=status, error=ename, message=message)
        problems += _run_notes(executed, release)
        tampered = _withhold(cells, info["tamper"])
        problems += _tamper_problems(info["tamper"], tampered)
        entry["seconds"] = round(time.monotonic() - started, 1)
        hidden = _hidden_lines(info["db"], lab, name)
        html_text, removed = feedback.render(executed, name, hidden, {
            "student": job["student"], "cells": cells, "problems": problems + sub.general,
            "late": result["seconds_late"] > 0}, answers=not tampered)
        if removed:
            problems.append(_note(f"{removed} output(s) quoting hidden test code were removed from the feedback",
                                  "引用隐藏测试代码的输出已从反馈中删除"))
        result["feedback"][name] = html_text
        _rmtree(info["db"].parent)
    _rmtree(work)
    return result


def _limit_resources(memory_limit: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return
    for kind, value in ((resource.RLIMIT_AS, memory_limit), (resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)):
        if value:
            try:
                soft, hard = resource.getrlimit(kind)
                if hard == resource.RLIM_INFINITY or value <= hard:
                    resource.setrlimit(kind, (value, hard))
            except (ValueError, OSError):
                pass


def _worker_entry(fd: str, work: str, log_path: str, memory_limit: str) -> None:
    """Entry point of a worker subprocess (see :class:`_Pool`)."""
    from multiprocessing.connection import Connection

    _worker_main(Connection(int(fd)), work, log_path, int(memory_limit))


def _worker_main(conn, work: str, log_path: str, memory_limit: int) -> None:
    """A worker process: grade the jobs it receives until it gets ``None``."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    sys.stdout = open(1, "w", closefd=False)
    sys.stderr = open(2, "w", closefd=False)
    os.chdir(work)
    os.environ["PWD"] = work
    if os.environ.get("CRMLAB_PYTHONPATH"):      # kernels get the caller's PYTHONPATH back
        os.environ["PYTHONPATH"] = os.environ["CRMLAB_PYTHONPATH"]
    else:
        os.environ.pop("PYTHONPATH", None)
    for name in [k for k in os.environ if k == "OLDPWD" or k.startswith("CRMLAB_")]:
        os.environ.pop(name, None)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    _limit_resources(memory_limit)
    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            result = _grade_student(job)
        except Exception:
            result = _failed(job, "crashed", traceback.format_exc(limit=8))
        print(f"graded {job['student']}: {result['status']}", flush=True)
        conn.send(result)


def _failed(job: dict, status: str, detail: str) -> dict:
    """A result for a student whose grading itself failed (0 points, kept out of the cache)."""
    text = {"crashed": _note("grading crashed", "评分程序出错"),
            "timeout": _note("grading took longer than the hard limit and was stopped", "评分超过硬性时限，已中止")}[status]
    notebooks = []
    for name, rel in job["releases"].items():
        release = nbformat.reads(rel, as_version=4)
        cells = [{"grade_id": _gid(c), "points": 0.0, "max_points": float(_meta(c)["points"]),
                  "status": "not graded", "error": "", "message": ""}
                 for c in release.cells if _meta(c).get("grade") and c.cell_type == "code"]
        notebooks.append({"notebook": name, "cells": cells, "problems": [f"{text}: {detail.strip().splitlines()[-1][:200]}"]})
    return {"student": job["student"], "lab": job["lab"], "submission_hash": job["submission_hash"],
            "lab_hash": job["lab_hash"], "status": "error", "timestamp": None, "seconds_late": 0.0,
            "general": [], "notebooks": notebooks, "feedback": {}, "detail": detail}


# =========================================================================== the pool
class _Pool:
    """N long-lived worker processes; a job that overruns its hard limit gets its worker killed.

    Each worker is a plain ``python`` subprocess running :func:`_worker_entry` (it never re-imports
    the caller's script, unlike ``multiprocessing``'s spawn), talking to this process through a
    socket pair; it grades many students one after another (imports once) and is replaced when it
    dies or is killed.
    """

    def __init__(self, workers: int, base: Path, memory_limit: int):
        self.workers, self.base, self.memory_limit = workers, base, memory_limit

    def _spawn(self, slot: int):
        import socket
        import subprocess
        from multiprocessing.connection import Connection

        work = self.base / f"worker{slot}"
        work.mkdir(parents=True, exist_ok=True)
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ, CRMLAB_PYTHONPATH=os.environ.get("PYTHONPATH", ""),
                   PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
        code = "import sys; from crmlab.grading import _worker_entry; _worker_entry(*sys.argv[1:])"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno()), str(work), str(self.base / f"worker{slot}.log"),
             str(self.memory_limit)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, cwd=work, env=env)
        theirs.close()
        return proc, Connection(ours.detach())

    @staticmethod
    def _kill(proc) -> None:
        try:
            import psutil

            family = psutil.Process(proc.pid).children(recursive=True)
        except Exception:
            family = []
        for p in family:
            try:
                p.kill()
            except Exception:
                pass
        proc.kill()
        try:
            proc.wait(5)
        except Exception:
            pass

    def run(self, jobs: list[dict]):
        """Yield one result per job, in the order they finish."""
        todo: queue.Queue = queue.Queue()
        for job in jobs:
            todo.put(job)
        done: queue.Queue = queue.Queue()
        live: list = []

        def slot(i: int):
            proc = conn = None
            while True:
                try:
                    job = todo.get_nowait()
                except queue.Empty:
                    break
                if proc is None or proc.poll() is not None:
                    proc, conn = self._spawn(i)
                    live.append(proc)
                job = dict(job, work=str(self.base / f"worker{i}" / "job"))
                try:
                    conn.send(job)
                    if conn.poll(job["hard_timeout"]):
                        result = conn.recv()
                    else:
                        self._kill(proc)
                        proc = None
                        result = _failed(job, "timeout", f"more than {job['hard_timeout']} s")
                except (EOFError, OSError, BrokenPipeError):
                    self._kill(proc)
                    proc = None
                    result = _failed(job, "crashed", "the worker process died")
                done.put(result)
            if proc is not None:
                try:
                    conn.send(None)
                    proc.wait(10)
                except Exception:
                    pass
                if proc.poll() is None:
                    self._kill(proc)

        threads = [threading.Thread(target=slot, args=(i,), daemon=True)
                   for i in range(min(self.workers, len(jobs)))]
        for t in threads:
            t.start()
        try:
            for _ in jobs:
                yield done.get()
        finally:
            for proc in live:
                if proc.poll() is None:
                    self._kill(proc)
            for t in threads:
                t.join(1)


# =========================================================================== the store and the gradebook
def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _safe_name(student: str) -> str:
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", student).strip(". ") or "_"
    return name


def _store(out: Path, lab: str) -> Path:
    return out / lab / "results"


def load_results(out: str | Path, lab: str) -> dict[str, dict]:
    """The stored result of every student graded for ``lab`` in the output folder ``out``."""
    store = _store(Path(out), lab)
    results = {}
    for path in sorted(store.glob("*.json")) if store.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        results[data["student"]] = data
    return results


def _save_result(out: Path, lab: str, result: dict) -> None:
    store = _store(out, lab)
    path = store / f"{_safe_name(result['student'])}.json"
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            old = None
        if old and old.get("status") == "graded" and old.get("submission_hash") != result["submission_hash"]:
            stamp = (old.get("graded_at") or "old").replace(":", "").replace("-", "")
            _atomic_write(store / "history" / f"{path.stem}-{stamp}-{old['submission_hash'][:8]}.json",
                          path.read_bytes())
    feedback_html = result.pop("feedback", {})
    for name, html_text in feedback_html.items():
        _atomic_write(out / lab / "feedback" / _safe_name(result["student"]) / f"{name}.html",
                      html_text.encode("utf-8"))
    result["graded_at"] = _dt.datetime.now().isoformat(timespec="seconds")
    result["version"] = RESULT_VERSION
    _atomic_write(path, json.dumps(result, ensure_ascii=False, indent=1).encode("utf-8"))


def cell_results(results: dict[str, dict]) -> pd.DataFrame:
    """One row per student × notebook × graded cell (the long form of the gradebook)."""
    rows = []
    for student in sorted(results):
        res = results[student]
        for nb in res["notebooks"]:
            for cell in nb["cells"]:
                rows.append({"student": student, "lab": res["lab"], "notebook": nb["notebook"], **cell})
    columns = ["student", "lab", "notebook", "grade_id", "points", "max_points", "status", "error", "message"]
    return pd.DataFrame(rows, columns=columns)


def gradebook(results: dict[str, dict]) -> pd.DataFrame:
    """The gradebook table: one row per student × notebook, one column per graded cell.

    Columns: ``student``, ``lab``, ``notebook``, the graded cells' ``grade_id`` in notebook order
    (points earned), ``total``, ``max``, ``late`` and ``problems`` (notes joined by `` | ``).
    """
    columns: list[str] = []
    rows = []
    for student in sorted(results):
        res = results[student]
        for nb in res["notebooks"]:
            row = {"student": student, "lab": res["lab"], "notebook": nb["notebook"]}
            for cell in nb["cells"]:
                if cell["grade_id"] not in columns:
                    columns.append(cell["grade_id"])
                row[cell["grade_id"]] = cell["points"]
            row["total"] = sum(c["points"] for c in nb["cells"])
            row["max"] = sum(c["max_points"] for c in nb["cells"])
            row["late"] = bool(res.get("seconds_late", 0) > 0)
            row["problems"] = " | ".join(nb["problems"] + res.get("general", []))
            rows.append(row)
    frame = pd.DataFrame(rows, columns=["student", "lab", "notebook", *columns, "total", "max", "late", "problems"])
    return frame


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """The gradebook CSV (UTF-8 with a byte-order mark, so Excel and WPS read its Chinese)."""
    from .gradebook import write_csv

    write_csv(frame, path)


# =========================================================================== the class
def _lab_files_hash(root: Path, lab: str) -> "hashlib._Hash":
    import crmlab

    h = hashlib.sha256(f"{crmlab.__version__};{RESULT_VERSION}".encode())
    h.update((root / "nbgrader_config.py").read_bytes())
    for path in sorted((root / "solutions" / lab).rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts and not path.name.endswith(".mutants.toml"):
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h


def _lab_hash(root: Path, lab: str, settings: Settings) -> str:
    """Identifies what a stored result depends on besides the submission: the lab and the settings."""
    h = _lab_files_hash(root, lab)
    h.update(settings.key().encode())
    return h.hexdigest()


def _cache_dir() -> Path:
    return Path(os.environ.get("CRMLAB_CACHE") or Path.home() / ".cache" / "crmlab") / "grading"


def _template(root: Path, lab: str, base: Path, duedate: str | None, cache: bool) -> tuple[Path, dict[str, str]]:
    """The generated lab (release + gradebook), from the cache when the lab has not changed."""
    h = _lab_files_hash(root, lab)
    h.update(f"duedate={duedate}".encode())
    cached = _cache_dir() / f"{lab}-{h.hexdigest()[:20]}"
    if cache and _cache_intact(cached):
        course = cached / "template"
    else:
        course, _ = _prepare_template(root, lab, base, duedate)
        if cache:
            try:
                tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=_mkdirs(_cache_dir())))
                shutil.copytree(course, tmp / "template")
                (tmp / "complete").write_text(_gradebook_sum(tmp / "template"), encoding="utf-8")
                _rmtree(cached)
                os.replace(tmp, cached)
                course = cached / "template"
            except OSError:
                pass
    releases = {p.stem: p.read_text(encoding="utf-8") for p in sorted((course / "labs" / lab).glob("*.ipynb"))}
    return course, releases


def _gradebook_sum(course: Path) -> str:
    return "sha256:" + hashlib.sha256((course / "gradebook.db").read_bytes()).hexdigest()


def _cache_intact(cached: Path) -> bool:
    """The cached lab is complete and its gradebook (the hidden tests) is byte for byte as generated."""
    try:
        return (cached / "complete").read_text(encoding="utf-8") == _gradebook_sum(cached / "template")
    except OSError:
        return False


def _mkdirs(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _prepare_template(root: Path, lab: str, base: Path, duedate: str | None) -> tuple[Path, dict[str, str]]:
    """Generate the lab with nbgrader once (release notebooks + gradebook holding every test)."""
    from nbgrader.api import Gradebook
    from nbgrader.utils import parse_utc

    course = base / "template"
    course.mkdir(parents=True)
    shutil.copy2(root / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(root / "solutions" / lab, course / "solutions" / lab,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.mutants.toml"))
    labtools._nbgrader(course, "generate_assignment", lab, "--force")
    # Student code runs as the same user: keep no solution on disk while grading. The gradebook
    # holds what autograde needs (locked cells, hidden tests, answer stubs), never the solutions.
    for path in (course / "solutions" / lab).rglob("*.ipynb"):
        path.unlink()
    if duedate:
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            gb.update_or_create_assignment(lab, duedate=parse_utc(duedate))
    releases = {p.stem: p.read_text(encoding="utf-8") for p in sorted((course / "labs" / lab).glob("*.ipynb"))}
    return course, releases


def grade_class(lab: str, submissions: str | Path, out: str | Path = "grades", *, root: Path | None = None,
                workers: int | None = None, cell_timeout: int | None = None,
                notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT, output_limit: int = OUTPUT_LIMIT,
                memory_limit: int = MEMORY_LIMIT, duedate: str | None = None, force: bool = False,
                zip_format: str = "canvas", progress: bool = True, cache: bool = True,
                only: list[str] | None = None, nbgrader_feedback: str | Path | None = None,
                sandbox: bool = True) -> pd.DataFrame:
    """Grade every student of a class for one lab and write feedback and the gradebook.

    Parameters
    ----------
    lab : lab folder in ``solutions/``, e.g. ``"01_concepts"``.
    submissions : a folder with one sub-folder per student, or an LMS zip (see :func:`collect_zip`).
    out : output folder; results go to ``out/LAB/`` (``results/``, ``feedback/``, ``gradebook.csv``).
        It must not be inside the submissions folder (nor contain it).
    workers : parallel worker processes (default: the number of CPUs).
    cell_timeout : seconds per cell (default: ``Execute.timeout`` of nbgrader_config.py, else 120).
    notebook_timeout : seconds for all cells of one notebook together (hard limit).
    duedate : e.g. ``"2026-03-01 23:59:00 +0800"``; a ``timestamp.txt`` later than this is late.
    force : regrade students whose stored result is up to date.
    zip_format : for a zip: ``canvas``, ``moodle``, ``attempt`` or a regular expression.
    progress : show a progress bar (students done / left) on stderr.
    cache : keep the lab generated by nbgrader (student version + gradebook) in
        ``~/.cache/crmlab/grading`` (or ``$CRMLAB_CACHE/grading``) for the next run.
    only : regrade just these students (even if unchanged); the others keep their stored result.
    nbgrader_feedback : also copy each feedback page into this folder in nbgrader's layout
        (``DIR/STUDENT/LAB/NOTEBOOK.html`` with the submission's ``timestamp.txt`` and
        ``submission_secret.txt``), so that ``nbgrader release_feedback LAB`` hands it out on JupyterHub.
    sandbox : run each student's kernel in the bubblewrap sandbox (:mod:`crmlab.sandbox`). When the
        sandbox does not work here, grading refuses (:class:`crmlab.sandbox.SandboxUnavailable`);
        ``sandbox=False`` grades anyway, with a loud warning: student code then runs with your rights.

    Returns
    -------
    DataFrame : the gradebook (also written to ``out/LAB/gradebook.csv``), see :func:`gradebook`.
    """
    root = Path(root) if root else labtools.find_root()
    if not (root / "solutions" / lab).is_dir():
        raise FileNotFoundError(f"no lab {lab!r} in {root / 'solutions'} (实验不存在)")
    out = Path(out).resolve()
    submissions = Path(submissions).resolve()
    if not submissions.exists():
        raise FileNotFoundError(f"no submissions at {submissions} (提交文件夹不存在)")
    if submissions.is_dir() and (out == submissions or submissions in out.parents or out in submissions.parents):
        raise ValueError(f"the output folder {out} must be outside the submissions folder {submissions} "
                         f"(输出文件夹不能位于提交文件夹内，也不能包含它)")
    check_sandbox(sandbox)
    config = labtools.load_config(root)
    if cell_timeout is None:
        cell_timeout = int(config.Execute.get("timeout", DEFAULT_CELL_TIMEOUT) or DEFAULT_CELL_TIMEOUT)
    settings = Settings(cell_timeout=int(cell_timeout), notebook_timeout=int(notebook_timeout),
                        output_limit=int(output_limit), memory_limit=int(memory_limit), sandbox=bool(sandbox))
    workers = max(1, int(workers or os.cpu_count() or 1))
    lab_hash = _lab_hash(root, lab, settings)
    base = Path(tempfile.mkdtemp(prefix="crmlab-grade-"))
    try:
        if submissions.is_file():
            students = collect_zip(submissions, lab, base / "collected", root=root, regexp=zip_format)
        else:
            students = find_submissions(submissions, lab)
        stored = load_results(out, lab)
        hashes = {s: submission_hash(folder) for s, folder in students.items()}
        if only:
            unknown = sorted(set(only) - set(students))
            if unknown:
                raise ValueError(f"no submission for {unknown} in {submissions} (找不到这些学生的提交)")
            todo = [s for s in students if s in set(only)]
        else:
            todo = [s for s in students
                    if force or s not in stored or stored[s].get("status") != "graded"
                    or stored[s].get("submission_hash") != hashes[s] or stored[s].get("lab_hash") != lab_hash]
        if todo:
            template, releases = _template(root, lab, base, duedate, cache)
            hard = (settings.notebook_timeout + 180) * max(1, len(releases))
            # longest first (last run's time, else the notebooks' size), so no slow student ends the run alone
            todo.sort(key=lambda s: (-sum(nb.get("seconds") or 0 for nb in stored.get(s, {}).get("notebooks", [])),
                                     -sum(p.stat().st_size for p in _submission_files(students[s])), s))
            jobs = [{"student": s, "folder": str(students[s]), "lab": lab, "template": str(template),
                     "releases": releases, "settings": settings.__dict__, "submission_hash": hashes[s],
                     "lab_hash": lab_hash, "hard_timeout": hard, "duedate": duedate} for s in todo]
            bar = _progress(len(students), len(students) - len(todo), lab, progress)
            try:
                for result in _Pool(workers, base / "work", settings.memory_limit).run(jobs):
                    _save_result(out, lab, result)
                    bar.update(1)
                    bar.set_postfix_str(result["student"][:20])
            finally:
                bar.close()
        book = gradebook(load_results(out, lab))
        _write_csv(book, out / lab / "gradebook.csv")
        if nbgrader_feedback:
            nbgrader_feedback_layout(out, lab, students, nbgrader_feedback)
        book.attrs.update(graded=len(todo), reused=len(students) - len(todo), gradebook=str(out / lab / "gradebook.csv"))
        return book
    finally:
        _rmtree(base)


def grade_notebook(notebook: str | Path, lab: str, *, root: Path | None = None, student: str = "me",
                   cell_timeout: int | None = None, notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT,
                   memory_limit: int = MEMORY_LIMIT, sandbox: bool = True, cache: bool = True) -> dict:
    """Grade one notebook file as ``grade_class`` grades it (sandbox, tamper checks, feedback): a self-check.

    The notebook is matched to the lab's notebooks by name, else by its cells (a renamed copy).
    Returns the result of that notebook: ``{"notebook", "cells", "problems", "feedback" (HTML),
    "status"}``. Nothing is written outside temporary folders. Used by a student self-check
    command; refuses without the sandbox unless ``sandbox=False``, like :func:`grade_class`.
    """
    check_sandbox(sandbox)
    root = Path(root) if root else labtools.find_root()
    config = labtools.load_config(root)
    if cell_timeout is None:
        cell_timeout = int(config.Execute.get("timeout", DEFAULT_CELL_TIMEOUT) or DEFAULT_CELL_TIMEOUT)
    settings = Settings(cell_timeout=int(cell_timeout), notebook_timeout=int(notebook_timeout),
                        memory_limit=int(memory_limit), sandbox=bool(sandbox))
    base = Path(tempfile.mkdtemp(prefix="crmlab-check-"))
    try:
        folder = base / "submission"
        folder.mkdir()
        shutil.copy2(notebook, folder / Path(notebook).name)
        template, releases = _template(root, lab, base, None, cache)
        sub = sanitize_submission(folder, {n: nbformat.reads(t, as_version=4) for n, t in releases.items()})
        name = next(iter(sub.notebooks), None)
        if name is None:
            raise ValueError(f"{notebook} is not a notebook of {lab} (不是本实验的笔记本): {sub.general[:1]}")
        job = {"student": student, "folder": str(folder), "lab": lab, "template": str(template),
               "releases": {name: releases[name]}, "settings": settings.__dict__, "submission_hash": "",
               "lab_hash": "", "duedate": None, "work": str(base / "work" / "job")}
        result = _grade_student(job)
        entry = result["notebooks"][0]
        return {**entry, "problems": entry["problems"] + result["general"], "feedback": result["feedback"][name],
                "status": result["status"]}
    finally:
        _rmtree(base)


NO_SANDBOX_WARNING = ("警告：未使用沙箱评分 (WARNING: grading WITHOUT the sandbox): student code runs with your "
                      "rights and can read the hidden tests, change grades and delete files. 学生代码以您的权限运行，"
                      "可以读取隐藏测试、修改成绩和删除文件。Use this only for submissions you trust.")


def check_sandbox(sandbox: bool = True) -> None:
    """Refuse (bilingual :class:`~crmlab.sandbox.SandboxUnavailable`) when the sandbox is wanted but does
    not work here; warn loudly on stderr when it is turned off."""
    from . import sandbox as _sandbox

    if sandbox:
        _sandbox.require()
    else:
        import warnings

        print(f"\n{'!' * 78}\n{NO_SANDBOX_WARNING}\n{'!' * 78}\n", file=sys.stderr, flush=True)
        warnings.warn(NO_SANDBOX_WARNING, RuntimeWarning, stacklevel=3)


def nbgrader_feedback_layout(out: str | Path, lab: str, students: dict[str, Path], dest: str | Path) -> list[Path]:
    """Copy the feedback pages into nbgrader's ``feedback/STUDENT/LAB/`` layout for ``release_feedback``.

    nbgrader's exchange finds a student's feedback by the ``submission_secret.txt`` that
    ``nbgrader collect`` put beside the submission; students without one (not collected through the
    exchange) are skipped. Returns the pages written.
    """
    out, dest = Path(out), Path(dest)
    written = []
    for student, folder in students.items():
        secret = Path(folder) / "submission_secret.txt"
        pages = sorted((out / lab / "feedback" / _safe_name(student)).glob("*.html"))
        if not secret.is_file() or not pages:
            continue
        target = dest / student / lab
        target.mkdir(parents=True, exist_ok=True)
        for name in ("timestamp.txt", "submission_secret.txt"):
            if (Path(folder) / name).is_file():
                shutil.copy2(Path(folder) / name, target / name)
        for page in pages:
            shutil.copy2(page, target / page.name)
            written.append(target / page.name)
    return written


def _progress(total: int, cached: int, lab: str, enabled: bool):
    from tqdm.auto import tqdm

    bar = tqdm(total=total, initial=cached, desc=f"grading {lab}", unit="student", disable=not enabled,
               file=sys.stderr, dynamic_ncols=True)
    return bar
