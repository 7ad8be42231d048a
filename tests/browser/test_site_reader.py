"""The website as a reader meets it in Chromium: each page loads cleanly with its diagrams, its links
resolve, solutions stay hidden, the first code, search, type, axe.

What is expected comes from outside the site's code: the notebooks' own cells (their solution tags,
their first lines), the browser's layout (font sizes, what innerText shows) and axe-core's rules
(Deque's, from npm; `make node-oracle` installs them).
"""

import re
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import nbformat
import pytest

from tests.support.browser import axe_violations
from tests.support.site import (
    NOTEBOOK_PAGES,
    PAGES,
    ROOT,
    at,
    ids_in,
    mermaid_blocks,
    source_of,
    words,
)


def solution_lines(nb):
    """Lines found only in a notebook's solution cells, so seeing one means seeing a solution."""
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    elsewhere = "\n".join(c.source for c in nb.cells if c not in solutions)
    lines = set()
    for cell in solutions:
        for line in cell.source.splitlines()[1:]:
            line = words(line)
            if len(line) > 12 and line not in words(elsewhere):
                lines.add(line)
    return solutions, sorted(lines)


@pytest.mark.parametrize("site_view", at(NOTEBOOK_PAGES, [1280]), indirect=True)
def test_the_first_code_a_reader_sees_is_the_imports_not_the_colab_install(site_view):
    page, tab = site_view
    notebook = ROOT / "notebooks" / Path(page).with_suffix(".ipynb").name
    install = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    assert "google.colab" in install.source  # the cell this is about is still first
    visible = [
        words(text)
        for text in tab.locator(".jp-CodeCell .jp-InputArea-editor").all_inner_texts()
        if text.strip()
    ]
    assert "google.colab" not in visible[0]
    label = tab.locator("details:has-text('google.colab') > summary").inner_text()
    assert "Colab only" in label


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_one_header_one_pager_and_one_type_scale(site_view):
    page, tab = site_view
    assert tab.locator("header").count() == 1
    box = tab.locator("header").bounding_box()
    assert box["x"] == 0 and box["width"] == tab.evaluate("() => innerWidth")  # not inset
    pagers = tab.locator("nav:has(a:text-is('Index'))").count()
    stray = tab.locator("main a:text-is('Index')").count()  # a notebook's own prev | next line
    assert (pagers, stray) == ((1, 0) if page.startswith("notebooks/") else (0, 0))
    sizes = tab.eval_on_selector_all(
        "main p:not(.jp-OutputArea-output p):not(#search-results p)",  # results: secondary text
        "els => els.map(e => getComputedStyle(e).fontSize)",
    )
    assert sizes and set(sizes) == {"16px"}


class Meta(HTMLParser):
    """A page's <meta name="description"> content, as an HTML parser reads it."""

    description = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "description":
            self.description = attrs.get("content")


def meta_description(path):
    """The description another page of the site gives itself."""
    parser = Meta()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.description


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_every_page_has_its_own_meta_description(site_view, built_site):
    page, tab = site_view
    description = tab.get_attribute("meta[name=description]", "content")
    assert description and len(description) >= 50
    others = {
        other: meta_description(built_site / other.split("?")[0])
        for other in PAGES
        if other.split("?")[0] != page.split("?")[0]
    }
    assert description not in others.values(), f"{page} shares its description"


