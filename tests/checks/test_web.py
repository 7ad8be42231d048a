"""01's visitors keep cookies in a real cookie jar, over a real server or, in the browser, in-process."""

import pytest

from companion_app import checks
from companion_app.checks import web
from tests.answer_bank import nb01_remember_name as bank


@pytest.fixture(params=["server", "in-process"])
def where(request, monkeypatch):
    """Run the visits through a real local server, and as in the browser (no sockets)."""
    monkeypatch.setattr(web, "IN_BROWSER", request.param == "in-process")
    return request.param


def test_the_notebook_answer_passes_both_ways(where):
    assert checks.check_remembers_name(bank.solution())


@pytest.mark.parametrize(
    ("remember", "hint"),
    [
        ({"secure": True}, "the cookie is set with Secure"),
        ({"expires": 0}, "the cookie expires at once"),
        ({"max_age": -1}, "the cookie expires at once"),
        ({"path": "/elsewhere"}, "the cookie's Path is '/elsewhere'"),
    ],
)
def test_a_cookie_the_jar_does_not_send_back_is_caught_both_ways(where, remember, hint):
    app = bank.site(remember=lambda r, n: r.set_cookie("name", n, **remember) if n else None)
    verdict = checks.check_remembers_name(app)
    assert not verdict
    assert hint in repr(verdict)


def test_a_visit_goes_over_http_through_a_real_server():
    site = web.Site(bank.solution())
    with site:
        assert site.url.startswith("http://127.0.0.1:")
        visitor = site.visitor()
        assert "Ada" in visitor.get("/hello?name=Ada").text
        assert visitor.cookie("name") == "Ada"
    assert not site.server.running
