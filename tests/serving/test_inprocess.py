"""In the browser, requests reaches an in-process server as it reaches a real one over a socket.

The reference is the same app served by a real LocalServer on 127.0.0.1 and reached by requests
over HTTP: texts, statuses, Set-Cookie headers and what the cookie jar keeps must be the same.
"""

import pytest
import requests
from flask import Flask, make_response, request
from requests.adapters import HTTPAdapter

from companion_app.serving import server


def cookie_site():
    """Notebook 01's site: a visit counter in a cookie, and cookies with attributes."""
    site = Flask("site")

    @site.route("/visit")
    def count_visits():
        visits = int(request.cookies.get("visits", "0")) + 1
        response = make_response(f"This is visit number {visits}.")
        response.set_cookie("visits", str(visits), max_age=3600, httponly=True, samesite="Lax")
        return response

    @site.route("/attributes")
    def set_three_cookies():
        response = make_response("Three cookies, three rules.")
        response.set_cookie("everywhere", "1")
        response.set_cookie("admin-only", "1", path="/admin")
        response.set_cookie("https-only", "1", secure=True)
        return response

    @site.route("/cookies")
    @site.route("/admin/cookies")
    def list_cookies():
        return {"cookies received": sorted(request.cookies)}

    return site


def browse(url):
    """What a learner sees in notebook 01: replies, a Set-Cookie, and the jar's rules."""
    seen = [requests.get(f"{url}/visit", timeout=5).text]
    seen.append(requests.get(f"{url}/visit", headers={"Cookie": "visits=999"}, timeout=5).text)
    first = requests.get(f"{url}/visit", timeout=5)
    seen.append(first.headers["Set-Cookie"].split(";")[0])
    browser = requests.Session()
    seen += [browser.get(f"{url}/visit", timeout=5).text for _ in range(3)]
    seen.append(browser.cookies.get_dict())
    browser = requests.Session()
    browser.get(f"{url}/attributes", timeout=5)
    seen.append(sorted((c.name, c.path, c.secure) for c in browser.cookies))
    seen.append(browser.get(f"{url}/cookies", timeout=5).json())
    seen.append(browser.get(f"{url}/admin/cookies", timeout=5).json())
    seen.append(requests.get(f"{url}/nowhere", timeout=5).status_code)
    return seen


@pytest.fixture
def in_the_browser(monkeypatch):
    """companion_app.serving.server as it runs in Pyodide; requests' adapter is put back afterwards."""
    monkeypatch.setattr(HTTPAdapter, "send", HTTPAdapter.send)
    monkeypatch.setattr("companion_app.serving.server.IN_BROWSER", True)
    yield
    server.stop_all()


def test_requests_to_an_in_process_server_see_what_a_real_server_answers(in_the_browser):
    in_process = server.serve(cookie_site(), name="site")
    assert in_process.port is None  # no socket was opened
    with server.LocalServer(cookie_site()) as real:
        assert browse(in_process.url) == browse(real.url)


def test_other_addresses_still_go_over_the_network(in_the_browser):
    server.serve(cookie_site(), name="site")
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:9/visit", timeout=1)
