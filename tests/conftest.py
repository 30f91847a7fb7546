"""Shared test settings: tests compute on the CPU unless NBHELPERS_DEVICE says otherwise."""

import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("NBHELPERS_DEVICE", "cpu")
