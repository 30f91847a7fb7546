"""Clips prepared for listening: the properties are measured on the output with numpy, not by calling
the module's own building blocks."""

import math

import numpy as np
import pytest
import torch

from nbhelpers.measures.listening import dbfs, listening_clips, raised_cosine_fade

RATE = 16000


def _db(x: np.ndarray) -> float:
    return 20 * math.log10(float(np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2))))


def _clips() -> dict[str, torch.Tensor]:
    t = torch.arange(8000, dtype=torch.float64) / RATE
    gen = torch.Generator().manual_seed(0)
    return {
        "tone on a big offset": 0.7 + 0.02 * torch.sin(2 * math.pi * 4000 * t),  # mostly DC
        "loud noise": 0.5 * torch.randn(8000, generator=gen, dtype=torch.float64),
        "quiet chirp": 0.001 * torch.sin(2 * math.pi * (200 * t + 3000 * t**2)) - 0.3,
        "float32 music": (torch.sin(2 * math.pi * 220 * t) * torch.exp(-4 * t)).float(),
    }


def test_each_clip_has_no_offset_starts_and_ends_at_zero_and_never_clips():
    out = listening_clips(_clips(), RATE)
    for name, clip in out.clips.items():
        x = clip.numpy().astype(np.float64)
        assert clip.dtype == torch.float32 and clip.shape == (8000,), name
        assert abs(x.mean()) < 1e-6 * np.sqrt(np.mean(x**2)) + 1e-9, name
        assert abs(x[0]) < 1e-9 and abs(x[-1]) < 1e-9, name
        assert np.abs(x).max() <= 0.99 + 1e-7, name
        # 10 ms fades (160 samples at 16 kHz): the first and last millisecond stay near silence
        assert max(np.abs(x[:16]).max(), np.abs(x[-16:]).max()) < 0.03 * np.abs(x).max(), name


def test_compared_clips_play_at_the_stated_rms():
    out = listening_clips(_clips(), RATE, rms_db=-20)
    levels = [_db(c.numpy()) for c in out.clips.values()]
    assert max(levels) - min(levels) < 0.1
    assert all(abs(level - -20) < 0.1 for level in levels) and out.limited_db == 0
    assert out.rms_db == pytest.approx(-20) and "none had to be turned down" in out.report()


def test_the_middle_is_only_shifted_and_scaled():
    clips = _clips()
    out = listening_clips(clips, RATE)
    raw = clips["tone on a big offset"].numpy()[200:-200]
    played = out.clips["tone on a big offset"].numpy()[200:-200].astype(np.float64)
    slope, intercept = np.polyfit(raw, played, 1)
    assert np.allclose(slope * raw + intercept, played, atol=1e-5)
    assert out.dc["tone on a big offset"] == pytest.approx(0.7, abs=1e-3)
    assert out.dc_of_peak["tone on a big offset"] == pytest.approx(0.7 / 0.72, abs=1e-3)


def test_a_clip_that_would_clip_turns_every_clip_down_together():
    clips = _clips()
    clicks = torch.zeros(8000, dtype=torch.float64)
    clicks[1000::2000] = 1.0  # four clicks: a crest factor of 33 dB, above 20 dB of headroom
    clips["clicks"] = clicks
    out = listening_clips(clips, RATE, rms_db=-20)
    levels = [_db(c.numpy()) for c in out.clips.values()]
    assert max(levels) - min(levels) < 0.1  # still matched
    assert max(float(np.abs(c.numpy()).max()) for c in out.clips.values()) == pytest.approx(0.99, abs=1e-6)
    assert levels[0] < -20 - 10 and out.limited_db > 10
    assert out.rms_db == pytest.approx(levels[0], abs=0.05)
    assert "turned down" in out.report() and f"{out.limited_db:.1f} dB" in out.report()


def test_a_relative_clip_keeps_its_level_under_its_reference_plus_the_gain():
    t = torch.arange(8000, dtype=torch.float64) / RATE
    music = torch.sin(2 * math.pi * 300 * t)
    artifact = 0.01 * torch.sin(2 * math.pi * 4000 * t)  # 40 dB under the music
    out = listening_clips({"music": music, "artifact, +20 dB": artifact}, RATE,
                          relative={"artifact, +20 dB": ("music", 20.0)})
    music_db, artifact_db = (_db(out.clips[n].numpy()) for n in ("music", "artifact, +20 dB"))
    assert music_db == pytest.approx(-20, abs=0.1)
    assert artifact_db - music_db == pytest.approx(-40 + 20, abs=0.1)
    assert out.gain_db["artifact, +20 dB"] - out.gain_db["music"] == pytest.approx(20)
    assert "its level in 'music' +20 dB" in out.report()


def test_helpers_dbfs_and_the_fade_envelope():
    assert dbfs(torch.full((100,), 0.1)) == pytest.approx(-20)
    assert dbfs(torch.zeros(10)) == -math.inf
    env = raised_cosine_fade(1000, 160).numpy()
    assert env[0] == 0 and env[-1] == 0 and np.all(env[160:-160] == 1)
    assert np.all(np.diff(env[:160]) > 0) and env[80] == pytest.approx(0.5)
    assert np.all(raised_cosine_fade(10, 0).numpy() == 1)


@pytest.mark.parametrize("clips, kwargs, words", [
    ({}, {}, "non-empty"),
    ({"a": torch.ones(2, 100)}, {}, "one floating-point signal"),
    ({"a": torch.arange(100)}, {}, "one floating-point signal"),
    ({"a": torch.tensor([0.0, math.nan] * 200)}, {}, "NaN"),
    ({"a": torch.randn(100)}, {}, "fewer than two"),
    ({"a": torch.full((1000,), 0.3)}, {}, "silent"),
    ({"a": torch.randn(1000)}, {"rms_db": 3}, "below full scale"),
    ({"a": torch.randn(1000)}, {"fade_ms": -1}, "fade_ms"),
    ({"a": torch.randn(1000)}, {"max_peak": 1.5}, "max_peak"),
    ({"a": torch.randn(1000)}, {"relative": {"b": ("a", 20.0)}}, "not one of the clips"),
    ({"a": torch.randn(1000), "b": torch.randn(1000)}, {"relative": {"b": ("c", 20.0)}}, "reference"),
    ({"a": torch.randn(1000), "b": torch.randn(1000)}, {"relative": {"b": "a"}}, "gain in dB"),
])
def test_bad_input_is_a_value_error_that_says_what_is_wrong(clips, kwargs, words):
    with pytest.raises(ValueError, match=words):
        listening_clips(clips, RATE, **kwargs)
