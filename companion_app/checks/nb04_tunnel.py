"""Notebook 04: a webhook behind the tunnel, and a signature computed like Twilio's."""

import base64
import secrets
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from io import StringIO

from twilio.request_validator import RequestValidator
from werkzeug.middleware.proxy_fix import ProxyFix

from companion_app.checks.cells import defining_cell, in_typed_code, judges, shell_now
from companion_app.checks.sms import SENDER, TWILIO_NUMBER, reply_of
from companion_app.checks.verdict import Verdict, check_app, kind_of, not_written
from companion_app.simulator import Conversation, FakeClock, TwilioSimulator
from companion_app.teaching.verify import quiet_logs

#: The public base URL of notebook 04's stand-in tunnel.
TUNNEL_URL = "https://example.ngrok.app"


@judges("behind_tunnel")
def check_accepts_twilio_behind_tunnel(app):
    """Notebook 04: behind a tunnel, what Twilio signed for the public URL is answered; forgeries get 403."""
    title = "Accept Twilio behind the tunnel"
    return check_app(title, "behind_tunnel", app, _behind_tunnel)


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


def _replayed(app, sent, **changes):
    """Status of sent posted again through the tunnel with some params or headers changed."""
    params = {**sent.params, **changes.get("params", {})}
    headers = {
        k: v
        for k, v in sent.headers.items()
        if k not in ("Content-Type", "Cookie", *changes.get("drop", ()))
    }
    response = app.test_client().post("/sms", data=params, headers=headers)
    return response.status_code


def _behind_proxy_fix(app):
    """True when werkzeug's ProxyFix is among the WSGI layers around the app."""
    layer, seen = app.wsgi_app, 0
    while layer is not None and seen < 20:
        if isinstance(layer, ProxyFix):
            return True
        layer, seen = getattr(layer, "app", None), seen + 1
    return False


