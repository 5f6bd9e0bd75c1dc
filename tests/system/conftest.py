"""Fixtures of the crmlab.system tests: a demo CRM on each backend (the root ``db_url`` fixture)."""
import pytest

from crmlab import system


@pytest.fixture
def crm(demo_url):
    """A fresh demo company on a new SQLite file and on a fresh PostgreSQL database (copies of one seeding)."""
    c = system.open(demo_url, demo=True)
    yield c
    c.close()


