"""Notebook 04, Exercise 1 (behind_tunnel) and Exercise 2 (my_signature)."""

import base64
import hashlib
import hmac

from flask import Flask, abort, request, session
from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix

from companion_app import create_app
from companion_app.simulator import FakeClock, TwilioSimulator
from tests.answer_bank import right, twiml, wrong

TUNNEL, SIGNED = "check_accepts_twilio_behind_tunnel", "check_same_signature"
TOKEN = "made-up-auth-token"
PUBLIC = "https://example.ngrok.app"


def behind_tunnel(**config):
    """Notebook 04's app behind the tunnel, with the learner's settings."""
    app = create_app({"SECRET_KEY": "k" * 32, "TWILIO_AUTH_TOKEN": TOKEN})
    app.config.update(config)
    return app


def fixed_in_create_app():
    """A new app made with the public URL, instead of a setting changed afterwards."""
    return create_app({"SECRET_KEY": "k" * 32, "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_URL": PUBLIC})


def behind_proxy_fix():
    """werkzeug's ProxyFix wrapped around the app by hand, so request.url is the public one."""
    app = behind_tunnel()
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
    return app


def hand_written(accept):
    """A counter of the learner's own that lets a request in when accept(signature) is true."""
    app = Flask("hand_written")
    app.config.update(SECRET_KEY="k" * 32, TWILIO_AUTH_TOKEN=TOKEN)

    @app.route("/sms", methods=["POST"])
    def count():
        if not accept(request.headers.get("X-Twilio-Signature")):
            abort(403)
        session["counter"] = session.get("counter", 0) + 1
        n = session["counter"]
        return twiml("Hello Rey, thanks!" if n == 1 else f"Rey has messaged {n} times.")

    return app


def valid(signature):
    """The signature is Twilio's for the public URL and the form."""
    url = PUBLIC + request.path
    return RequestValidator(TOKEN).validate(url, request.form, signature or "")


def only_when_present(signature):
    """Checks a signature only when there is one."""
    return signature is None or valid(signature)


def delivery():
    """Rey's first message, signed for the tunnel's public URL."""
    sim = TwilioSimulator(
        fixed_in_create_app(),
        webhook_url=f"{PUBLIC}/sms",
        auth_token=TOKEN,
        clock=FakeClock(),
        seed=4,
    )
    return sim.conversation(from_="+14155550100", to="+14155550199").send("hi")


def signed(sign):
    """(sign(request), delivery): an answer computed from the request Twilio sent."""

    def build():
        sent = delivery()
        return sign(sent.request), sent

    return build


def twilio_algorithm(sent):
    """Twilio's documented algorithm: HMAC-SHA1 of the URL and the sorted name+value pairs, base64."""
    data = sent.url + "".join(f"{k}{v}" for k, v in sorted(sent.params.items()))
    digest = hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


