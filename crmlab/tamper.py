"""Detect tampering with the checking machinery while a student's notebook is graded (篡改检测).

The sandbox (:mod:`crmlab.sandbox`) *prevents* student code from reaching files, other students
and the grader. It cannot prevent code from changing the kernel it runs in: the tests run in the
student's own Python process, as in plain nbgrader. This module *detects* such changes.

How: the grader runs two kinds of hidden steps in the student's kernel, as execute requests the
notebook never shows (``silent``, results in ``user_expressions``, no cell, no output):

1. before the first cell, :data:`KERNEL_CODE` takes a *baseline*: the identity and code of every
   function and class of the modules in :data:`WATCHED_MODULES` (``crmlab.check``), of every
   object those functions reach by name (``np.isclose``, ``math.isclose`` …), of every builtin,
   of ``sys.modules`` entries, of the methods of the kernel's shell, display and session objects
   (:data:`WATCHED_OBJECTS`), and of the hooks in :data:`WATCHED_HOOKS` (IPython events, input
   and AST transformers, custom exception handlers, trace and profile functions);
2. after every graded cell the same code runs again (sent afresh, not a function the student
   could replace) and also looks for student code installed where it has no business: IPython
   hooks, methods, threads running student code, processes left running, the lab's names
   (``check``) bound to something else than the real module. The same step wipes the hidden test
   that just ran from IPython's input history (``In``, ``_i`` …) and ``linecache``.

The grader compares the two *outside* the kernel (:func:`differences`); any difference makes the
marks of that graded cell (and of every later one while it lasts) withheld, with a note asking for
review by hand (请人工复核).

Limits (say it honestly): this is detection inside a process the student controls. It catches
the ways to patch the checks we know of (``check.equal = …``, ``vars(module)[name] = …``,
``__code__`` swaps, builtins, ``sys.modules``, IPython hooks and transformers, ``set_custom_exc``,
a patched ``showtraceback``, ``sys.settrace``). A student who studies this file can write code
aimed at hiding from it; the sandbox limits what such code can reach to that student's own marks,
and the static scan (:func:`crmlab.grading.sanitize_notebook`) notes suspicious code for review.

To watch more, add names to :data:`WATCHED_MODULES`, :data:`WATCHED_OBJECTS` or
:data:`WATCHED_HOOKS`.
"""
from __future__ import annotations

import ast
import json

__all__ = ["WATCHED_MODULES", "WATCHED_OBJECTS", "WATCHED_HOOKS", "KERNEL_CODE", "expression", "parse",
           "differences", "describe", "guarded_names"]

# Modules whose functions and classes (and what they use by name) must not change.
WATCHED_MODULES = ("crmlab.check", "crmlab._checkbase")  # crmlab.shortcuts is reached through them (own_work, fail)
# Objects of the kernel whose methods (instance and class) must not be replaced.
WATCHED_OBJECTS = ("shell", "shell.kernel", "shell.kernel.session", "shell.display_pub", "shell.displayhook",
                   "shell.display_formatter", "shell.compile", "shell.input_transformer_manager",
                   "shell.history_manager", "sys.stdout", "sys.stderr")
# Hooks (callables or lists/dicts of them) where student code must not be installed.
WATCHED_HOOKS = ("shell.events.callbacks", "shell.input_transformers_cleanup", "shell.input_transformers_post",
                 "shell.input_transformer_manager.cleanup_transforms",
                 "shell.input_transformer_manager.line_transforms",
                 "shell.input_transformer_manager.token_transformers", "shell.ast_transformers",
                 "shell.custom_exceptions", "shell.CustomTB", "shell.kernel.shell_handlers",
                 "shell.kernel.control_handlers", "sys.excepthook", "sys.displayhook", "sys.gettrace()",
                 "sys.getprofile()", "threading._trace_hook", "threading._profile_hook",
                 "shell.display_formatter.formatters")

# After each graded cell, inputs holding this (nbgrader's hidden-test marker) leave IPython's history.
SCRUB = "BEGIN HIDDEN TESTS"

