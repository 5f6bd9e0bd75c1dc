"""Repository-wide pytest set-up.

pytest-xdist runs with ``--dist loadscope``: every cell of one notebook (nbval) stays in one worker
and kernel, and the lab-integrity tests are one class per notebook, so notebooks spread over the
workers while each notebook's checks stay together.
"""
import os
import shutil

import pytest
from helpers import database_url, drop_pg_database, new_pg_database

os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

collect_ignore_glob = ["tests/fixtures/*", "labs/*", "build/*", "dist/*"]


@pytest.fixture(scope="session")
def pg_url():
    """URL of the test PostgreSQL server started by `bash dev.sh test` (.ci/services).

    Skips when no server is running, unless CRMLAB_REQUIRE_PG is set (CI), where it fails.
    """
    url = os.environ.get("CRMLAB_TEST_PG_URL")
    if not url:
        if os.environ.get("CRMLAB_REQUIRE_PG"):
            pytest.fail("CRMLAB_REQUIRE_PG is set but no PostgreSQL server was started (CRMLAB_TEST_PG_URL)")
        pytest.skip("no PostgreSQL server (run the tests with `bash dev.sh test`)")
    return url


@pytest.fixture(scope="session")
def _demo_templates(tmp_path_factory):
    """The demo company seeded once per test process: a SQLite file and, with a server, a PostgreSQL
    template database. Each test gets a copy (file copy / CREATE DATABASE … TEMPLATE), not a new seeding."""
    from crmlab import system

    folder = tmp_path_factory.mktemp("demo")
    made = {"sqlite": folder / "demo.db"}
    system.open(f"sqlite:///{made['sqlite']}", demo=True).close()
    admin_url = os.environ.get("CRMLAB_TEST_PG_URL")
    if admin_url:
        name = new_pg_database(admin_url)
        system.open(database_url(admin_url, name), demo=True).close()
        made["postgresql"] = name
    yield made
    if "postgresql" in made:
        drop_pg_database(admin_url, made["postgresql"])


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_url(request, tmp_path, _demo_templates):
    """Like ``db_url``, but the database already holds the demo company (as ``system.open(url, demo=True)``
    would seed it), copied from a template seeded once per test process."""
    if request.param == "sqlite":
        path = tmp_path / "crm.db"
        shutil.copyfile(_demo_templates["sqlite"], path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("pg_url")
    name = new_pg_database(admin_url, template=_demo_templates["postgresql"])
    try:
        yield database_url(admin_url, name)
    finally:
        drop_pg_database(admin_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each database test runs twice: on a new SQLite file and on a new PostgreSQL database.

    The PostgreSQL database is created for the one test and dropped after it, so tests running in
    parallel never see each other's tables.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    admin_url = request.getfixturevalue("pg_url")
    name = new_pg_database(admin_url)
    try:
        yield database_url(admin_url, name)
    finally:
        drop_pg_database(admin_url, name)


@pytest.fixture(scope="session")
def require_sandbox():
    """Grading runs students' kernels in bubblewrap: skip without it, but fail on CI (CRMLAB_REQUIRE_SANDBOX=1)."""
    from crmlab import sandbox

    ok, reason = sandbox.available()
    if not ok:
        message = f"the bubblewrap sandbox does not work here: {reason} (Debian: sudo apt-get install bubblewrap)"
        if os.environ.get("CRMLAB_REQUIRE_SANDBOX"):
            pytest.fail(message)
        pytest.skip(message)
