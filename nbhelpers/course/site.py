"""Build a static HTML version of the tutorial: ``make html`` -> ``build/html/``.

Each committed, executed notebook (or, with ``--execute``, a fresh run of it) is exported to HTML
with JupyterLab's look and linked from an ``index.html`` in notebook order, so the tutorial reads
without a kernel. The pages are static and need no network: an explorer's saved output carries
the picture the notebook left (:class:`nbhelpers.widgets.base.ExplorerBox`), which the page
shows instead of a live widget; other widgets show their text.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path


def notebook_title(nb: dict) -> tuple[str, str]:
    """(title, first paragraph) of a notebook: its first Markdown heading and the text after it."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        lines = "".join(cell["source"]).strip().splitlines()
        if lines and lines[0].startswith("#"):
            title = lines[0].lstrip("#").strip()
            paragraph = []
            for line in lines[1:]:
                if not line.strip():
                    if paragraph:
                        break
                    continue
                paragraph.append(line.strip())
            summary = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", " ".join(paragraph))
            return title, summary
    return "untitled", ""


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def static_outputs(nb: dict) -> dict:
    """The notebook without live widgets: widget views give way to their saved PNG or text, and the
    widget state is dropped, so the exported page loads nothing from the network."""
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    return nb


# JupyterLab's look without the scripts it fetches from a CDN: the notebooks use no LaTeX (a test
# checks) and the pages embed no live widgets or diagrams, so neither MathJax, require.js nor
# Mermaid is needed (a classroom may be offline, and a failed fetch is a console error).
OFFLINE_TEMPLATE = (
    "{%- extends 'lab/index.html.j2' -%}\n"
    "{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}\n"
    "{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}\n"
    "{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}\n"
)


def _offline_exporter():
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file="offline.html.j2",
                        extra_loaders=[DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})])


def build_site(notebooks: list[Path], out_dir: Path, execute: bool = False, timeout: int = 600) -> Path:
    """Write one HTML page per notebook and an index; returns the index path.

    Args:
        notebooks: ``.ipynb`` paths, in reading order.
        out_dir: destination folder (created).
        execute: run each notebook first; by default the committed outputs are used (the
            notebooks are committed executed, and nbval already runs them).
        timeout: seconds allowed per cell.
    """
    import nbformat
    from nbclient import NotebookClient

    if not notebooks:
        raise ValueError("notebooks must list at least one .ipynb file")
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = _offline_exporter()
    entries = []
    for path in notebooks:
        path = Path(path)
        if path.suffix != ".ipynb" or not path.exists():
            raise ValueError(f"notebooks: {path} is not an existing .ipynb file")
        nb = nbformat.read(path, as_version=4)
        if execute:
            print(f"executing {path.name} ...", flush=True)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        body, _ = exporter.from_notebook_node(static_outputs(nb), resources={"metadata": {"name": path.stem}})
        target = out_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        title, summary = notebook_title(nb)
        entries.append((target.name, title, summary))
    import mistune

    markdown = mistune.create_markdown(escape=True)
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a>{markdown(summary)}</li>'
        for name, title, summary in entries
    )
    index = out_dir / "index.html"
    index.write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>deconv-checkerboard</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.4}"
        "li{margin-bottom:1em}p{margin:.2em 0;color:#444}</style></head><body>"
        "<h1>Deconvolution and checkerboard artifacts</h1>"
        "<p>Executed notebooks, in reading order.</p>"
        f"<ol>{items}</ol></body></html>\n",
        encoding="utf-8",
    )
    return index


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make html``; returns the exit status."""
    parser = argparse.ArgumentParser(description="Build build/html/ from the notebooks.")
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/html"))
    parser.add_argument("--execute", action="store_true",
                        help="run the notebooks instead of using their saved outputs")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    index = build_site(list(paths), args.out, execute=args.execute)
    print(f"wrote {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