@pytest.mark.parametrize("query", ["MessagingResponse", "session cookie", "sequenceDiagram"])
def test_search_results_show_prose_and_code_and_keep_the_query(query, site_url, browser_page):
    tab, _ = browser_page
    tab.goto(site_url)
    tab.fill("header input[name=q]", query)
    tab.press("header input[name=q]", "Enter")
    tab.wait_for_url(re.compile(r"search\.html\?q="))
    assert tab.input_value("header input[name=q]") == query
    assert tab.input_value("main input[name=q]") == query
    snippets = tab.locator("#search-results p").all_inner_texts()
    prompts = re.compile(r"\b(In|Out) ?\[\d*\]:|sequenceDiagram|->>|-->>")
    assert [s for s in snippets if prompts.search(s)] == []
    if query == "sequenceDiagram":  # a word of diagram source only: nothing to show
        assert snippets == []
    else:
        assert snippets and any(query.split()[0].lower() in s.lower() for s in snippets)


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_a_placeholder_address_stays_text(site_view):
    page, tab = site_view
    hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    assert [h for h in hrefs if "%E2%80%A6" in h.upper() or "…" in h] == []
    if page == "docs/instructor-guide.html":
        assert "https://…/sms" in (ROOT / "docs" / "instructor-guide.md").read_text("utf-8")
        assert "https://…/sms" in tab.inner_text("main")


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_axe_finds_no_serious_or_critical_violation(site_view):
    _, tab = site_view
    assert axe_violations(tab) == []


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_page_loads_cleanly_with_its_diagrams_as_svg(site_view):
    page, tab = site_view
    watch = tab.watch
    expected = mermaid_blocks(source_of(page)) if source_of(page) else 0
    drawn = tab.eval_on_selector_all(
        ".jp-Mermaid", "blocks => blocks.map(b => !!b.querySelector('figure > svg'))"
    )
    assert drawn == [True] * expected
    assert tab.locator(".site-mermaid-error").count() == 0
    tab.wait_for_load_state("networkidle")
    assert watch.console_errors == []
    assert watch.outside_requests == []


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_every_internal_link_resolves(site_view, site_url, built_site):
    _, tab = site_view
    refs = tab.eval_on_selector_all(
        "a[href], link[href], script[src], img[src]", "els => els.map(e => e.href || e.src)"
    )
    local = [ref for ref in refs if ref.startswith(site_url)]
    assert local, "a page with no links to the rest of the site"
    for ref in local:
        parts = urlsplit(ref)
        path = parts.path.removeprefix(urlsplit(site_url).path)
        with urllib.request.urlopen(urljoin(site_url, parts.path), timeout=10) as response:  # noqa: S310
            assert response.status == 200, ref
        if parts.fragment and path.endswith(".html"):
            assert unquote(parts.fragment) in ids_in(built_site / path), ref


@pytest.mark.parametrize("site_view", at(NOTEBOOK_PAGES, [1280]), indirect=True)
def test_notebook_page_links_run_binder_colab_download(site_view, built_site):
    page, tab = site_view
    notebook = ROOT / "notebooks" / Path(page).with_suffix(".ipynb").name
    launch = tab.locator(".site-launch a")
    assert launch.all_text_contents() == [
        "Run in your browser",
        "Binder",
        "Colab",
        "Download .ipynb",
    ]
    hrefs = [launch.nth(i).get_attribute("href") for i in range(4)]
    assert hrefs[0] == f"../lite/lab/index.html?path={notebook.name}"
    assert (built_site / "lite" / "files" / notebook.name).is_file()  # the student copy
    assert hrefs[1].startswith("https://mybinder.org/v2/gh/") and hrefs[1].endswith(notebook.name)
    assert hrefs[2].startswith("https://colab.research.google.com/github/")
    assert (built_site / "notebooks" / hrefs[3]).read_bytes() == notebook.read_bytes()
    pager = tab.locator(".site-pager a").all_text_contents()
    assert "Index" in pager


# Last in this file on purpose: it opens the solutions, and pytest runs a view's tests in the order
# they are written, so every other test of the page has seen it as a reader first does.
@pytest.mark.parametrize("site_view", at(NOTEBOOK_PAGES, [1280]), indirect=True)
def test_solutions_show_only_their_first_line_until_opened(site_view):
    page, tab = site_view
    notebook = ROOT / "notebooks" / Path(page).with_suffix(".ipynb").name
    solutions, lines = solution_lines(nbformat.read(notebook, as_version=4))
    assert solutions and lines
    summaries = tab.locator("details:has(.celltag_solution) > summary")
    assert summaries.all_inner_texts() == [c.source.splitlines()[0] for c in solutions]
    shown = words(tab.inner_text("main"))
    assert [line for line in lines if line in shown] == []
    for i in range(summaries.count()):
        summaries.nth(i).click()
    shown = words(tab.inner_text("main"))
    assert [line for line in lines if line not in shown] == []
