"""crmlab: helper package for the crmlab CRM course labs.

One module per subject of the course (客户关系管理):

- :mod:`crmlab.segmentation` customer segmentation (客户细分) helpers
- :mod:`crmlab.value` customer value (客户价值): Pareto, ABC, value matrices
- :mod:`crmlab.datasets` seeded generators and loaders for the course's fictional market
- :mod:`crmlab.check` small assertion helpers used by the graded test cells
- :mod:`crmlab.plotting` one seaborn theme with a CJK font so Chinese labels render
- :mod:`crmlab.glossary` the bilingual glossary (English code ↔ 中文术语)

Example
-------
>>> import crmlab
>>> crmlab.datasets.load("customers").shape[1] > 5
True
"""
from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "check", "cli", "datasets", "errors", "glossary", "grading", "integrity", "labtools", "plotting",
    "segmentation", "value", "survey", "archive", "opportunity", "satisfaction", "loyalty",
    "complaints", "service", "system", "concepts", "feedback", "visits", "events",
}


def __getattr__(name):
    # Import submodules lazily so `import crmlab` stays fast (no matplotlib, no nbgrader).
    if name in _SUBMODULES:
        module = import_module(f"crmlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'crmlab' has no attribute {name!r}")


__all__ = sorted(_SUBMODULES) + ["__version__"]
