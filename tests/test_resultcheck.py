"""`make results-check`: it passes on any CPU's rounding and fails, naming the run, on what it exists for.

The stored results in data/results carry a replay (the run's first 20 steps, measured) and a seal.
Each tamper test copies the stored files it needs to a temporary folder, changes one thing (a
stored number, the code's learning rate, a loss, a measure) and asserts that the check fails and
names the run. One test runs `make results-check` itself (in `make test` it runs in a pytest worker
beside the other tests); another runs the check in fresh processes under other vector kernels
(ATEN_CPU_CAPABILITY) and thread counts: it must pass under each.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from nbhelpers.experiments import fingerprints, longrun, resultcheck, tasks
from nbhelpers.measures.periodic import checkerboard_index
from nbhelpers.runtime import thread_policy

NAMES = ("autoencoder-deconv3-mse-s0", "fingerprint-deconv3-mse_spectral-s0", "gan-stride2-gan-s0")


def _config(name: str) -> longrun.RunConfig:
    return next(c for c in longrun.declared_runs() if c.name == name)


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A results folder holding copies of the stored files of :data:`NAMES`."""
    for name in NAMES:
        shutil.copy(longrun.RESULTS_DIR / f"{name}.json", tmp_path)
    return tmp_path


def _check(directory: Path, *names: str) -> list[str]:
    configs = [_config(n) for n in names]
    return resultcheck.check(configs, directory, configs)


def _edit(directory: Path, name: str, step: int, metric: str, factor: float) -> None:
    path = directory / f"{name}.json"
    record = json.loads(path.read_text())
    entry = next(c for c in record["checkpoints"] if c["step"] == step)
    entry[metric] *= factor
    path.write_text(json.dumps(record, indent=1))


def test_every_stored_run_is_sealed_declared_and_has_its_replay():
    assert resultcheck.stored_problems(longrun.declared_runs(), longrun.RESULTS_DIR) == []
    record = json.loads((longrun.RESULTS_DIR / f"{NAMES[0]}.json").read_text())
    assert record["replay"]["steps"] == resultcheck.REPLAY_STEPS == 20
    assert set(record["replay"]["measured"]) == set(record["checkpoints"][1]) - {"step"}
    for record in longrun.load_results(seeds=None):  # every measure of every task is compared by the replay
        assert set(record["replay"]["measured"]) <= set(resultcheck.REPLAY_FLOOR), record["config"]
        assert set(record["checkpoints"][0]) - {"step"} <= set(resultcheck.REPLAY_FLOOR), record["config"]


def test_the_untouched_copies_pass(stored):
    report: list[str] = []
    configs = [_config(n) for n in NAMES]
    assert resultcheck.check(configs, stored, configs, report=report) == []
    assert "3 replayed to step 20" in report[0] and "largest deviation" in report[0]


@pytest.mark.parametrize("step", [100, 3000])
def test_a_stored_index_edited_by_ten_percent_fails_naming_the_run(stored, step):
    _edit(stored, NAMES[0], step, "index", 1.1)
    problems = resultcheck.stored_problems([_config(n) for n in NAMES], stored)
    assert len(problems) == 1 and problems[0].startswith(f"{NAMES[0]}: {NAMES[0]}.json was edited")


def test_a_stored_step0_number_is_also_checked_against_the_code(stored):
    """Step 0 (the model at initialisation) is replayed too: re-sealing a hand edit does not hide it."""
    _edit(stored, NAMES[0], 0, "index", 1.1)
    path = stored / f"{NAMES[0]}.json"
    path.write_text(json.dumps(resultcheck.sealed(json.loads(path.read_text()))))
    problems = _check(stored, NAMES[0])
    assert problems and all(p.startswith(f"{NAMES[0]}: index at step 0") for p in problems)


