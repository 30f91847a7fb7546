"""Shared test settings: tests compute on the CPU unless NBHELPERS_DEVICE says otherwise."""

import os

import matplotlib

matplotlib.use("Agg")
os.environ.setdefault("NBHELPERS_DEVICE", "cpu")


import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

MIN_DPI, MIN_FONT_PT, MAX_WIDTH_PX = 100, 9, 1400


def figure_problems(fig: Figure) -> list[str]:
    """Why a figure would not read at laptop size: dpi below 100, wider than 1,400 px at 100 dpi
    (wider figures are shrunk on a laptop screen, and their text with them), or visible text below
    9 pt."""
    problems = [f"dpi {fig.dpi} < {MIN_DPI}"] if fig.dpi < MIN_DPI else []
    width = fig.get_figwidth() * MIN_DPI
    if width > MAX_WIDTH_PX + 1e-6:
        problems.append(f"{width:.0f} px wide at {MIN_DPI} dpi > {MAX_WIDTH_PX}")
    fig.draw_without_rendering()
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_PT:
            problems.append(f"text {text.get_text()[:30]!r} at {text.get_fontsize():.1f} pt")
    return problems


@pytest.fixture(autouse=True)
def _every_plot_reads_at_laptop_size(request, monkeypatch):
    """In the plot tests, every Figure created must have >= 100 dpi, be at most 1,400 px wide at 100 dpi
    and have no visible text below 9 pt."""
    if not request.module.__name__.split(".")[-1].startswith(("test_plots", "test_colors")):
        yield
        return
    made: list[Figure] = []
    original = Figure.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Figure, "__init__", init)
    yield
    problems = {id(f): figure_problems(f) for f in made}
    bad = [p for p in problems.values() if p]
    assert not bad, f"{len(bad)} of {len(made)} figures would not read at laptop size: {bad[:3]}"


@pytest.fixture
def shows_full_redraw():
    """A check for explorers: the widget's PNG has the same RGB pixels as a plain full ``savefig`` of
    the explorer's figure (what the cached, layered drawing must reproduce)."""
    import io

    import numpy as np
    from PIL import Image

    def pixels(png: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))

    def check(explorer: object) -> bool:
        buffer = io.BytesIO()
        explorer.figure.savefig(buffer, format="png")
        return bool((pixels(explorer.view.image.value) == pixels(buffer.getvalue())).all())

    return check
