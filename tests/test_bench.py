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