def test_a_learning_rate_changed_by_ten_percent_in_the_code_fails_naming_the_run(stored, monkeypatch):
    # (1) in the declaration: the stored config no longer matches, and the replay moves
    config = replace(_config(NAMES[0]), lr=_config(NAMES[0]).lr * 1.1)
    problems = resultcheck.check([config], stored, [config])
    assert any(p.startswith(f"{NAMES[0]}: stored with another configuration than the code declares (lr)")
               for p in problems)
    start, end = resultcheck.replay(config)
    record = json.loads((stored / f"{NAMES[0]}.json").read_text())
    found, _ = resultcheck._replay_problems(config.name, record, start, end)
    assert found and all(p.startswith(f"{NAMES[0]}: ") and "at step 20" in p for p in found)
    # (2) inside a task's code, where no config shows it: the GAN's image learning rate
    original = tasks.train_image_gan
    monkeypatch.setattr(tasks, "train_image_gan",
                        lambda *a, **k: original(*a, **{**k, "lr_images": 0.004 * 1.1}))
    problems = _check(stored, NAMES[2])
    assert problems and all(p.startswith(f"{NAMES[2]}: index at step 20") for p in problems)


def test_a_changed_loss_fails_naming_the_run(stored, monkeypatch):
    monkeypatch.setattr(fingerprints, "SPECTRAL_WEIGHT", 0.02)  # 0.01 in the stored runs
    problems = _check(stored, NAMES[1])
    assert problems and all(p.startswith(f"{NAMES[1]}: ") and "at step 20" in p for p in problems)
    assert any("train_loss" in p for p in problems)


def test_a_changed_measure_fails_naming_the_run(stored, monkeypatch):
    monkeypatch.setattr(tasks, "checkerboard_index", lambda x, period, **k: checkerboard_index(
        x, period, **{**k, "border": 1}))  # the index without the outermost pixel ring
    problems = _check(stored, NAMES[0])
    assert any(p.startswith(f"{NAMES[0]}: index at step 0") for p in problems)
    assert any(p.startswith(f"{NAMES[0]}: index at step 20") for p in problems)


def test_deviations_use_the_relative_tolerance_and_the_floors():
    stored = {"index": 0.1, "phase_spread": 1e-12, "accuracy": 0.5, "unknown": 1.0}
    close = {"index": 0.1 * (1 + 1e-3), "phase_spread": 5e-7, "accuracy": 0.5 + 1 / 256, "unknown": 9.0}
    assert set(resultcheck.deviations(stored, close)) == {"index", "phase_spread", "accuracy"}
    assert max(resultcheck.deviations(stored, close).values()) < 1
    far = {"index": 0.1 * (1 + 3e-3), "phase_spread": 5e-6, "accuracy": 0.53}
    assert all(v > 1 for v in resultcheck.deviations(stored, far).values())


def test_the_seal_covers_every_number_and_reads_back_exactly():
    record = json.loads((longrun.RESULTS_DIR / f"{NAMES[0]}.json").read_text())
    assert resultcheck.seal_of(record) == record["seal"]
    assert resultcheck.seal_of(json.loads(json.dumps(record, indent=1))) == record["seal"]
    record["checkpoints"][-1]["psnr"] += 1e-12
    assert resultcheck.seal_of(record) != record["seal"]


def _capabilities() -> list[tuple[str, str]]:
    """(ATEN_CPU_CAPABILITY, NBHELPERS_THREADS) pairs besides the one `make test`'s own
    `make results-check` runs (the native kernels, the policy's threads): every vector-kernel set
    this CPU supports besides its native one, on one thread, and the native one on two threads
    when the policy gives fewer (on a 2-core machine it gives two)."""
    native = torch.backends.cpu.get_cpu_capability().lower()
    supported = {"default": ["default"], "avx2": ["default", "avx2"],
                 "avx512": ["default", "avx2", "avx512"]}.get(native, ["default"])
    pairs = [(c, "1") for c in supported if c != native]
    return pairs + ([(native, "2")] if thread_policy().threads < 2 else [])


