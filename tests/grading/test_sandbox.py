"""The grading sandbox itself (crmlab.sandbox): what a sandboxed process sees, and grading without it.

- inside bubblewrap a process sees only its own processes in /proc, no network, a read-only crmlab
  and Python, no solutions/ or tests of the checkout, a private /tmp; it has no capabilities and,
  when the grader is root, runs as ``nobody``; its processes are limited;
- without a working bubblewrap, grading refuses with a bilingual message; ``sandbox=False`` /
  ``--no-sandbox`` warns loudly.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crmlab import cli, grading, sandbox

ROOT = Path(__file__).resolve().parents[2]

PROBE = r'''
import json, os, socket, sys, resource, pathlib
out = {}
out["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
out["uid"] = os.getuid()
out["cap_eff"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0]
out["cwd"] = os.getcwd()
out["checkout_visible"] = [p for p in sys.argv[1:] if os.path.exists(p)]
import crmlab, crmlab.check
out["crmlab"] = crmlab.__file__
try:
    open(pathlib.Path(crmlab.__file__).parent / "check.py", "a").close()
    out["crmlab_writable"] = True
except OSError:
    out["crmlab_writable"] = False
out["solutions_next_to_crmlab"] = (pathlib.Path(crmlab.__file__).parents[1] / "solutions").exists()
out["datasets"] = crmlab.datasets.load("customers").shape[0] > 0
out["tmp"] = os.listdir("/tmp")
out["interfaces"] = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    out["network"] = True
except OSError:
    out["network"] = False
out["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
open("written.txt", "w").write("ok")
print(json.dumps(out))
'''


@pytest.mark.usefixtures("require_sandbox")
def test_a_sandboxed_process_sees_only_its_own_world(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "secret.txt").write_text("hidden tests")
    sandbox.prepare_dir(work)
    cmd = sandbox.bwrap_command([sys.executable, "-c", PROBE, str(ROOT / "solutions"), str(ROOT / "tests"),
                                 str(tmp_path / "secret.txt"), "/tmp/" + tmp_path.name, str(Path.home())],
                                work=str(work))
    limits = sandbox.Limits(processes=64)
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120, preexec_fn=limits.apply)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(seen["pids"]) <= 3                      # bwrap's init, the process, maybe its /proc reader
    assert int(seen["cap_eff"], 16) == 0
    if os.geteuid() == 0:
        assert seen["uid"] == sandbox.SANDBOX_UID
    assert seen["cwd"] == sandbox.WORK and (work / "written.txt").read_text() == "ok"
    assert seen["checkout_visible"] == [str(Path.home())] or seen["checkout_visible"] == []
    assert seen["crmlab"].startswith(sandbox.CRMLAB_DIR) and not seen["crmlab_writable"]
    assert not seen["solutions_next_to_crmlab"] and seen["datasets"]
    # /tmp is private; only the path down to the Python environment is there when the checkout (and its
    # .venv) lives under /tmp, as in a fresh clone made there
    env = Path(sys.prefix).resolve().parts
    allowed = {env[2]} if len(env) > 2 and env[1] == "tmp" else set()
    assert set(seen["tmp"]) <= allowed and seen["network"] is False
    assert seen["nproc"] == 64


@pytest.fixture
def no_bwrap(monkeypatch):
    monkeypatch.setenv("CRMLAB_BWRAP", "/nonexistent/bwrap")
    sandbox._probe.cache_clear()
    yield
    monkeypatch.delenv("CRMLAB_BWRAP")
    sandbox._probe.cache_clear()


def test_grading_refuses_without_a_working_sandbox(no_bwrap, tmp_path, capsys):
    ok, reason = sandbox.available()
    assert not ok and "bwrap" in reason
    (tmp_path / "class" / "ann").mkdir(parents=True)
    with pytest.raises(sandbox.SandboxUnavailable, match="沙箱不可用 \\(sandbox unavailable\\)"):
        grading.grade_class("01_concepts", tmp_path / "class", tmp_path / "out", root=ROOT, progress=False)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        grading.grade_notebook(tmp_path / "x.ipynb", "01_concepts", root=ROOT)
    assert cli.main(["grade", "01_concepts", "--submissions", str(tmp_path / "class"), "--out",
                     str(tmp_path / "out"), "--root", str(ROOT), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert "沙箱不可用" in err and "--no-sandbox" in err
    assert not (tmp_path / "out").exists()


def test_no_sandbox_warns_loudly(capsys):
    with pytest.warns(RuntimeWarning, match="WITHOUT the sandbox"):
        grading.check_sandbox(False)
    assert "未使用沙箱评分" in capsys.readouterr().err


def test_on_ci_a_missing_sandbox_fails(monkeypatch, no_bwrap):
    """the root conftest's require_sandbox fails (not skips) the grading tests when CRMLAB_REQUIRE_SANDBOX is set."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", Path(__file__).parents[2] / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    fixture = getattr(conftest.require_sandbox, "__wrapped__", None) or conftest.require_sandbox.__pytest_wrapped__.obj
    monkeypatch.setenv("CRMLAB_REQUIRE_SANDBOX", "1")
    with pytest.raises(pytest.fail.Exception, match="bubblewrap"):
        fixture()
    monkeypatch.delenv("CRMLAB_REQUIRE_SANDBOX")
    with pytest.raises(pytest.skip.Exception):
        fixture()
