"""Where the stored results are found (nbhelpers.experiments.stored), and the error without them.

The installed-wheel case end to end is in tests/test_wheel.py; here the rules on small fake trees.
"""

import json
from pathlib import Path

import pytest

from nbhelpers.experiments import longrun
from nbhelpers.experiments.stored import (
    TRAIN_COMMAND,
    checkout_root,
    results_dir,
    stored_result_files,
)

ROOT = Path(__file__).resolve().parents[1]


def _fake_checkout(tmp_path: Path) -> Path:
    (tmp_path / "repo" / "nbhelpers").mkdir(parents=True)
    (tmp_path / "repo" / "data" / "results").mkdir(parents=True)
    (tmp_path / "repo" / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path / "repo"


def test_this_checkout_reads_and_writes_its_own_data_results():
    assert checkout_root() == ROOT
    assert results_dir() == ROOT / "data" / "results"
    assert longrun.RESULTS_DIR == ROOT / "data" / "results"  # `make results` writes to the source tree


def test_a_checkout_is_the_folder_with_pyproject_and_data(tmp_path):
    repo = _fake_checkout(tmp_path)
    assert checkout_root(repo / "nbhelpers") == repo
    assert results_dir(repo / "nbhelpers") == repo / "data" / "results"
    (repo / "pyproject.toml").unlink()  # a folder named data/ beside the package is not enough
    assert checkout_root(repo / "nbhelpers") is None


def test_an_installed_package_reads_its_own_copy(tmp_path):
    package = tmp_path / "site-packages" / "nbhelpers"
    package.mkdir(parents=True)
    assert checkout_root(package) is None
    assert results_dir(package) == package / "_data" / "results"


def test_missing_or_empty_results_say_what_is_missing_and_how_to_get_it(tmp_path):
    missing = tmp_path / "results"
    with pytest.raises(FileNotFoundError, match="does not exist") as error:
        stored_result_files(missing)
    assert str(missing) in str(error.value) and TRAIN_COMMAND in str(error.value)
    assert "pip install" in str(error.value)
    missing.mkdir()
    (missing / "run.json.tmp").write_text("{}")  # a run being written is not a result
    with pytest.raises(FileNotFoundError, match="holds no .json file"):
        stored_result_files(missing)
    with pytest.raises(FileNotFoundError, match="no stored long-run results"):
        longrun.load_results(missing)  # the notebooks' call: an error, never a silent []


def test_stored_result_files_lists_only_json_sorted(tmp_path):
    for name in ("b-s1", "a-s0"):
        (tmp_path / f"{name}.json").write_text(json.dumps({"config": {"seed": 0}}))
    (tmp_path / "c.json.tmp").write_text("{}")
    assert [p.name for p in stored_result_files(tmp_path)] == ["a-s0.json", "b-s1.json"]
    assert len(longrun.load_results(tmp_path)) == 2
