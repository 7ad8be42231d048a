"""The website on a phone, in Chromium: nothing wider than the screen, a compact header, diagrams
whose text stays readable, no serious axe-core violation. What is expected comes from the browser's
own layout and axe-core's rules (Deque's, from npm; `make node-oracle` installs them).
"""

import pytest

from tests.support.browser import axe_violations
from tests.support.site import DIAGRAM_PAGES, NOTEBOOK_PAGES, PAGES, PHONES, at


@pytest.mark.parametrize("site_view", at(PAGES, PHONES), indirect=True)
def test_no_page_is_wider_than_a_phone_and_nothing_is_cut_off(site_view):
    _, tab = site_view
    width = tab.viewport_size["width"]
    assert tab.evaluate("() => document.scrollingElement.scrollWidth") <= width
    clipped = tab.evaluate(
        """() => [...document.querySelectorAll('main *')].filter(e => {
            const s = getComputedStyle(e);
            return (s.overflowX === 'hidden' || s.overflowX === 'clip')
                && e.scrollWidth > e.clientWidth + 1;
        }).map(e => e.className + ': ' + e.textContent.slice(0, 60))"""
    )
    assert clipped == []


@pytest.mark.parametrize("site_view", at(DIAGRAM_PAGES, [320]), indirect=True)
def test_diagrams_keep_readable_text_on_a_phone_and_scroll_in_their_box(site_view):
    _, tab = site_view
    sizes = tab.evaluate(
        """() => [...document.querySelectorAll('.site-diagram svg')].map(svg => {
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return Math.min(...[...svg.querySelectorAll('text')].map(
                    t => parseFloat(getComputedStyle(t).fontSize) * scale));
        })"""
    )
    assert sizes, "the page's diagrams were not drawn"
    assert [size for size in sizes if size < 12] == []


@pytest.mark.parametrize("site_view", at(PAGES, PHONES), indirect=True)
def test_the_header_is_compact_on_a_phone(site_view):
    _, tab = site_view
    height = tab.viewport_size["height"]
    assert tab.locator("header").bounding_box()["height"] <= 0.12 * height


def test_the_header_is_the_same_height_on_every_page(site_url, browser_page):
    tab, _ = browser_page
    heights = {width: {} for width in PHONES}
    for page in ["index.html", NOTEBOOK_PAGES[3], "docs/instructor-guide.html"]:
        tab.set_viewport_size({"width": PHONES[0], "height": 844})
        tab.goto(site_url + page)
        for width in PHONES:  # the page loaded once, its window narrowed (see site_view)
            tab.set_viewport_size({"width": width, "height": 844})
            heights[width][page] = tab.locator("header").bounding_box()["height"]
    for width, found in heights.items():
        assert len(set(found.values())) == 1, (width, found)


@pytest.mark.parametrize("site_view", at(PAGES, [390]), indirect=True)
def test_axe_finds_no_serious_or_critical_violation_on_a_phone(site_view):
    _, tab = site_view
    assert axe_violations(tab) == []