# Runs inside the kernel (no imports from crmlab: everything it needs is in this text).
# In: CONFIG = {"mode": "baseline" | "verify", "modules": [...], "objects": [...], "hooks": [...],
#               "guarded": {name: "module" or "module:attribute"}}.  Out: RESULT, a JSON string.
KERNEL_CODE = r'''
import builtins as _b, sys as _sys, os as _os, json as _json, hashlib as _hl, dis as _dis
import importlib as _il, types as _ty, functools as _ft

def _main(cfg):
    shell = _sys.modules["IPython"].get_ipython()
    import threading
    trusted = set()
    for p in (_sys.prefix, _sys.base_prefix, _sys.exec_prefix):
        trusted |= {p, _os.path.realpath(p)}
    for m in cfg["modules"]:
        top = _sys.modules.get(m.split(".")[0]) or _il.import_module(m.split(".")[0])
        for p in getattr(top, "__path__", []) or []:
            trusted |= {_os.path.dirname(p), _os.path.dirname(_os.path.realpath(p))}
    trusted = tuple(t.rstrip("/") + "/" for t in trusted if t and t != "/")
    ids, bad, keep = {}, [], []

    def code_of(x):
        x = getattr(x, "__func__", x)
        return getattr(x, "__code__", None)

    def is_trusted(x):
        f = getattr(x, "__func__", x)
        if isinstance(f, _ft.partial):
            return is_trusted(f.func) and all(is_trusted(a) for a in f.args if callable(a))
        co = getattr(f, "__code__", None)
        if co is None and not isinstance(f, type):
            co = getattr(getattr(type(f), "__call__", None), "__code__", None)
        if co is not None:
            return co.co_filename.startswith(trusted) or co.co_filename.startswith("<frozen ")
        mod = getattr(f, "__module__", None) or type(f).__module__
        path = getattr(_sys.modules.get(mod), "__file__", None) or ""
        return mod in ("builtins", "sys") or path.startswith(trusted)

    def cparts(co):         # not marshal: its output depends on reference counts
        consts = tuple(cparts(c) if isinstance(c, _ty.CodeType) else (type(c).__name__, repr(c)) for c in co.co_consts)
        return (co.co_code, consts, co.co_names, co.co_varnames, co.co_freevars, co.co_cellvars, co.co_flags,
                co.co_argcount, co.co_kwonlyargcount, co.co_posonlyargcount, co.co_filename, co.co_name)

    def chash(co):
        return _hl.sha256(repr(cparts(co)).encode()).hexdigest()[:16]

    def desc(x):
        keep.append(x)
        f = getattr(x, "__func__", x)
        parts = [type(x).__name__, str(id(f))]
        co = getattr(f, "__code__", None)
        if co is not None:
            parts += [chash(co), str(id(getattr(f, "__globals__", None))), str(id(getattr(f, "__defaults__", None))),
                      str(id(getattr(f, "__kwdefaults__", None))),
                      ",".join(str(id(c.cell_contents)) for c in (getattr(f, "__closure__", None) or ())
                               if _cell_ok(c))]
        return ":".join(parts)

    def _cell_ok(c):
        try:
            c.cell_contents
            return True
        except ValueError:
            return False

    def resolve(path):
        if path == "shell":
            return shell
        first, *rest = path.split(".")
        obj = shell if first == "shell" else _sys.modules.get(first)
        for part in rest:
            call = part.endswith("()")
            obj = getattr(obj, part[:-2] if call else part, None)
            if call and callable(obj):
                obj = obj()
        return obj

    def chains(co):
        out, ins = set(), list(_dis.get_instructions(co))
        for i, ins_ in enumerate(ins):
            if ins_.opname == "LOAD_GLOBAL":
                chain = [str(ins_.argval)]
                for nxt in ins[i + 1:]:
                    if nxt.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                        chain.append(str(nxt.argval))
                    else:
                        break
                out.add(".".join(chain))
        for c in co.co_consts:
            if isinstance(c, _ty.CodeType):
                out |= chains(c)
        return out

    # 1. the watched modules: every function and class, and what their code reaches by name
    for name in cfg["modules"]:
        mod = _sys.modules.get(name) or _il.import_module(name)
        ids["sys.modules[%s]" % name] = str(id(_sys.modules.get(name)))
        parent, _, leaf = name.rpartition(".")
        if parent:
            ids["%s.%s" % (parent, leaf)] = str(id(getattr(_sys.modules.get(parent), leaf, None)))
        ids["%s.__dict__" % name] = str(id(vars(mod)))
        funcs = []
        for key, val in sorted(vars(mod).items()):
            if key.startswith("__") or not (callable(val) or isinstance(val, _ty.ModuleType)):
                continue
            ids["%s.%s" % (name, key)] = ("T|" if is_trusted(val) else "") + desc(val)
            if isinstance(val, type) and val.__module__ == name:
                for k2, v2 in sorted(vars(val).items()):
                    if callable(v2) or isinstance(v2, (staticmethod, classmethod, property)):
                        ids["%s.%s.%s" % (name, key, k2)] = desc(v2)
                        funcs.append(getattr(v2, "__func__", v2))
            elif getattr(val, "__module__", None) == name and code_of(val) is not None:
                funcs.append(val)
        for f in funcs:
            co = code_of(f)
            if co is None:
                continue
            g = getattr(f, "__globals__", vars(mod))
            for chain in sorted(chains(co)):
                head, *rest = chain.split(".")
                obj = g[head] if head in g else getattr(_b, head, None)
                for part in rest:
                    obj = getattr(obj, part, None)
                    if obj is None:
                        break
                keep.append(obj)
                ids["%s:%s" % (name, chain)] = str(id(obj))
    # 2. builtins, the user's builtins, sys.modules itself
    for key, val in vars(_b).items():
        if key != "_":
            keep.append(val)
            ids["builtins.%s" % key] = str(id(val))
    ids["user_ns.__builtins__"] = str(id(shell.user_ns.get("__builtins__")))
    ids["sys.modules"] = str(id(_sys.modules))
    ids["builtins.__dict__"] = str(id(vars(_b)))
    # 3. methods of the kernel's objects: replaced on the instance or its classes
    for path in cfg["objects"]:
        obj = resolve(path)
        ids["object %s" % path] = str(id(obj))
        keep.append(obj)
        for key, val in sorted(getattr(obj, "__dict__", {}).items()):
            if callable(val) and not isinstance(val, type):
                ids["%s.%s" % (path, key)] = desc(val)
                if not is_trusted(val):
                    bad.append("%s.%s is student code" % (path, key))
        for cls in type(obj).__mro__:
            if cls.__module__ == "builtins":
                continue
            for key, val in sorted(vars(cls).items()):
                if callable(val) or isinstance(val, (staticmethod, classmethod, property)):
                    ids["%s:%s.%s" % (path, cls.__qualname__, key)] = str(id(val))
                    keep.append(val)
                    if not is_trusted(getattr(val, "fget", val)):
                        bad.append("%s.%s (class %s) is student code" % (path, key, cls.__qualname__))
    # 4. hooks: no student code may be installed there
    for path in cfg["hooks"]:
        hook = resolve(path)
        items = []
        if isinstance(hook, dict):
            for k, v in hook.items():
                items += [(str(k), x) for x in (v if isinstance(v, (list, tuple)) else [v])]
        elif isinstance(hook, (list, tuple)):
            items = [("", x) for x in hook]
        elif hook is not None:
            items = [("", hook)]
        for k, x in items:
            if isinstance(x, type) and issubclass(x, BaseException):
                bad.append("%s: %s" % (path, x.__name__))
            elif not is_trusted(x):
                bad.append("%s%s: %s" % (path, "[" + k + "]" if k else "", getattr(x, "__qualname__", type(x).__name__)))
            elif path in ("sys.excepthook", "sys.displayhook", "shell.CustomTB"):
                ids["hook %s" % path] = desc(x)
    # 5. threads running student code, processes left running (sandbox: a PID namespace)
    me = threading.get_ident()
    for tid, frame in _sys._current_frames().items():
        if tid == me:
            continue
        f = frame
        while f is not None:
            if not f.f_code.co_filename.startswith(trusted + ("<frozen ",)):
                bad.append("a thread runs student code (%s)" % f.f_code.co_name)
                break
            f = f.f_back
    if _os.getpid() <= 3 and _os.path.isdir("/proc"):
        others = [p for p in _os.listdir("/proc") if p.isdigit() and int(p) not in (1, _os.getpid())]
        if others:
            bad.append("%d other process(es) left running in the sandbox" % len(others))
    # 6. the lab's names (check, crmlab …) still bound to the real modules
    for name, target in cfg["guarded"].items():
        if name not in shell.user_ns:
            continue
        modname, _, attr = target.partition(":")
        want = _sys.modules.get(modname)
        if attr:
            want = getattr(want, attr, None)
        if shell.user_ns[name] is not want:
            bad.append("%s is no longer %s" % (name, target.replace(":", ".")))
    if cfg["mode"] == "baseline":
        _sys._crmlab_tamper_keep = keep        # no id is reused while grading runs
    else:
        _scrub(shell, cfg["scrub"])
    return _json.dumps({"ids": ids, "bad": sorted(set(bad))})

def _scrub(shell, marker):
    """Wipe every input holding ``marker`` (hidden tests) from IPython's history and linecache."""
    import linecache
    hm = shell.history_manager
    for hist in (hm.input_hist_parsed, hm.input_hist_raw):
        for i, src in enumerate(hist):
            if marker in src:
                hist[i] = ""
    for attr in ("_i", "_ii", "_iii", "_i00"):
        if marker in (getattr(hm, attr, "") or ""):
            setattr(hm, attr, "")
    for key, val in list(shell.user_ns.items()):
        if key.startswith("_i") and isinstance(val, str) and marker in val:
            shell.user_ns[key] = ""
    with hm.db_input_cache_lock:
        hm.db_input_cache[:] = [(n, "" if marker in p else p, "" if marker in r else r) for n, p, r in hm.db_input_cache]
    for cache in (linecache.cache, getattr(linecache, "_ipython_cache", {})):
        for key, entry in list(cache.items()):
            lines = entry[2] if isinstance(entry, tuple) and len(entry) > 2 else []
            if any(marker in line for line in lines or []):
                del cache[key]

RESULT = _main(CONFIG)
'''


