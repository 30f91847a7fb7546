"""Student versions: solutions stubbed at the right indentation, outputs cleared, never in notebooks/."""

import json
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nbhelpers.course.student import (
    BEGIN,
    END,
    StudentVersionError,
    build_student_versions,
    main,
    strip_solutions,
    student_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_strip_keeps_indentation_and_names_the_function():
    source = f"def f(x):\n    '''doc'''\n    {BEGIN}\n    return x + 1\n    {END}\n\nprint(f)"
    new, n = strip_solutions(source)
    assert n == 1
    stub = 'raise NotImplementedError("Exercise: write the body of f (see the instructions above)")'
    assert new.splitlines()[2] == "    " + stub
    assert "return x + 1" not in new and "print(f)" in new
    compile(new, "cell", "exec")


def test_strip_top_level_block():
    new, n = strip_solutions(f"x = 1\n{BEGIN}\ny = x * 2\n{END}\nprint(y)")
    assert n == 1 and new.splitlines()[1].startswith('raise NotImplementedError("Exercise: complete')


@pytest.mark.parametrize("source", [f"{BEGIN}\nx", f"x\n{END}", f"{BEGIN}\n{BEGIN}\n{END}\n{END}"])
def test_malformed_markers_are_errors(source):
    with pytest.raises(StudentVersionError):
        strip_solutions(source)


def solution_lines(nb):
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if line.strip() == BEGIN:
                inside = True
            elif line.strip() == END:
                inside = False
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("path", NOTEBOOKS[1:6], ids=lambda p: p.name)
def test_reference_notebooks_have_exercises_and_students_get_none_of_the_code(path):
    nb = json.loads(path.read_text())
    answers = solution_lines(nb)
    student, blocks = student_notebook(nb)
    assert blocks >= 2, f"{path.name} needs at least two exercises"
    assert all(c.get("metadata", {}).get("nbgrader", {}).get("solution")
               for c in nb["cells"] if c["cell_type"] == "code" and BEGIN in "".join(c["source"]))
    text = "\n".join("".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code")
    assert BEGIN not in text and END not in text
    for a in answers:
        if len(a) > 12:
            assert a not in text, f"solution line leaked into the student version: {a}"
    assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code")
    assert text.count("raise NotImplementedError(\"Exercise:") == blocks
    checks = [c for c in nb["cells"]
              if c["cell_type"] == "code" and "exercises import" in "".join(c["source"])]
    exercise_cells = [c for c in nb["cells"] if c["cell_type"] == "code" and BEGIN in "".join(c["source"])]
    assert len(exercise_cells) >= 2 and len(checks) >= len(exercise_cells)  # each one is checked


def test_build_refuses_newer_student_files_and_the_notebooks_folder(tmp_path):
    source = NOTEBOOKS[0]
    (written,) = build_student_versions([source], tmp_path)
    future = time.time() + 100
    os.utime(written, (future, future))
    with pytest.raises(StudentVersionError, match="FORCE=1"):
        build_student_versions([source], tmp_path)
    assert build_student_versions([source], tmp_path, force=True) == [written]
    with pytest.raises(StudentVersionError, match="reference notebooks"):
        build_student_versions([source], source.parent)
    assert main([str(source), "--out", str(source.parent)]) == 2


FAST = [p for p in NOTEBOOKS if p.name[:2] in ("01", "02")]


@pytest.mark.parametrize("path", FAST, ids=lambda p: p.name)
def test_student_notebook_runs_until_the_first_exercise(tmp_path, path):
    (student_path,) = build_student_versions([path], tmp_path)
    nb = nbformat.read(student_path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    with pytest.raises(CellExecutionError) as info:
        client.execute()
    assert info.value.ename == "NotImplementedError"
    failed = next(i for i, c in enumerate(nb.cells)
                  if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    first_stub = next(i for i, c in enumerate(nb.cells)
                      if c.cell_type == "code" and 'NotImplementedError("Exercise:' in c.source)
    assert failed in (first_stub, first_stub + 1)  # the exercise cell itself or its check
    assert all(c.get("execution_count") for c in nb.cells[:failed] if c.cell_type == "code")
