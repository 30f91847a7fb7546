"""How long a notebook takes to read and do, by a stated method (the times in the README and in each
notebook's **Time** line come from here, not from a guess).

The method, per notebook (committed, executed):

- prose: the words of the markdown cells at 150 words a minute (a careful technical read);
- code: the non-blank lines of the code cells at 15 lines a minute (read, not written);
- 1 minute for each figure (an ``image/png`` output), 2 for each explorer (a widget output), 1 for
  each audio player;
- 5 minutes for each exercise (a cell with an nbgrader solution block).

The **main path** is everything but the ``## Going further`` section (from that heading to the next
``## `` heading); the going-further time is reported apart. Each total is rounded up to 5 minutes.
``python -m nbhelpers.course.reading_time notebooks/*.ipynb`` prints the table;
``--write`` sets each notebook's **Time** line from it.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 15
MINUTES_PER_FIGURE, MINUTES_PER_EXPLORER, MINUTES_PER_AUDIO, MINUTES_PER_EXERCISE = 1, 2, 1, 5
GOING_FURTHER = "## Going further"
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
_TIME = re.compile(r"\*\*Time\*\*: about (\d+) minutes"
                   r"(?: \(the main path; \*Going further\* adds about \d+\))?")


@dataclass(frozen=True)
class ReadingTime:
    """The parts of one notebook's time (counts) and the rounded minutes."""

    words: int
    code_lines: int
    figures: int
    explorers: int
    audio: int
    exercises: int
    further_words: int
    further_code_lines: int
    further_figures: int

    @property
    def main_minutes(self) -> int:
        """Minutes for the main path, rounded up to 5."""
        raw = (self.words / WORDS_PER_MINUTE + self.code_lines / CODE_LINES_PER_MINUTE
               + MINUTES_PER_FIGURE * self.figures + MINUTES_PER_EXPLORER * self.explorers
               + MINUTES_PER_AUDIO * self.audio + MINUTES_PER_EXERCISE * self.exercises)
        return _round_up(raw)

    @property
    def further_minutes(self) -> int:
        """Minutes for the Going further section (0 when there is none), rounded up to 5."""
        raw = (self.further_words / WORDS_PER_MINUTE + self.further_code_lines / CODE_LINES_PER_MINUTE
               + MINUTES_PER_FIGURE * self.further_figures)
        return _round_up(raw) if raw else 0


def _round_up(minutes: float) -> int:
    return max(5, 5 * math.ceil(minutes / 5 - 1e-9))


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _outputs_with(cell: dict, test) -> int:
    return sum(1 for out in cell.get("outputs", []) if test(out.get("data", {})))


def _is_audio(data: dict) -> bool:
    return "<audio" in "".join(data.get("text/html", ""))


def reading_time(notebook: dict) -> ReadingTime:
    """Count a notebook's prose, code, figures, explorers, audio players and exercises.

    Args:
        notebook: a notebook as JSON (``nbformat`` node or ``json.load`` of an ``.ipynb``).

    Returns:
        A :class:`ReadingTime` (counts; ``main_minutes`` and ``further_minutes`` in minutes).
    """
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise TypeError("notebook must be a notebook's JSON (a dict with a 'cells' list)")
    main = dict(words=0, code_lines=0, figures=0, explorers=0, audio=0, exercises=0)
    further = dict(words=0, code_lines=0, figures=0)
    in_further = False
    for cell in notebook["cells"]:
        source = _source(cell)
        if cell["cell_type"] == "markdown" and source.startswith("## "):
            in_further = source.startswith(GOING_FURTHER)
        part = further if in_further else main
        if cell["cell_type"] == "markdown":
            part["words"] += len(_WORD.findall(source))
        elif cell["cell_type"] == "code":
            part["code_lines"] += sum(1 for line in source.splitlines() if line.strip())
            part["figures"] += _outputs_with(cell, lambda d: "image/png" in d)
            if not in_further:
                main["explorers"] += _outputs_with(
                    cell, lambda d: "application/vnd.jupyter.widget-view+json" in d)
                main["audio"] += _outputs_with(cell, _is_audio)
                main["exercises"] += "BEGIN SOLUTION" in source
    return ReadingTime(**main, further_words=further["words"], further_code_lines=further["code_lines"],
                       further_figures=further["figures"])


def time_phrase(time: ReadingTime) -> str:
    """The **Time** line's phrase for these counts, e.g. ``**Time**: about 45 minutes (the main
    path; *Going further* adds about 10)``."""
    text = f"**Time**: about {time.main_minutes} minutes"
    if time.further_minutes:
        text += f" (the main path; *Going further* adds about {time.further_minutes})"
    return text


def stated_phrase(notebook: dict) -> str | None:
    """The notebook's current **Time** phrase (as :func:`time_phrase` writes it), or None."""
    for cell in notebook["cells"][:3]:
        match = _TIME.search(_source(cell))
        if match:
            return match.group(0)
    return None


def set_stated_time(notebook: dict) -> bool:
    """Rewrite the notebook's **Time** phrase from :func:`reading_time`; True when it changed."""
    wanted = time_phrase(reading_time(notebook))
    for cell in notebook["cells"][:3]:
        source = _source(cell)
        match = _TIME.search(source)
        if match:
            if match.group(0) == wanted:
                return False
            cell["source"] = source.replace(match.group(0), wanted, 1)
            return True
    raise ValueError("the notebook has no '**Time**: about N minutes' line in its first cells")


def main(argv: list[str] | None = None) -> int:
    """Print the reading-time table of the given notebooks (``--write``: set their Time lines)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help="set each notebook's Time line")
    args = parser.parse_args(argv)
    import nbformat

    print("| notebook | prose words | code lines | figures | explorers | audio | exercises | main path "
          "| going further |")
    print("|---|---|---|---|---|---|---|---|---|")
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        time = reading_time(notebook)
        print(f"| {path.stem} | {time.words} | {time.code_lines} | {time.figures} | {time.explorers} | "
              f"{time.audio} | {time.exercises} | {time.main_minutes} min | {time.further_minutes} min |")
        if args.write and stated_phrase(notebook) is not None and set_stated_time(notebook):
            nbformat.write(notebook, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