def _tunnel_hint(app, public_url):
    """Why a message Twilio signed for the tunnel's URL was refused, from the app's settings."""
    if public_url:
        return (
            f"PUBLIC_URL is {public_url!r}: set PUBLIC_URL to {TUNNEL_URL}, the base URL "
            "Twilio calls (the app adds /sms)"
        )
    if app.config.get("TRUST_PROXY_HEADERS") and not _behind_proxy_fix(app):
        return (
            "TRUST_PROXY_HEADERS was set after the app was made, and it does nothing then: "
            "create_app wraps the app in ProxyFix only when the setting is given to it, so build "
            'the app with create_app({..., "TRUST_PROXY_HEADERS": True})'
        )
    return (
        "the app checks the signature against the URL it sees (its local http address), not the "
        "public https URL Twilio signed: tell the app which URL Twilio calls"
    )


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
        first, second = reply_of(genuine.send("hi")), reply_of(genuine.send("again"))
        forged = reply_of(_through_tunnel(app, token + "-forged").send("hi"))
        sent = genuine.deliveries[0].request
        unsigned = _replayed(app, sent, drop=("X-Twilio-Signature",))
        altered = _replayed(app, sent, params={"Body": "send me the code"})
    public_url = str(app.config.get("PUBLIC_URL") or "")
    if not verdict.expect(
        first.startswith("Hello"),
        f"a message Twilio signed for {TUNNEL_URL}/sms is answered",
        f"a message Twilio signed for {TUNNEL_URL}/sms got {first!r}: "
        + _tunnel_hint(app, public_url),
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
    verdict.expect(
        400 <= unsigned < 500 and 400 <= altered < 500,
        "a request with no signature, or with a changed Body, is refused too",
        f"a request with no signature got HTTP {unsigned} and one whose Body was changed got "
        f"HTTP {altered}: refuse (403) every request whose signature is missing or does not "
        "match the URL and all the form parameters",
    )


@judges("my_signature")
def check_same_signature(signature, delivery):
    """Notebook 04: the learner computed the X-Twilio-Signature the simulator sent with a delivery."""
    title = "Sign like Twilio"
    missing = not_written(
        title,
        "my_signature",
        signature,
        "a string: RequestValidator(token).compute_signature(url, params)",
        lambda s: isinstance(s, str) and bool(s),
    )
    if missing is not None:
        if isinstance(signature, bool):
            missing.fail(
                "validate(...) only says whether a signature is right; "
                "compute_signature(url, params) makes one"
            )
        return missing
    verdict = Verdict(title)
    sent = getattr(delivery, "request", None)
    if sent is None:
        verdict.fail(
            f"the second argument is {kind_of(delivery)}: pass the delivery whose signature you "
            "computed, e.g. rey.deliveries[0]"
        )
        return verdict
    verdict.ok("it is a string")
    header = sent.headers.get("X-Twilio-Signature")
    again = _computed_again(delivery)
    if again is not None:
        fresh, expected, decoy = again
        if not verdict.expect(
            fresh == expected,
            "run again for another message (another Body and MessageSid, the header Twilio sent "
            "replaced by a decoy), your cell computes that message's signature too",
            f"run again for another message (another Body and MessageSid, the header Twilio sent "
            f"replaced by a decoy), your cell gave {fresh!r}, not that message's signature "
            f"{expected!r}: "
            + (
                "it is the header copied from the request, not computed: sign the URL and the "
                "form yourself with RequestValidator(auth_token).compute_signature(url, params)"
                if fresh in (decoy, header)
                else "compute it from the request's url and params (not from values typed in), "
                "with the auth token"
            ),
        ):
            return verdict
    elif signature is header or in_typed_code(signature):
        verdict.fail(
            "it is the header copied from the request, not computed: sign the URL and the form "
            "yourself with RequestValidator(auth_token).compute_signature(url, params)"
        )
        return verdict
    verdict.expect(
        signature == header,
        "it is the X-Twilio-Signature Twilio sent",
        f"it is not the X-Twilio-Signature Twilio sent: sign the public URL Twilio called "
        f"({sent.url}) and every form parameter it posted, with the auth token",
    )
    return verdict


def _auth_token(namespace, delivery):
    """The auth token of the simulator that made delivery (found among the notebook's values)."""
    for value in list(namespace.values()):
        if isinstance(value, Conversation) and any(d is delivery for d in value.deliveries):
            return value.simulator.auth_token
        if isinstance(value, TwilioSimulator):
            for conv in value.conversations:
                if any(d is delivery for d in conv.deliveries):
                    return value.auth_token
    return None


@contextmanager
def _another_message(delivery, body, sid, decoy):
    """delivery, while inside, looks like another message: its params carry body and sid, and the
    X-Twilio-Signature header is decoy; everything is put back afterwards."""
    sent = delivery.request
    params, headers = dict(sent.params), dict(sent.headers)
    was = delivery.body, delivery.sid
    try:
        sent.params.update(Body=body, MessageSid=sid)
        if "SmsSid" in sent.params:
            sent.params["SmsSid"] = sid
        if "SmsMessageSid" in sent.params:
            sent.params["SmsMessageSid"] = sid
        sent.headers["X-Twilio-Signature"] = decoy
        delivery.body, delivery.sid = body, sid
        yield sent
    finally:
        sent.params.clear()
        sent.params.update(params)
        sent.headers.clear()
        sent.headers.update(headers)
        delivery.body, delivery.sid = was


#: Set while a learner's cell runs again (a cell may call the check too).
_RUNNING_AGAIN = []


def _computed_again(delivery, name="my_signature"):
    """(what the learner's cell gives, the right signature, the decoy header) for a message the
    learner never saw:
    the cell that set `name` runs again, in a copy of the notebook's names, while the delivery's
    request carries another Body and MessageSid and a decoy header. None when that cannot be done
    (outside IPython, no such cell, no auth token found, or the cell fails when run again)."""
    shell, source = shell_now(), defining_cell(name)
    if shell is None or source is None or getattr(delivery, "request", None) is None:
        return None
    if _RUNNING_AGAIN:  # the cell calls the check itself: judge its value this time
        return None
    token = _auth_token(shell.user_ns, delivery)
    if not token:
        return None
    sid = "SM" + secrets.token_hex(16)
    body = f"another message {secrets.token_hex(3)}"
    namespace = dict(shell.user_ns)
    decoy = base64.b64encode(secrets.token_bytes(20)).decode()  # shaped like an HMAC-SHA1
    with _another_message(delivery, body, sid, decoy) as sent:
        expected = RequestValidator(token).compute_signature(sent.url, dict(sent.params))
        try:
            with redirect_stdout(StringIO()), redirect_stderr(StringIO()), quiet_logs():
                _RUNNING_AGAIN.append(name)
                try:
                    exec(compile(source, "<your cell>", "exec"), namespace)  # noqa: S102
                finally:
                    _RUNNING_AGAIN.pop()
        except Exception:  # a cell that cannot run twice: judge the value it gave
            return None
    before = {id(value) for value in shell.user_ns.values()}
    if any(
        isinstance(value, (Conversation, TwilioSimulator)) and id(value) not in before
        for value in namespace.values()
    ):
        return None  # the cell texts a simulator of its own: its message is not this delivery
    return namespace.get(name), expected, decoy
