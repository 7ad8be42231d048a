"""companion_app imports where requests, pyngrok and gunicorn cannot (Pyodide in the browser)."""

import subprocess
import sys
import textwrap

import pytest

#: What the in-browser notebooks import (directly or through companion_app's own imports).
IN_BROWSER = [
    "companion_app",
    "companion_app.app.activity",
    "companion_app.teaching.chat",
    "companion_app.checks",
    "companion_app.app.directory",
    "companion_app.teaching.explain",
    "companion_app.app.incoming",
    "companion_app.golive.live",
    "companion_app.serving.production",
    "companion_app.serving.server",
    "companion_app.settings",
    "companion_app.app.signature",
    "companion_app.simulator",
    "companion_app.simulator.transport",
    "companion_app.teaching.verify",
    "companion_app.app.counter",
    "companion_app.golive.inbrowser",
    "companion_app.golive.skipped",
    "companion_app.serving.inprocess",
    # The names the notebooks import, through companion_app.PUBLIC_MODULES:
    "companion_app.live",
    "companion_app.server",
    "companion_app.production",
    "companion_app.verify",
    "companion_app.explain",
    "companion_app.directory",
    "companion_app.signature",
    "companion_app.store",
    "companion_app.webhook",
    "companion_app.settings",
]

#: Packages the browser does not have: importing one raises ImportError there.
ABSENT = ["requests", "pyngrok", "gunicorn", "regex"]


def import_without(modules, absent=ABSENT):
    """Import modules in a fresh Python in which the absent packages cannot be imported."""
    code = textwrap.dedent(
        f"""
        import importlib, sys
        for name in {absent!r}:
            sys.modules[name] = None  # "import name" now raises ImportError, as in Pyodide
        for module in {modules!r}:
            importlib.import_module(module)
        print("imported")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("module", IN_BROWSER)
def test_in_browser_module_imports_without_network_packages(module):
    result = import_without([module])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "imported"


@pytest.mark.parametrize(
    ("module", "missing"),
    [("companion_app.golive.tunnel", "pyngrok"), ("companion_app.golive.number", "requests")],
)
def test_the_block_is_real_go_live_modules_still_need_them(module, missing):
    result = import_without([module])
    assert result.returncode != 0
    assert "ImportError" in result.stderr or "ModuleNotFoundError" in result.stderr
    assert missing in result.stderr


def test_the_simulator_runs_in_process_without_requests():
    code = textwrap.dedent(
        """
        import sys
        for name in ("requests", "pyngrok", "gunicorn", "regex"):
            sys.modules[name] = None
        from companion_app import create_app
        from companion_app.simulator import FakeClock, TwilioSimulator
        sim = TwilioSimulator(create_app({"SECRET_KEY": "k" * 32}), clock=FakeClock())
        conv = sim.conversation(from_="+14155550100", to="+14155550199")
        print(conv.send("hello").reply)
        print(conv.send("again").reply)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Hello Rey, thanks for the message!",
        "Rey has messaged +14155550199 2 times.",
    ]


@pytest.fixture
def in_browser(monkeypatch):
    """companion_app as it behaves in Pyodide, where no socket can be opened."""
    monkeypatch.setattr("companion_app.serving.server.IN_BROWSER", True)
    monkeypatch.setattr("companion_app.golive.live.IN_BROWSER", True)

    def no_sockets(*args, **kwargs):
        raise OSError("no sockets in the browser")

    monkeypatch.setattr("socket.socket", no_sockets)
    yield
    from companion_app.golive import live
    from companion_app.serving import server

    live.stop_all()
    server.stop_all()


def test_in_the_browser_serve_answers_in_process_through_the_simulator(in_browser):
    from companion_app import create_app
    from companion_app.serving import server
    from companion_app.simulator import FakeClock, TwilioSimulator

    served = server.serve(create_app({"SECRET_KEY": "k" * 32}), name="counter")
    assert served.port is None and "in-process" in repr(served)
    sim = TwilioSimulator(served.url, clock=FakeClock())
    conv = sim.conversation(from_="+14155550100", to="+14155550199")
    assert [conv.send(text).reply for text in ("hi", "again")] == [
        "Hello Rey, thanks for the message!",
        "Rey has messaged +14155550199 2 times.",
    ]
    server.stop("counter")
    assert not served.running


def test_in_the_browser_go_live_says_what_needs_a_real_python(in_browser, capsys):
    from companion_app import create_app
    from companion_app.golive.live import go_live
    from companion_app.inbrowser import NEEDS_REAL_PYTHON
    from companion_app.simulator import FakeClock, TwilioSimulator

    token = "browser-token"
    app = create_app({"SECRET_KEY": "k" * 32, "TWILIO_AUTH_TOKEN": token})
    live = go_live(app)
    said = " ".join(capsys.readouterr().out.split()).lower()  # go_live wraps its lines
    assert said.count(NEEDS_REAL_PYTHON.lower()) == 2
    assert "Traceback" not in said
    assert live.public_url is None and not live.number.ok
    app.config["PUBLIC_URL"] = "https://example.ngrok.app"
    sim = TwilioSimulator(
        live.server.url,
        webhook_url="https://example.ngrok.app/sms",
        auth_token=token,
        clock=FakeClock(),
    )
    conv = sim.conversation(from_="+14155550101", to="+14155550199")
    assert conv.send("hello").reply == "Hello Finn, thanks for the message!"
    forged = TwilioSimulator(
        live.server.url, webhook_url="https://example.ngrok.app/sms", auth_token="guess"
    )
    rejected = forged.conversation(from_="+14155550101", to="+14155550199").send("hi")
    assert "the webhook answered HTTP 403" in str(rejected)
    live.close()


#: Messages whose grapheme clusters the regex library finds (its \\X is the reference here).
CLUSTER_CASES = [
    "hello",
    "a\r\nb",
    "\U0001f44b\U0001f3fd hi",  # waving hand, medium skin tone
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 family",  # joined with ZWJ
    "\U0001f1ec\U0001f1e7\U0001f1fa\U0001f1f8\U0001f1eb",  # two flags and half of one
    "cafe\u0301",  # combining acute accent
    "1\ufe0f\u20e3 keycap",
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # tag sequence
    "{[~]} " * 30,
]


@pytest.mark.parametrize("body", CLUSTER_CASES)
def test_without_regex_clusters_match_regex(body, monkeypatch):
    import regex

    from companion_app.simulator import params

    expected = regex.findall(r"\r|\n|\X", body)
    monkeypatch.setattr("companion_app.simulator.params.regex", None)
    assert params.clusters(body) == expected


def test_in_the_browser_gunicorn_says_it_needs_a_real_python(monkeypatch):
    from companion_app.inbrowser import NEEDS_REAL_PYTHON
    from companion_app.serving import production

    monkeypatch.setattr("companion_app.serving.production.IN_BROWSER", True)
    reason = production.unavailable_reason()
    assert reason.startswith("Gunicorn's worker processes cannot run in the browser: ")
    assert reason.lower().endswith(NEEDS_REAL_PYTHON.lower())
