"""The contention benchmark: workers start together in each setting's environment, and the targets'
verdicts on given numbers (no timing is judged here: the rounds are a few steps long)."""

import pytest

from nbhelpers import runtime
from nbhelpers.course import contention


def test_workers_get_a_clean_environment_per_setting(monkeypatch):
    monkeypatch.setenv("JUPYTERHUB_USER", "someone")  # e.g. `make bench` run in a hub's terminal
    monkeypatch.setenv("NBHELPERS_THREADS", "3")
    monkeypatch.setenv("NBHELPERS_SHARED", "1")
    personal = contention.worker_environment("personal")
    assert not {"JUPYTERHUB_USER", "NBHELPERS_THREADS", "NBHELPERS_SHARED"} & set(personal)
    assert personal["NBHELPERS_DEVICE"] == "cpu" and "PATH" in personal
    assert runtime.thread_policy(personal).context == "personal"
    shared = contention.worker_environment("shared")
    assert runtime.thread_policy(shared).context == "shared" and "NBHELPERS_THREADS" not in shared
    assert contention.worker_environment("torch")["NBHELPERS_THREADS"] == "torch"
    with pytest.raises(ValueError, match="personal, shared, torch"):
        contention.worker_environment("policy")


def test_rounds_run_copies_in_each_setting():
    shared = contention.run_round(2, "shared", steps=3)
    assert len(shared) == 2 and all(r["threads"] == 1 and r["context"] == "shared" and r["seconds"] > 0
                                    for r in shared)
    default = contention.run_round(1, "torch", steps=3)
    assert default[0]["threads"] == runtime.TORCH_DEFAULT_THREADS and default[0]["context"] == "override"
    personal = contention.run_round(1, "personal", steps=3)[0]
    expected = runtime.thread_policy(contention.worker_environment("personal")).threads
    assert personal["context"] == "personal" and personal["threads"] == expected


def _fake_rounds(monkeypatch, times: dict, threads: dict | None = None) -> None:
    threads = threads or {"personal": 2, "shared": 1, "torch": 2}

    def fake(copies, setting, steps):
        return [{"seconds": times[(setting, copies)], "threads": threads[setting]}] * copies

    monkeypatch.setattr(contention, "run_round", fake)


def test_table_and_targets_on_given_numbers(monkeypatch):
    times = {("personal", 1): 1.8, ("shared", 1): 2.9, ("shared", 2): 3.0, ("shared", 4): 6.0,
             ("torch", 1): 1.7}
    _fake_rounds(monkeypatch, times)
    rows, ok = contention.contention_table((1, 2, 4), 5, (1,), (1,))
    assert ok and [(r["setting"], r["copies"]) for r in rows] == [
        ("personal", 1), ("shared", 1), ("shared", 2), ("shared", 4), ("torch", 1)]
    assert [r["vs_alone"] for r in rows] == pytest.approx([1.0, 1.0, 3.0 / 2.9, 6.0 / 2.9, 1.0])
    table = contention.format_table(rows)
    assert "| policy, personal machine | 1 | 2 | 1.80 | 1.80 | 1.00x |" in table
    assert "| policy, shared server | 4 | 1 | 6.00 | 6.00 | 2.07x |" in table
    checks = {c["name"]: c for c in contention.check_targets(rows)}
    assert checks["alone"]["ratio"] == pytest.approx(1.8 / 1.7) and checks["alone"]["met"]
    assert checks["fair"]["ratio"] == pytest.approx(6.0 / 2.9) and checks["fair"]["met"]
    lines = contention.format_targets(rows).splitlines()
    assert len(lines) == 2 and all(line.endswith(": met") for line in lines)
    assert "personal policy 1.80 s vs torch's default 1.70 s: 1.06x (target <= 1.3x)" in lines[0]


@pytest.mark.parametrize("change, missed", [
    ({("personal", 1): 2.94, ("torch", 1): 1.71}, "alone"),  # one thread alone: 1.72x torch's default
    ({("shared", 4): 9.0}, "fair"),  # a collapse of four at once: 3.1x one alone
    ({("personal", 1): 2.3, ("torch", 1): 1.7, ("shared", 4): 8.6}, "alone"),  # 1.35x; 2.97x still fair
])
def test_targets_are_missed_on_given_numbers(monkeypatch, change, missed):
    times = {("personal", 1): 1.8, ("shared", 1): 2.9, ("shared", 4): 6.0, ("torch", 1): 1.7, **change}
    _fake_rounds(monkeypatch, times)
    rows, ok = contention.contention_table((1, 4), 5, (1,), (1,))
    assert not ok
    failed = {c["name"] for c in contention.check_targets(rows) if not c["met"]}
    assert failed == {missed}
    assert "MISSED" in contention.format_targets(rows)


def test_targets_need_their_rounds(monkeypatch):
    _fake_rounds(monkeypatch, {("shared", 2): 3.0})
    rows, ok = contention.contention_table((2,), 5, (), ())
    assert ok and contention.check_targets(rows) == [] and rows[0]["vs_alone"] is None
    assert "| policy, shared server | 2 | 1 | 3.00 | 3.00 |  |" in contention.format_table(rows)


def test_command_line_prints_the_table(capsys):
    """`python -m nbhelpers.course.contention` as the instructor notes give it (one tiny round)."""
    status = contention.main(["--copies", "1", "--personal-copies", "", "--torch-copies", "", "--steps", "2"])
    out = capsys.readouterr().out
    assert "| policy, shared server | 1 | 1 |" in out and "targets: not judged" in out and status == 0
