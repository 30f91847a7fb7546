"""make install's choice of where torch comes from (nbhelpers/install_torch.py); nothing is downloaded."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nbhelpers.install_torch import CPU_INDEX, local_torch_wheel, main, parse_torch_spec, torch_pip_args

ROOT = Path(__file__).resolve().parents[1]
try:
    from packaging.tags import Tag
except ImportError:  # pragma: no cover
    from pip._vendor.packaging.tags import Tag

CP311_LINUX = [Tag("cp311", "cp311", "manylinux_2_28_x86_64"), Tag("py3", "none", "any")]
CPU_WHEEL = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"


@pytest.fixture
def wheels(tmp_path):
    for name in (CPU_WHEEL, "torch-2.9.1-cp311-cp311-manylinux_2_28_x86_64.whl",
                 "torch-2.14.0-cp312-cp312-manylinux_2_28_x86_64.whl", "torch-broken.whl", "numpy-2.0.whl"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_a_local_wheel_of_the_requested_torch_wins(wheels):
    for spec in ("torch==2.13.0", "torch>=2.10", "torch"):  # +cpu satisfies the plain version, as for pip
        assert torch_pip_args(spec, f"https://example.org/links {wheels}", has_gpu=False,
                              tags=CP311_LINUX) == [str(wheels / CPU_WHEEL)]
    assert torch_pip_args("torch<2.10", f"file://{wheels}", tags=CP311_LINUX, platform="linux",
                          has_gpu=True) == [str(wheels / "torch-2.9.1-cp311-cp311-manylinux_2_28_x86_64.whl")]


def test_a_local_wheel_that_does_not_fit_is_not_used(wheels):
    # another version, another Python (the cp312 wheel), or no local folder at all
    assert local_torch_wheel("torch==2.14.0", str(wheels), CP311_LINUX) is None
    cp312 = [Tag("cp312", "cp312", "manylinux_2_28_x86_64")]
    assert local_torch_wheel("torch==2.13.0", str(wheels), cp312) is None
    assert local_torch_wheel("torch==2.13.0", str(wheels / "missing"), CP311_LINUX) is None


def test_linux_without_a_gpu_gets_the_cpu_index(wheels):
    args = torch_pip_args("torch==2.14.0", str(wheels), platform="linux", has_gpu=False, tags=CP311_LINUX)
    assert args == ["torch==2.14.0", "--index-url", CPU_INDEX]
    assert torch_pip_args("torch>=2.1", "", platform="linux", has_gpu=False) == [
        "torch>=2.1", "--index-url", "https://download.pytorch.org/whl/cpu"]


def test_a_gpu_or_another_system_gets_plain_pip():
    assert torch_pip_args("torch==2.13.0", "", platform="linux", has_gpu=True) == ["torch==2.13.0"]
    assert torch_pip_args("torch==2.13.0", "", platform="darwin", has_gpu=False) == ["torch==2.13.0"]
    assert torch_pip_args("torch==2.13.0", "", platform="win32", has_gpu=False) == ["torch==2.13.0"]


def test_torch_index_overrides_the_choice(wheels):
    cuda = "https://download.pytorch.org/whl/cu126"
    assert torch_pip_args("torch==2.13.0", str(wheels), index=cuda, tags=CP311_LINUX) == [
        "torch==2.13.0", "--index-url", cuda]
    assert torch_pip_args("torch==2.13.0", str(wheels), index="pypi", tags=CP311_LINUX) == ["torch==2.13.0"]
    with pytest.raises(ValueError, match="TORCH_INDEX"):
        torch_pip_args("torch==2.13.0", index="cuda")


def test_a_spec_that_is_not_on_torch_is_a_clear_error():
    assert parse_torch_spec("torch>=2.1,<3").name == "torch"
    with pytest.raises(ValueError, match="must be a requirement on torch"):
        torch_pip_args("numpy==2.0")
    with pytest.raises(ValueError, match="not a pip requirement"):
        torch_pip_args("torch===")


def test_main_prints_the_command_and_names_a_bad_spec(capsys, monkeypatch, wheels):
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheels))
    monkeypatch.delenv("TORCH_INDEX", raising=False)
    assert main(["torch==2.13.0", "--dry-run", "--index", "pypi"]) == 0
    assert capsys.readouterr().out.strip() == "installing torch: install --quiet torch==2.13.0"
    assert main(["numpy", "--dry-run"]) == 2
    assert "must be a requirement on torch" in capsys.readouterr().err


def test_runs_by_its_path_in_an_environment_that_has_only_pip(tmp_path):
    """make install runs it before anything but pip is installed: no nbhelpers, no packaging."""
    import pip

    (tmp_path / "pip").symlink_to(Path(pip.__file__).parent)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PIP_FIND_LINKS": "", "TORCH_INDEX": ""}
    script = ROOT / "nbhelpers" / "install_torch.py"
    out = subprocess.run([sys.executable, "-S", str(script), "torch==2.13.0", "--dry-run", "--index", "pypi"],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "installing torch: install --quiet torch==2.13.0"


def test_make_install_chooses_torch_with_it():
    makefile = (ROOT / "Makefile").read_text()
    assert 'nbhelpers/install_torch.py "$(TORCH_SPEC)"' in makefile


@pytest.mark.skipif(not any(Path(d).glob("torch-*.whl") for d in os.environ.get("PIP_FIND_LINKS", "").split()
                            if Path(d).is_dir()), reason="no local torch wheel on this machine")
def test_this_machines_local_wheel_wins_for_the_default_spec():
    args = torch_pip_args("torch==2.13.0", os.environ["PIP_FIND_LINKS"])
    assert len(args) == 1 and Path(args[0]).name.startswith("torch-2.13.0") and Path(args[0]).is_file()
