"""Hostile student code (issue 16): one grade_class run with a class of attackers and their victims.

Every attacker is the lab's first notebook with code added to its first answer cell (answer cells'
outputs reach the feedback page, so each attacker prints what it could see or do). The findings:

1. ``deleter``       deletes a classmate's submission folder (absolute path and walking up);
2. ``daemon``        leaves a double-forked process that rewrites ``results/*.json`` after grading;
3. ``self_grader``   looks for nbgrader gradebooks and sets its own ``manual_score``;
4. ``template``      edits the cached lab template's gradebook (hidden test → ``pass``, checksum fixed);
5. ``checkout``      writes ``crmlab/`` and ``solutions/`` of the checkout (new files only: harmless);
6. ``reader``        reads hidden tests, submissions, output and solutions through the file system and
                     ``/proc``, and prints them plain and base64-encoded;
7. ``patcher``       replaces the checks through ``vars(importlib.import_module(...))`` and an IPython
                     ``post_run_cell`` hook that prints every test cell's source (base64).

``victim`` (every answer right) and ``blank`` (nothing answered) must get exactly their honest marks.
The attack code only ever creates new files or touches the test's own temporary folders, so that a
broken sandbox fails these tests without damaging the checkout.
"""
import base64
import binascii
import copy
import hashlib
import html
import json
import os
import re
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import psutil
import pytest

from crmlab import feedback, grading, sandbox

ROOT = Path(__file__).resolve().parents[2]
LAB = "01_concepts"

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("require_sandbox")]

DELETER = '''
import os, shutil, pathlib
shutil.rmtree({victim!r}, ignore_errors=True)
for up in pathlib.Path.cwd().parents:
    for p in list(up.glob("*/victim")) + list(up.glob("*/*/victim")):
        shutil.rmtree(p, ignore_errors=True)
print("A1 victim visible:", os.path.exists({victim!r}))
'''

DAEMON = '''
import os, time, json, pathlib
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(60):
            time.sleep(0.5)
            try:
                for p in pathlib.Path({out!r}).rglob("*.json"):
                    data = json.loads(p.read_text())
                    for nb in data.get("notebooks", []):
                        for c in nb["cells"]:
                            c["points"] = c["max_points"]
                    p.write_text(json.dumps(data))
                pathlib.Path({out!r}, "pwned.txt").write_text("daemon was here")
            except Exception:
                pass
        os._exit(0)
    os._exit(0)
os.waitpid(pid, 0)
print("A2 daemon started; output folder visible:", os.path.exists({out!r}))
'''

FIND_DBS = '''
import os, pathlib, sqlite3
def _find(names):
    roots = [pathlib.Path.cwd(), *list(pathlib.Path.cwd().parents)[:4], pathlib.Path({base!r}), pathlib.Path({cache!r})]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            roots += [pathlib.Path("/proc", pid, "cwd")]
            try:
                roots += [pathlib.Path(os.readlink(f"/proc/{{pid}}/fd/{{fd}}")).parent for fd in os.listdir(f"/proc/{{pid}}/fd")]
            except OSError:
                pass
    found = set()
    for r in roots:
        try:
            for dirpath, dirs, files in os.walk(r):
                found |= {{os.path.join(dirpath, f) for f in files if f in names}}
        except OSError:
            pass
    return sorted(found)
'''

SELF_GRADER = FIND_DBS + '''
hits = 0
for db in _find({{"gradebook.db"}}):
    try:
        con = sqlite3.connect(db)
        con.execute("UPDATE grade SET manual_score = 100")
        con.commit()
        hits += 1
    except Exception:
        pass
print("A3 gradebooks changed:", hits)
'''

