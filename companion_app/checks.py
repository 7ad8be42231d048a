"""Self-checks for the notebooks' exercises: each tells the learner, in words, whether an answer works."""

import re
from contextlib import contextmanager
from dataclasses import dataclass, field

from companion_app import create_app
from companion_app.simulator import FakeClock, TwilioSimulator
from companion_app.verify import AUTH_TOKEN, Step, compare, outcome, quiet_logs, run_script


@dataclass
class Verdict:
    """The result of a self-check: shown as a short report, truthy when every step passed."""

    title: str
    passed: list = field(default_factory=list)
    failed: list = field(default_factory=list)

    def ok(self, text):
        """Record a step that worked."""
        self.passed.append(text)

    def fail(self, text):
        """Record a step that did not work, with a hint."""
        self.failed.append(text)

    def expect(self, condition, good, bad):
        """Record `good` when condition holds, else `bad`; return the condition."""
        (self.ok if condition else self.fail)(good if condition else bad)
        return condition

    def __bool__(self):
        return not self.failed

    def __repr__(self):
        head = f"{'✅' if self else '❌'} {self.title}: {'it works' if self else 'not yet'}."
        lines = [f"  ✔ {text}" for text in self.passed] + [f"  ✘ {text}" for text in self.failed]
        return "\n".join([head, *lines])


@contextmanager
def raising(app):
    """Let the learner's exceptions reach the check (it reports them in words) instead of a logged 500."""
    before = app.config.get("PROPAGATE_EXCEPTIONS")
    app.config["PROPAGATE_EXCEPTIONS"] = True
    try:
        yield app
    finally:
        app.config["PROPAGATE_EXCEPTIONS"] = before


def _text(response):
    """The response body as text."""
    return response.get_data(as_text=True)


def run_check(title, app, steps):
    """Run steps(verdict, app) on a learner's app; an exception becomes a failed step, not a traceback."""
    verdict = Verdict(title)
    with raising(app):
        try:
            steps(verdict, app)
        except Exception as error:  # the learner's bug, reported in words
            verdict.fail(f"the app raised {type(error).__name__}: {error}")
    return verdict


def check_remembers_name(app):
    """Notebook 01: GET /hello?name=Ada sets a cookie; later visits from the same client say Ada."""
    return run_check("Remember the visitor's name", app, _remembers_name)


def _remembers_name(verdict, app):
    client = app.test_client()
    first = client.get("/hello?name=Ada")
    if not verdict.expect(
        first.status_code == 200 and "Ada" in _text(first),
        "/hello?name=Ada greets Ada",
        f"/hello?name=Ada answered {first.status_code} {_text(first)!r}: it should greet Ada",
    ):
        return
    verdict.expect(
        "name=" in first.headers.get("Set-Cookie", ""),
        "the reply sets a cookie called name",
        "the reply sets no cookie called name: call response.set_cookie('name', ...)",
    )
    again = client.get("/hello")
    verdict.expect(
        "Ada" in _text(again),
        "a second visit without ?name= still greets Ada (the cookie came back)",
        f"a second visit answered {_text(again)!r}: read request.cookies.get('name')",
    )
    stranger = app.test_client().get("/hello")
    verdict.expect(
        stranger.status_code == 200 and "Ada" not in _text(stranger),
        "a new client with no cookie is not called Ada",
        f"a new client got {stranger.status_code} {_text(stranger)!r}: greet someone with no "
        "cookie and no ?name= as a stranger",
    )


