"""Audit a model for checkerboard artifacts: which layer causes them, at which period, what to do.

- :mod:`.tracing`: one forward pass with hooks finds every resolution-changing layer;
- :mod:`.measure`: :func:`audit` describes each one and measures the output (and input-gradient)
  checkerboard index on random inputs; :func:`sample_outputs`;
- :mod:`.report`: :class:`AuditReport` and :class:`LayerReport` (text, HTML, dict);
- :mod:`.cli`: ``python -m nbhelpers.audit package.module:factory --input-shape 1,100,1,1``.

:func:`nbhelpers.layers.convert.replace_upsampling` applies the fix.
"""

from .measure import audit, sample_outputs
from .report import AuditReport, LayerReport
from .tracing import find_resolution_changes

__all__ = ["AuditReport", "LayerReport", "audit", "find_resolution_changes", "sample_outputs"]
