"""Repository-wide pytest set-up.

pytest-xdist runs with ``--dist loadgroup``: every cell of one notebook (nbval) must run in the
same worker and kernel, so each notebook's items share an ``xdist_group``; all other tests are
spread freely over the workers.
"""
import os

import pytest

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

collect_ignore_glob = ["tests/fixtures/*", "labs/*", "build/*", "dist/*"]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.endswith(".ipynb") or ".ipynb::" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
