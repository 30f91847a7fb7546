"""One colour per kind, everywhere: the registry in nbhelpers.plots.style is the only place a plot
takes a colour from, it covers every kind the package names, and the figures draw with it."""

import ast
import re
from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex, to_rgba

from nbhelpers import plots
from nbhelpers.plots import style
from nbhelpers.plots.style import KIND_COLORS, KIND_GROUPS, KIND_LABELS, NEUTRALS, kind_color

PLOTS = Path(plots.__file__).parent
COLOR_KEYWORDS = {"color", "colors", "c", "facecolor", "facecolors", "edgecolor", "edgecolors", "fc", "ec",
                  "mfc", "mec", "markerfacecolor", "markeredgecolor", "markerfacecoloralt", "ecolor",
                  "hatchcolor"}
HEX = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
FORMAT_COLOR = re.compile(r"[-.:o^v<>sp*hH+xXDd|_1-4,]*(?:[bgrcmykw]|C\d)[-.:o^v<>sp*hH+xXDd|_1-4,]*")
NAMED = {name.lower() for name in mcolors.CSS4_COLORS}


def colour_literals(source: str) -> list[str]:
    """The colour literals in Python source: hex strings, named colours, and any colour-like string
    passed as a colour keyword or as a plot format (``"k--"``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if HEX.fullmatch(text) or text.lower() in NAMED or text.startswith(("tab:", "xkcd:")):
                found.append(f"line {node.lineno}: {text!r}")
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                value = kw.value
                literal = isinstance(value, ast.Constant) and isinstance(value.value, str)
                colour = literal and value.value != "none" and mcolors.is_color_like(value.value)
                if kw.arg in COLOR_KEYWORDS and colour:
                    found.append(f"line {value.lineno}: {kw.arg}={value.value!r}")
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("plot", "semilogy", "semilogx", "loglog", "errorbar", "step"):
                for arg in node.args:
                    literal = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    if literal and FORMAT_COLOR.fullmatch(arg.value):
                        found.append(f"line {arg.lineno}: format {arg.value!r}")
    return found


def test_the_literal_finder_finds_every_way_to_write_a_colour():
    source = ('ax.plot(x, y, "k--"); ax.plot(x, "o-"); ax.bar(x, y, color="0.45"); a = "#D55E00"\n'
              'b = "black"; ax.scatter(x, y, facecolors="none", edgecolors="C1"); c = "tab:blue"\n'
              'ax.set_title("red title")')
    assert len(colour_literals(source)) == 6  # not "o-", not facecolors="none", not a sentence


@pytest.mark.parametrize("module", sorted(p.name for p in PLOTS.glob("*.py") if p.name != "style.py"))
def test_no_plot_module_but_style_writes_a_colour(module):
    found = colour_literals((PLOTS / module).read_text())
    assert not found, f"{module} writes colours itself (take them from nbhelpers.plots.style): {found}"


def _package_kinds() -> dict[str, set[str]]:
    from nbhelpers.audit.fix import KINDS as FIX_KINDS
    from nbhelpers.experiments import longrun
    from nbhelpers.layers import DOWNSAMPLING_DESIGNS
    from nbhelpers.layers.models import AUDIO_KINDS
    from nbhelpers.layers.registry import UPSAMPLERS

    return {
        "layers.registry.UPSAMPLERS": set(UPSAMPLERS),
        "longrun.AUTOENCODER_KINDS": set(longrun.AUTOENCODER_KINDS),
        "longrun.PERCEPTUAL_KINDS": set(longrun.PERCEPTUAL_KINDS),
        "longrun.COLOUR_KINDS": set(longrun.COLOUR_KINDS),
        "longrun.AUDIO_KINDS": set(longrun.AUDIO_KINDS),
        "layers.models.AUDIO_KINDS": set(AUDIO_KINDS),
        "longrun.DOWNSAMPLING_DESIGNS": set(longrun.DOWNSAMPLING_DESIGNS),
        "layers.DOWNSAMPLING_DESIGNS": set(DOWNSAMPLING_DESIGNS),
        "longrun.FINGERPRINT_RUNS": {style.run_kind(k, loss) for k, loss in longrun.FINGERPRINT_RUNS},
        "every declared long run": {style.run_kind(r.kind, r.loss) for r in longrun.declared_runs()},
        "audit fixes (audit.fix KINDS)": set(FIX_KINDS),
    }


@pytest.mark.parametrize("where", sorted(_package_kinds()))
def test_every_kind_the_package_names_has_a_registry_colour_and_label(where):
    kinds = _package_kinds()[where]
    assert kinds
    for kind in kinds:
        assert mcolors.is_color_like(kind_color(kind)), kind
        assert style.kind_label(style.kind_of(kind)) == KIND_LABELS[style.kind_of(kind)]


def test_every_registry_kind_has_a_label_a_group_and_a_valid_colour():
    assert set(KIND_COLORS) == set(KIND_LABELS)
    grouped = {k for group in KIND_GROUPS.values() for k in group}
    assert grouped == set(KIND_COLORS)
    assert all(mcolors.is_color_like(c) for c in (*KIND_COLORS.values(), *NEUTRALS.values()))
    assert not {to_hex(c) for c in KIND_COLORS.values()} & {to_hex(c) for c in NEUTRALS.values()}


@pytest.mark.parametrize("group", sorted(KIND_GROUPS))
def test_kinds_that_share_a_figure_never_share_a_colour(group):
    colors = [to_hex(kind_color(k)) for k in KIND_GROUPS[group]]
    assert len(set(colors)) == len(colors), dict(zip(KIND_GROUPS[group], colors))


def test_the_colours_the_issue_asks_for():
    deconvolutions = ("deconv3", "deconv4", "transposed", "stride2_k3", "as_designed")
    orange = {to_hex(kind_color(k)) for k in deconvolutions}
    assert orange <= {"#d55e00", "#e69f00"}  # transposed convolutions are orange in every notebook
    assert kind_color("nearest") == kind_color("resize") == "#0072b2"  # nearest is blue everywhere
    assert kind_color("linear") not in orange  # 07's best case is not orange
    assert kind_color("subpixel") != kind_color("subpixel_icnr_blur")


def test_names_resolve_to_kinds_and_unknown_kinds_are_refused():
    assert style.kind_of("deconv3, 100 steps") == "deconv3"
    assert style.kind_of("deconv3, MSE + spectral") == "deconv3_spectral"
    assert style.kind_of("2: stride-2 first layer") == "stride2"
    assert style.kind_of("nearest resize-conv") == "nearest"
    assert style.kind_of("as designed") == "as_designed"
    for unknown in ("blurred", "swap_a", "real patches", "deconv5"):
        with pytest.raises(ValueError, match="no colour registered"):
            kind_color(unknown)


def _drawn_colours(fig) -> set[str]:
    """Every colour the data artists and legend handles of a figure are drawn in (hex, alpha dropped;
    fully transparent ones left out)."""
    seen = set()

    def add(color):
        if color is None or (isinstance(color, str) and color == "none"):
            return
        for rgba in np.atleast_2d(to_rgba(color) if isinstance(color, str) else np.asarray(color, float)):
            if len(rgba) == 4 and rgba[3] == 0:
                continue
            seen.add(to_hex(rgba, keep_alpha=False))

    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    artists = [a for ax in fig.axes if not ax.get_label() == "<colorbar>"
               for a in (*ax.lines, *ax.patches, *ax.collections, *ax.texts)]
    artists += [h for legend in legends for h in legend.legend_handles]
    for artist in artists:
        if hasattr(artist, "get_markerfacecolor"):
            add(artist.get_color())
            add(artist.get_markerfacecolor())
            add(artist.get_markeredgecolor())
        elif hasattr(artist, "get_facecolor"):
            add(artist.get_facecolor())
            add(artist.get_edgecolor())
        elif hasattr(artist, "get_color"):
            add(artist.get_color())
    return seen


def _kind_figures():
    gen = torch.Generator().manual_seed(0)
    steps = [100, 300, 1000, 3000, 10000]

    def runs(*kinds):
        return {k: torch.rand(5, len(steps), generator=gen) + 0.01 for k in kinds}

    from nbhelpers.experiments.longrun import AUDIO_KINDS, AUTOENCODER_KINDS, DOWNSAMPLING_DESIGNS

    fingerprint = runs("deconv3", "nearest", "deconv3_last_nearest", "deconv3_last_bilinear")
    freqs = torch.linspace(0, 0.7, 20)
    conditions = ("random init", "trained")
    designs = {c: {d: [0.1, 0.2, 0.3] for d in DOWNSAMPLING_DESIGNS} for c in conditions}
    from nbhelpers.measures.audio import interpolation_response, interpolation_theory

    rel, near = interpolation_response("nearest", 4)
    _, lin = interpolation_response("linear", 4)
    theory = {m: interpolation_theory(m, 4, rel) for m in ("nearest", "linear")}
    return {
        "training length, small multiples": plots.plot_training_length(
            steps, {"index": runs(*AUTOENCODER_KINDS), "PSNR": runs(*AUTOENCODER_KINDS)}, log_y=["index"],
            reference={"index": 0.02}),
        "training length, overlay": plots.plot_training_length(
            steps, {"accuracy": fingerprint, "offset": fingerprint, "index": fingerprint}, log_y=["index"]),
        "training length, audio": plots.plot_training_length(steps, {"tone": runs(*AUDIO_KINDS)}),
        "training length, spectral loss": plots.plot_training_length(
            steps, {"a": {"deconv3, MSE": fingerprint["deconv3"],
                          "deconv3, MSE + spectral": fingerprint["nearest"]}}),
        "radial spectra": plots.plot_radial_spectra(
            freqs,
            {k: torch.rand(20, generator=gen) + 0.1 for k in ("deconv3", "nearest", "subpixel_icnr_blur")},
            torch.rand(20, generator=gen) + 0.1),
        "border": plots.plot_border_comparison(
            {"zero padding": torch.rand(8, 8), "reflect padding": torch.ones(8, 8)},
            {"nearest": [torch.rand(4)], "nearest_zeros": [torch.rand(4)]}),
        "amplitude": plots.plot_amplitude_vs_distance(
            torch.rand(10), {"deconv3": [torch.rand(10)], "nearest": [torch.rand(10)]},
            {"deconv3": [0.1], "nearest": [0.01]}, {"deconv3": [0.0], "nearest": [0.0]}),
        "designs": plots.plot_gradient_index_by_design(designs, designs),
        "high frequency": plots.plot_high_frequency_share(designs, noise_share=0.6),
        "GAN": plots.plot_gan_index({"stride-2 first layer": [([0, 10], [0.1, 0.2])],
                                     "stride-1 first layer": [([0, 10], [0.1, 0.05])]}, reference=0.03),
        "fixes": plots.plot_index_before_after(
            {"a": 0.3, "b": 0.1},
            {"resize": {"a": 0.01, "b": 0.0}, "subpixel_icnr": {"a": 0.02, "b": 0.03}}, 2, floor=0.02),
        "signal spectra": plots.plot_signal_spectra(
            freqs, {"as designed": torch.rand(20) + 0.1, "resize-convolution": torch.rand(20) + 0.1},
            marks=(0.25,)),
        "fingerprint profiles": plots.plot_fingerprint_profiles(
            freqs, {"real patches": torch.zeros(20), "deconv3, 100 steps": torch.rand(20),
                    "nearest, 100 steps": torch.rand(20)}),
        "interpolation": plots.plot_interpolation_response(rel, {"nearest": near, "linear": lin}, theory,
                                                           4000, 16000),
        "tone spectra": plots.plot_tone_spectra(torch.linspace(0, 8000, 65), {"a": torch.rand(65) + 0.1},
                                                {"a": [4000.0]}),
    }


def test_kind_figures_draw_only_registry_colours_and_neutrals():
    allowed = style.registry_colors()
    for name, fig in _kind_figures().items():
        stray = _drawn_colours(fig) - allowed
        assert not stray, f"{name} draws colours outside the registry: {sorted(stray)}"


def _line_colour(fig, label: str) -> str:
    """The colour of the legend entry called ``label`` (figure or axes legend)."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]
    for legend in legends:
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            if text.get_text() == label:
                line = hasattr(handle, "get_markerfacecolor")
                return to_hex(handle.get_color() if line else handle.get_facecolor(), keep_alpha=False)
    raise AssertionError(f"no legend entry {label!r}")


