"""nbgrader end to end: build the course, autograde three students, read their exact scores.

The end-to-end test is skipped unless nbgrader is installed (`make grading` and
`make test-grading` install it). One notebook, 01 (the fastest one with exercises: a few
seconds), becomes the course; three fake students submit (a) the instructor's solutions,
(b) the released notebook untouched and (c) the solutions with one wrong but runnable answer.
Their expected points come from the cells' nbgrader metadata, not from numbers written here.
"""

import json
from pathlib import Path

import pytest

from nbhelpers.course.grading import (
    autograde,
    build_course,
    exercises,
    graded_notebooks,
    max_points,
    read_notebook,
    scores,
    student_submission,
    submit,
)
from nbhelpers.course.student import BEGIN, END

NO_NBGRADER = 'nbgrader is not installed: `make grading` installs it (pip install -e ".[grading]"); ' \
              '`make test-grading` installs it and runs this test'
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_uneven_overlap.ipynb"
ASSIGNMENT = NOTEBOOK.stem
WRONG_EXERCISE = "ex01_formula"  # unevenness_formula: forgets the gaps (kernel_size < stride)
WRONG_BODY = "return math.ceil(kernel_size / stride) / max(1, kernel_size // stride)"


def with_body(source: str, body: str) -> str:
    """``source`` with the lines between the solution markers replaced by ``body``, same indent."""
    out, inside = [], False
    for line in source.splitlines():
        if line.strip() == BEGIN:
            inside = True
            out.append(line[: len(line) - len(line.lstrip())] + body)
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def error_names(nb: dict, grade_ids: set[str]) -> set[str]:
    """The exception names in the outputs of the cells with these grade_ids."""
    return {o["ename"] for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            in grade_ids for o in c.get("outputs", []) if o.get("output_type") == "error"}


def test_exercises_are_read_from_the_metadata():
    source = read_notebook(NOTEBOOK)
    found = exercises(source)
    assert [e.solution for e in found] == ["ex01_coverage", "ex01_formula", "ex01_index"]
    assert all(e.checks == {f"{e.solution}_check": 1.0} for e in found)
    assert max_points(source) == 3
    assert graded_notebooks(sorted((ROOT / "notebooks").glob("0[0-1]_*.ipynb"))) == [NOTEBOOK]


def test_three_students_get_full_zero_and_all_but_one_exercise(tmp_path):
    pytest.importorskip("nbgrader", reason=NO_NBGRADER)
    course = tmp_path / "course"
    released = build_course([NOTEBOOK], course)
    assert set(released) == {ASSIGNMENT} and released[ASSIGNMENT].exists()
    source, release = read_notebook(NOTEBOOK), read_notebook(released[ASSIGNMENT])
    assert BEGIN not in json.dumps(release) and "raise NotImplementedError()" in json.dumps(release)

    by_exercise = {e.solution: e for e in exercises(source)}
    wrong = by_exercise[WRONG_EXERCISE]
    wrong_cell = next(c for c in source["cells"]
                      if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == WRONG_EXERCISE)
    wrong_source = with_body("".join(wrong_cell["source"]), WRONG_BODY)
    compile(wrong_source, WRONG_EXERCISE, "exec")  # wrong, but it runs
    submissions = {
        "all_right": student_submission(release, source),
        "none": release,
        "one_wrong": student_submission(release, source, {WRONG_EXERCISE: wrong_source}),
    }
    for student, nb in submissions.items():
        submit(course, ASSIGNMENT, student, nb)
    autograde(course, ASSIGNMENT)
    got = scores(course, ASSIGNMENT)

    full = max_points(source)
    assert full > wrong.points > 0
    checks = [(e, grade_id, points) for e in by_exercise.values() for grade_id, points in e.checks.items()]
    expected_checks = {
        "all_right": {g: p for _, g, p in checks},
        "none": {g: 0.0 for _, g, _ in checks},
        "one_wrong": {g: (0.0 if e is wrong else p) for e, g, p in checks},
    }
    assert got == expected_checks
    totals = {student: sum(grades.values()) for student, grades in got.items()}
    assert totals == {"all_right": full, "none": 0.0, "one_wrong": full - wrong.points}
    per_exercise = {s: {e.solution: sum(got[s][g] for g in e.checks) for e in by_exercise.values()}
                    for s in got}
    assert per_exercise["one_wrong"] == {name: (0.0 if name == WRONG_EXERCISE else e.points)
                                         for name, e in by_exercise.items()}

    # Zero points for the right reason: unanswered cells raise nbgrader's stub, the wrong answer
    # fails its check with the check's own message.
    graded = {s: read_notebook(course / "autograded" / s / ASSIGNMENT / NOTEBOOK.name) for s in got}
    all_checks = set(expected_checks["all_right"])
    assert error_names(graded["all_right"], all_checks) == set()
    assert error_names(graded["none"], all_checks) == {"NotImplementedError"}
    assert error_names(graded["one_wrong"], set(wrong.checks)) == {"ExerciseFailed"}
    assert error_names(graded["one_wrong"], all_checks - set(wrong.checks)) == set()


def test_rebuilding_leaves_an_instructors_own_assignment_alone(tmp_path):
    """build_course regenerates only its notebooks' assignments when source/ holds others too."""
    pytest.importorskip("nbgrader", reason=NO_NBGRADER)
    course = tmp_path / "course"
    own = course / "source" / "homework9" / "homework9.ipynb"
    own.parent.mkdir(parents=True)
    own.write_text(NOTEBOOK.read_text())
    released = build_course([NOTEBOOK], course)
    assert released[ASSIGNMENT].exists() and "### BEGIN SOLUTION" not in released[ASSIGNMENT].read_text()
    assert not (course / "release" / "homework9").exists(), "the instructor's assignment was not released"


def test_make_grading_builds_every_graded_notebook():
    """The README's `make grading`: one released student version per notebook with graded cells."""
    import subprocess

    pytest.importorskip("nbgrader", reason=NO_NBGRADER)
    done = subprocess.run(["make", "-s", "grading"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    expected = {p.stem for p in graded_notebooks(notebooks)}
    assert len(expected) >= 5
    for stem in expected:
        released = ROOT / "build" / "grading" / "release" / stem / f"{stem}.ipynb"
        assert released.exists(), released
        assert "### BEGIN SOLUTION" not in released.read_text()
