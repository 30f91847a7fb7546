"""Build a static HTML version of the tutorial: ``make html`` -> ``build/html/``.

Each committed, executed notebook (or, with ``--execute``, a fresh run of it) is exported to HTML
with JupyterLab's look and linked from an ``index.html`` in notebook order, so the tutorial reads
without a kernel. The pages are static and need no network. An explorer's saved output carries
the picture the notebook left (:class:`nbhelpers.widgets.base.ExplorerBox`); where the page can
have its frames, the explorer still works: its controls switch between precomputed pictures
(:mod:`nbhelpers.course.static_explorers`: every setting of the overlap explorer, a grid of the
stack explorer's, the palette the colour explorer saved). Other widgets show their text.

Every page has the notebook's title (its first ``# `` heading) as ``<title>``, a header linking to
the index and to the previous and next notebooks, and a table of contents built from its headings;
the index lists every notebook with its summary and sections and has an offline search over the
sections' text (``search.js``, loaded by a ``<script>`` tag, so it works from ``file://`` too: no
fetch, no CDN).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from pathlib import Path

from ..widgets.frames import EXPLORER_MIME
from .colab import LAUNCH_MARK
from .static_explorers import EXPLORER_CLASS, EXPLORER_CSS, EXPLORER_SCRIPT, static_explorer_outputs


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
                if line.startswith(LAUNCH_MARK):  # the Colab/Binder links are not the summary
                    continue
                if not line.strip():
                    if paragraph:
                        break
                    continue
                paragraph.append(line.strip())
            summary = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", " ".join(paragraph))
            return title, summary
    return "untitled", ""


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def static_outputs(nb: dict, explorers: bool = True) -> dict:
    """The notebook without live widgets, so the exported page loads nothing from the network.

    Explorers with frames become static explorers (``explorers=True``,
    :func:`~nbhelpers.course.static_explorers.static_explorer_outputs`); other widget views give
    way to their saved PNG or text; the widget state and the explorers' saved data are dropped.
    """
    nb.get("metadata", {}).pop("widgets", None)
    if explorers:
        static_explorer_outputs(nb)
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
            output.get("data", {}).pop(EXPLORER_MIME, None)
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


HEADING = re.compile(r'<h([1-3]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
# Phone widths (a 390 px screen): nothing but code, tables and figures may be wider than the
# screen, and those scroll inside their own boxes (JupyterLab's CSS clips code at the edge).
NARROW_CSS = (
    ".jp-InputArea-editor,.jp-OutputArea-output,.jp-RenderedHTMLCommon pre,.jp-RenderedText pre,"
    ".highlight{overflow-x:auto;max-width:100%}"
    ".jp-RenderedImage img,.jp-RenderedHTMLCommon img{max-width:100%;height:auto}"
    ".jp-RenderedMarkdown{overflow-wrap:break-word}"
    ".jp-RenderedHTMLCommon table{display:block;overflow-x:auto;max-width:100%}"
    ".site-nav a,.site-toc a{overflow-wrap:anywhere}"
)
SITE_CSS = (
    "<style>.site-nav{display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:baseline;padding:.6em 0;"
    "border-bottom:1px solid #ccc;margin-bottom:1em;font-family:sans-serif}.site-nav .next{margin-left:auto}"
    ".site-toc{font-family:sans-serif;margin:0 0 1.5em}.site-toc ul{margin:.3em 0;list-style:none}"
    ".site-toc li.level-3{margin-left:1.5em}"
    f"{NARROW_CSS}{EXPLORER_CSS}</style>"
)


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment: no tags, scripts, styles or anchor marks; spaces collapsed."""
    fragment = re.sub(r"<(script|style)\b.*?</\1>|<a class=\"anchor-link\".*?</a>", " ", fragment, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def page_sections(body: str, max_chars: int = 3000) -> list[dict]:
    """The sections of an exported page, one per ``<h1>``-``<h3>`` heading, in order.

    Args:
        body: the page's HTML (as nbconvert writes it: each heading has an ``id``).
        max_chars: the most characters of each section's text kept for the search.

    Returns:
        ``[{"level": 2, "anchor": id, "heading": text, "text": the section's visible text}, ...]``.
    """
    found = list(HEADING.finditer(body))
    sections = []
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(body)
        sections.append({"level": int(match.group(1)), "anchor": html.unescape(match.group(2)),
                         "heading": _text(match.group(3)), "text": _text(body[match.end():end])[:max_chars]})
    return sections


def page_header(entries: list[tuple[str, str]], position: int, sections: list[dict]) -> str:
    """The navigation a page starts with: the index, the previous and next pages, and its contents.

    Args:
        entries: (file name, title) of every page, in reading order.
        position: this page's place in ``entries``.
        sections: its headings (:func:`page_sections`); level 2 and 3 make the table of contents.
    """
    if not 0 <= position < len(entries):
        raise ValueError(f"position must be in 0..{len(entries) - 1}, got {position}")
    links = ['<a href="index.html" rel="index">Contents</a>', '<a href="index.html#search">Search</a>']
    if position > 0:
        name, title = entries[position - 1]
        links.append(f'<a class="prev" href="{html.escape(name)}" rel="prev">← {html.escape(title)}</a>')
    if position + 1 < len(entries):
        name, title = entries[position + 1]
        links.append(f'<a class="next" href="{html.escape(name)}" rel="next">{html.escape(title)} →</a>')
    items = "".join(f'<li class="level-{s["level"]}">{_link("#" + s["anchor"], s["heading"])}</li>'
                    for s in sections if s["level"] > 1)
    toc = (f'<nav class="site-toc" aria-label="On this page"><details open><summary>On this page</summary>'
           f"<ul>{items}</ul></details></nav>") if items else ""
    return f'<nav class="site-nav" aria-label="Tutorial">{" ".join(links)}</nav>{toc}'


SEARCH_SCRIPT = """<script src="search.js"></script><script>
const box = document.getElementById("search-box"), hits = document.getElementById("search-hits");
function search() {
  const words = box.value.toLowerCase().split(/\\s+/).filter(w => w.length > 1);
  hits.replaceChildren();
  if (!words.length) return;
  const found = SITE_INDEX.filter(
    e => words.every(w => (e.heading + " " + e.text).toLowerCase().includes(w)));
  const titled = e => words.some(w => e.heading.toLowerCase().includes(w)) ? 1 : 0;
  found.sort((a, b) => titled(b) - titled(a));  // sections named by a word first
  for (const e of found.slice(0, 30)) {
    const li = document.createElement("li"), a = document.createElement("a");
    a.href = e.page + "#" + e.anchor; a.textContent = e.title + " › " + e.heading;
    li.append(a); hits.append(li);
  }
  if (!found.length) hits.textContent = "No section contains every word.";
}
box.addEventListener("input", search);
</script>"""


def _index_html(entries: list[tuple[str, str, str, list[dict]]]) -> str:
    """index.html: every notebook with its summary and sections, and the search box."""
    import mistune

    markdown = mistune.create_markdown(escape=True)
    items = []
    for name, title, summary, sections in entries:
        parts = "".join(f'<li>{_link(name + "#" + s["anchor"], s["heading"])}</li>'
                        for s in sections if s["level"] == 2)
        items.append(f'<li><a href="{html.escape(name)}">{html.escape(title)}</a>{markdown(summary)}'
                     f'<details><summary>Sections</summary><ul>{parts}</ul></details></li>')
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Deconvolution and checkerboard artifacts</title>"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em;line-height:1.4}"
        "li{margin-bottom:1em}p{margin:.2em 0;color:#444}details li{margin-bottom:.2em}"
        "#search-box{width:100%;font-size:1.1em;padding:.3em}</style></head><body>"
        "<h1>Deconvolution and checkerboard artifacts</h1>"
        "<p>Executed notebooks, in reading order.</p>"
        "<h2 id='search'>Search</h2><label for='search-box'>Sections containing every word:</label>"
        "<input id='search-box' type='search' autocomplete='off'><ol id='search-hits'></ol>"
        f"<h2>Contents</h2><ol>{''.join(items)}</ol>{SEARCH_SCRIPT}</body></html>\n"
    )


