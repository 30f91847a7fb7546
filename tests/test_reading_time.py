"""The reading-time method (nbhelpers.course.reading_time) and the times the notebooks and README state."""

import json
import re
from pathlib import Path

import pytest

from nbhelpers.course.reading_time import reading_time, set_stated_time, stated_phrase, time_phrase

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _md(text):
    return {"cell_type": "markdown", "source": text, "metadata": {}}


def _code(text, outputs=()):
    return {"cell_type": "code", "source": text, "outputs": list(outputs), "metadata": {}}


FIGURE = {"output_type": "display_data", "data": {"image/png": "AAAA", "text/plain": "<Figure>"}}
WIDGET = {"output_type": "display_data", "data": {"application/vnd.jupyter.widget-view+json": {}}}
AUDIO = {"output_type": "display_data", "data": {"text/html": '<audio controls src="x"></audio>'}}


def test_prose_code_figures_and_exercises_add_up_by_the_stated_rates():
    nb = {"cells": [
        _md("**Time**: about 5 minutes\n\n" + "word " * 1496),  # 1500 words: 10 min
        _code("\n".join(f"x{i} = {i}" for i in range(30)) + "\n\n", [FIGURE, FIGURE]),  # 2 + 2 min
        _code("y = 1", [WIDGET, AUDIO]),  # 1/15 + 2 + 1 min
        _code("### BEGIN SOLUTION\nz = 2\n### END SOLUTION"),  # 5 min
    ]}
    time = reading_time(nb)
    assert (time.words, time.code_lines, time.figures, time.explorers, time.audio, time.exercises) == (
        1500, 34, 2, 1, 1, 1)
    assert time.main_minutes == 25  # 10 + 34/15 + 2 + 2 + 1 + 5 = 22.3, rounded up to 5
    assert time.further_minutes == 0
    assert time_phrase(time) == "**Time**: about 25 minutes"


def test_going_further_is_counted_apart_up_to_the_next_heading():
    nb = {"cells": [
        _md("**Time**: about 5 minutes\n\n" + "word " * 146),
        _md("## Going further\n" + "word " * 900), _code("a = 1", [FIGURE]),
        _md("## Exercises\n" + "word " * 10),
    ]}
    time = reading_time(nb)
    assert time.words == 150 + 1 + 10  # the "Exercises" heading counts, the going further does not
    assert time.further_words == 902 and time.further_figures == 1 and time.further_code_lines == 1
    assert (time.main_minutes, time.further_minutes) == (5, 10)  # 6 + 1/15 + 1 = 7.1 -> 10
    assert set_stated_time(nb) is True
    assert stated_phrase(nb) == "**Time**: about 5 minutes (the main path; *Going further* adds about 10)"
    assert set_stated_time(nb) is False  # already right


def test_bad_input_is_a_clear_error():
    with pytest.raises(TypeError, match="notebook"):
        reading_time(["not", "a", "notebook"])
    with pytest.raises(ValueError, match="Time"):
        set_stated_time({"cells": [_md("# Title")]})


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=lambda p: p.name)
def test_each_notebook_states_the_time_the_method_gives(path):
    nb = json.loads(path.read_text())
    wanted = time_phrase(reading_time(nb))
    assert stated_phrase(nb) == wanted, (
        f"{path.name}: run `python -m nbhelpers.course.reading_time --write notebooks/*.ipynb` ({wanted})")


def test_the_readme_tables_give_the_same_times():
    times = {p.name[:2]: reading_time(json.loads(p.read_text())).main_minutes for p in NOTEBOOKS[1:]}
    for readme in (ROOT / "README.md", ROOT / "notebooks" / "README.md"):
        rows = {m.group(1): int(m.group(2)) for m in re.finditer(
            r"^\| (0[1-9])\b.*\| (\d+) min \|", readme.read_text(), re.M)}
        assert rows == times, f"{readme.relative_to(ROOT)}: {rows} vs the method's {times}"


def test_the_command_prints_a_row_per_notebook(capsys):
    from nbhelpers.course.reading_time import main

    assert main([str(p) for p in NOTEBOOKS]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| 0")]
    assert [row.split()[1] for row in rows] == [p.stem for p in NOTEBOOKS]
