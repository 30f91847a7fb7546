"""The machinery of the exercise checks: how a check calls student code and reports a failure.

A failure raises :class:`ExerciseFailed` (an ``AssertionError``) saying which input was
tried, what was expected, what came back, and a nudge; success prints one line.
"""

from __future__ import annotations

from collections.abc import Callable


class ExerciseFailed(AssertionError):
    """The student's answer is not right yet; the message says why and how to proceed."""


def _fail(exercise: str, case: str, expected: object, got: object, nudge: str) -> None:
    raise ExerciseFailed(
        f"{exercise}: not yet. For {case} the expected result is {expected!r} but your code "
        f"returned {got!r}.\nHint: {nudge}"
    )


def _call(exercise: str, fn: Callable, case: str, *args: object) -> object:
    try:
        return fn(*args)
    except NotImplementedError:
        raise NotImplementedError(
            f"{exercise}: not implemented yet. Replace the `raise NotImplementedError(...)` line "
            "with your code, run that cell, then run this check again."
        ) from None
    except Exception as exc:  # noqa: BLE001 - reported to the student with the input
        raise ExerciseFailed(
            f"{exercise}: calling your code on {case} raised {type(exc).__name__}: {exc}"
        ) from exc


def _ok(exercise: str, n_cases: int, extra: str = "") -> None:
    print(f"✓ {exercise}: correct on {n_cases} cases, including some the notebook never shows."
          + (f" {extra}" if extra else ""))


def _number(exercise: str, case: str, expected: object, got: object, what: str) -> float:
    """``got`` as a float, or a failure telling the student to return ``what``."""
    try:
        return float(got)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        _fail(exercise, case, expected, got, f"return {what}.")
        raise  # pragma: no cover - _fail always raises


def _callable(exercise: str, fn: object) -> None:
    if not callable(fn):
        raise ExerciseFailed(f"{exercise}: pass your function itself (without calling it), got "
                             f"{type(fn).__name__}")
