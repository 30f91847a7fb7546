"""Install torch from the right place: ``make install`` runs this file by its path, before nbhelpers.

PyPI's torch for Linux is the CUDA build (several GB with its CUDA libraries); a machine without a
GPU needs only the CPU build (under 1 GB) from PyTorch's own CPU index. The choice, in order:

1. a wheel of the requested torch in a local ``PIP_FIND_LINKS`` folder that this Python can install
   (a machine with no internet but a wheel on disk): that file, so a newer release elsewhere never
   wins over it;
2. Linux without ``nvidia-smi``: PyTorch's CPU index (``--index-url`` :data:`CPU_INDEX`);
3. otherwise (a GPU, macOS, Windows): plain pip, i.e. PyPI's default build.

``TORCH_INDEX`` (``--index``) overrides the choice: ``pypi`` for plain pip, or an index URL, e.g.
``https://download.pytorch.org/whl/cu126`` for a CUDA 12.6 build. This module uses only the
standard library and pip's own ``packaging``, so it runs in a virtual environment that has
nothing else yet.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.tags import Tag, sys_tags
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
except ImportError:  # a fresh virtual environment: pip's vendored copy
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement  # type: ignore
    from pip._vendor.packaging.tags import Tag, sys_tags  # type: ignore
    from pip._vendor.packaging.utils import InvalidWheelFilename, parse_wheel_filename  # type: ignore

#: PyPI's torch for Linux without a GPU: PyTorch's index of CPU-only builds
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def local_torch_wheel(spec: str, find_links: str, tags: Iterable[Tag] | None = None) -> Path | None:
    """The newest wheel in the local folders of ``find_links`` that satisfies ``spec`` and installs here.

    Args:
        spec: a pip requirement on torch, e.g. ``'torch==2.13.0'`` (a local version such as
            ``+cpu`` in the file name satisfies the plain version, as for pip).
        find_links: ``PIP_FIND_LINKS``: folders (and URLs, skipped) separated by whitespace.
        tags: the wheel tags this Python accepts (default: the running interpreter's).

    Returns:
        the wheel's path, or None when no local wheel fits.
    """
    requirement = parse_torch_spec(spec)
    accepted = set(sys_tags() if tags is None else tags)
    best: tuple | None = None
    for entry in find_links.split():
        if entry.startswith("file://"):
            entry = entry[len("file://"):]
        elif "://" in entry:
            continue  # a remote index of links: pip's business
        folder = Path(entry)
        if not folder.is_dir():
            continue
        for path in folder.glob("torch-*.whl"):
            try:
                _, version, _, wheel_tags = parse_wheel_filename(path.name)
            except InvalidWheelFilename:
                continue
            if requirement.specifier.contains(version, prereleases=True) and wheel_tags & accepted:
                if best is None or version > best[0]:
                    best = (version, path)
    return None if best is None else best[1]


def parse_torch_spec(spec: str) -> Requirement:
    """``spec`` as a requirement; a ``ValueError`` unless it is a valid requirement on torch."""
    try:
        requirement = Requirement(spec)
    except InvalidRequirement as error:
        raise ValueError(f"TORCH_SPEC={spec!r} is not a pip requirement (e.g. torch==2.13.0): {error}"
                         ) from None
    if requirement.name.lower() != "torch":
        raise ValueError(f"TORCH_SPEC={spec!r} must be a requirement on torch, not on {requirement.name!r}")
    return requirement


def torch_pip_args(
    spec: str,
    find_links: str = "",
    *,
    index: str = "auto",
    platform: str = sys.platform,
    has_gpu: bool | None = None,
    tags: Iterable[Tag] | None = None,
) -> list[str]:
    """What follows ``pip install`` to install ``spec`` from the right place (see the module's docstring).

    Args:
        spec: a pip requirement on torch (``TORCH_SPEC``).
        find_links: ``PIP_FIND_LINKS`` (local folders searched for a fitting wheel).
        index: ``'auto'`` (the choice above), ``'pypi'`` (plain pip) or an index URL (``TORCH_INDEX``).
        platform: ``sys.platform`` of the machine.
        has_gpu: whether an NVIDIA GPU is there (default: whether ``nvidia-smi`` is on ``PATH``).
        tags: wheel tags this Python accepts (default: the running interpreter's).

    Returns:
        pip arguments, e.g. ``['torch==2.13.0', '--index-url', CPU_INDEX]``.
    """
    parse_torch_spec(spec)
    if index == "pypi":
        return [spec]
    if index != "auto":
        if not index.startswith(("https://", "http://", "file://")):
            raise ValueError(f"TORCH_INDEX={index!r}: use auto, pypi or an index URL (https://...)")
        return [spec, "--index-url", index]
    wheel = local_torch_wheel(spec, find_links, tags)
    if wheel is not None:
        return [str(wheel)]
    gpu = shutil.which("nvidia-smi") is not None if has_gpu is None else has_gpu
    if platform.startswith("linux") and not gpu:
        return [spec, "--index-url", CPU_INDEX]
    return [spec]


def main(argv: list[str] | None = None) -> int:
    """``python nbhelpers/install_torch.py SPEC [--index auto|pypi|URL] [--dry-run]``: install torch
    with the current Python's pip (or only print the command); returns pip's exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spec", help="a pip requirement on torch, e.g. torch==2.13.0")
    parser.add_argument("--index", default=os.environ.get("TORCH_INDEX") or "auto",
                        help="auto (default), pypi, or an index URL (env TORCH_INDEX)")
    parser.add_argument("--dry-run", action="store_true", help="print the pip command, install nothing")
    args = parser.parse_args(argv)
    try:
        pip_args = torch_pip_args(args.spec, os.environ.get("PIP_FIND_LINKS", ""), index=args.index)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "pip", "install", "--quiet", *pip_args]
    print("installing torch:", " ".join(command[3:]), flush=True)
    return 0 if args.dry_run else subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
