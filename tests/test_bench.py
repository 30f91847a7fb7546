from pathlib import Path

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