TEMPLATE = FIND_DBS + '''
hits = 0
for db in _find({{"gradebook.db"}}):
    if {cache!r} not in db:
        continue
    try:
        from nbgrader.utils import compute_checksum
        import nbformat
        con = sqlite3.connect(db)
        for (name,) in con.execute("SELECT name FROM source_cell WHERE name LIKE '%hidden%'").fetchall():
            cell = nbformat.v4.new_code_cell("pass")
            cell.metadata["nbgrader"] = {{"grade": True, "solution": False, "locked": True, "grade_id": name,
                                          "points": 2, "schema_version": 3, "task": False}}
            con.execute("UPDATE source_cell SET source = 'pass', checksum = ? WHERE name = ?",
                        (compute_checksum(cell), name))
        con.commit()
        hits += 1
    except Exception:
        pass
print("A4 template gradebooks changed:", hits)
'''

CHECKOUT = '''
import pathlib, crmlab
pkg = pathlib.Path(crmlab.__file__).parent
for target in [pkg / "PWNED-16.txt", pkg.parent / "solutions" / "PWNED-16.txt",
               pathlib.Path({root!r}, "crmlab", "PWNED-16.txt"), pathlib.Path({root!r}, "solutions", "PWNED-16.txt")]:
    try:
        target.write_text("student code was here")
        print("A5 wrote", target)
    except OSError as err:
        print("A5 denied", type(err).__name__)
try:
    open(pkg / "check.py", "a").close()
    print("A5 check.py writable")
except OSError:
    print("A5 check.py read-only")
print("A5 solutions visible:", pathlib.Path({root!r}, "solutions").exists() or (pkg.parent / "solutions").exists())
'''

READER = FIND_DBS + '''
import base64
texts = []
for path in _find({{"gradebook.db"}}) + [os.path.join(d, f) for r in [{subs!r}, {out!r}, {root!r} + "/solutions", "/tmp"]
                                          for d, _, fs in os.walk(r) for f in fs]:
    try:
        texts.append(open(path, "rb").read()[:200000])
    except OSError:
        pass
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for part in ("cmdline", "environ"):
            try:
                texts.append(open(f"/proc/{{pid}}/{{part}}", "rb").read())
            except OSError:
                pass
blob = b"\\n".join(texts)
print("A6 bytes read:", len(blob))
print(blob.decode("utf-8", "replace")[:300000])
print(base64.b64encode(blob[:300000]).decode())
'''

PATCHER = '''
import importlib, base64
_checks = vars(importlib.import_module("crmlab.check"))
for _name in list(_checks):
    if callable(_checks[_name]) and not _name.startswith("_") and _name != "CheckFailed":
        _checks[_name] = lambda *a, **k: None
_seen = []
def _spy(result):
    _seen.append(result.info.raw_cell)
    print(base64.b64encode(result.info.raw_cell.encode()).decode())
get_ipython().events.register("post_run_cell", _spy)
print("A7 patched")
'''


def _attacker(release, solution, builder, code: str):
    """The student version (no answer written) with attack code in its first answer cell."""
    nb = copy.deepcopy(release)
    first = next(c for c in nb.cells if builder.is_answer(c))
    first.source += "\n" + code
    return nb


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, builder):
    base = tmp_path_factory.mktemp("hostile")
    subs, out = base / "class", base / "grades"
    versions = builder.lab_versions(ROOT, LAB)
    name = next(iter(versions))
    release, solution = versions[name]
    cache = str(grading._cache_dir())
    paths = dict(victim=str(subs / "victim"), out=str(out), base=str(base), cache=cache, root=str(ROOT),
                 subs=str(subs))
    notebooks = {
        "victim": builder.solved(release, solution),
        "blank": copy.deepcopy(release),
        "deleter": _attacker(release, solution, builder, DELETER.format(**paths)),
        "daemon": _attacker(release, solution, builder, DAEMON.format(**paths)),
        "self_grader": _attacker(release, solution, builder, SELF_GRADER.format(**paths)),
        "template": _attacker(release, solution, builder, TEMPLATE.format(**paths)),
        "checkout": _attacker(release, solution, builder, CHECKOUT.format(**paths)),
        "reader": _attacker(release, solution, builder, READER.format(**paths)),
        "patcher": _attacker(release, solution, builder, PATCHER),
    }
    for student, nb in notebooks.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, subs / student / f"{name}.ipynb")
    grading._template(ROOT, LAB, base / "warm", None, True)     # the cached template the attackers aim at
    template_db = next(Path(cache).glob(f"{LAB}-*/template/gradebook.db"))
    before = hashlib.sha256(template_db.read_bytes()).hexdigest()
    checkout_before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "crmlab").glob("*.py")}
    victim_before = hashlib.sha256((subs / "victim" / f"{name}.ipynb").read_bytes()).hexdigest()
    book = grading.grade_class(LAB, subs, out, workers=2, cell_timeout=60, notebook_timeout=600, progress=False)
    results_after = {p.name: p.read_bytes() for p in (out / LAB / "results").glob("*.json")}
    time.sleep(4)       # long enough for a surviving daemon to strike
    yield SimpleNamespace(base=base, subs=subs, out=out, book=book, name=name, release=release, solution=solution,
                          results=grading.load_results(out, LAB), template_db=template_db, template_before=before,
                          checkout_before=checkout_before, victim_before=victim_before, results_after=results_after)
    for p in list((ROOT / "crmlab").glob("PWNED-16.txt")) + list((ROOT / "solutions").glob("PWNED-16.txt")):
        p.unlink()


