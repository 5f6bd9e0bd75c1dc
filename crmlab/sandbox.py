"""An operating-system sandbox for students' kernels (沙箱): Debian's bubblewrap (``bwrap``).

Only the *kernel* runs in the sandbox; nbgrader and nbclient stay outside and talk to it over
Unix sockets (ZeroMQ's ``ipc`` transport) in a folder of their own. Hidden tests reach the kernel
only as execute requests, one cell at a time: the notebook that holds them, nbgrader's gradebook,
the lab template, the submissions and the output folder are never mounted.

What the kernel sees (everything else of the machine does not exist for it):

- read-only: the operating system's programs and libraries (``/usr``, a few files of ``/etc``),
  the Python environment (``sys.prefix``, ``sys.base_prefix``), the ``crmlab`` package and its
  public datasets (``/opt/crmlab``) — not the rest of the checkout (``solutions/``, tests, labs);
- read-write: a private copy of the student's own files (:data:`WORK`), a private ``/tmp`` and
  home folder (memory, limited in size), the folder of its own sockets;
- its own ``/proc`` (new PID namespace: only the sandbox's processes), no network (new network
  namespace, loopback only), its own IPC and host name, a new session (no terminal);
- limits: processes, memory (address space), CPU seconds, file size, open files;
- ``--die-with-parent``: when the grader or bwrap ends, every process of the sandbox is killed
  (the kernel's PID namespace ends with its first process, double-forked daemons included).

Run as root (CI, containers), bwrap sets up the namespaces and the kernel then runs as the user
``nobody`` (uid 65534) without capabilities (``setpriv``); run as an ordinary user, bwrap makes an
unprivileged user namespace and the kernel runs as that user, still without capabilities and
unable to make further namespaces (``--disable-userns``).

:func:`available` says whether the sandbox works on this machine (and why not); grading refuses
to run without it unless told ``sandbox=False`` (``crmlab grade --no-sandbox``).
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["SandboxUnavailable", "available", "require", "kernel_manager_class", "SANDBOX_UID", "WORK",
           "HOME", "CRMLAB_DIR", "Limits", "bwrap_command", "unavailable_message"]

SANDBOX_UID = 65534                  # "nobody": the kernel's user when the grader runs as root
HOME = "/home/student"               # the kernel's home folder (tmpfs)
WORK = "/home/student/work"          # the kernel's working folder: a copy of the student's files
CRMLAB_DIR = "/opt/crmlab"           # crmlab package + public datasets, read-only
CONNECTION = "/run/crmlab/kernel.json"
TMP_SIZE = 256 * 2**20               # bytes of /tmp and of the home folder (memory)
# /etc entries the Python environment needs (libraries, fonts, time zone); never passwd/shadow.
ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime", "timezone", "alternatives",
       "mime.types", "nsswitch.conf", "ssl/openssl.cnf", "matplotlibrc")
# System caches that save each kernel seconds (fontconfig's, for the CJK fonts), read-only.
CACHES = ("/var/cache/fontconfig",)
# Environment variables passed into the sandbox (everything else is dropped).
ENV_KEEP = ("NBGRADER_EXECUTION", "MPLBACKEND", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONHASHSEED",
            "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "PYDEVD_DISABLE_FILE_VALIDATION")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or does not work here; grading refuses to run student code without it."""


def unavailable_message(reason: str) -> str:
    return (f"沙箱不可用 (sandbox unavailable): {reason}. 学生代码不能在没有沙箱的情况下评分；"
            f"请安装 bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap)，"
            f"或在确认信任所有提交时使用 --no-sandbox。 Student code is not graded without the sandbox: "
            f"install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap), or pass --no-sandbox "
            f"(grade_class(..., sandbox=False)) only if you trust every submission.")


class Limits:
    """Resource limits of one sandboxed kernel (0 = no limit)."""

    def __init__(self, memory: int = 4 * 2**30, file_size: int = 256 * 2**20, cpu_seconds: int = 0,
                 processes: int = 256, open_files: int = 1024):
        self.memory, self.file_size, self.cpu_seconds = memory, file_size, cpu_seconds
        self.processes, self.open_files = processes, open_files

    def apply(self) -> None:
        """Set the limits (soft and hard) on the calling process: runs in the child before bwrap starts."""
        import resource

        for kind, value in ((resource.RLIMIT_AS, self.memory), (resource.RLIMIT_FSIZE, self.file_size),
                            (resource.RLIMIT_CPU, self.cpu_seconds), (resource.RLIMIT_NPROC, self.processes),
                            (resource.RLIMIT_NOFILE, self.open_files), (resource.RLIMIT_CORE, 0)):
            if not value and kind != resource.RLIMIT_CORE:
                continue
            try:
                hard = resource.getrlimit(kind)[1]
                value = value if hard == resource.RLIM_INFINITY else min(value, hard)
                resource.setrlimit(kind, (value, value))
            except (ValueError, OSError):
                pass


# --------------------------------------------------------------------------- the command line
def _bwrap() -> str | None:
    return os.environ.get("CRMLAB_BWRAP") or shutil.which("bwrap")