ANSWERS = [
    right(TUNNEL, "PUBLIC_URL", lambda: (behind_tunnel(PUBLIC_URL=PUBLIC),)),
    right(TUNNEL, "PUBLIC_URL with a slash", lambda: (behind_tunnel(PUBLIC_URL=PUBLIC + "/"),)),
    right(TUNNEL, "a new app with PUBLIC_URL", lambda: (fixed_in_create_app(),)),
    right(
        TUNNEL,
        "TRUST_PROXY_HEADERS in create_app",
        lambda: (
            create_app(
                {"SECRET_KEY": "k" * 32, "TWILIO_AUTH_TOKEN": TOKEN, "TRUST_PROXY_HEADERS": True}
            ),
        ),
    ),
    right(TUNNEL, "werkzeug's ProxyFix by hand", lambda: (behind_proxy_fix(),)),
    right(TUNNEL, "a hand-written check of the public URL", lambda: (hand_written(valid),)),
    wrong(TUNNEL, "not written yet", lambda: (None,), "`behind_tunnel` is not written yet"),
    wrong(TUNNEL, "unchanged", lambda: (behind_tunnel(),), f"set PUBLIC_URL to {PUBLIC}"),
    wrong(
        TUNNEL,
        "PUBLIC_URL with /sms",
        lambda: (behind_tunnel(PUBLIC_URL=PUBLIC + "/sms"),),
        "the base URL Twilio calls (the app adds /sms)",
    ),
    wrong(
        TUNNEL,
        "PUBLIC_URL with http",
        lambda: (behind_tunnel(PUBLIC_URL="http://example.ngrok.app"),),
        f"set PUBLIC_URL to {PUBLIC}",
    ),
    wrong(
        TUNNEL,
        "another tunnel's URL",
        lambda: (behind_tunnel(PUBLIC_URL="https://other.ngrok.app"),),
        f"set PUBLIC_URL to {PUBLIC}",
    ),
    wrong(
        TUNNEL,
        "the check switched off",
        lambda: (behind_tunnel(TWILIO_AUTH_TOKEN=None),),
        "TWILIO_AUTH_TOKEN is not set",
    ),
    wrong(
        TUNNEL,
        "never checks",
        lambda: (hand_written(lambda signature: True),),
        "a request signed with the wrong token got 'Hello Rey, thanks!': keep the signature check on",
    ),
    wrong(
        TUNNEL,
        "checks only that a signature is there",
        lambda: (hand_written(lambda signature: bool(signature)),),
        "keep the signature check on",
    ),
    wrong(
        TUNNEL,
        "checks a signature only when there is one",
        lambda: (hand_written(only_when_present),),
        "a request with no signature got HTTP 200",
    ),
    wrong(
        TUNNEL,
        "the app, not passed",
        lambda: ("behind_tunnel",),
        "should be a Flask app (made with Flask(...)), not the str 'behind_tunnel'",
    ),
    right(
        SIGNED,
        "compute_signature(url, params)",
        signed(lambda sent: RequestValidator(TOKEN).compute_signature(sent.url, sent.params)),
    ),
    right(SIGNED, "Twilio's algorithm written out", signed(twilio_algorithm)),
    wrong(
        SIGNED, "not written yet", lambda: (None, delivery()), "`my_signature` is not written yet"
    ),
    wrong(
        SIGNED,
        "the header copied",
        signed(lambda sent: sent.headers["X-Twilio-Signature"]),
        "it is the header copied from the request, not computed",
    ),
    wrong(
        SIGNED,
        "the header copied with .get",
        signed(lambda sent: sent.headers.get("X-Twilio-Signature").strip()),
        "it is the header copied from the request, not computed",
    ),
    wrong(
        SIGNED,
        "the local URL signed",
        signed(
            lambda sent: RequestValidator(TOKEN).compute_signature(
                "http://127.0.0.1:5000/sms", sent.params
            )
        ),
        f"sign the public URL Twilio called ({PUBLIC}/sms)",
    ),
    wrong(
        SIGNED,
        "only the Body signed",
        signed(lambda sent: RequestValidator(TOKEN).compute_signature(sent.url, {"Body": "hi"})),
        "every form parameter",
    ),
    wrong(
        SIGNED,
        "no parameters signed",
        signed(lambda sent: RequestValidator(TOKEN).compute_signature(sent.url, {})),
        "every form parameter",
    ),
    wrong(
        SIGNED,
        "a guessed token",
        signed(lambda sent: RequestValidator("guess").compute_signature(sent.url, sent.params)),
        "with the auth token",
    ),
    wrong(
        SIGNED,
        "validate() instead of compute_signature()",
        signed(
            lambda sent: RequestValidator(TOKEN).validate(
                sent.url, sent.params, sent.headers["X-Twilio-Signature"]
            )
        ),
        "validate(...) only says whether a signature is right",
    ),
    wrong(
        SIGNED,
        "the request passed instead of the delivery",
        lambda: (twilio_algorithm(delivery().request), delivery().request),
        "pass the delivery whose signature you computed, e.g. rey.deliveries[0]",
    ),
    wrong(
        SIGNED,
        "the raw HMAC bytes",
        signed(lambda sent: base64.b64decode(twilio_algorithm(sent))),
        "should be a string",
    ),
]
