"""Requests as they go on the wire: escaped queries and bodies, the app in each signature mode, and a raw HTTP request."""

import socket

from companion_app import create_app
from companion_app.serving.server import LocalServer
from tests.support.values import (
    PUBLIC_URL,
    TEST_AUTH_TOKEN,
    signed_simulator,
)

#: Bodies that trip a decoded URL: quotes, accents, emoji, and the characters forms escape.
BODIES = ["it's me", "café", "🍪 cookies? 👋🏽", 'say "hi"', "1 + 1 = 2 & 100% sure", "a;b#c/d?e"]


#: Configured webhook query strings with escapes, as a user pastes them into the console.
QUERIES = ["", "?lang=fr", "?name=it%27s", "?city=caf%C3%A9", "?q=a%2Bb%26c%3Dd", "?tilde=%7E"]


def raw_request(port, method, target, headers, body=b""):
    """Send one HTTP request with exactly this request target; return (status, body)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, reply = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), reply.decode()


def mode_app(mode):
    """The counter webhook, signatures on, in one of the three ways it can learn its URL."""
    config = {"TESTING": True, "SECRET_KEY": "k", "TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN}
    if mode == "PUBLIC_URL":
        config["PUBLIC_URL"] = PUBLIC_URL
    if mode == "proxy headers":
        config["TRUST_PROXY_HEADERS"] = True
    return create_app(config)


MODES = ["local", "PUBLIC_URL", "proxy headers"]


def start_servers():
    """One real loopback server per mode, until the generator is closed."""
    started = {}
    for mode in MODES:
        server = LocalServer(mode_app(mode))
        server.__enter__()
        started[mode] = server
    yield started
    for server in started.values():
        server.__exit__(None, None, None)


def simulator_for(mode, server, method, query):
    """A simulator that signs the URL this mode's webhook will rebuild, sending over HTTP."""
    webhook_url = (server.url if mode == "local" else PUBLIC_URL) + "/sms" + query
    return signed_simulator(
        server.url,
        webhook_url=webhook_url,
        method=method,
        tunnel_headers=(mode == "proxy headers"),
    )