def check_secret_key(key):
    """Notebook 00: a secret key is a long random string, not a word someone could guess."""
    verdict = Verdict("A good secret key")
    if not verdict.expect(
        isinstance(key, str),
        "it is a string",
        f"it is a {type(key).__name__}: make a string, e.g. with secrets.token_hex(32)",
    ):
        return verdict
    verdict.expect(
        len(key) >= 32,
        f"it is {len(key)} characters long (32 or more)",
        f"it is only {len(key)} characters long: use at least 32 (secrets.token_hex(32) gives 64)",
    )
    verdict.expect(
        len(set(key)) >= 10,
        "it mixes many different characters",
        "it repeats the same few characters: let the secrets module choose them",
    )
    verdict.expect(
        key.lower() not in {"secret", "changeme", "dev", "password", "super-secret-key"},
        "it is not a well-known placeholder",
        "it is a well-known placeholder that attackers try first",
    )
    return verdict


SENDER, TWILIO_NUMBER = "+14155550100", "+14155550199"


def _conversation(app, path="/sms"):
    """A simulated conversation with a learner's webhook, and its simulator (for the clock)."""
    sim = TwilioSimulator(app, webhook_url=f"https://example.ngrok.app{path}", clock=FakeClock())
    return sim, sim.conversation(from_=SENDER, to=TWILIO_NUMBER)


#: The text a phone would receive, or the Twilio error with what happened.
_reply = outcome


def check_shout_webhook(app):
    """Notebook 02: POST /sms replies with the text in capitals, or asks for words when it is empty."""
    return run_check("Shout back", app, _shouts)


def _shouts(verdict, app):
    sim, conv = _conversation(app)
    for body, expected in [("hello", "HELLO"), ("Cookies are great!", "COOKIES ARE GREAT!")]:
        got = _reply(conv.send(body))
        verdict.expect(
            got == expected,
            f"{body!r} gets {expected!r}",
            f"{body!r} got {got!r}, not {expected!r}",
        )
    got = _reply(conv.send(""))
    verdict.expect(
        got == "Send me some words!",
        "an empty message gets 'Send me some words!'",
        f"an empty message got {got!r}: check for an empty Body first",
    )


def _counter_script(conv):
    """Send three messages and return the replies."""
    return [_reply(conv.send(text)) for text in ("one", "two", "three")]


def check_reset_command(app):
    """Notebook 03: "reset" clears the count, so the next message is thanked as the first."""
    return run_check("The reset command", app, _resets)


def _resets(verdict, app):
    sim, conv = _conversation(app)
    replies = _counter_script(conv)
    if not verdict.expect(
        "3 times" in replies[-1],
        "it still counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: keep the counter working",
    ):
        return
    got = _reply(conv.send("reset"))
    verdict.expect(
        "reset" in got.lower(),
        "'reset' gets a reply that says the count is reset",
        f"'reset' got {got!r}: reply with a sentence that says the count is reset",
    )
    got = _reply(conv.send("hello again"))
    verdict.expect(
        got.startswith("Hello") and "thanks" in got,
        "the next message is thanked like a first message",
        f"the next message got {got!r}: remove the counter from the session on reset",
    )
    got = _reply(conv.send("RESET  "))
    verdict.expect(
        "reset" in got.lower(),
        "'RESET  ' works too (case and spaces do not matter)",
        f"'RESET  ' got {got!r}: compare Body.strip().lower()",
    )


def check_one_hour_session(app):
    """Notebook 03: the conversation survives 59 minutes of silence but not 61."""
    return run_check("A one-hour conversation", app, _one_hour)


def _one_hour(verdict, app):
    sim, conv = _conversation(app)
    _counter_script(conv)
    sim.clock.advance(minutes=59)
    got = _reply(conv.send("still here"))
    verdict.expect(
        "4 times" in got,
        "after 59 minutes of silence the count goes on (4 times)",
        f"after 59 minutes the reply was {got!r}: the cookie should still be alive",
    )
    sim.clock.advance(minutes=61)
    got = _reply(conv.send("back"))
    verdict.expect(
        got.startswith("Hello") and "thanks" in got,
        "after 61 minutes of silence the conversation starts over",
        f"after 61 minutes the reply was {got!r}: set PERMANENT_SESSION_LIFETIME to one hour "
        "and session.permanent = True",
    )