def build_site(notebooks: list[Path], out_dir: Path, execute: bool = False, timeout: int = 600) -> Path:
    """Write one HTML page per notebook, an index and the search data; returns the index path.

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
    for path in map(Path, notebooks):
        if path.suffix != ".ipynb" or not path.exists():
            raise ValueError(f"notebooks: {path} is not an existing .ipynb file")
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = _offline_exporter()
    pages = []
    for path in map(Path, notebooks):
        nb = nbformat.read(path, as_version=4)
        if execute:
            print(f"executing {path.name} ...", flush=True)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
        title, summary = notebook_title(nb)
        nb.metadata["title"] = title  # the page's <title>
        body, _ = exporter.from_notebook_node(static_outputs(nb), resources={"metadata": {"name": path.stem}})
        pages.append((f"{path.stem}.html", title, summary, body, page_sections(body)))
    order = [(name, title) for name, title, *_ in pages]
    for i, (name, _, _, body, sections) in enumerate(pages):
        nav = page_header(order, i, sections)
        body = body.replace("</head>", SITE_CSS + "</head>", 1).replace("<main>", "<main>" + nav, 1)
        if f'class="{EXPLORER_CLASS}"' in body:
            body = body.replace("</body>", EXPLORER_SCRIPT + "</body>", 1)
        (out_dir / name).write_text(body, encoding="utf-8")
    search = [{"page": name, "title": title, **{k: s[k] for k in ("anchor", "heading", "text")}}
              for name, title, _, _, sections in pages for s in sections]
    (out_dir / "search.js").write_text(f"const SITE_INDEX = {json.dumps(search, ensure_ascii=False)};\n",
                                       encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(_index_html([(n, t, s, sec) for n, t, s, _, sec in pages]), encoding="utf-8")
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
