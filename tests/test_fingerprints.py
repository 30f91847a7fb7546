"""Spectral fingerprints (notebook 08): features, the detector and its interval, the spectral loss,
the last-layer swap, and the long-run task on tiny data."""

import math

import pytest
import torch
from torch import nn

from nbhelpers.experiments import fingerprints as fp
from nbhelpers.experiments import longrun
from nbhelpers.experiments.data import natural_patches
from nbhelpers.experiments.longrun import RunConfig
from nbhelpers.experiments.resultcheck import REPLAY_FLOOR
from nbhelpers.experiments.tasks import TASK_RUNNERS
from nbhelpers.layers.models import last_upsampler
from nbhelpers.layers.upsampling import ResizeConv2d


def _noise(n, seed, size=32):
    return torch.randn(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def _smooth(x):
    """A 3x3 box blur (circular): removes most power above 0.25 cycles/pixel."""
    padded = nn.functional.pad(x, (1, 1, 1, 1), mode="circular")
    return nn.functional.avg_pool2d(padded, 3, stride=1)


def test_wilson_interval_known_values():
    assert fp.wilson_interval(8, 10) == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert fp.wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert fp.wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert fp.wilson_interval(50, 100) == pytest.approx((0.4038, 0.5962), abs=1e-4)


def test_features_of_white_noise_hold_its_variance_in_every_ring_and_smoothing_makes_them_decay():
    noise = 0.3 * _noise(256, 0)
    features = fp.spectral_features(noise)
    assert features.shape == (256, 15 + 3) and features.dtype == torch.float64
    freqs, levels = fp.high_band_profile(noise)
    assert freqs.min() > fp.HIGH_BAND and freqs.max() == pytest.approx(23 / 32) and levels.shape == (256, 15)
    # grey level = mean of 3 channels: variance 0.09 / 3, spread evenly over the bins (Parseval)
    power = (10 ** (levels / 10)).mean(dim=0)
    assert torch.allclose(power, torch.full_like(power, 0.03), rtol=0.25)
    white_slope = features[:, -3].mean()
    smooth_slope = fp.spectral_features(_smooth(noise))[:, -3].mean()
    assert white_slope > -8.0 and smooth_slope < -20.0  # dB per decade; the box blur's zero at 1/3


def test_detector_separates_white_from_smoothed_noise_and_not_one_distribution_from_itself():
    white, smooth = _noise(100, 1), _smooth(_noise(100, 2))
    found = fp.detector_accuracy(white, smooth, seed=0)
    assert found.accuracy > 0.9 and found.n_test == 100 and found.low < found.accuracy <= found.high
    same = fp.detector_accuracy(_noise(100, 3), _noise(100, 4), seed=0)
    assert same.low <= 0.5 <= same.high or same.accuracy < 0.65
    assert fp.detector_accuracy(white, smooth, seed=0) == found  # deterministic
    assert set(found.as_dict()) == {"detector_accuracy", "detector_low", "detector_high", "detector_n_test",
                                    "detector_n_correct"}


def test_spectral_loss_is_zero_for_equal_inputs_known_for_a_gain_and_lets_the_gradient_flow():
    target = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    assert fp.spectral_loss(target, target.clone()).item() == 0.0
    # twice the image: 4x the power in every ring, log10(4) decades each
    assert fp.spectral_loss(2 * target, target).item() == pytest.approx(math.log10(4) ** 2, rel=1e-4)
    prediction = (target + 0.1 * torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)))
    prediction.requires_grad_(True)
    value = fp.spectral_loss(prediction, target)
    value.backward()
    assert value.item() > 0 and prediction.grad is not None
    assert torch.isfinite(prediction.grad).all() and prediction.grad.abs().sum() > 0
    combined = fp.mse_spectral_loss(0.1)(2 * target, target)
    assert combined.item() == pytest.approx(target.pow(2).mean().item() + 0.1 * math.log10(4) ** 2, rel=1e-4)
    assert fp.mse_spectral_loss(0.0)(2 * target, target).item() == pytest.approx(target.pow(2).mean().item())


def test_the_swap_model_changes_only_the_last_upsampling_layer():
    model = fp.last_layer_swap_autoencoder("deconv3", "nearest")
    layers = [m for m in model.decoder.layers if not isinstance(m, nn.ReLU)]
    assert isinstance(layers[0], nn.ConvTranspose2d)
    assert isinstance(last_upsampler(model), ResizeConv2d) and last_upsampler(model).mode == "nearest"
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3, 32, 32)
    bilinear = fp.fingerprint_model("deconv3_last_bilinear")
    assert last_upsampler(bilinear).mode == "bilinear"
    assert isinstance(last_upsampler(fp.fingerprint_model("deconv3")), nn.ConvTranspose2d)