def expression(mode: str, guarded: dict[str, str] | None = None) -> str:
    """The ``user_expressions`` expression that runs :data:`KERNEL_CODE` in the kernel and gives its JSON."""
    modules = list(WATCHED_MODULES)
    if any(str(v).startswith(("crmlab:system", "crmlab.system")) for v in (guarded or {}).values()):
        modules.append("crmlab.check_crm")        # the CRM labs' checks (check.crm), watched where the lab has a CRM
    config = {"mode": mode, "modules": modules, "objects": list(WATCHED_OBJECTS),
              "hooks": list(WATCHED_HOOKS), "guarded": dict(guarded or {}), "scrub": SCRUB}
    return (f"(lambda ns: (__import__('builtins').exec(__import__('builtins').compile({KERNEL_CODE!r}, "
            f"'<crmlab-verify>', 'exec'), ns), ns['RESULT'])[1])({{'CONFIG': {config!r}}})")


def parse(reply: dict | None) -> dict | None:
    """The kernel's answer (``{"ids": …, "bad": […]}``) from an execute reply, or None."""
    if not reply or reply.get("content", {}).get("status") != "ok":
        return None
    value = reply["content"].get("user_expressions", {}).get("tamper", {})
    if value.get("status") != "ok":
        return None
    try:
        return json.loads(ast.literal_eval(value["data"]["text/plain"]))
    except (KeyError, ValueError, SyntaxError, TypeError):
        return None


