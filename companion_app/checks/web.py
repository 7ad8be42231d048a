"""A visitor with a real cookie jar (http.cookiejar, what requests.Session uses) visiting a learner's
site over http://, through a real local server (in the browser, where there are no sockets, the
same jar talks to the app in-process).

The jar, not the check, decides which cookies come back: a Secure cookie is not sent over http://,
an expired one is dropped, one with another Path is not sent to /hello.
"""

import email.message
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookiejar import Cookie, CookieJar

from companion_app.inbrowser import IN_BROWSER


@dataclass
class Page:
    """What a visit got back: the status, the text, its media type and the Set-Cookie headers."""

    status: int
    text: str
    mimetype: str
    set_cookies: list


class Caught:
    """WSGI middleware: an exception in the learner's app is kept for the check, answered with 500."""

    def __init__(self, app):
        self.app = app
        self.errors = []

    def __call__(self, environ, start_response):
        try:
            return list(self.app(environ, start_response))
        except Exception as error:  # the learner's bug: the check reports it in words
            self.errors.append(error)
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain")])
            return [b""]


class _Response:
    """Just what CookieJar.extract_cookies reads of a response: info() with its headers."""

    def __init__(self, headers):
        self._message = email.message.Message()
        for name, value in headers:
            self._message[name] = value

    def info(self):
        return self._message


class Site:
    """A learner's app served for the check: visitors share it, each with a cookie jar of its own."""

    def __init__(self, app):
        self.app = app
        self.caught = Caught(app.wsgi_app)
        self.server = None
        if not IN_BROWSER:
            from companion_app.serving.server import LocalServer

            self.server = LocalServer(self._wsgi)
        self.url = self.server.url if self.server else "http://localhost"

    def _wsgi(self, environ, start_response):
        return self.caught(environ, start_response)

    def visitor(self):
        """A new visitor: an empty cookie jar."""
        return Visitor(self)

    def close(self):
        """Stop the server (if one runs)."""
        if self.server is not None:
            self.server.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Visitor:
    """One browser: a cookie jar that keeps and sends cookies as a browser would."""

    def __init__(self, site):
        self.site = site
        self.jar = CookieJar()

    def get(self, target):
        """GET target (a path with its query); a learner's exception is raised again here."""
        request = urllib.request.Request(self.site.url + target)  # noqa: S310 (http:// only)
        self.jar.add_cookie_header(request)
        page = self._fetch(request)
        if self.site.caught.errors:
            raise self.site.caught.errors.pop(0)
        return page

    def _fetch(self, request):
        if self.site.server is None:
            return self._in_process(request)
        try:
            response = urllib.request.urlopen(request, timeout=10)  # noqa: S310 (our own http://)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            headers = list(response.headers.items())
            self.jar.extract_cookies(response, request)
            body = response.read()
            charset = response.headers.get_content_charset() or "utf-8"
            mimetype = response.headers.get_content_type()
            return Page(
                response.status,
                body.decode(charset, errors="replace"),
                mimetype,
                [v for k, v in headers if k.lower() == "set-cookie"],
            )

    def _in_process(self, request):
        headers = {"Cookie": request.get_header("Cookie")} if request.has_header("Cookie") else {}
        path = request.full_url.removeprefix(self.site.url)
        with self.site.app.test_client(use_cookies=False) as client:
            response = client.get(path, headers=headers)
        self.jar.extract_cookies(_Response(response.headers.to_wsgi_list()), request)
        return Page(
            response.status_code,
            response.get_data(as_text=True),
            response.mimetype,
            response.headers.getlist("Set-Cookie"),
        )

    def cookie(self, name):
        """The value of the cookie `name` in the jar, or None."""
        return next((c.value for c in self.jar if c.name == name), None)

    def put(self, name, value):
        """Write a cookie into the jar by hand, as anyone can in a browser's developer tools."""
        host = self.site.url.split("//", 1)[1].split(":", 1)[0]
        self.jar.set_cookie(
            Cookie(0, name, value, None, False, host, False, False, "/", True, False, None,
                   False, None, None, {})
        )  # fmt: skip
