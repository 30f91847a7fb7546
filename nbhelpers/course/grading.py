"""The notebooks' exercises as an nbgrader course: ``make grading`` -> ``build/grading/``.

Every notebook with autograded cells (cell metadata ``nbgrader.grade``, with ``points``) becomes
one assignment named after the notebook, ``source/<assignment>/<assignment>.ipynb`` in the course
folder. ``nbgrader generate_assignment`` then writes the student version to
``release/<assignment>/`` (solutions replaced by nbgrader's stub, check cells locked) and records
the graded cells in ``gradebook.db``. Students' notebooks placed in
``submitted/<student>/<assignment>/`` are graded by ``nbgrader autograde`` (the ``autograde``
command below); ``scores`` reads the points back from the gradebook.

nbgrader is optional (``pip install -e ".[grading]"``, which ``make grading`` runs). It creates and
migrates its database by running the ``alembic`` command, so the environment's ``bin/`` folder
must be on ``PATH``: every nbgrader call made here puts it first.

Command line: ``python -m nbhelpers.course.grading build|autograde|scores ...`` (``--help``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

COURSE_ID = "deconv-checkerboard"
DEFAULT_COURSE = Path("build/grading")
INSTALL_HINT = 'nbgrader is not installed: `make grading` installs it (pip install -e ".[grading]")'
CONFIG = f'''"""nbgrader settings of the {COURSE_ID} exercises (written by `make grading`)."""

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file
c.CourseDirectory.course_id = "{COURSE_ID}"
# A cell that runs longer than this is marked as failed (every notebook runs in well under a minute).
c.Execute.timeout = 300
'''


def course_config(exchange: Path | None = None) -> str:
    """The course's ``nbgrader_config.py``: :data:`CONFIG`, plus nbgrader's exchange folder (where
    ``release_assignment`` puts the student versions and ``collect`` finds the submissions) when
    ``exchange`` is given; without it nbgrader's default applies, or a JupyterHub's own setting
    (``deploy/jupyterhub_config.py``)."""
    if exchange is None:
        return CONFIG
    return CONFIG + (f"# nbgrader's exchange: a folder every student can write to (mode 1777).\n"
                     f"c.Exchange.root = {str(exchange)!r}\n")


class GradingError(RuntimeError):
    """nbgrader is missing or failed; the message carries the end of its log."""


@dataclass
class Exercise:
    """One exercise: its solution cell's ``grade_id`` and the autograded cells that check it."""

    solution: str
    checks: dict[str, float] = field(default_factory=dict)

    @property
    def points(self) -> float:
        """The exercise's points: the sum of its check cells' points."""
        return sum(self.checks.values())


def _nbgrader_meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def exercises(nb: dict) -> list[Exercise]:
    """The exercises of a notebook (nbformat dict), in order, from its cells' nbgrader metadata.

    Each solution cell opens an exercise; the autograded cells that follow it (until the next
    solution cell) are its checks, with their ``points``. Graded cells before the first solution
    cell form an exercise whose ``solution`` is the empty string.
    """
    found: list[Exercise] = []
    for cell in nb["cells"]:
        meta = _nbgrader_meta(cell)
        if meta.get("solution") and not meta.get("grade"):
            found.append(Exercise(meta["grade_id"]))
        if meta.get("grade"):
            if not found:
                found.append(Exercise(""))
            found[-1].checks[meta["grade_id"]] = float(meta.get("points", 0))
    return found


def max_points(nb: dict) -> float:
    """The total points of a notebook's autograded cells."""
    return sum(e.points for e in exercises(nb))


def read_notebook(path: Path) -> dict:
    """A notebook file as a plain dict (nbformat 4 JSON)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(nb: dict, path: Path) -> Path:
    """Write ``nb`` to ``path`` (creating its folder) as nbformat JSON; returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def assignment_id(notebook: Path) -> str:
    """The assignment a notebook becomes: its file name without ``.ipynb``."""
    return Path(notebook).stem


def graded_notebooks(notebooks: list[Path]) -> list[Path]:
    """The notebooks among ``notebooks`` that have at least one autograded cell."""
    return [Path(p) for p in notebooks if max_points(read_notebook(Path(p))) > 0]


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: this Python's ``bin/`` first on PATH (``alembic``, kernels)."""
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")]) if env.get("PATH") else bin_dir
    return env


def require_nbgrader() -> None:
    """Raise GradingError with the install hint when nbgrader cannot be imported."""
    try:
        import nbgrader  # noqa: F401
    except ImportError as exc:
        raise GradingError(INSTALL_HINT) from exc


def run_nbgrader(course: Path, *args: str) -> str:
    """Run ``nbgrader ARGS`` in the course folder; returns its log, raises GradingError on failure."""
    require_nbgrader()
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(),
                          capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        tail = "\n".join(log.splitlines()[-40:])
        raise GradingError(f"nbgrader {' '.join(args)} failed (exit {done.returncode}):\n{tail}")
    return log


