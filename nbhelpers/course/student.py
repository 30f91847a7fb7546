"""Student versions of the notebooks: ``make student`` -> ``build/student/``.

Every code cell's solution block, the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's markers), is replaced by
``raise NotImplementedError("Exercise: ...")`` at the indentation of the ``### BEGIN SOLUTION``
line; all outputs and execution counts are cleared. Reference notebooks are never written. A
student file newer than its source is not overwritten (the student may have worked in it)
unless ``force`` is set (``make student FORCE=1``).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
_DEF = re.compile(r"^(\s*)(def|class)\s+(\w+)")


class StudentVersionError(ValueError):
    """A notebook's solution markers are malformed, or a student file would be overwritten."""


def strip_solutions(source: str, where: str = "cell") -> tuple[str, int]:
    """Replace each solution block of a cell's source with a NotImplementedError stub.

    Returns ``(new_source, number_of_blocks)``. The stub names the function or class whose
    body held the block, when there is one. Raises :class:`StudentVersionError` on a BEGIN
    without END, an END without BEGIN, or nested blocks.
    """
    out: list[str] = []
    blocks, inside, name, owner = 0, False, None, None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise StudentVersionError(f"{where}: nested '{BEGIN}'")
            inside, blocks = True, blocks + 1
            indent = line[: len(line) - len(line.lstrip())]
            what = f"write the body of {name}" if name else "complete this cell"
            out.append(f'{indent}raise NotImplementedError("Exercise: {what} (see the instructions above)")')
            continue
        if stripped == END:
            if not inside:
                raise StudentVersionError(f"{where}: '{END}' without '{BEGIN}'")
            inside = False
            continue
        if not inside:
            match = _DEF.match(line)
            if match:
                indent, kind, found = match.groups()
                if kind == "class" and not indent:
                    owner = found
                name = f"{owner}.{found}" if indent and owner and kind == "def" else found
                if not indent and kind == "def":
                    owner = None
            out.append(line)
    if inside:
        raise StudentVersionError(f"{where}: '{BEGIN}' without '{END}'")
    return "\n".join(out), blocks


def student_notebook(nb: dict, where: str = "notebook") -> tuple[dict, int]:
    """A copy of ``nb`` (nbformat dict) with solutions stubbed and outputs cleared."""
    result = copy.deepcopy(nb)
    total = 0
    for i, cell in enumerate(result["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        new, blocks = strip_solutions(source, f"{where} cell {i}")
        cell["source"] = new
        cell["outputs"] = []
        cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
        total += blocks
    result.get("metadata", {}).pop("widgets", None)
    return result, total


def build_student_versions(notebooks: list[Path], out_dir: Path, force: bool = False) -> list[Path]:
    """Write the student version of each notebook to ``out_dir``; returns the written paths.

    Raises :class:`StudentVersionError` if ``out_dir`` is the notebooks' own folder, or if a
    student file is newer than its source and ``force`` is False.
    """
    import nbformat

    out_dir = Path(out_dir)
    written = []
    for path in map(Path, notebooks):
        if path.resolve().parent == out_dir.resolve():
            raise StudentVersionError(f"refusing to write student versions into {out_dir}: "
                                      "that is where the reference notebooks live")
        target = out_dir / path.name
        if target.exists() and target.stat().st_mtime > path.stat().st_mtime and not force:
            raise StudentVersionError(
                f"{target} is newer than {path} (a student may have worked in it); "
                "run with FORCE=1 (make student FORCE=1) to overwrite it")
        nb = nbformat.read(path, as_version=4)
        student, _ = student_notebook(nb, path.name)
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.from_dict(student), target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make student``; returns the exit status."""
    parser = argparse.ArgumentParser(description="Write student versions of the notebooks.")
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/student"))
    parser.add_argument("--force", action="store_true", default=os.environ.get("FORCE") == "1")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    try:
        written = build_student_versions(paths, args.out, force=args.force)
    except StudentVersionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
