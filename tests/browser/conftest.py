"""Fixtures of the mobile-page tests (task 16)."""
import pytest
from mobhelpers import DAY, build_day

from crmlab import system


@pytest.fixture
def crm():
    """A fresh in-memory demo company at 08:00 on :data:`DAY` with :func:`build_day` done."""
    c = system.open(":memory:", demo=True, clock=f"{DAY} 08:00")
    c.day = build_day(c)
    yield c
    c.close()
