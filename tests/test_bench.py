from pathlib import Path

import pytest

from nbhelpers.course import bench

ROOT = Path(__file__).resolve().parents[1]


def test_summary_statistics():
    summary = bench._summary([5.0, 1.0, 3.0, 2.0, 4.0])
    assert summary["median_ms"] == 3.0 and summary["max_ms"] == 5.0 and summary["n"] == 5


def test_machine_line_names_cores_and_torch():
    line = bench.machine()
    assert "cores" in line and "torch" in line


def test_measure_notebook_reports_time_and_memory():
    result = bench.measure_notebook(str(ROOT / "notebooks" / "00_setup_check.ipynb"))
    assert 0 < result["seconds"] < 120
    assert result["peak_mib"] > 50  # a Python kernel with torch loaded


def test_widget_budgets_name_what_is_exceeded():
    assert bench.WIDGET_BUDGET_MS == 50 and bench.WIDGET_P95_BUDGET_MS == 100
    assert bench.widget_verdict({"median_ms": 20.0, "p95_ms": 40.0, "max_ms": 90.0, "n": 10}) == "ok"
    assert bench.widget_verdict({"median_ms": 50.0, "p95_ms": 100.0, "max_ms": 300.0, "n": 10}) == "ok"
    slow_median = bench.widget_verdict({"median_ms": 60.0, "p95_ms": 90.0, "max_ms": 99.0, "n": 10})
    assert "median OVER 50 ms" in slow_median and "p95" not in slow_median
    slow_tail = bench.widget_verdict({"median_ms": 30.0, "p95_ms": 140.0, "max_ms": 200.0, "n": 10})
    assert "p95 OVER 100 ms" in slow_tail and "median" not in slow_tail
    both = bench.widget_verdict({"median_ms": 80.0, "p95_ms": 140.0, "max_ms": 200.0, "n": 10})
    assert "median OVER" in both and "p95 OVER" in both


def test_measure_widgets_reports_each_explorer():
    result = bench.measure_widgets(repeats=1)
    assert set(result) == {"overlap explorer", "stack explorer"}
    for summary in result.values():
        assert set(summary) == {"median_ms", "p95_ms", "max_ms", "n"}
        assert 0 < summary["median_ms"] <= summary["p95_ms"] <= summary["max_ms"]
    assert result["overlap explorer"]["n"] == 192 and result["stack explorer"]["n"] == 96


XEON = {"00": 4.4, "03": 22.3, "04": 17.8, "05": 23.0, "07": 15.0, "others": 30.5}  # all 113 s
AMD = {"00": 12.1, "03": 50.1, "04": 42.1, "05": 50.2, "07": 35.1, "others": 74.1}  # all 263.7 s


def test_ratio_budgets_keep_the_xeon_within_its_old_seconds():
    assert bench.NOTEBOOK_BUDGET_LOOPS * bench.REFERENCE_LOOP_S <= 30.0
    assert bench.SUITE_BUDGET_LOOPS * bench.REFERENCE_LOOP_S <= 180.0
    assert bench.REFERENCE_LOOP_S == pytest.approx(200 / 104, abs=0.01)  # the Xeon's plain loop, 104 steps/s


@pytest.mark.parametrize("seconds, loop_s", [(XEON, 200 / 104), (AMD, 200 / 46.8)])
def test_the_same_notebooks_pass_on_both_machines_by_ratio(seconds, loop_s):
    rows, ok = bench.notebook_verdicts({k: v for k, v in seconds.items() if k != "others"}, loop_s)
    assert ok and rows[-1]["name"] == "all"
    assert {r["name"]: round(r["loops"], 1) for r in rows}["05"] in (12.0, 11.7)
    everything, _ = bench.notebook_verdicts(seconds, loop_s)  # "others": 01, 02, 06, 08 together
    assert everything[-1]["loops"] == pytest.approx(sum(seconds.values()) / loop_s)
    assert 55 < everything[-1]["loops"] < 65


