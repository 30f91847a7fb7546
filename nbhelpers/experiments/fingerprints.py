"""Spectral fingerprints (notebook 08): can a detector tell a decoder's images from real ones by their
high-frequency spectrum, and does swapping the last upsampling layer or a spectral loss hide it?

After Durall et al. (CVPR 2020: generated images deviate in the azimuthally averaged spectrum at
high frequencies), Dzanic et al. (NeurIPS 2020: real vs generated from the decay of the
high-frequency part of that spectrum) and Chandrasegaran et al. (CVPR 2021: replacing only the
last transposed convolution by nearest or bilinear upsampling hides the fingerprint). The
"generated" images are the reconstructions of held-out natural 32x32 patches by the patch
autoencoder of :mod:`nbhelpers.layers.models`; the "real" ones are other held-out patches.

Frequencies are in cycles/pixel (0.5: period 2 along an axis; the checkerboard sits at the
corner, sqrt(2)/2); powers as in :func:`~nbhelpers.measures.spectra.power_spectrum` (pixel
values squared, images in [0, 1]); levels in dB = 10 log10(power + :data:`EPS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .._validate import check_choice, check_int, check_model, check_positive, check_tensor
from ..layers.models import PatchAutoencoder, autoencoder
from ..layers.registry import UPSAMPLERS
from ..measures.periodic import checkerboard_index
from ..measures.quality import image_quality
from ..measures.spectra import power_spectrum, radial_profile
from ..runtime import seed_everything
from .data import natural_patches
from .learning import predict

#: Lower edge of the high band, cycles/pixel: the features use the rings strictly above it.
HIGH_BAND = 0.25
#: Added to every power before the logarithm (pixel values squared): -100 dB, far below the
#: high-frequency power of natural 32x32 patches (about -45 to -25 dB per bin).
EPS = 1e-10
#: Added to every power in :func:`spectral_loss`: about the power per bin of 8-bit quantisation noise,
#: (1/255)**2 / 12 = 1.3e-6 (-59 dB), below which an image file holds no detail; it also bounds the
#: log's gradient, 1 / (P + LOSS_EPS). (Training under the spectral loss is more sensitive to float
#: rounding than under MSE: the same run on one and on two threads differs by ~30% in index and
#: spectral gap at step 100, for LOSS_EPS from 1e-10 to 1e-4; on one thread it repeats exactly.)
LOSS_EPS = 1e-6
#: The decay line's intercept is its level at this frequency (cycles/pixel), inside the band.
REFERENCE_FREQUENCY = 0.5
#: Weight of :func:`spectral_loss` in the ``mse_spectral`` runs (see :func:`mse_spectral_loss`).
SPECTRAL_WEIGHT = 0.01
#: The long-run task: training patches, held-out patches per side (reconstructed / real), seeds.
TRAIN_PATCHES = 2048
HELDOUT_PATCHES = 256
DETECTOR_SEED = 0
FINGERPRINT_KINDS = ("deconv3", "nearest", "deconv3_last_nearest", "deconv3_last_bilinear")
FINGERPRINT_LOSSES = ("mse", "mse_spectral")

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_images(name: str, images: object) -> torch.Tensor:
    images = check_tensor(name, images, min_rank=4)
    if images.dim() != 4 or images.shape[0] < 1:
        raise ValueError(f"{name} must have shape (N, C, H, W) with N >= 1, got {tuple(images.shape)}")
    if min(images.shape[-2:]) < 8:
        raise ValueError(f"{name} must be at least 8x8 pixels to have a high band, got "
                         f"{tuple(images.shape[-2:])}")
    return images


def _db(power: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(power + EPS)


def high_band_profile(images: torch.Tensor, cutoff: float = HIGH_BAND) -> tuple[torch.Tensor, torch.Tensor]:
    """The grey-level radial power profile of each image in the high band, in dB.

    Args:
        images: (N, C, H, W), H, W >= 8; the grey level is the mean over the C channels.
        cutoff: lower edge of the band, cycles/pixel, between 0 and 0.5.

    Returns:
        (freqs (R,), levels (N, R)), float64: the rings of :func:`radial_profile` (1 / min(H, W)
        wide) whose centre lies above ``cutoff``, up to the corner; levels 10 log10(power + EPS).
        For 32x32 and the default cut-off, R = 15 rings (9/32 to 23/32 cycles/pixel).
    """
    images = _check_images("images", images)
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)) or not 0 < cutoff < 0.5:
        raise ValueError(f"cutoff must be a frequency between 0 and 0.5 cycles/pixel, got {cutoff!r}")
    grey = images.detach().to(torch.float64).mean(dim=1)
    freqs, profile = radial_profile(power_spectrum(grey, ndim=2))
    band = freqs > cutoff
    return freqs[band], _db(profile[:, band])


def spectral_features(images: torch.Tensor, cutoff: float = HIGH_BAND) -> torch.Tensor:
    """Spectral features of each image: its high-band profile and a Dzanic-style decay fit.

    The columns are (i) the R levels of :func:`high_band_profile` (dB, grey level, rings above
    ``cutoff``), then (ii) the slope (dB per decade of frequency), (iii) the intercept (the line's
    level at :data:`REFERENCE_FREQUENCY`, dB) and (iv) the rms residual (dB) of the least-squares
    line of those levels against log10(frequency): a power law P ~ f**(slope / 10) fits the
    decay of natural images; a periodic artifact adds a bump the line leaves in the residual.
    The rings near the corner hold few bins (the last one, at the checkerboard's frequency, a single
    real-valued bin), so their dB levels scatter more and sit a few dB low for white noise (the
    log of few random powers): the same for every set of images, so comparisons stay fair.

    Args:
        images: (N, C, H, W), H, W >= 8 (e.g. RGB in [0, 1]).
        cutoff: lower edge of the high band, cycles/pixel, between 0 and 0.5.

    Returns:
        float64 tensor (N, R + 3), on the images' device (R = 15 for 32x32 images).
    """
    freqs, levels = high_band_profile(images, cutoff)
    x = torch.log10(freqs / REFERENCE_FREQUENCY)
    xc = x - x.mean()
    slope = (levels * xc).sum(dim=1) / (xc**2).sum()
    intercept = levels.mean(dim=1) - slope * x.mean()
    fitted = intercept[:, None] + slope[:, None] * x
    residual = (levels - fitted).pow(2).mean(dim=1).sqrt()
    return torch.cat([levels, slope[:, None], intercept[:, None], residual[:, None]], dim=1)


# ----------------------------------------------------------------------------- the detector


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion ``successes / n`` (z = 1.96: 95%).

    Returns:
        (low, high) within [0, 1]; e.g. 8 of 10 gives about (0.490, 0.943).
    """
    n = check_int("n", n, 1)
    k = check_int("successes", successes, 0, n)
    z = check_positive("z", z)
    p = k / n
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exact ends: no rounding to 0.9999999999999999
    return low, 1.0 if k == n else min(1.0, centre + half)