def test_a_kind_has_the_same_colour_in_every_figure():
    figs = _kind_figures()
    deconv3 = {_line_colour(figs["training length, overlay"], "deconv k=3 (uneven)"),
               _line_colour(figs["radial spectra"], "deconv k=3 (uneven)"),
               _line_colour(figs["amplitude"], "deconv k=3 (uneven): slopes 0.1000"),
               _line_colour(figs["fingerprint profiles"], "deconv3, 100 steps"),
               _line_colour(figs["training length, spectral loss"], "deconv3, MSE"),
               _line_colour(figs["signal spectra"], "as designed")}
    assert deconv3 == {kind_color("deconv3")}
    nearest = {_line_colour(figs["training length, overlay"], "nearest resize-conv"),
               _line_colour(figs["border"], "nearest resize-conv"),
               _line_colour(figs["interpolation"], "nearest: theory"),
               _line_colour(figs["signal spectra"], "resize-convolution"),
               _line_colour(figs["fixes"], "resize")}
    assert nearest == {kind_color("nearest")}
    assert _line_colour(figs["training length, audio"], "sub-pixel") == kind_color("subpixel")
    assert _line_colour(figs["training length, spectral loss"], "deconv3, MSE + spectral") == kind_color(
        "deconv3_spectral")


def test_new_figure_caps_the_width_so_the_notebook_png_stays_within_1400_px():
    import io

    from PIL import Image

    fig, _ = plots.new_figure(1, 4, width=20.8, height=3.8)
    assert fig.get_figwidth() * fig.dpi <= 1400
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")  # what the notebook's inline backend shows
    assert Image.open(buffer).size[0] <= 1400
    assert style.bare_figure(15.6, 3).get_figwidth() == pytest.approx(style.MAX_FIGURE_WIDTH)


def test_phase_kernels_have_colour_bars_and_no_overlapping_cell_labels():
    from nbhelpers.layers.phases import phase_map

    gen = torch.Generator().manual_seed(0)
    fig = plots.plot_phase_kernels(
        {"deconv3": torch.randn(3, 3, generator=gen), "deconv4": torch.randn(4, 4, generator=gen)},
        {"deconv3": phase_map(3), "deconv4": phase_map(4)},
        {k: torch.rand(2, 2, generator=gen) + 1 for k in ("deconv3", "deconv4")},
        initial_responses={k: torch.rand(2, 2, generator=gen) for k in ("deconv3", "deconv4")})
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 2  # kernels; per-phase sums
    fig.draw_without_rendering()
    renderer = fig._get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts]
        for i, a in enumerate(boxes):
            assert not any(a.overlaps(b) for b in boxes[i + 1:]), f"labels overlap in {ax.get_title()!r}"
    kernels = [ax for ax in fig.axes if "learned kernel" in ax.get_title()]
    assert kernels[0].images[0].get_clim() == kernels[1].images[0].get_clim()  # one shared scale