def test_make_results_check_passes_here():
    """The README's command: every stored file sealed and declared, seed 0 of every configuration
    replayed on this machine's own kernels and thread policy."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-s", "results-check"], cwd=root, capture_output=True, text=True,
                         timeout=900, check=False)
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-2000:]
    stored = len(list(longrun.RESULTS_DIR.glob("*.json")))
    assert f"{stored} stored runs checked" in out.stdout and "all agree" in out.stdout
    assert f"{len(longrun.check_runs())} replayed" in out.stdout


@pytest.mark.parametrize("capability, threads", _capabilities())
def test_the_whole_check_passes_under_other_kernels_and_threads(capability, threads):
    env = dict(os.environ, ATEN_CPU_CAPABILITY=capability, NBHELPERS_THREADS=threads)
    # every stored file is checked for its seal and declaration; one kind per task is replayed (the
    # full replay runs natively in the test above; this one is about rounding)
    command = [sys.executable, "-m", "nbhelpers.experiments.longrun", "check", "--one-per-task"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-2000:]
    assert "all agree" in out.stdout and f"'threads': {threads}" in out.stdout
    assert f"{len(list(longrun.RESULTS_DIR.glob('*.json')))} stored runs checked" in out.stdout
    assert f"{len({c.task for c in longrun.check_runs()})} replayed" in out.stdout
    assert f"'cpu_capability': '{capability.upper()}'" in out.stdout


def test_live_deviation_tells_the_stored_run_from_another_seed():
    seed0, seed1 = (json.loads((longrun.RESULTS_DIR / f"downsampling-stride2_k3-cross_entropy-s{s}.json")
                               .read_text()) for s in (0, 1))
    config = longrun.RunConfig("stride2_k3", 0, "cross_entropy", steps=20, checkpoints=(20,),
                               task="downsampling")
    _, live, _ = tasks.train_downsampling(config, torch.device("cpu"), progress=False)
    assert [c["step"] for c in live] == [0, 20]
    assert resultcheck.live_deviation(live, seed0) <= 1 < resultcheck.live_deviation(live, seed1)
    with pytest.raises(ValueError, match="checkpoints"):
        resultcheck.live_deviation(live[:1], seed0)


def test_add_replays_gives_an_old_file_its_replay_and_seal_and_leaves_sealed_files_alone(stored):
    path = stored / f"{NAMES[2]}.json"
    original = json.loads(path.read_text())
    path.write_text(json.dumps({k: v for k, v in original.items() if k not in ("replay", "seal")}))
    configs = [_config(n) for n in NAMES]
    assert resultcheck.stored_problems(configs, stored)[0].startswith(f"{NAMES[2]}: stored without a seal")
    assert longrun.add_replays(configs, stored) == [NAMES[2]]  # the two sealed copies are left alone
    again = json.loads(path.read_text())
    assert again["seal"] == resultcheck.seal_of(again) and again["checkpoints"] == original["checkpoints"]
    replays = original["replay"]["measured"], again["replay"]["measured"]
    assert max(resultcheck.deviations(*replays).values()) <= 1
    assert resultcheck.check(configs, stored, configs) == []


def test_the_command_line_checks_every_seed_when_asked(stored, monkeypatch, capsys):
    configs = [_config(n) for n in NAMES]
    monkeypatch.setattr(longrun, "declared_runs", lambda: configs)
    monkeypatch.setattr(longrun, "check_runs", lambda: configs[:1])
    assert longrun.main(["check", "--dir", str(stored)]) == 0
    assert "3 stored runs checked for seal and declaration; 1 replayed" in capsys.readouterr().out
    assert longrun.main(["check", "--all-seeds", "--dir", str(stored)]) == 0
    assert "3 replayed" in capsys.readouterr().out
    _edit(stored, NAMES[1], 3000, "index", 1.1)
    assert longrun.main(["check", "--dir", str(stored)]) == 1
    assert f"MISMATCH {NAMES[1]}: " in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_the_replay_on_a_gpu_matches_the_stored_cpu_replay(stored):
    configs = [_config(n) for n in NAMES]
    assert resultcheck.check(configs, stored, configs, device="cuda") == []
