import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nbhelpers.course.colab import launch_links
from nbhelpers.course.site import build_site, notebook_title, page_header, page_sections

ROOT = Path(__file__).resolve().parents[1]


def test_notebook_title_reads_first_heading_and_paragraph():
    heading = ["# 01 · Title\n", "\n", "See [a](b) here.\n", "more\n\nnext"]
    nb = {"cells": [{"cell_type": "code", "source": ["x"]},
                    {"cell_type": "markdown", "source": heading}]}
    assert notebook_title(nb) == ("01 · Title", "See a here. more")


def test_notebook_title_skips_the_colab_and_binder_links():
    heading = ["# 03 · Title\n", "\n", launch_links("03_x.ipynb") + "\n", "\n", "The *summary*.\n"]
    nb = {"cells": [{"cell_type": "markdown", "source": heading}]}
    assert notebook_title(nb) == ("03 · Title", "The *summary*.")


PAGE = (
    '<html><head><style>h2{}</style></head><body><main>'
    '<h1 id="01-%C2%B7-Title">01 · Title<a class="anchor-link" href="#01-%C2%B7-Title">¶</a></h1>'
    '<p>Intro &amp; more</p>'
    '<h2 id="1.-First">1. First<a class="anchor-link" href="#1.-First">¶</a></h2><p>alpha</p>'
    '<script>var hidden = 1;</script><img src="data:image/png;base64,AAAA">'
    '<h3 id="Sub">Sub <em>part</em></h3>beta'
    '<h4 id="deep">not a section</h4>gamma</main></body></html>'
)


def test_page_sections_follow_the_headings_with_their_text():
    sections = page_sections(PAGE)
    assert [(s["level"], s["anchor"], s["heading"]) for s in sections] == [
        (1, "01-%C2%B7-Title", "01 · Title"), (2, "1.-First", "1. First"), (3, "Sub", "Sub part")]
    assert sections[0]["text"] == "Intro & more"
    assert sections[1]["text"] == "alpha"  # no script, no image data
    assert sections[2]["text"] == "beta not a section gamma"  # an h4 stays inside its section
    assert page_sections(PAGE, max_chars=3)[2]["text"] == "bet"


def test_page_header_links_index_neighbours_and_contents():
    entries = [("00_a.html", "00 · A"), ("01_b.html", "01 · B <x>"), ("02_c.html", "02 · C")]
    sections = page_sections(PAGE)
    first, middle, last = (page_header(entries, i, sections) for i in range(3))
    for header in (first, middle, last):
        assert 'href="index.html"' in header and 'href="index.html#search"' in header
    assert 'rel="prev"' not in first
    assert '<a class="next" href="01_b.html" rel="next">01 · B &lt;x&gt; →</a>' in first
    assert 'href="00_a.html" rel="prev">← 00 · A<' in middle and 'href="02_c.html" rel="next"' in middle
    assert 'rel="next"' not in last and 'href="01_b.html" rel="prev"' in last
    toc = middle.split('class="site-toc"')[1]
    assert re.findall(r'href="#([^"]+)"', toc) == ["1.-First", "Sub"]  # the title is not in its own contents
    assert "site-toc" not in page_header(entries, 0, sections[:1])
    with pytest.raises(ValueError, match="position"):
        page_header(entries, 3, sections)


def _search_entries(folder: Path) -> list[dict]:
    script = (folder / "search.js").read_text()
    assert script.startswith("const SITE_INDEX = ") and script.rstrip().endswith(";")
    return json.loads(script.split("=", 1)[1].rstrip().rstrip(";"))