def _reference_counter():
    """companion_app's counter, set up for the verify module's standard script."""
    return create_app(
        {
            "SECRET_KEY": "reference-key",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://example.ngrok.app",
        }
    )


def check_comparison_catches(broken_app):
    """Notebook 05: the broken app still answers, and comparing it with the reference catches it."""
    return run_check("Break it on purpose", broken_app, _caught)


def _caught(verdict, app):
    result = compare(app, _reference_counter())
    crashed = [
        n for n, text in enumerate(result.left, 1) if text.startswith("error 11200") and n != 14
    ]
    verdict.expect(
        not crashed,
        "your broken app still answers every genuine message (a quiet bug, the hardest kind)",
        f"your app fails outright at step {', '.join(map(str, crashed))}: break the logic, not the app",
    )
    verdict.expect(
        any(n != 14 for n in result.differences),
        f"the comparison catches it: {result.summary()}",
        "the comparison found no difference besides the forgery: your change did not alter what "
        "the script checks. Try another bug, e.g. forget to store the count",
    )


def check_edge_script(script):
    """Notebook 05: a script where a pair's next message comes just under 4 hours later, and counts on."""
    verdict = Verdict("Just under four hours")
    if not verdict.expect(
        isinstance(script, list) and script and all(isinstance(s, Step) for s in script),
        "the script is a list of steps",
        "the script should be a list made with send(...) and wait(...)",
    ):
        return verdict
    outcomes = run_script(_reference_counter(), script)
    edge = [
        n
        for n, step in enumerate(script)
        if step.action == "wait" and 3.9 <= step.hours < 4 and n + 1 < len(script)
    ]
    if not verdict.expect(
        bool(edge),
        "it waits just under 4 hours (3.9 to 4) somewhere",
        "it never waits between 3.9 and 4 hours: use wait(3 + 59 / 60)",
    ):
        return verdict
    after = outcomes[edge[0] + 1]
    verdict.expect(
        "times" in after,
        f"the message after the wait still counts on: {after!r}",
        f"the message after the wait got {after!r}: send at least one message of the same pair "
        "before the wait and one right after it",
    )
    return verdict


#: The public base URL of notebook 04's stand-in tunnel.
TUNNEL_URL = "https://example.ngrok.app"


def check_accepts_twilio_behind_tunnel(app):
    """Notebook 04: behind a tunnel, what Twilio signed for the public URL is answered; forgeries get 403."""
    return run_check("Accept Twilio behind the tunnel", app, _behind_tunnel)


def _through_tunnel(app, auth_token):
    """A conversation reaching app as through ngrok: signed for TUNNEL_URL, with X-Forwarded-* headers."""
    sim = TwilioSimulator(
        app,
        webhook_url=f"{TUNNEL_URL}/sms",
        auth_token=auth_token,
        clock=FakeClock(),
        tunnel_headers=True,
    )
    return sim.conversation(from_=SENDER, to=TWILIO_NUMBER)


def _behind_tunnel(verdict, app):
    token = app.config.get("TWILIO_AUTH_TOKEN")
    if not verdict.expect(
        bool(token),
        "signatures are still checked (TWILIO_AUTH_TOKEN is set)",
        "TWILIO_AUTH_TOKEN is not set, so anyone can post to this webhook: keep the check on and "
        "fix which URL it checks",
    ):
        return
    with quiet_logs():
        genuine = _through_tunnel(app, token)
        first, second = _reply(genuine.send("hi")), _reply(genuine.send("again"))
        forged = _reply(_through_tunnel(app, token + "-forged").send("hi"))
    if not verdict.expect(
        first.startswith("Hello"),
        f"a message Twilio signed for {TUNNEL_URL}/sms is answered",
        f"a message Twilio signed for {TUNNEL_URL}/sms got {first!r}: the app checks the "
        f"signature against the URL it sees, not the public one; set PUBLIC_URL to {TUNNEL_URL}",
    ):
        return
    verdict.expect(
        "2 times" in second,
        "the next one counts on (2 times)",
        f"the next message got {second!r}: keep the counter as it was",
    )
    verdict.expect(
        forged.startswith("error 11200"),
        "a request signed with the wrong token is still refused",
        f"a request signed with the wrong token got {forged!r}: keep the signature check on",
    )


