"""A second opinion from Twilio's own Node.js code: twilio-node signs, Twilio's segment calculator
(sms-segments-calculator) counts. `make test` installs both into tests/node (make node-oracle)."""

import json
import random
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest

from companion_app.app.signature import signature_matches
from companion_app.serving.server import LocalServer
from companion_app.simulator.params import segments
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)
from tests.support.wire import BODIES, QUERIES, mode_app, raw_request

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def ask(questions):
    """Twilio's Node.js code's answers to a list of questions (see tests/node/oracle.js)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: no second opinion from twilio-node")
    if not (NODE_DIR / "node_modules" / ".installed-stamp").exists():
        pytest.skip(
            "tests/node/node_modules is missing: run `make node-oracle`, or without make "
            "`npm ci --prefix tests/node`"
        )
    done = subprocess.run(
        [node, str(NODE_DIR / "oracle.js")],
        input=json.dumps(questions),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


#: Characters that make segment counting hard: GSM basic and extension, accents, emoji, clusters.
PIECES = [
    "a",
    "Z",
    "0",
    " ",
    "@",
    "£",
    "é",
    "Ç",
    "Δ",
    "\n",
    "\r\n",
    "{",
    "}",
    "[",
    "]",
    "~",
    "|",
    "^",
    "€",
    "\\",
    "\f",
    "ç",
    "`",
    "á",
    "ő",
    "中",
    "😀",
    "👋🏽",
    "🇫🇷",
    "👨\u200d👩\u200d👧",
    "e\u0301",
]


def bodies(count=1500, seed=2025):
    """Deterministic bodies around every boundary: 1 to 1600 characters of mixed pieces."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        common = rng.choice(PIECES[:12])
        rare = rng.sample(PIECES, rng.randint(0, 3))
        target = rng.choice([rng.randint(0, 80), rng.randint(60, 180), rng.randint(150, 500)])
        body = "".join(rng.choice([common] * 20 + rare) for _ in range(target))
        made.append(body[:1600])
    edges = [p * n for p in PIECES for n in (33, 34, 35, 36, 67, 68, 70, 71, 76, 77, 80, 81)]
    edges += [p * n for p in ("a", "é") for n in (152, 153, 154, 159, 160, 161, 306, 307)]
    return made + edges


def test_num_segments_agree_with_twilios_segment_calculator():
    cases = bodies()
    expected = ask([{"segments": body} for body in cases])
    wrong = [
        (body, want, segments(body))
        for body, want in zip(cases, expected, strict=True)
        if segments(body) != want
    ]
    assert wrong == [], f"{len(wrong)} of {len(cases)} differ, e.g. {wrong[:3]!r}"


def signing_table():
    """(url, params) pairs: escapes, accents and emoji in the URL and the parameters."""
    table = []
    for query in QUERIES:
        for body in BODIES:
            params = {"From": SENDER, "To": TWILIO_NUMBER, "Body": body}
            table.append((f"{PUBLIC_URL}/sms{query}", params))
            get_query = (query + "&" if query else "?") + urlencode(params)
            table.append((f"{PUBLIC_URL}/sms{get_query}", {}))
    return table


def test_twilio_node_and_the_webhook_agree_on_every_signature():
    table = signing_table()
    signatures = ask([{"sign": [TEST_AUTH_TOKEN, url, params]} for url, params in table])
    for (url, params), signature in zip(table, signatures, strict=True):
        assert signature_matches(TEST_AUTH_TOKEN, url, params, signature), url


def test_the_simulator_signs_as_twilio_node_does():
    table = signing_table()
    sim = signed_simulator(mode_app("local"))
    signatures = ask([{"sign": [TEST_AUTH_TOKEN, url, params]} for url, params in table])
    assert [sim.signature(url, params) for url, params in table] == signatures


def test_twilio_node_accepts_what_the_simulator_sends_over_http():
    """Every request the simulator put on the wire, checked by twilio-node's validateRequest."""
    with LocalServer(mode_app("PUBLIC_URL")) as server:
        sent = []
        for method in ("POST", "GET"):
            for query in QUERIES:
                sim = signed_simulator(
                    server.url, webhook_url=f"{PUBLIC_URL}/sms{query}", method=method
                )
                conv = sim.conversation(SENDER, TWILIO_NUMBER)
                sent += [conv.send(body).request for body in BODIES]
    questions = [
        {
            "validate": [
                TEST_AUTH_TOKEN,
                request.headers["X-Twilio-Signature"],
                request.url,
                request.params if request.method == "POST" else {},
            ]
        }
        for request in sent
    ]
    assert ask(questions) == [True] * len(sent)


def test_the_webhook_accepts_gets_signed_by_twilio_node_on_the_raw_target():
    targets = [url.removeprefix(PUBLIC_URL) for url, params in signing_table() if not params]
    signatures = ask([{"sign": [TEST_AUTH_TOKEN, PUBLIC_URL + t, {}]} for t in targets])
    with LocalServer(mode_app("PUBLIC_URL")) as server:
        port = int(server.url.rsplit(":", 1)[1])
        statuses = [
            raw_request(port, "GET", target, {"X-Twilio-Signature": signature})[0]
            for target, signature in zip(targets, signatures, strict=True)
        ]
    assert statuses == [200] * len(targets)