def _as_root() -> bool:
    return os.geteuid() == 0


def crmlab_mounts() -> list[tuple[str, str]]:
    """(host path, sandbox path) of the crmlab package and its public datasets, read-only."""
    import crmlab

    package = Path(crmlab.__file__).resolve().parent
    mounts = [(str(package), f"{CRMLAB_DIR}/crmlab")]
    datasets = package.parent / "datasets"       # a source checkout keeps the CSV files beside the package
    if datasets.is_dir() and not (package / "datasets" / "data").is_dir():
        mounts.append((str(datasets), f"{CRMLAB_DIR}/datasets"))
    return mounts


def _system_mounts() -> list[str]:
    args = []
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), f"/{top}"]
        elif path.is_dir():
            args += ["--ro-bind", str(path), f"/{top}"]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in ETC:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for cache in CACHES:
        if Path(cache).is_dir():
            args += ["--ro-bind", cache, cache]
    prefixes = []
    for prefix in (sys.base_prefix, sys.prefix, sys.exec_prefix):
        real = os.path.realpath(prefix)
        for p in {prefix, real}:
            if p not in prefixes and not p.startswith("/usr/"):
                prefixes.append(p)
    for p in sorted(prefixes, key=len):
        args += ["--ro-bind", p, p]
    return args


def _matplotlib_cache() -> list[str]:
    """The host's matplotlib font list, so that each kernel need not rebuild it (seconds)."""
    try:
        from matplotlib import get_cachedir
        cached = sorted(Path(get_cachedir()).glob("fontlist-*.json"))
    except Exception:
        cached = []
    return [a for path in cached[-1:] for a in ("--ro-bind", str(path), f"{HOME}/.cache/matplotlib/{path.name}")]


def _parent_dirs(mounts: list[str]) -> list[str]:
    """``--dir`` (mode 0755) for every folder above a mount point (bwrap would make them 0700)."""
    targets = [mounts[i + 2] for i, a in enumerate(mounts) if a in ("--ro-bind", "--bind")]
    taken = {"/", "/tmp", "/home", HOME, "/proc", "/dev"}
    parents = sorted({str(p) for t in targets for p in Path(t).parents if str(p) not in taken}, key=len)
    top_links = {mounts[i + 2] for i, a in enumerate(mounts) if a == "--symlink"}
    return [a for p in parents if p not in top_links and not any(p == t or p.startswith(t + "/") for t in targets)
            for a in ("--perms", "1777" if p.startswith(HOME + "/") else "0755", "--dir", p)]


def bwrap_command(command: list[str], *, work: str, sockets: str | None = None, env: dict | None = None,
                  data_fd: int | None = None) -> list[str]:
    """The ``bwrap`` command that runs ``command`` in the sandbox with ``work`` as :data:`WORK`.

    ``sockets`` (a host folder) is mounted read-write at the same path (the kernel's ipc sockets);
    ``data_fd`` is a readable file descriptor whose content appears read-only at :data:`CONNECTION`.
    """
    args = [_bwrap() or "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    if not _as_root():
        args += ["--unshare-user", "--disable-userns"]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(TMP_SIZE), "--tmpfs", "/tmp",
             "--size", str(TMP_SIZE), "--tmpfs", "/home",
             "--perms", "1777", "--dir", HOME]
    mounts = _system_mounts()
    for host, inside in crmlab_mounts():
        mounts += ["--ro-bind", host, inside]
    mounts += _matplotlib_cache()
    mounts += ["--bind", work, WORK]
    if sockets:
        mounts += ["--bind", sockets, sockets]
    args += _parent_dirs(mounts) + mounts
    if data_fd is not None:
        args += ["--perms", "0444", "--ro-bind-data", str(data_fd), CONNECTION]
    args += ["--chdir", WORK, "--clearenv"]
    venv_bin = os.path.join(sys.prefix, "bin")
    keep = {k: v for k, v in (env or {}).items() if k in ENV_KEEP}
    keep.update(PATH=f"{venv_bin}:/usr/local/bin:/usr/bin:/bin", HOME=HOME, USER="student", LOGNAME="student",
                PYTHONPATH=CRMLAB_DIR, PYTHONDONTWRITEBYTECODE="1", MPLCONFIGDIR=f"{HOME}/.config/matplotlib",
                XDG_CACHE_HOME=f"{HOME}/.cache", TMPDIR="/tmp")
    keep.setdefault("LANG", "C.UTF-8")
    for k, v in sorted(keep.items()):
        args += ["--setenv", k, v]
    if _as_root():
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--",
                 shutil.which("setpriv") or "setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    else:
        args += ["--"]
    return args + list(command)


def prepare_dir(path: str | Path) -> None:
    """Let the sandbox's user write ``path`` (root: hand it to ``nobody``)."""
    if _as_root():
        for root, dirs, files in os.walk(path):
            for name in [root, *(os.path.join(root, f) for f in dirs + files)]:
                os.chown(name, SANDBOX_UID, SANDBOX_UID, follow_symlinks=False)


