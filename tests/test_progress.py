"""Progress lines: a finished run reads as finished, never as a bar stuck at 0%."""

from nbhelpers.experiments import progress
from nbhelpers.experiments.progress import Progress, bar_text


def test_bar_text():
    assert bar_text("run", 0, 300) == "run: " + "·" * 24 + " 0/300 steps"
    half = bar_text("run", 150, 300, 0.01234)
    assert half == "run: " + "█" * 12 + "·" * 12 + " 150/300 steps, loss 0.01234"


def test_in_jupyter_the_line_ends_as_the_summary(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj.data)

    def fake_display(obj, display_id=False):
        shown.append(obj.data)
        return Handle()

    import IPython.display

    monkeypatch.setattr(progress, "_in_jupyter", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    bar = Progress(10, "deconv3 seed 0", min_interval=0.0)
    bar.update(5, 0.5)
    bar.close("deconv3 seed 0: 10 steps in 0.1 s, final loss 0.25")
    assert "0/10 steps" in shown[0] and "5/10 steps" in shown[1]
    assert shown[-1] == "deconv3 seed 0: 10 steps in 0.1 s, final loss 0.25"


def test_elsewhere_a_tqdm_bar_and_disabled_shows_nothing(capsys):
    bar = Progress(3, "terminal")
    bar.update(3, 0.1)
    bar.close("done")
    quiet = Progress(3, "quiet", enabled=False)
    quiet.update(3)
    quiet.close("done")
    assert "quiet" not in capsys.readouterr().err