@dataclass(frozen=True)
class Detection:
    """A detector's result on its test split (chance is 0.5 for balanced classes).

    Attributes:
        accuracy: fraction of test images classified correctly.
        low, high: its 95% Wilson interval.
        n_test: number of test images (both classes).
        n_correct: how many of them were right.
    """

    accuracy: float
    low: float
    high: float
    n_test: int
    n_correct: int

    def as_dict(self, prefix: str = "detector_") -> dict[str, float]:
        """The fields as a JSON-ready dict, keys prefixed (e.g. ``detector_accuracy``)."""
        return {f"{prefix}{k}": v for k, v in asdict(self).items()}


def _stratified_split(n_real: int, n_fake: int, test_fraction: float,
                      gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean test masks over the concatenated (real, fake) rows, the same fraction of each class."""
    masks = []
    for n in (n_real, n_fake):
        n_test = min(n - 1, max(1, round(n * test_fraction)))
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.randperm(n, generator=gen)[:n_test]] = True
        masks.append(mask)
    test = torch.cat(masks)
    return ~test, test


def _logistic_regression(x: torch.Tensor, y: torch.Tensor, iterations: int, l2: float) -> torch.Tensor:
    """Weights (F + 1,) (bias last) minimising the mean logistic loss + l2/2 |w|^2, LBFGS, float64."""
    w = torch.zeros(x.shape[1] + 1, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([w], lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe",
                                  tolerance_grad=1e-10, tolerance_change=1e-14)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = x @ w[:-1] + w[-1]
        loss = nn.functional.binary_cross_entropy_with_logits(logits, y) + 0.5 * l2 * w[:-1].pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimiser.step(closure)
    return w.detach()


def fit_detector(real: torch.Tensor, fake: torch.Tensor, *, seed: int, test_fraction: float = 0.5,
                 iterations: int = 200, l2: float = 1e-3) -> Detection:
    """Logistic regression real (0) vs fake (1) on standardised features, scored on a held-out split.

    A stratified split (``test_fraction`` of each class, drawn from ``seed``) trains the detector:
    features are standardised with the training rows' mean and standard deviation, then the
    logistic loss plus an L2 penalty ``l2`` is minimised by LBFGS (``iterations`` at most, float64,
    on the CPU: deterministic). A test row is called fake when its logit is > 0.

    Args:
        real, fake: feature matrices (N_real, F) and (N_fake, F), N >= 2 each (e.g. from
            :func:`spectral_features`).
        seed: seeds the split (keyword-only).
        test_fraction: share of each class held out for testing, in (0, 1).
        iterations: LBFGS iterations (>= 1).
        l2: weight of the penalty on the (standardised) weights, > 0 (keeps separable data finite).

    Returns:
        :class:`Detection`: test accuracy, its 95% Wilson interval and the test size.
    """
    real = check_tensor("real", real, min_rank=2).detach().to("cpu", torch.float64)
    fake = check_tensor("fake", fake, min_rank=2).detach().to("cpu", torch.float64)
    for name, x in (("real", real), ("fake", fake)):
        if x.dim() != 2 or x.shape[0] < 2:
            raise ValueError(f"{name} must be a feature matrix (N, F) with N >= 2, got {tuple(x.shape)}")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must have the same number of features, got {real.shape[1]} "
                         f"and {fake.shape[1]}")
    seed = check_int("seed", seed, 0)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) \
            or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number between 0 and 1, got {test_fraction!r}")
    train, test = _stratified_split(real.shape[0], fake.shape[0], test_fraction,
                                    torch.Generator().manual_seed(seed))
    x = torch.cat([real, fake])
    y = torch.cat([torch.zeros(real.shape[0]), torch.ones(fake.shape[0])]).to(torch.float64)
    mean, std = x[train].mean(dim=0), x[train].std(dim=0).clamp_min(1e-12)
    z = (x - mean) / std
    w = _logistic_regression(z[train], y[train], check_int("iterations", iterations, 1),
                             check_positive("l2", l2))
    predicted = (z[test] @ w[:-1] + w[-1] > 0).to(torch.float64)
    n_test = int(test.sum())
    n_correct = int((predicted == y[test]).sum())
    low, high = wilson_interval(n_correct, n_test)
    return Detection(n_correct / n_test, low, high, n_test, n_correct)


def detector_accuracy(real_images: torch.Tensor, fake_images: torch.Tensor, *, seed: int,
                      cutoff: float = HIGH_BAND) -> Detection:
    """:func:`fit_detector` on the :func:`spectral_features` of two sets of images (N, C, H, W) each,
    N >= 2, the same C, H and W."""
    real_images = _check_images("real_images", real_images)
    fake_images = _check_images("fake_images", fake_images)
    if real_images.shape[1:] != fake_images.shape[1:]:
        raise ValueError(f"real_images and fake_images must have the same (C, H, W), got "
                         f"{tuple(real_images.shape[1:])} and {tuple(fake_images.shape[1:])}")
    return fit_detector(spectral_features(real_images, cutoff), spectral_features(fake_images, cutoff),
                        seed=seed)


# ----------------------------------------------------------------------------- the spectral loss


def spectral_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the log10 radial power profiles of prediction and target.

    Per image, the power spectra of the C channels (mean removed) are averaged, azimuthally
    averaged into rings (:func:`radial_profile`, all rings but DC) and compared in log10 units:
    loss = mean over images and rings of (log10(P_pred + LOSS_EPS) - log10(P_target + LOSS_EPS))**2,
    in decades squared. Differentiable through ``torch.fft`` (nothing is detached, unlike Durall et
    al.'s public code); blind to the images' means and to the phases.

    Args:
        prediction, target: (N, C, H, W), the same shape, H, W >= 8.

    Returns:
        scalar tensor >= 0 (0 when the inputs are equal).
    """
    if not isinstance(prediction, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError(f"prediction and target must be torch.Tensors, got {type(prediction).__name__} "
                        f"and {type(target).__name__}")
    _check_images("prediction", prediction)
    _check_images("target", target)
    if prediction.shape != target.shape:
        raise ValueError(f"prediction and target must have the same shape, got {tuple(prediction.shape)} "
                         f"and {tuple(target.shape)}")
    levels = []
    for x in (prediction, target):  # in float64: the loss is a difference of logs
        _, profile = radial_profile(power_spectrum(x.to(torch.float64), ndim=2).mean(dim=1))
        levels.append(torch.log10(profile[:, 1:] + LOSS_EPS))
    return (levels[0] - levels[1]).pow(2).mean().to(prediction.dtype)


def mse_spectral_loss(weight: float = SPECTRAL_WEIGHT) -> LossFn:
    """A training loss ``loss(prediction, target) = MSE + weight * spectral_loss`` (a callable for
    :func:`.training.train`'s ``loss``).

    :data:`SPECTRAL_WEIGHT` (0.01) makes the spectral term 15% of the total for the deconv3 patch
    autoencoder at initialisation (MSE 0.19, spectral loss 3.3 decades^2 on 256 training patches,
    seed 0; 16% and 22% for deconv3_last_nearest and nearest): a correction, not the objective. It
    grows relative to the MSE as the reconstruction improves (about half of the total after 1000
    steps: MSE 0.0022, spectral loss 0.22), when only the high band is left to tune.

    Args:
        weight: >= 0 (0: plain MSE).
    """
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
            or weight < 0:
        raise ValueError(f"weight must be a finite number >= 0, got {weight!r}")

    def loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mse = nn.functional.mse_loss(prediction, target)
        return mse + weight * spectral_loss(prediction, target) if weight else mse

    loss.weight = weight  # type: ignore[attr-defined]
    return loss


# ----------------------------------------------------------------------------- models and measures


def last_layer_swap_autoencoder(kind: str, last: str) -> PatchAutoencoder:
    """The patch autoencoder (32x32 RGB -> 8x8x32 -> 32x32 RGB) whose decoder upsamples with ``kind``
    in every layer but the last, which is ``last`` (both keys of ``UPSAMPLERS``), e.g.
    ``('deconv3', 'nearest')``; input (N, 3, H, W), H, W divisible by 4 -> output of the same shape."""
    check_choice("kind", kind, tuple(UPSAMPLERS))
    check_choice("last", last, tuple(UPSAMPLERS))
    return PatchAutoencoder((kind, last), (32, 16))  # the Decoder takes one kind per layer


def fingerprint_model(kind: str) -> PatchAutoencoder:
    """The autoencoder a run of ``kind`` trains: a key of ``UPSAMPLERS``, or ``'<kind>_last_<last>'``
    for :func:`last_layer_swap_autoencoder` (e.g. ``'deconv3_last_nearest'``)."""
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a string, got {type(kind).__name__}")
    if "_last_" in kind:
        first, last = kind.split("_last_", 1)
        return last_layer_swap_autoencoder(first, last)
    check_choice("kind", kind, tuple(UPSAMPLERS))
    return autoencoder(kind)


def measure_fingerprint(model: nn.Module, real_patches: torch.Tensor, heldout_patches: torch.Tensor, *,
                        seed: int = DETECTOR_SEED) -> dict[str, float]:
    """How detectable the model's reconstructions of ``heldout_patches`` are next to ``real_patches``.

    The reconstructions are clipped to [0, 1] (what an image file holds) before the detector and the
    spectral gap; ``real_patches`` should be other images than ``heldout_patches`` (disjoint).

    Args:
        model: maps (N, 3, H, W) to the same shape.
        real_patches, heldout_patches: (N_real, 3, H, W) and (N_heldout, 3, H, W), N >= 2, H, W >= 8.
        seed: seeds the detector's train/test split (keyword-only).

    Returns:
        ``detector_accuracy``, ``detector_low``, ``detector_high`` (95% Wilson interval),
        ``detector_n_test``, ``detector_n_correct`` (:func:`detector_accuracy`, chance 0.5),
        ``index`` (period-2 checkerboard index of the reconstructions, batch-averaged), ``psnr``
        (dB, reconstructions against ``heldout_patches``), ``spectral_gap_db``: the mean over the
        high-band rings of |mean dB level of the reconstructions - that of the real patches|, and
        ``spectral_offset_db``, the same without the absolute value (< 0: the reconstructions lack
        high-frequency power, i.e. are blurred; > 0: they add some, e.g. a checkerboard).
    """
    model = check_model(model)
    real_patches = _check_images("real_patches", real_patches)
    heldout_patches = _check_images("heldout_patches", heldout_patches)
    outputs = predict(model, heldout_patches).detach()
    if outputs.shape != heldout_patches.shape:
        raise ValueError(f"model must keep the shape of its input, got {tuple(outputs.shape)} from "
                         f"{tuple(heldout_patches.shape)}")
    shown = outputs.clamp(0, 1)
    found = detector_accuracy(real_patches, shown, seed=seed)
    _, fake_levels = high_band_profile(shown)
    _, real_levels = high_band_profile(real_patches)
    difference = fake_levels.mean(dim=0) - real_levels.mean(dim=0)
    return {**found.as_dict(), "index": float(checkerboard_index(outputs, 2, ndim=2, reduce="batch")),
            "psnr": image_quality(heldout_patches, outputs)["psnr"],
            "spectral_gap_db": float(difference.abs().mean()), "spectral_offset_db": float(difference.mean())}


def train_fingerprint(config: object, device: torch.device,
                      progress: bool = True) -> tuple[nn.Module, list[dict], float]:
    """The ``fingerprint`` long run: the patch autoencoder of ``config.kind`` (:func:`fingerprint_model`)
    trained on :data:`TRAIN_PATCHES` natural patches under ``config.loss`` (``'mse'`` or
    ``'mse_spectral'``: :func:`mse_spectral_loss` with :data:`SPECTRAL_WEIGHT`), measured by
    :func:`measure_fingerprint` at step 0 and every checkpoint: it reconstructs the
    :data:`HELDOUT_PATCHES` held-out patches of seed 0 (those of the ``autoencoder`` task) against as
    many other held-out patches (seed 1). Returns (trained model, checkpoints, seconds)."""
    from .tasks import _train

    check_choice("config.loss", config.loss, FINGERPRINT_LOSSES)
    patches = natural_patches(TRAIN_PATCHES, size=32, split="train", seed=0, device=device)
    heldout = natural_patches(HELDOUT_PATCHES, size=32, split="heldout", seed=0, device=device)
    real = natural_patches(HELDOUT_PATCHES, size=32, split="heldout", seed=1, device=device)
    loss = "mse" if config.loss == "mse" else mse_spectral_loss(SPECTRAL_WEIGHT)
    seed_everything(config.seed)
    model = fingerprint_model(config.kind)
    return _train(config, model, patches, loss, device, progress,
                  lambda m: measure_fingerprint(m, real, heldout, seed=DETECTOR_SEED))