def check_same_signature(signature, delivery):
    """Notebook 04: the learner computed the X-Twilio-Signature the simulator sent with a delivery."""
    verdict = Verdict("Sign like Twilio")
    if not verdict.expect(
        isinstance(signature, str) and bool(signature),
        "it is a string",
        f"it is {signature!r}: compute it with RequestValidator(token).compute_signature(url, params)",
    ):
        return verdict
    sent = delivery.request
    verdict.expect(
        signature == sent.headers.get("X-Twilio-Signature"),
        "it is the X-Twilio-Signature Twilio sent",
        f"it is not the X-Twilio-Signature Twilio sent: sign the public URL Twilio called "
        f"({sent.url}) and every form parameter it posted, with the auth token",
    )
    return verdict


STORE_SENDER, STORE_OTHER_NUMBER = "+14155557000", "+14155550198"
STORE_WEBHOOK_URL = "https://example.ngrok.app/sms"


def check_day_long_store(make_app):
    """Notebook 07: make_app(clock) keeps each pair's count on the server for 24 hours of silence."""
    title = "A day-long conversation on the server"
    clock = FakeClock()
    try:
        app = make_app(clock)
    except Exception as error:  # the learner's bug, reported in words
        verdict = Verdict(title)
        verdict.fail(f"make_app(clock) raised {type(error).__name__}: {error}")
        return verdict
    return run_check(title, app, lambda verdict, app: _day_long(verdict, app, clock))


def _day_long(verdict, app, clock):
    sim = TwilioSimulator(app, webhook_url=STORE_WEBHOOK_URL, auth_token=AUTH_TOKEN, clock=clock)
    conv = sim.conversation(from_=STORE_SENDER, to=TWILIO_NUMBER)
    replies = [_reply(conv.send(text)) for text in ("one", "two", "three")]
    if not verdict.expect(
        "3 times" in replies[-1],
        "it counts: the third message says 3 times",
        f"the third message got {replies[-1]!r}: count each pair's messages (a new app and store "
        "for every call of make_app)",
    ):
        return
    clock.advance(hours=5)
    got = _reply(conv.send("five hours later"))
    verdict.expect(
        "4 times" in got,
        "after 5 hours of silence the count goes on (4 times): it lives on the server",
        f"after 5 hours the reply was {got!r}: Twilio dropped the cookie, so keep the count in the "
        "store, keyed by (From, To)",
    )
    both = [_reply(delivery) for delivery in conv.send_together(["at", "once"])]
    verdict.expect(
        any("5 times" in reply for reply in both) and any("6 times" in reply for reply in both),
        "two messages delivered at once are both counted (5 and 6 times): no lost update",
        f"two messages at once got {both}: read, add one and write back in one step on the server",
    )
    got = _reply(sim.conversation(from_=STORE_SENDER, to=STORE_OTHER_NUMBER).send("hi"))
    verdict.expect(
        got.startswith("Hello"),
        "the same phone texting another of your numbers starts its own count",
        f"the same phone texting another number got {got!r}: key the store by both From and To",
    )
    clock.advance(hours=23, minutes=59)
    got = _reply(conv.send("almost a day"))
    verdict.expect(
        "7 times" in got,
        "23 h 59 min after the last message it still counts (7 times)",
        f"23 h 59 min later the reply was {got!r}: keep a conversation for 24 hours after its "
        "last message",
    )
    clock.advance(hours=24, minutes=1)
    got = _reply(conv.send("a day and a bit"))
    verdict.expect(
        got.startswith("Hello"),
        "24 h 1 min after the last message the conversation starts over",
        f"24 h 1 min later the reply was {got!r}: forget a pair 24 hours after its last message "
        "(each message renews the expiry), using the clock you were given",
    )


