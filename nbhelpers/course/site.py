"""Build a static HTML version of the tutorial: ``make html`` -> ``build/html/``.

Each notebook is executed (unless ``--no-execute``) with its widget state stored, exported to
HTML with JupyterLab's look, and linked from an ``index.html`` in notebook order, so the
tutorial reads without a kernel. Saved widget views are drawn by the ipywidgets HTML manager,
which the page loads from a public CDN when the reader is online; every explorer also has a
static figure next to it, which needs nothing.
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


def build_site(notebooks: list[Path], out_dir: Path, execute: bool = True, timeout: int = 600) -> Path:
    """Write one HTML page per notebook and an index; returns the index path.

    Args:
        notebooks: ``.ipynb`` paths, in reading order.
        out_dir: destination folder (created).
        execute: run each notebook first (storing widget state); otherwise use saved outputs.
        timeout: seconds allowed per cell.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    if not notebooks:
        raise ValueError("notebooks must list at least one .ipynb file")
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = HTMLExporter(template_name="lab")
    entries = []
    for path in notebooks:
        path = Path(path)
        if path.suffix != ".ipynb" or not path.exists():
            raise ValueError(f"notebooks: {path} is not an existing .ipynb file")
        nb = nbformat.read(path, as_version=4)
        if execute:
            print(f"executing {path.name} ...", flush=True)
            NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        target = out_dir / f"{path.stem}.html"
        target.write_text(body, encoding="utf-8")
        title, summary = notebook_title(nb)
        entries.append((target.name, title, summary))
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a><p>{html.escape(summary)}</p></li>'
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
    parser.add_argument("--no-execute", action="store_true", help="use the saved outputs")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(Path("notebooks").glob("[0-9][0-9]_*.ipynb"))
    index = build_site(list(paths), args.out, execute=not args.no_execute)
    print(f"wrote {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
