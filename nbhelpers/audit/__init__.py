"""Audit a model for checkerboard artifacts: which layer causes them, at which period, what to do.

- :mod:`.tracing`: one forward pass with module hooks and a torch function mode finds every
  resolution change, modules and functional calls; :mod:`.advice`: what each one means;
- :mod:`.measure`: :func:`audit` describes each one and measures the output (and input-gradient)
  checkerboard index on random inputs; :func:`sample_outputs`;
- :mod:`.report`: :class:`AuditReport` and :class:`LayerReport` (text, HTML, dict);
- :mod:`.cli`: ``python -m nbhelpers.audit package.module:factory --input-shape 1,100,1,1``;
- :mod:`.fix`: :func:`replace_upsampling` applies the fix and says what it changed and kept;
- :mod:`.probe`: :func:`probe` checks a model you cannot edit, from its responses alone.
"""

from .fix import ConversionReport, replace_upsampling
from .measure import audit, sample_outputs
from .probe import ProbeReport, probe
from .report import AuditReport, LayerReport
from .tracing import find_resolution_changes

__all__ = ["AuditReport", "ConversionReport", "LayerReport", "ProbeReport", "audit",
           "find_resolution_changes", "probe", "replace_upsampling", "sample_outputs"]