def test_a_perfect_model_is_near_chance_and_a_blurring_one_is_caught():
    heldout = natural_patches(128, size=32, split="heldout", seed=0, device="cpu")
    real = natural_patches(128, size=32, split="heldout", seed=1, device="cpu")
    perfect = fp.measure_fingerprint(nn.Identity(), real, heldout, seed=0)
    assert perfect["detector_low"] <= 0.5 <= perfect["detector_high"] or perfect["detector_accuracy"] < 0.65
    blur = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    blurred = fp.measure_fingerprint(blur, real, heldout, seed=0)
    assert blurred["detector_low"] > perfect["detector_high"] and blurred["spectral_offset_db"] < -3.0
    assert blurred["spectral_gap_db"] > perfect["spectral_gap_db"] and math.isfinite(blurred["psnr"])


def test_bad_inputs_raise_errors_naming_the_argument():
    x = torch.rand(4, 3, 32, 32)
    with pytest.raises(ValueError, match="images"):
        fp.spectral_features(torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="8x8"):
        fp.spectral_features(torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match="cutoff"):
        fp.spectral_features(x, cutoff=0.7)
    with pytest.raises(ValueError, match="same number of features"):
        fp.fit_detector(torch.rand(10, 5), torch.rand(10, 4), seed=0)
    with pytest.raises(ValueError, match="real"):
        fp.fit_detector(torch.rand(1, 5), torch.rand(10, 5), seed=0)
    with pytest.raises(ValueError, match="seed"):
        fp.fit_detector(torch.rand(10, 5), torch.rand(10, 5), seed=-1)
    with pytest.raises(ValueError, match="test_fraction"):
        fp.fit_detector(torch.rand(10, 5), torch.rand(10, 5), seed=0, test_fraction=1.0)
    with pytest.raises(ValueError, match="successes"):
        fp.wilson_interval(11, 10)
    with pytest.raises(ValueError, match="same shape"):
        fp.spectral_loss(x, torch.rand(4, 3, 16, 16))
    with pytest.raises(TypeError, match="prediction"):
        fp.spectral_loss(x.tolist(), x)
    with pytest.raises(ValueError, match="weight"):
        fp.mse_spectral_loss(-1.0)
    with pytest.raises(ValueError, match="last"):
        fp.last_layer_swap_autoencoder("deconv3", "cubic")
    with pytest.raises(ValueError, match="kind"):
        fp.fingerprint_model("deconv5")
    with pytest.raises(TypeError, match="model"):
        fp.measure_fingerprint(lambda t: t, x, x, seed=0)
    with pytest.raises(ValueError, match="real_images"):
        fp.detector_accuracy(x, torch.rand(4, 3, 16, 16), seed=0)


def test_the_fingerprint_runs_are_declared_and_a_tiny_run_measures_every_checkpoint(monkeypatch):
    runs = [r for r in longrun.declared_runs() if r.task == "fingerprint"]
    assert len(runs) == 50 and len({r.name for r in runs}) == 50  # 5 kinds x 10 seeds
    assert {r.kind for r in runs} == set(fp.FINGERPRINT_KINDS)
    assert {r.loss for r in runs} == {"mse", "mse_spectral"}
    assert all(r.steps == 3000 and r.checkpoints[0] == longrun.CHECKPOINTS[0] for r in runs)
    monkeypatch.setattr(fp, "TRAIN_PATCHES", 64)
    monkeypatch.setattr(fp, "HELDOUT_PATCHES", 16)
    torch.set_num_threads(1)
    config = RunConfig("deconv3_last_nearest", 0, "mse_spectral", steps=20, checkpoints=(20,),
                       task="fingerprint")
    measured, seconds = TASK_RUNNERS["fingerprint"](config, torch.device("cpu"), False)
    assert [m["step"] for m in measured] == [0, 20] and seconds > 0
    keys = {"detector_accuracy", "detector_low", "detector_high", "detector_n_test", "detector_n_correct",
            "index", "psnr", "spectral_gap_db", "spectral_offset_db"}
    assert set(measured[0]) == keys | {"step"} and set(measured[1]) == keys | {"step", "train_loss"}
    assert measured[1]["detector_n_test"] == 16 and all(math.isfinite(v) for v in measured[1].values())
    assert keys <= set(REPLAY_FLOOR)  # every measure is replayed by `make results-check`
    with pytest.raises(ValueError, match="config.loss"):
        TASK_RUNNERS["fingerprint"](RunConfig("deconv3", 0, "perceptual", steps=2, checkpoints=(),
                                              task="fingerprint"), torch.device("cpu"), False)


def test_the_detector_never_trains_on_its_test_rows():
    """Disjoint by construction (the split) and by behaviour: with more features than training rows,
    a detector that saw its test rows would memorise them (accuracy ~1 on two samples of one
    distribution); one that did not stays near chance."""
    train, test = fp._stratified_split(30, 50, 0.5, torch.Generator().manual_seed(0))
    assert not (train & test).any() and (train | test).all()
    assert int(test[:30].sum()) == 15 and int(test[30:].sum()) == 25  # the same share of each class
    accuracies = []
    for seed in range(4):
        gen = torch.Generator().manual_seed(seed)
        real, fake = torch.randn(40, 60, generator=gen), torch.randn(40, 60, generator=gen)
        accuracies.append(fp.fit_detector(real, fake, seed=seed).accuracy)
    assert max(accuracies) <= 0.8 and sum(accuracies) / len(accuracies) <= 0.65, accuracies
