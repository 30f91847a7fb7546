"""``python -m nbhelpers``: one line saying where this runs (CPU, cores, GPU, torch, its CPU kernels
and the thread policy), as CI prints it first."""

from .runtime import machine_summary

print(machine_summary())
