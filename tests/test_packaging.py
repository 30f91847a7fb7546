"""environment.yml (conda/Binder) and pyproject.toml (pip) must list the same packages."""

import re
import sys
from pathlib import Path

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    name = re.split(r"[<>=!;\[ ]", requirement.strip(), maxsplit=1)[0]
    return CONDA_TO_PIP.get(name.lower(), name.lower())


def pip_packages() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    names |= {_name(r) for r in project["optional-dependencies"]["dev"] if "python_version" not in r}
    return names


def conda_packages() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, str) and _name(dep) not in NOT_PACKAGES:
            names.add(_name(dep))
    return names


def test_environment_yml_matches_pyproject():
    pip, conda = pip_packages(), conda_packages()
    assert pip == conda, (
        f"only in pyproject: {sorted(pip - conda)}; only in environment.yml: {sorted(conda - pip)}"
    )


def test_environment_installs_nbhelpers_itself_not_editable_on_a_pinned_python():
    """repo2docker and conda: `-e .` stops an image from caching the environment, and repo2docker
    reads the Python version only from a plain `python=X.Y` pin."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip_sections and "." in pip_sections[0]
    assert not [line for line in pip_sections[0] if line.startswith("-e")]
    pythons = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python"]
    assert len(pythons) == 1 and re.fullmatch(r"python=3\.\d+", pythons[0]), pythons


def test_binder_installs_a_cpu_torch_the_same_packages_and_nbhelpers_not_editable():
    lines = [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    options = [line for line in lines if line.startswith("-")]
    requirements = [line for line in lines if not line.startswith("-")]
    assert options == ["--extra-index-url https://download.pytorch.org/whl/cpu"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {_name(r) for r in requirements} == {_name(r) for r in project["dependencies"]}
    assert [r for r in requirements if _name(r) == "torch"][0].endswith("+cpu")
    post_build = ROOT / "binder" / "postBuild"
    assert "pip install --no-deps .\n" in post_build.read_text() and " -e " not in post_build.read_text()
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert re.fullmatch(r"python-3\.\d+", (ROOT / "binder" / "runtime.txt").read_text().strip())


def test_ci_runs_the_readme_command():
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci
    first_code_block = readme.split("```")[1]
    assert "make lab" in first_code_block and "make test" in first_code_block
