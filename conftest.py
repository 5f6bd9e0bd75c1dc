"""Repository-wide pytest set-up.

pytest-xdist runs with ``--dist loadscope``: every cell of one notebook (nbval) stays in one worker
and kernel, and the lab-integrity tests are one class per notebook, so notebooks spread over the
workers while each notebook's checks stay together.
"""
import os

import pytest

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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """Each database test runs twice: on a new SQLite file and on a new PostgreSQL database.

    The PostgreSQL database is created for the one test and dropped after it, so tests running in
    parallel never see each other's tables.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crm.db'}"
        return
    import uuid

    import sqlalchemy as sa

    admin_url = request.getfixturevalue("pg_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as con:
            con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
