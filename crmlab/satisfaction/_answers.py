"""Answer keys: tables a lab asks students to build, read through recorded accessors."""
from __future__ import annotations

from ..shortcuts import computes
from ._indicators import _CSI_EXAMPLE_QUESTIONS, _CSI_EXAMPLE_TREE


# --------------------------------------------------------------------------- answer keys
# The example indicator system and its questions are what a lab exercise asks students to build;
# reading them counts as using crmlab's answer (crmlab.shortcuts).
@computes("csi_tree", "满意度测评指标体系及其问题", "the satisfaction indicator system and its questions")
def _read_csi_tree():
    import copy
    return copy.deepcopy(_CSI_EXAMPLE_TREE)


@computes("csi_tree")
def _read_csi_questions():
    return dict(_CSI_EXAMPLE_QUESTIONS)
