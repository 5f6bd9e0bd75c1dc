"""Answer keys: tables a lab asks students to work out, read through recorded accessors."""
from __future__ import annotations

from ..shortcuts import computes
from ._stages import _SERVICE_ACTIVITIES


# --------------------------------------------------------------------------- answer keys
# Which stage each activity belongs to is what a lab exercise asks; reading the table counts as using
# crmlab's answer (crmlab.shortcuts), like calling service_stage.
@computes("service_stage")
def _read_service_activities():
    return _SERVICE_ACTIVITIES.copy()