def differences(baseline: dict, now: dict | None) -> list[str]:
    """What changed since the baseline (empty: nothing found). ``now=None``: the check could not run."""
    if now is None:
        return ["the integrity check could not run (无法完成完整性检查)"]
    found = list(now.get("bad", []))
    old, new = baseline.get("ids", {}), now.get("ids", {})
    for key in sorted(set(old) | set(new)):
        if key not in old:
            if not key.startswith("hook ") and not new[key].startswith("T|"):
                found.append(f"{key} was added")       # trusted code may add helpers to a module lazily
        elif key not in new:
            found.append(f"{key} was removed")
        elif old[key] != new[key]:
            found.append(f"{key} was replaced or changed")
    return found


def describe(found: list[str], limit: int = 4) -> str:
    text = "; ".join(found[:limit])
    return text + (f"; and {len(found) - limit} more" if len(found) > limit else "")


def guarded_names(release) -> dict[str, str]:
    """Names the lab binds by importing crmlab (``from crmlab import check`` → ``{"check": "crmlab.check"}``)."""
    names: dict[str, str] = {}
    for cell in release.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "crmlab" and not node.level:
                for a in node.names:
                    if a.name != "*":
                        names[a.asname or a.name] = f"{node.module}:{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "crmlab":
                        names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
    return names