# --------------------------------------------------------------------------- is it there?
@functools.lru_cache(maxsize=None)
def _probe() -> str | None:
    """None when a sandboxed Python starts and sees what it should; else the reason it does not."""
    if sys.platform != "linux":
        return f"bubblewrap needs Linux, not {sys.platform}"
    if not _bwrap():
        return "the bwrap program (bubblewrap) is not installed"
    if _as_root() and not shutil.which("setpriv"):
        return "setpriv (util-linux) is missing"
    probe = ("import os, sys; "
             "pids = [p for p in os.listdir('/proc') if p.isdigit()]; "
             "open('probe', 'w').write('ok'); "
             "print(os.getuid(), len(pids), os.getcwd(), os.path.exists(sys.argv[1]))")
    with tempfile.TemporaryDirectory(prefix="crmlab-probe-") as work:
        prepare_dir(work)
        cmd = bwrap_command([sys.executable, "-c", probe, __file__], work=work)
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as err:
            return f"bwrap did not run: {err}"
        if run.returncode != 0:
            return f"bwrap failed: {(run.stderr or run.stdout).strip()[:300]}"
        uid, pids, cwd, sees_grader = run.stdout.split()
        if cwd != WORK or sees_grader != "False" or int(pids) > 3 or not (Path(work) / "probe").is_file():
            return f"bwrap ran but the sandbox leaks: {run.stdout.strip()}"
        if _as_root() and int(uid) != SANDBOX_UID:
            return f"the sandboxed process runs as uid {uid}, not {SANDBOX_UID}"
    return None


def available() -> tuple[bool, str]:
    """``(True, "")`` when the sandbox works on this machine, else ``(False, reason)``."""
    reason = _probe()
    return reason is None, reason or ""


def require() -> None:
    """Raise :class:`SandboxUnavailable` with a bilingual message when the sandbox does not work."""
    ok, reason = available()
    if not ok:
        raise SandboxUnavailable(unavailable_message(reason))


# --------------------------------------------------------------------------- the kernel manager
def _kernel_manager_class():
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import Instance, Unicode

    class SandboxKernelManager(AsyncKernelManager):
        """A Jupyter kernel manager that starts the kernel inside bubblewrap.

        Set ``work`` (host folder that becomes the kernel's working folder) and optionally
        ``limits``. The kernel talks over ipc sockets in a private folder, its connection file is
        handed in as data (never a path of the grader), it is interrupted by message (signals do
        not cross the new session), and its whole sandbox dies with it.
        """

        work = Unicode("", help="host folder mounted as the kernel's working folder").tag(config=True)
        limits = Instance(Limits, args=(), help="resource limits").tag(config=True)

        def __init__(self, **kw):
            super().__init__(**kw)
            self._sockets = tempfile.mkdtemp(prefix="crmlab-ipc-", dir="/tmp")
            prepare_dir(self._sockets)
            self.transport = "ipc"
            self.ip = os.path.join(self._sockets, "k")

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            if not self.work:
                raise SandboxUnavailable("SandboxKernelManager.work is not set (沙箱工作目录未设置)")
            self.kernel_spec.interrupt_mode = "message"
            command = [CONNECTION if a == self.connection_file else a for a in kernel_cmd]
            read, write = os.pipe()
            with open(self.connection_file, "rb") as f:
                os.write(write, f.read())
            os.close(write)
            limits = self.limits
            kw = dict(kw, cwd=self.work, pass_fds=(read,), preexec_fn=limits.apply, stdin=subprocess.DEVNULL)
            kw["env"] = {k: v for k, v in (kw.get("env") or os.environ).items() if k in ENV_KEEP}
            wrapped = bwrap_command(command, work=self.work, sockets=self._sockets, env=kw["env"], data_fd=read)
            try:
                await super()._async_launch_kernel(wrapped, **kw)
            finally:
                os.close(read)

        async def _async_cleanup_resources(self, restart=False):
            await super()._async_cleanup_resources(restart)
            if not restart:
                shutil.rmtree(self._sockets, ignore_errors=True)

        cleanup_resources = _async_cleanup_resources

    return SandboxKernelManager


def kernel_manager_class():
    """:class:`SandboxKernelManager` (built lazily: jupyter_client is a heavy import)."""
    if "SandboxKernelManager" not in globals():
        globals()["SandboxKernelManager"] = _kernel_manager_class()
    return globals()["SandboxKernelManager"]


def __getattr__(name):
    if name == "SandboxKernelManager":
        return kernel_manager_class()
    raise AttributeError(f"module 'crmlab.sandbox' has no attribute {name!r}")


def describe() -> str:
    """One line for logs: how the kernel is sandboxed here."""
    ok, reason = available()
    if not ok:
        return f"no sandbox: {reason}"
    who = f"uid {SANDBOX_UID} (nobody) via setpriv" if _as_root() else "an unprivileged user namespace"
    return f"bubblewrap ({_bwrap()}), kernel as {who}; mounts {json.dumps(dict(crmlab_mounts()))}"