def test_ratio_verdicts_on_given_numbers():
    assert bench.budget_verdict(30.0, 2.0, 15) == (15.0, "ok")
    assert bench.budget_verdict(30.2, 2.0, 15) == (15.1, "OVER 15 loop-times")
    rows, ok = bench.notebook_verdicts({"a": 10.0, "b": 31.0}, 2.0)  # b: 15.5 loop-times
    assert not ok and [r["verdict"] for r in rows] == ["ok", "OVER 15 loop-times", "ok"]
    rows, ok = bench.notebook_verdicts({f"n{i}": 28.0 for i in range(7)}, 2.0)  # 98 loop-times in all
    assert not ok and rows[-1]["verdict"] == "OVER 90 loop-times"
    assert all(r["verdict"] == "ok" for r in rows[:-1])


def test_calibration_summary_and_drift_warning():
    steady = bench.calibration_summary(2.0, 2.2)
    assert steady["loop_s"] == pytest.approx(2.1) and steady["drift"] == pytest.approx(1.1)
    assert "WARNING" not in bench._calibration_lines(steady, {"threads": 1, "device": "cpu"})
    changed = bench.calibration_summary(4.0, 2.0)
    assert changed["loop_s"] == 3.0 and changed["drift"] == 2.0
    lines = bench._calibration_lines(changed, {"threads": 1, "device": "cpu"})
    assert "4.00 s before the notebooks, 2.00 s after, mean 3.00 s" in lines and "changed 2.00x" in lines
    with pytest.raises(ValueError, match="positive"):
        bench.calibration_summary(0.0, 2.0)


def test_calibration_runs_the_plain_loop_in_a_fresh_process():
    import torch

    before = torch.get_num_threads()
    result = bench.calibrate(steps=3, repeats=1)
    assert result["seconds"] > 0 and result["threads"] == 1 and torch.get_num_threads() == before
    measured = bench.measure_calibration(steps=3)
    assert measured["seconds"] > 0 and measured["threads"] == bench.CALIBRATION_THREADS == 1


def test_main_judges_by_ratio_and_exits_1_when_over(monkeypatch, capsys):
    calibrations = iter([{"seconds": 2.0, "threads": 1, "device": "cpu"},
                         {"seconds": 2.2, "threads": 1, "device": "cpu"}])
    seconds = {"a.ipynb": 20.0, "b.ipynb": 33.0}  # at a 2.1 s loop-time: 9.5 and 15.7 loop-times
    monkeypatch.setattr(bench, "measure_calibration", lambda: next(calibrations))
    monkeypatch.setattr(bench, "measure_notebook", lambda p: {"seconds": seconds[p], "peak_mib": 300.0})
    monkeypatch.setattr(bench, "measure_widgets", lambda: {"overlap explorer": bench._summary([10.0, 20.0])})
    monkeypatch.setattr(bench, "_training_throughput", lambda: "training loop: (skipped)")
    monkeypatch.setattr(bench, "_contention", lambda: True)
    assert bench.main(list(seconds)) == 1
    out = capsys.readouterr().out
    assert "2.00 s before the notebooks, 2.20 s after, mean 2.10 s" in out and "notebooks' kernels:" in out
    assert "| a.ipynb | 20.0 | 9.5 | 300 | ok |" in out
    assert "| b.ipynb | 33.0 | 15.7 | 300 | OVER 15 loop-times |" in out
    assert "| **all** | 53.0 | 25.2 | | ok |" in out and "28.8 s and 173 s at the Xeon's 1.92 s" in out
    assert out.rstrip().endswith("BUDGET EXCEEDED")
    seconds["b.ipynb"] = 29.0  # 14.5 loop-times
    calibrations = iter([{"seconds": 2.0, "threads": 1, "device": "cpu"}] * 2)
    assert bench.main(list(seconds)) == 0 and "all budgets met" in capsys.readouterr().out


def test_the_kernels_are_benchmarked_as_on_a_class_server_unless_told_otherwise():
    from nbhelpers.course.bench import kernel_environment
    from nbhelpers.runtime import thread_policy

    assert kernel_environment({"PATH": "/bin"}) == {"PATH": "/bin", "NBHELPERS_SHARED": "1"}
    assert thread_policy(kernel_environment({})).threads == 1
    assert kernel_environment({"NBHELPERS_THREADS": "2"}) == {"NBHELPERS_THREADS": "2"}
    assert kernel_environment({"NBHELPERS_SHARED": "0"}) == {"NBHELPERS_SHARED": "0"}
