"""Answer keys: tables a lab asks students to work out, read through recorded accessors."""
from __future__ import annotations

from ..shortcuts import computes
from ._ctrip import _CTRIP_VIOLATIONS
from ._typology import _COMPLAINT_STEPS, _HANDLING_METHODS
from ._workflow import _TRANSITIONS, CANONICAL_EDGES, GUARDS, STATES


# --------------------------------------------------------------------------- answer keys
# The step order, the method order and the Ctrip reading are what lab exercises ask students to work
# out; reading them here counts as using crmlab's answer (crmlab.shortcuts), like calling a function.
@computes("complaint_steps")
def _read_complaint_steps():
    return _COMPLAINT_STEPS.copy()


@computes("complaint_steps")
def _read_transitions():
    return _TRANSITIONS


@computes("complaint_steps")
def _read_states():
    return dict(STATES)


@computes("complaint_steps")
def _read_canonical_edges():
    return CANONICAL_EDGES


@computes("complaint_steps")
def _read_guards():
    return dict(GUARDS)


@computes("handling_methods", "投诉处理方法的顺序", "order of the handling methods")
def _read_handling_methods():
    return _HANDLING_METHODS.copy()


@computes("ctrip_violations", "携程违反的处理步骤", "steps Ctrip violated")
def _read_ctrip_violations():
    return _CTRIP_VIOLATIONS.copy()


_ANSWER_KEYS = {"COMPLAINT_STEPS": _read_complaint_steps, "TRANSITIONS": _read_transitions,
                "STATES": _read_states, "CANONICAL_EDGES": _read_canonical_edges,
                "GUARDS": _read_guards,
                "HANDLING_METHODS": _read_handling_methods, "CTRIP_VIOLATIONS": _read_ctrip_violations}
