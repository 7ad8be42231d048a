"""Notebook 01, Exercise 1: a site that remembers the visitor's name in a cookie."""

import re
from urllib.parse import urlencode

from werkzeug.http import parse_cookie

from companion_app.checks.cells import judges
from companion_app.checks.verdict import check_app
from companion_app.checks.web import Site


def _cookie(set_cookies, name):
    """The value of the cookie `name` that these Set-Cookie headers set (unquoted), or None."""
    for header in set_cookies:
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


#: A cookie a visitor wrote by hand: the page must show it as text, as it does a ?name=.
HTML_COOKIE = "<i>Eve</i>"


def _attributes(header):
    """The attributes of a Set-Cookie header, lower-cased: {'secure': '', 'path': '/other', …}."""
    found = {}
    for part in header.split(";")[1:]:
        key, _, value = part.partition("=")
        found[key.strip().lower()] = value.strip()
    return found


def _why_not_sent(page, visitor):
    """Why the browser did not send the name cookie back, from the Set-Cookie it was given."""
    header = next((h for h in page.set_cookies if h.split("=", 1)[0].strip() == "name"), None)
    if header is None:
        return None
    attributes = _attributes(header)
    if "secure" in attributes:
        return (
            "the cookie is set with Secure, so a browser sends it back only over https, and "
            "this site is http://: set it without secure=True"
        )
    if visitor.cookie("name") is None:
        if "max-age" in attributes or "expires" in attributes:
            when = attributes.get("max-age") or attributes.get("expires")
            return (
                f"the cookie expires at once ({when!r}), so the browser throws it away: give it "
                "a lifetime in the future (max_age=3600) or none"
            )
        return f"the browser refused the cookie {header!r}: set it with only name and value"
    if attributes.get("path", "/") not in ("", "/", "/hello"):
        return (
            f"the cookie's Path is {attributes['path']!r}, so the browser sends it only there: "
            "leave the path as '/'"
        )
    return None


def _remembers_name(verdict, app):
    with Site(app) as site:
        _visits(verdict, site)


def _visits(verdict, site):
    visitor = site.visitor()
    first = visitor.get("/hello?name=Ada")
    if not verdict.expect(
        first.status == 200 and "Ada" in first.text,
        "/hello?name=Ada greets Ada",
        f"/hello?name=Ada answered {first.status} {first.text!r}: it should greet Ada",
    ):
        return
    value = _cookie(first.set_cookies, "name")
    verdict.expect(
        value == "Ada",
        "the reply sets a cookie called name",
        "the reply sets no cookie called name: call response.set_cookie('name', name)"
        if value is None
        else f"the reply sets the cookie name={value!r}: store the name from ?name= in it",
    )
    again = visitor.get("/hello")
    verdict.expect(
        "Ada" in again.text,
        "a second visit without ?name= still greets Ada (the browser sent the cookie back)",
        f"a second visit answered {again.text!r}: "
        + (_why_not_sent(first, visitor) or "read request.cookies.get('name')"),
    )
    renamed = visitor.get("/hello?name=Grace").text
    later = visitor.get("/hello").text
    verdict.expect(
        "Grace" in renamed and "Ada" not in renamed and "Grace" in later,
        "/hello?name=Grace then greets Grace, and so does the next visit (a new name wins)",
        f"after Ada, /hello?name=Grace answered {renamed!r} and the next visit {later!r}: "
        "read ?name= first and the cookie only when there is none, and set the cookie again",
    )
    stranger = site.visitor()
    page = stranger.get("/hello")
    verdict.expect(
        page.status == 200 and "Ada" not in page.text and "Grace" not in page.text,
        "a new visitor with no cookie is not called Ada",
        "a new visitor got HTTP 400 Bad Request: request.cookies['name'] fails when there is no "
        "cookie; read it with request.cookies.get('name')"
        if page.status == 400
        else f"a new visitor got {page.status} {page.text!r}: greet someone with no "
        "cookie and no ?name= as a stranger",
    )
    stranger_cookie = _cookie(page.set_cookies, "name")
    verdict.expect(
        not NO_NAME.search(page.text) and not stranger_cookie,
        "it is greeted as a stranger, not as None, and gets no name cookie",
        f"a new visitor got {page.text!r} and the cookie name={stranger_cookie!r}: when there "
        "is no name, greet a stranger and set no cookie (never format or store None)",
    )
    _escapes(verdict, site)


def _as_html(page, text):
    """True when text went into an HTML page as it is (not escaped)."""
    return text in page.text and page.mimetype != "text/plain"


def _escapes(verdict, site):
    visitor = site.visitor()
    query = "/hello?" + urlencode({"name": HTML_NAME})
    shown = [p.text for p in (visitor.get(query), visitor.get("/hello")) if _as_html(p, HTML_NAME)]
    verdict.expect(
        not shown,
        f"a name with HTML in it ({HTML_NAME}) is shown as text, not run as HTML",
        f"?name={HTML_NAME} went into the page as HTML ({shown[0] if shown else ''!r}): a "
        "visitor can write anything in ?name= and in the cookie, so greet "
        "markupsafe.escape(name)",
    )
    if shown:
        return
    forger = site.visitor()
    forger.put("name", HTML_COOKIE)
    page = forger.get("/hello")
    verdict.expect(
        not _as_html(page, HTML_COOKIE),
        f"a name cookie written by hand ({HTML_COOKIE}) is shown as text too",
        f"a visitor whose cookie says name={HTML_COOKIE} got {page.text!r}: the cookie comes "
        "from the visitor as much as ?name= does, so escape the name wherever it came from",
    )
