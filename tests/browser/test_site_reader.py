"""The website as a reader meets it in Chromium: hidden solutions, the first code, search, type, axe.

What is expected comes from outside the site's code: the notebooks' own cells (their solution tags,
their first lines), the browser's layout (font sizes, what innerText shows) and axe-core's rules
(Deque's, from npm; `make node-oracle` installs them).
"""

import re
from pathlib import Path

import nbformat
import pytest

from tests.support.browser import axe_violations
from tests.support.site import (
    NOTEBOOK_PAGES,
    NOTEBOOKS,
    PAGES,
    ROOT,
    at,
    open_page,
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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name[:2])
def test_solutions_show_only_their_first_line_until_opened(notebook, site_url, browser_page):
    nb = nbformat.read(notebook, as_version=4)
    solutions, lines = solution_lines(nb)
    assert solutions and lines
    tab, _ = browser_page
    open_page(tab, f"{site_url}notebooks/{notebook.stem}.html")
    summaries = tab.locator("details:has(.celltag_solution) > summary")
    assert summaries.all_inner_texts() == [c.source.splitlines()[0] for c in solutions]
    shown = words(tab.inner_text("main"))
    assert [line for line in lines if line in shown] == []
    for i in range(summaries.count()):
        summaries.nth(i).click()
    shown = words(tab.inner_text("main"))
    assert [line for line in lines if line not in shown] == []


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


def test_every_page_has_its_own_meta_description(site_url, browser_page):
    tab, _ = browser_page
    descriptions = {}
    for page in PAGES:
        tab.goto(site_url + page)
        descriptions[page] = tab.get_attribute("meta[name=description]", "content")
    assert all(d and len(d) >= 50 for d in descriptions.values()), descriptions
    assert len(set(descriptions.values())) == len(PAGES), descriptions


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


def test_a_placeholder_address_stays_text(site_url, browser_page):
    tab, _ = browser_page
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert "https://…/sms" in guide
    for page in PAGES:
        tab.goto(site_url + page)
        hrefs = tab.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert [h for h in hrefs if "%E2%80%A6" in h.upper() or "…" in h] == [], page
    tab.goto(site_url + "docs/instructor-guide.html")
    assert "https://…/sms" in tab.inner_text("main")


@pytest.mark.parametrize("site_view", at(PAGES, [1280]), indirect=True)
def test_axe_finds_no_serious_or_critical_violation(site_view):
    _, tab = site_view
    assert axe_violations(tab) == []