def build_course(notebooks: list[Path], course: Path = DEFAULT_COURSE,
                 exchange: Path | None = None) -> dict[str, Path]:
    """Make ``course`` an nbgrader course of the graded ``notebooks``; returns the student versions.

    Copies each notebook with autograded cells to ``source/<assignment>/``, writes
    ``nbgrader_config.py`` (:func:`course_config` with ``exchange``) and runs
    ``nbgrader generate_assignment --force``: once for all of them (``"*"``, about 4 s instead of
    4 s each) when ``source/`` holds only these assignments, else once per assignment, so that an
    instructor's other assignments are left as they are. Returns
    ``{assignment: release/<assignment>/<notebook>}``. Raises GradingError when no notebook has
    graded cells or nbgrader fails.
    """
    require_nbgrader()
    graded = graded_notebooks(notebooks)
    if not graded:
        raise GradingError(f"none of {[str(p) for p in notebooks]} has autograded (nbgrader) cells")
    course = Path(course)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(course_config(exchange), encoding="utf-8")
    released = {}
    for path in graded:
        name = assignment_id(path)
        source = course / "source" / name
        source.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, source / path.name)
        released[name] = course / "release" / name / path.name
    present = {p.name for p in (course / "source").iterdir() if p.is_dir()}
    for name in ["*"] if present == set(released) else released:
        run_nbgrader(course, "generate_assignment", name, "--force")
    return released


def student_submission(release: dict, source: dict, answers: dict[str, str | None] | None = None) -> dict:
    """A student's notebook: the released ``release`` with solution cells filled in.

    Each solution cell gets the source of the cell with the same ``grade_id`` in ``source`` (the
    instructor's notebook), or ``answers[grade_id]`` when given; ``answers`` may also hold ``None``
    to leave that cell as released (unanswered).
    """
    answers = answers or {}
    solutions = {_nbgrader_meta(c).get("grade_id"): c["source"] for c in source["cells"]
                 if _nbgrader_meta(c).get("solution")}
    result = copy.deepcopy(release)
    for cell in result["cells"]:
        meta = _nbgrader_meta(cell)
        if not meta.get("solution"):
            continue
        grade_id = meta["grade_id"]
        answer = answers[grade_id] if grade_id in answers else solutions.get(grade_id)
        if answer is not None:
            cell["source"] = answer
    return result


def submit(course: Path, assignment: str, student: str, nb: dict, name: str | None = None) -> Path:
    """Place ``nb`` as ``student``'s submission of ``assignment`` (``submitted/`` of the course)."""
    name = name or f"{assignment}.ipynb"
    return write_notebook(nb, Path(course) / "submitted" / student / assignment / name)


def autograde(course: Path, assignment: str) -> str:
    """Run ``nbgrader autograde --force`` on every submission of ``assignment``; returns the log."""
    return run_nbgrader(Path(course), "autograde", assignment, "--force")


def scores(course: Path, assignment: str) -> dict[str, dict[str, float]]:
    """``{student: {grade_id: score}}`` of ``assignment``'s autograded submissions (gradebook.db)."""
    require_nbgrader()
    from nbgrader.api import Gradebook

    db = Path(course).resolve() / "gradebook.db"
    if not db.exists():
        raise GradingError(f"{db} does not exist: build the course first (make grading)")
    result: dict[str, dict[str, float]] = {}
    with Gradebook(f"sqlite:///{db}", course_id=COURSE_ID) as gb:
        for submission in gb.find_assignment(assignment).submissions:
            grades = result.setdefault(submission.student.id, {})
            for notebook in submission.notebooks:
                grades.update({grade.name: float(grade.score) for grade in notebook.grades})
    return result


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make grading``; returns the exit status."""
    parser = argparse.ArgumentParser(description="The notebooks' exercises as an nbgrader course.")
    parser.add_argument("--course", type=Path, default=DEFAULT_COURSE, help="course folder")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="source/ + nbgrader_config.py + generate_assignment")
    build.add_argument("notebooks", nargs="*", type=Path)
    build.add_argument("--exchange", type=Path, default=os.environ.get("NBGRADER_EXCHANGE") or None,
                       help="nbgrader's exchange folder (default: $NBGRADER_EXCHANGE, else nbgrader's own)")
    for command in ("autograde", "scores"):
        sub = commands.add_parser(command, help=f"{command} the submissions of one assignment")
        sub.add_argument("assignment")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            paths = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
            released = build_course(paths, args.course, args.exchange)
            print(f"nbgrader course in {args.course}/ ({len(released)} assignments); student versions:")
            for path in released.values():
                print(f"  {path}")
            print(f"Students' notebooks go to {args.course}/submitted/<student>/<assignment>/; then run "
                  f"python -m nbhelpers.course.grading --course {args.course} autograde <assignment>")
        elif args.command == "autograde":
            autograde(args.course, args.assignment)
            print(f"autograded: {args.course}/autograded/*/{args.assignment}/")
        else:
            for student, grades in sorted(scores(args.course, args.assignment).items()):
                detail = ", ".join(f"{grade_id} {score:g}" for grade_id, score in grades.items())
                print(f"{student}: {sum(grades.values()):g} points ({detail})")
    except GradingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
