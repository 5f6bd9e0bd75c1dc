"""crmlab's layers, read from its import graph: each layer uses only the layers below it, and no module
imports itself through others (no import cycles, counting imports inside functions too).

    core (the lazy package, vocabulary, errors, validation, shortcut register, plot theme, and the domain
          core of the CRM engine: the sales method and the opportunity state machine)
      ← datasets ← subject modules ← system (the CRM engine, its UI, mobile page, classroom)
      ← course tooling (checks, scenario, grading, feedback, lab tools, integrity) ← command line
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "crmlab"

CORE = {"crmlab", "crmlab.errors", "crmlab._validate", "crmlab.glossary", "crmlab.shortcuts", "crmlab.plotting",
        "crmlab.sales_method"}
TOOLING = {"crmlab.check", "crmlab.grading", "crmlab.feedback", "crmlab.labtools", "crmlab.integrity",
           "crmlab.selfcheck", "crmlab.sandbox", "crmlab.tamper", "crmlab.gradebook", "crmlab.mutantrun",
           "crmlab._checkbase", "crmlab.check_crm", "crmlab.system.scenario"}
LAYERS = ("core", "datasets", "subjects", "system", "course tooling", "command line")


def layer(module: str) -> int:
    if module in CORE:
        return 0
    if module in TOOLING:
        return 4
    if module == "crmlab.cli":
        return 5
    if module.startswith("crmlab.datasets"):
        return 1
    if module.startswith("crmlab.system"):
        return 3
    return 2


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """The crmlab modules ``module`` imports anywhere in its code (top level or inside functions)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - (node.level - is_package)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names = [f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("crmlab") and name != module:
                out.add(name)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_has_a_layer_and_the_graph_is_read():
    assert len(MODULES) > 40
    assert "crmlab.shortcuts" in GRAPH["crmlab.value"]                 # from .shortcuts import computes
    assert "crmlab.system.engine" in GRAPH["crmlab.system"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_uses_only_lower_layers(module):
    upward = sorted(d for d in GRAPH[module] if layer(d) > layer(module))
    assert not upward, (f"{module} ({LAYERS[layer(module)]}) imports a higher layer: "
                        + ", ".join(f"{d} ({LAYERS[layer(d)]})" for d in upward))


#: system modules that still reach the domain core through the subject module crmlab.opportunity (which
#: re-exports crmlab.sales_method); their owners switch them to ``from crmlab import sales_method as op``.
STILL_THROUGH_THE_SUBJECT: set[str] = set()


def test_the_engine_takes_its_domain_core_from_the_core():
    """Stages, sales method, the opportunity state machine and its errors live in crmlab.sales_method (core);
    the CRM engine does not import the subject module crmlab.opportunity for them."""
    assert layer("crmlab.sales_method") == 0
    users = {m for m, deps in GRAPH.items() if m.startswith("crmlab.system") and "crmlab.opportunity" in deps}
    assert users <= STILL_THROUGH_THE_SUBJECT
    core_users = {m for m, deps in GRAPH.items() if "crmlab.sales_method" in deps}
    assert {"crmlab.system.errors", "crmlab.system.lifecycle", "crmlab.system._actions._opportunity"} <= core_users


def test_no_import_cycles():
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):                       # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            visit(v)
    assert cycles == []
