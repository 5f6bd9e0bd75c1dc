"""Every docstring example in crmlab runs (pingouin style: docstrings with runnable examples)."""
import doctest
import importlib
import pkgutil

import pytest

import crmlab

# every module, private ones too (the survey's parts live in crmlab/survey/_*.py); run once, here
MODULES = sorted(m.name for m in pkgutil.walk_packages(crmlab.__path__, "crmlab."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
