"""Notebook 01, Exercise 1: a site that remembers the visitor's name in a cookie."""

import re

from werkzeug.http import parse_cookie

from companion_app.checks.cells import judges
from companion_app.checks.verdict import check_app, text_of


def _cookie(response, name):
    """The value of the cookie `name` that the response sets (unquoted), or None."""
    for header in response.headers.getlist("Set-Cookie"):
        pair = header.split(";", 1)[0]
        key, sep, _ = pair.partition("=")
        if sep and key.strip() == name:
            return parse_cookie(pair).get(name, "")
    return None


@judges("name_site")
def check_remembers_name(app):
    """Notebook 01: GET /hello?name=Ada sets a cookie; later visits from the same client say Ada."""
    title = "Remember the visitor's name"
    return check_app(title, "name_site", app, _remembers_name)


#: What a greeting shows when a missing name was formatted into it.
NO_NAME = re.compile(r"\bNone\b|\bnull\b|\{name\}|,\s*!")
#: A name that is HTML: a page that greets it unescaped runs whatever a visitor sends.
HTML_NAME = "<b>Bo</b>"


def _remembers_name(verdict, app):
    client = app.test_client()
    first = client.get("/hello?name=Ada")
    if not verdict.expect(
        first.status_code == 200 and "Ada" in text_of(first),
        "/hello?name=Ada greets Ada",
        f"/hello?name=Ada answered {first.status_code} {text_of(first)!r}: it should greet Ada",
    ):
        return
    value = _cookie(first, "name")
    verdict.expect(
        value == "Ada",
        "the reply sets a cookie called name",
        "the reply sets no cookie called name: call response.set_cookie('name', name)"
        if value is None
        else f"the reply sets the cookie name={value!r}: store the name from ?name= in it",
    )
    again = client.get("/hello")
    verdict.expect(
        "Ada" in text_of(again),
        "a second visit without ?name= still greets Ada (the cookie came back)",
        f"a second visit answered {text_of(again)!r}: read request.cookies.get('name')",
    )
    renamed = text_of(client.get("/hello?name=Grace"))
    later = text_of(client.get("/hello"))
    verdict.expect(
        "Grace" in renamed and "Ada" not in renamed and "Grace" in later,
        "/hello?name=Grace then greets Grace, and so does the next visit (a new name wins)",
        f"after Ada, /hello?name=Grace answered {renamed!r} and the next visit {later!r}: "
        "read ?name= first and the cookie only when there is none, and set the cookie again",
    )
    stranger = app.test_client().get("/hello")
    greeting = text_of(stranger)
    verdict.expect(
        stranger.status_code == 200 and "Ada" not in greeting and "Grace" not in greeting,
        "a new client with no cookie is not called Ada",
        "a new client got HTTP 400 Bad Request: request.cookies['name'] fails when there is no "
        "cookie; read it with request.cookies.get('name')"
        if stranger.status_code == 400
        else f"a new client got {stranger.status_code} {greeting!r}: greet someone with no "
        "cookie and no ?name= as a stranger",
    )
    stranger_cookie = _cookie(stranger, "name")
    verdict.expect(
        not NO_NAME.search(greeting) and not stranger_cookie,
        "it is greeted as a stranger, not as None, and gets no name cookie",
        f"a new client got {greeting!r} and the cookie name={stranger_cookie!r}: when there "
        "is no name, greet a stranger and set no cookie (never format or store None)",
    )
    visitor = app.test_client()
    pages = [visitor.get("/hello", query_string={"name": HTML_NAME}), visitor.get("/hello")]
    unescaped = [
        text_of(page)
        for page in pages
        if HTML_NAME in text_of(page) and page.mimetype != "text/plain"
    ]
    shown = unescaped[0] if unescaped else ""
    verdict.expect(
        not unescaped,
        f"a name with HTML in it ({HTML_NAME}) is shown as text, not run as HTML",
        f"?name={HTML_NAME} went into the page as HTML ({shown!r}): a visitor can write "
        "anything in ?name= and in the cookie, so greet markupsafe.escape(name)",
    )