def test_build_site_navigation_contents_titles_and_search(tmp_path):
    names = ("00_setup_check", "01_uneven_overlap", "02_stacking_and_stride1")
    build_site([ROOT / "notebooks" / f"{n}.ipynb" for n in names], tmp_path)
    pages = {n: (tmp_path / f"{n}.html").read_text() for n in names}
    index = (tmp_path / "index.html").read_text()
    for name, page in pages.items():
        title = notebook_title(json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text()))[0]
        assert f"<title>{title}</title>" in page  # the notebook's heading, not its file name
        assert 'name="viewport"' in page
        ids = {html.unescape(i) for i in re.findall(r' id="([^"]+)"', page)}
        toc = page.split('class="site-toc"')[1].split("</nav>")[0]
        links = [html.unescape(a) for a in re.findall(r'href="#([^"]+)"', toc)]
        assert len(links) >= 3 and set(links) <= ids, f"{name}: contents link to missing anchors"
    assert 'rel="prev"' not in pages[names[0]]
    assert 'href="01_uneven_overlap.html" rel="next"' in pages[names[0]]
    assert 'href="00_setup_check.html" rel="prev"' in pages[names[1]]
    assert 'href="02_stacking_and_stride1.html" rel="next"' in pages[names[1]]
    assert 'rel="next"' not in pages[names[2]]
    assert "name='viewport'" in index and 'id=\'search-box\'' in index and '<script src="search.js">' in index
    assert "00 · Setup check" in index and 'href="01_uneven_overlap.html#' in index  # titles and sections
    entries = _search_entries(tmp_path)
    assert {e["page"] for e in entries} == {f"{n}.html" for n in names}
    for entry in entries:
        ids = {html.unescape(i) for i in re.findall(r' id="([^"]+)"', pages[entry["page"][:-5]])}
        assert entry["anchor"] in ids, entry["anchor"]
    assert any("coverage" in e["text"].lower() for e in entries if e["page"] == "01_uneven_overlap.html")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_search_script_runs(tmp_path):
    """The index's inline script, run by node against a stand-in for the two elements it uses."""
    build_site([ROOT / "notebooks" / "00_setup_check.ipynb"], tmp_path)
    index = (tmp_path / "index.html").read_text()
    inline = index.split('<script src="search.js"></script><script>')[1].split("</script>")[0]
    harness = (
        (tmp_path / "search.js").read_text()
        + "const made = []; const el = () => ({value: '', children: [], textContent: '', append(...c) "
        "{ this.children.push(...c); }, replaceChildren() { this.children = []; }, addEventListener(t, f) "
        "{ this.listen = f; }});\nconst nodes = {'search-box': el(), 'search-hits': el()};\n"
        "const document = {getElementById: id => nodes[id], createElement: () => el()};\n"
        + inline
        + "\nnodes['search-box'].value = 'Troubleshooting'; nodes['search-box'].listen();\n"
        "const first = nodes['search-hits'].children[0].children[0];\n"
        "console.log(first.href, first.textContent);\n"
        "nodes['search-box'].value = 'zzzqqq'; nodes['search-box'].listen();\n"
        "console.log(nodes['search-hits'].textContent);\n"
    )
    (tmp_path / "harness.js").write_text(harness)
    out = subprocess.run(["node", str(tmp_path / "harness.js")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first, missing = out.stdout.strip().splitlines()
    assert first.startswith("00_setup_check.html#") and "Troubleshooting" in first
    assert missing == "No section contains every word."


def test_build_site_writes_pages_and_an_index(tmp_path):
    notebooks = [ROOT / "notebooks" / name for name in ("00_setup_check.ipynb", "01_uneven_overlap.ipynb")]
    index = build_site(notebooks, tmp_path, execute=False)
    page = (tmp_path / "00_setup_check.html").read_text()
    assert "Setup check" in page
    assert "data:image/png" in (tmp_path / "01_uneven_overlap.html").read_text()
    listing = index.read_text()
    assert 'href="00_setup_check.html"' in listing and "00 · Setup check" in listing
    assert listing.index("00_setup_check") < listing.index("01_uneven_overlap")
    # static pages: no live widget, no widget manager to fetch; an explorer shows its saved picture
    assert "widget-state+json" not in page and "widget-view+json" not in page
    explorer_page = (tmp_path / "01_uneven_overlap.html").read_text()
    assert "widget-view+json" not in explorer_page
    # offline: no script or stylesheet is fetched from elsewhere (a classroom may have no network)
    for html_page in (page, explorer_page, listing):
        assert not re.search(r'<(script|link)[^>]*(src|href)="https?://', html_page)
        assert "import(\"http" not in html_page
    # the index renders the notebooks' markdown
    assert "**" not in listing
    assert "<em>" in listing or "<strong>" in listing


def test_build_site_rejects_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="notebooks"):
        build_site([], tmp_path)
    with pytest.raises(ValueError, match="not an existing"):
        build_site([tmp_path / "missing.ipynb"], tmp_path)


def test_saved_explorers_carry_their_picture():
    """Each explorer cell's saved output has a PNG next to the widget view (what make html shows)."""
    for name in ("01_uneven_overlap.ipynb", "02_stacking_and_stride1.ipynb",
                 "03_learning_bias_and_color.ipynb"):
        cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        views = [out["data"] for c in cells for out in c.get("outputs", [])
                 if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
        explorers = [d for d in views if "image/png" in d]
        assert explorers, f"{name}: no explorer output with a saved picture"


def test_notebooks_use_no_latex():
    """The offline pages load no MathJax, so math in a notebook's markdown would show raw."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            text = "".join(cell["source"]) if cell["cell_type"] == "markdown" else ""
            assert not re.search(r"\$[^$\s][^$]*\$|\\\(|\\\[", text), f"{path.name}: LaTeX in markdown"


def test_build_site_gives_the_explorer_pages_working_explorers(tmp_path):
    """An explorer's saved output becomes a static explorer: frames, controls script, no widget data."""
    from nbhelpers.course.site import static_outputs
    from nbhelpers.course.static_explorers import EXPLORER_SCRIPT
    from nbhelpers.widgets.frames import EXPLORER_MIME, check_frame_set

    build_site([ROOT / "notebooks" / "01_uneven_overlap.ipynb"], tmp_path)
    page = (tmp_path / "01_uneven_overlap.html").read_text()
    assert page.count('class="nbh-explorer"') == 1 and page.count(EXPLORER_SCRIPT) == 1
    assert EXPLORER_MIME not in page and "widget-view+json" not in page
    data = re.search(r'class="nbh-frames"[^>]*>(.*?)</script>', page, re.S).group(1)
    frames = check_frame_set(json.loads(data))
    assert frames["explorer"] == "overlap" and len(frames["frames"]) == 192
    start = [c["values"][c["index"]] for c in frames["controls"]]
    assert start == [3, 2, 1, 1]  # the notebook's overlap_explorer(kernel_size=3, stride=2, layers=1, ndim=1)
    assert 'class="nbh-note"' in page and "precomputed" in page
    # without explorers (explorers=False): the saved picture, as before
    nb = json.loads((ROOT / "notebooks" / "01_uneven_overlap.ipynb").read_text())
    static = static_outputs(nb, explorers=False)
    saved = [o["data"] for c in static["cells"] for o in c.get("outputs", [])
             if "image/png" in o.get("data", {})]
    assert saved and not any(EXPLORER_MIME in d or "widget-view+json" in str(d.keys()) for d in saved)