def _row(h, student):
    return h.book[(h.book["student"] == student) & (h.book["notebook"] == h.name)].iloc[0]


def _page(h, student) -> str:
    page = (h.out / LAB / "feedback" / student / f"{h.name}.html").read_text(encoding="utf-8")
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _printed(h, student, text: str) -> bool:
    """Whether ``text`` appears in the page more often than in the student's code (i.e. was printed)."""
    nb = nbformat.read(h.subs / student / f"{h.name}.ipynb", as_version=4)
    source = " ".join(c.source for c in nb.cells)
    return _page(h, student).count(text) > " ".join(source.split()).count(text)


def _honest(h, student):
    return {c["grade_id"]: c["points"] for c in h.results[student]["notebooks"][0]["cells"]}


def test_victim_and_blank_get_their_honest_marks(hostile):
    victim, blank = _row(hostile, "victim"), _row(hostile, "blank")
    assert victim["total"] == victim["max"] > 0 and victim["problems"] == ""
    assert blank["total"] == 0
    for student in ("deleter", "daemon", "self_grader", "template", "checkout", "reader", "patcher"):
        res = hostile.results[student]
        assert res["status"] == "graded", (student, res["notebooks"][0]["problems"], res.get("detail"))
        assert _row(hostile, student)["total"] == 0, (student, _honest(hostile, student))


def test_1_a_classmates_folder_cannot_be_deleted(hostile):
    folder = hostile.subs / "victim" / f"{hostile.name}.ipynb"
    assert folder.is_file() and hashlib.sha256(folder.read_bytes()).hexdigest() == hostile.victim_before
    assert _printed(hostile, "deleter", "A1 victim visible: False")


def test_2_no_process_outlives_its_job_and_the_output_folder_is_out_of_reach(hostile):
    assert not (hostile.out / "pwned.txt").exists()
    now = {p.name: p.read_bytes() for p in (hostile.out / LAB / "results").glob("*.json")}
    assert now == hostile.results_after
    survivors = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(sandbox.CONNECTION in part for part in proc.info["cmdline"] or []):
            try:
                # bwrap itself (another test's job starting) or a process under it is a live job
                inside_a_live_job = any(p.name() == "bwrap" for p in [proc, *proc.parents()])
            except psutil.NoSuchProcess:
                continue
            if not inside_a_live_job:          # another test grading at this moment is not a survivor
                survivors.append(proc.pid)
    assert survivors == []
    # while it ran, the daemon was another process in the sandbox: noted for review, marks withheld
    assert "other process(es) left running" in _row(hostile, "daemon")["problems"]


def test_3_a_student_cannot_reach_any_gradebook(hostile):
    assert _printed(hostile, "self_grader", "A3 gradebooks changed: 0")
    assert _row(hostile, "self_grader")["total"] == 0


