"""Progress of a training run that still reads well once the notebook is saved.

In a Jupyter kernel the bar is one line of text updated in place (an IPython display handle);
when the run ends the line is replaced by its summary ("deconv3 seed 0: 300 steps in 1.2 s,
final loss 0.0023"), so a reader of the saved notebook, on a code host or in the static HTML,
sees a finished run, never a bar stuck at 0%. Elsewhere (a terminal, a log) it is a tqdm bar.
"""

from __future__ import annotations

import time

WIDTH = 24


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with Jupyter
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def bar_text(desc: str, done: int, total: int, loss: float | None = None) -> str:
    """One line: label, a text bar, steps done, and the loss when known."""
    filled = round(WIDTH * done / max(total, 1))
    text = f"{desc}: {'█' * filled}{'·' * (WIDTH - filled)} {done}/{total} steps"
    return text + (f", loss {loss:.4g}" if loss is not None else "")


class Progress:
    """A progress line for ``total`` steps: :meth:`update` as steps pass, :meth:`close` with a summary.

    Args:
        total: steps in the run (>= 1).
        desc: the label, e.g. ``'deconv3 seed 0'``.
        enabled: False shows nothing.
        min_interval: seconds between two refreshes of the line.
    """

    def __init__(self, total: int, desc: str, enabled: bool = True, min_interval: float = 0.5) -> None:
        self.total, self.desc, self.done = total, desc, 0
        self.min_interval, self.last = min_interval, 0.0
        self.handle = self.bar = None
        if not enabled:
            return
        if _in_jupyter():
            from IPython.display import Pretty, display

            self._pretty = Pretty
            self.handle = display(Pretty(bar_text(desc, 0, total)), display_id=True)
        else:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, leave=False, mininterval=min_interval)

    def update(self, steps: int, loss: float | None = None) -> None:
        """``steps`` more steps are done; ``loss`` is the latest training loss."""
        self.done += steps
        if self.bar is not None:
            self.bar.update(steps)
            if loss is not None:
                self.bar.set_postfix(loss=f"{loss:.4g}", refresh=False)
        elif self.handle is not None and time.perf_counter() - self.last >= self.min_interval:
            self.last = time.perf_counter()
            self.handle.update(self._pretty(bar_text(self.desc, self.done, self.total, loss)))

    def close(self, summary: str) -> None:
        """End the line: the bar disappears, the summary (in Jupyter) stays."""
        if self.bar is not None:
            self.bar.close()
        elif self.handle is not None:
            self.handle.update(self._pretty(summary))