#: The public URL of notebook 06's staff-directory webhook.
#: The most characters a directory session cookie needs when it keeps ids, not records.
DIRECTORY_COOKIE_BUDGET = 200


def _lists_sams(verdict, conv):
    """Send 'sam' and expect the numbered list of five; False (with a hint) when it is missing."""
    got = _reply(conv.send("sam"))
    return verdict.expect(
        "1. Sam Okafor" in got and "5. Jordan Samuels" in got,
        "'sam' still lists the matches (1. Sam Okafor … 5. Jordan Samuels)",
        f"'sam' got {got!r}: keep the directory working (build on respond from this notebook)",
    )


def check_directory_help(app):
    """Notebook 06: HELP explains the directory in any state and keeps a pending list."""
    return run_check("A HELP word that keeps the list", app, _directory_help)


def _directory_help(verdict, app):
    sim, conv = _conversation(app, "/directory")
    if not _lists_sams(verdict, conv):
        return
    got = _reply(conv.send("HELP"))
    if not verdict.expect(
        not got.startswith(("No one", "error")) and "name" in got.lower(),
        "'HELP' gets a reply that explains how to search (it mentions a name)",
        f"'HELP' got {got!r}: before searching, compare the message (lower case, spaces "
        "stripped) with 'help' and reply with how to use the directory",
    ):
        return
    got = _reply(conv.send("2"))
    verdict.expect(
        got.startswith("Samantha Reyes"),
        "'2' after HELP still picks Samantha Reyes: the list survived",
        f"'2' after HELP got {got!r}: return the state you were given together with the help "
        "text, so the pending list stays in the cookie",
    )
    got = _reply(conv.send("  Help "))
    verdict.expect(
        not got.startswith(("No one", "error")) and "name" in got.lower(),
        "'  Help ' with no list pending gets the help too (case and spaces do not matter)",
        f"'  Help ' got {got!r}: compare ' '.join(text.lower().split()) with 'help'",
    )


def check_directory_more(app):
    """Notebook 06: MORE shows the matches after the first list, and a number picks from them."""
    return run_check("The rest of the list", app, _directory_more)


def _directory_more(verdict, app):
    sim, conv = _conversation(app, "/directory")
    if not _lists_sams(verdict, conv):
        return
    got = _reply(conv.send("more"))
    found = re.search(r"(\d+)\.\s*Samuel Adeyemi", got)
    if not verdict.expect(
        found is not None,
        "'more' lists the next match (Samuel Adeyemi) with a number",
        f"'more' got {got!r}: when a list is pending, keep in the state what the next page "
        "needs (the search and how far you got) and list the next matches, numbered",
    ):
        return
    size = len(conv.cookies.get("session") or "")
    verdict.expect(
        size <= DIRECTORY_COOKIE_BUDGET,
        f"the cookie stays small ({size} characters): it keeps a search and ids, not records",
        f"the cookie is {size} characters: keep ids and the search in it, not whole records "
        f"(at most {DIRECTORY_COOKIE_BUDGET} characters)",
    )
    got = _reply(conv.send(found.group(1)))
    verdict.expect(
        got.startswith("Samuel Adeyemi"),
        f"'{found.group(1)}' then picks Samuel Adeyemi from the second list",
        f"'{found.group(1)}' got {got!r}: store the ids of the list you just sent, so the "
        "numbers refer to it",
    )
    fresh = sim.conversation(from_=SENDER, to="+14155550188")
    got = _reply(fresh.send("more"))
    verdict.expect(
        not got.startswith("error"),
        f"'more' with no list pending gets a polite reply ({got!r})",
        f"'more' with no list pending got {got!r}: answer it even when the state is empty",
    )