def test_4_the_lab_template_cannot_be_changed(hostile):
    assert hashlib.sha256(hostile.template_db.read_bytes()).hexdigest() == hostile.template_before
    assert _printed(hostile, "template", "A4 template gradebooks changed: 0")
    hidden = [g for g in _honest(hostile, "victim") if "hidden" in g]
    assert hidden and all(_honest(hostile, "blank")[g] == 0 for g in hidden)


def test_4b_a_changed_template_in_the_cache_is_rebuilt(tmp_path, hostile):
    cached = hostile.template_db.parents[1]
    assert grading._cache_intact(cached)
    copy_ = tmp_path / "copy"
    import shutil
    shutil.copytree(cached, copy_)
    with open(copy_ / "template" / "gradebook.db", "ab") as f:
        f.write(b"\0")
    assert not grading._cache_intact(copy_)


def test_5_the_checkout_is_read_only_and_solutions_are_not_there(hostile):
    assert not _printed(hostile, "checkout", "A5 wrote") and not _printed(hostile, "checkout", "writable")
    assert _printed(hostile, "checkout", "A5 check.py read-only")
    assert _printed(hostile, "checkout", "A5 solutions visible: False")
    assert not list((ROOT / "crmlab").glob("PWNED-16.txt")) and not list((ROOT / "solutions").glob("PWNED-16.txt"))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in hostile.checkout_before} == hostile.checkout_before


def _needles():
    hidden, visible = [], set()
    for path in sorted((ROOT / "solutions" / LAB).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        hidden += feedback.hidden_lines([c.source for c in nb.cells])
        visible |= {" ".join(line.split()) for c in nb.cells for line in feedback.strip_hidden_source(c.source).split("\n")}
    return [" ".join(h.split()) for h in hidden if len(h) >= 12 and " ".join(h.split()) not in visible]


def _decoded(text: str) -> str:
    out = []
    for token in re.findall(r"[A-Za-z0-9+/=]{24,}", text):
        try:
            out.append(base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            pass
    return " ".join(" ".join(out).split())


def test_6_hidden_tests_solutions_and_classmates_cannot_be_read_plain_or_encoded(hostile):
    needles = _needles()
    assert needles
    answer = next(line.strip() for c in hostile.solution.cells if c.metadata.get("nbgrader", {}).get("solution")
                  for line in c.source.split("\n") if len(line.strip()) > 20 and "SOLUTION" not in line
                  and line.strip() not in {l.strip() for r in hostile.release.cells for l in r.source.split("\n")})
    for student in hostile.results:
        page = _page(hostile, student)
        decoded = _decoded(page)
        for text in (page, decoded):
            leaked = [n for n in needles if n in text]
            assert not leaked, (student, leaked[:3])
        if student != "victim":
            assert answer not in page and answer not in decoded, student
    assert _printed(hostile, "reader", "A6 bytes read:")


def test_7_a_checker_patcher_is_detected_and_its_marks_withheld(hostile):
    row = _row(hostile, "patcher")
    assert "tampered with" in row["problems"] and "请人工复核" in row["problems"]
    cells = hostile.results["patcher"]["notebooks"][0]["cells"]
    assert cells and all(c["status"] == "withheld" and c["points"] == 0 for c in cells)
    page = _page(hostile, "patcher")
    assert not _printed(hostile, "patcher", "A7 patched")     # a tampered notebook shows no output at all
    assert not [n for n in _needles() if n in _decoded(page)]


def test_self_check_grades_one_notebook_in_the_sandbox(hostile):
    """grading.grade_notebook (for a student self-check command): same sandbox, checks and feedback."""
    result = grading.grade_notebook(hostile.subs / "patcher" / f"{hostile.name}.ipynb", LAB, root=ROOT,
                                    cell_timeout=60, notebook_timeout=600)
    assert result["notebook"] == hostile.name and result["status"] == "graded"
    assert all(c["status"] == "withheld" for c in result["cells"])
    assert any("请人工复核" in p for p in result["problems"]) and "Feedback 评分反馈" in result["feedback"]
