"""Notebook 01, Exercise 1, remember a name: name_site."""

import html

from flask import Flask, Response, make_response, render_template_string, request
from markupsafe import escape

from tests.answer_bank import right, wrong

CHECK = "check_remembers_name"


def site(
    read=lambda: request.args.get("name") or request.cookies.get("name"),
    greet=lambda name: f"Hello, {escape(name)}!" if name else "Hello, stranger!",
    remember=lambda response, name: response.set_cookie("name", name) if name else None,
):
    """A /hello site built from how it reads the name, greets, and remembers."""
    app = Flask("name_site")

    @app.route("/hello")
    def hello():
        name = read()
        response = make_response(greet(name))
        remember(response, name)
        return response

    return app


def solution():
    """The notebook's answer, with the name escaped."""
    app = Flask("name_site")

    @app.route("/hello")
    def hello():
        name = request.args.get("name") or request.cookies.get("name")
        response = make_response(f"Hello, {escape(name)}!" if name else "Hello, stranger!")
        if name:
            response.set_cookie("name", name, max_age=3600, httponly=True, samesite="Lax")
        return response

    return app


def plain_text():
    """Answers in text/plain, which a browser shows as text: nothing to escape."""
    app = Flask("name_site")

    @app.route("/hello")
    def hello():
        name = request.args.get("name", request.cookies.get("name"))
        response = Response(f"Hello, {name or 'stranger'}!", mimetype="text/plain")
        if name:
            response.set_cookie("name", name)
        return response

    return app


def view_function():
    """The view function instead of the app."""

    def hello():
        return "Hello"

    return hello


def unescaped_greeting(name):
    """The greeting with the name as HTML."""
    return f"Hello, {name}!" if name else "Hello, stranger!"


ANSWERS = [
    right(CHECK, "the notebook's answer, escaped", lambda: (solution(),)),
    right(
        CHECK, "html.escape", lambda: (site(greet=lambda n: f"Hi {html.escape(n or 'stranger')}"),)
    ),
    right(CHECK, "a text/plain reply", lambda: (plain_text(),)),
    right(
        CHECK,
        "a Jinja template (escapes by itself)",
        lambda: (
            site(greet=lambda n: render_template_string("Hello, {{ n or 'stranger' }}!", n=n)),
        ),
    ),
    right(
        CHECK,
        "reads args.get with the cookie as default",
        lambda: (site(read=lambda: request.args.get("name", request.cookies.get("name"))),),
    ),
    wrong(CHECK, "not written yet", lambda: (None,), "`name_site` is not written yet"),
    wrong(
        CHECK,
        "the view function, not the app",
        lambda: (view_function(),),
        "should be a Flask app (made with Flask(...)), not a function (hello)",
    ),
    wrong(
        CHECK,
        "greets and stores None for a stranger",
        lambda: (
            site(
                greet=lambda n: f"Hello, {escape(str(n))}!",
                remember=lambda r, n: r.set_cookie("name", str(n)),
            ),
        ),
        "never format or store None",
    ),
    wrong(
        CHECK,
        "an empty name for a stranger",
        lambda: (site(greet=lambda n: f"Hello, {escape(n or '')}!"),),
        "when there is no name, greet a stranger",
    ),
    wrong(
        CHECK,
        "forgets the cookie",
        lambda: (site(remember=lambda r, n: None),),
        "call response.set_cookie('name', name)",
    ),
    wrong(
        CHECK,
        "a cookie with another name",
        lambda: (site(remember=lambda r, n: r.set_cookie("username", n) if n else None),),
        "sets no cookie called name",
    ),
    wrong(
        CHECK,
        "the cookie wins over ?name=",
        lambda: (site(read=lambda: request.cookies.get("name") or request.args.get("name")),),
        "read ?name= first and the cookie only when there is none",
    ),
    wrong(
        CHECK,
        "the cookie always says Ada",
        lambda: (site(remember=lambda r, n: r.set_cookie("name", "Ada")),),
        "set the cookie again",
    ),
    wrong(
        CHECK,
        "hard-codes the greeting",
        lambda: (site(greet=lambda n: "Hello, Ada!"),),
        "greet someone with no cookie and no ?name= as a stranger",
    ),
    wrong(
        CHECK,
        "a cookie for another path",
        lambda: (
            site(remember=lambda r, n: r.set_cookie("name", n, path="/other") if n else None),
        ),
        "the cookie's Path is '/other', so the browser sends it only there",
    ),
    wrong(
        CHECK,
        "a cookie that expires at once",
        lambda: (site(remember=lambda r, n: r.set_cookie("name", n, max_age=0) if n else None),),
        "the cookie expires at once",
    ),
    wrong(
        CHECK,
        "reads only the cookie",
        lambda: (site(read=lambda: request.cookies.get("name")),),
        "it should greet Ada",
    ),
    wrong(
        CHECK,
        "request.cookies['name'] for a stranger",
        lambda: (site(read=lambda: request.args.get("name") or request.cookies["name"]),),
        "read it with request.cookies.get('name')",
    ),
    wrong(
        CHECK,
        "puts the name into the page as HTML",
        lambda: (site(greet=unescaped_greeting),),
        "greet markupsafe.escape(name)",
    ),
    wrong(
        CHECK,
        "a Secure cookie on an http:// site",
        lambda: (site(remember=lambda r, n: r.set_cookie("name", n, secure=True) if n else None),),
        "the cookie is set with Secure, so a browser sends it back only over https",
    ),
    wrong(
        CHECK,
        "a cookie that expired in 1970",
        lambda: (site(remember=lambda r, n: r.set_cookie("name", n, expires=0) if n else None),),
        "the cookie expires at once",
    ),
    wrong(
        CHECK,
        "escapes ?name= but shows the cookie as it is",
        lambda: (site(greet=escape_query_only),),
        "so greet markupsafe.escape(name)",
    ),
    wrong(
        CHECK,
        "stores the name escaped, greets the cookie as it is",
        lambda: (
            site(
                greet=lambda n: f"Hello, {n}!" if n else "Hello, stranger!",
                remember=lambda r, n: r.set_cookie("name", str(escape(n))) if n else None,
                read=lambda: (
                    escape(request.args["name"])
                    if request.args.get("name")
                    else request.cookies.get("name")
                ),
            ),
        ),
        "escape the name wherever it came from",
    ),
]


def escape_query_only(name):
    """Escapes the name when it came in ?name=, not when it came from the cookie."""
    if request.args.get("name"):
        return f"Hello, {escape(name)}!"
    return f"Hello, {name}!" if name else "Hello, stranger!"
