"""A signed webhook request beside 40 slow clients, for several gunicorn worker set-ups side by side.

    python -m benchmarks.slow_clients [--clients 40] [--candidates sync,gthread-4,...]

For each candidate one gunicorn (2 workers) is started and, in turn: a signed request alone; the
same with `--clients` connections dripping their headers a byte a second; the same with as many
dripping a form body. Beside it all, 5 clients that send half a request line and stall: when (if)
gunicorn drops them. Twilio waits 15 s for an answer; the goal is 10 s.
"""

import argparse
import time
from importlib.metadata import version

from companion_app.serving import production
from tests.support.slow_clients import SlowClients
from tests.support.values import (
    PUBLIC_URL,
    SENDER,
    TEST_AUTH_TOKEN,
    TWILIO_NUMBER,
    signed_simulator,
)

#: Longer than Twilio waits: a request not answered by then counts as lost.
GIVE_UP = 30.0

#: The worker set-ups compared: gunicorn's default (sync), gthread with 4 threads, tornado's worker
#: (tornado comes with Jupyter), and production.WORKER_OPTIONS, what serve --production runs.
CANDIDATES = {
    "sync (gunicorn's default)": ["--worker-class", "sync"],
    "gthread, 4 threads": ["--worker-class", "gthread", "--threads", "4"],
    "tornado": ["--worker-class", "tornado"],
    "chosen: gthread, 64 threads": production.WORKER_OPTIONS,
}


def signed_request(url):
    """Seconds until a signed message is answered (GIVE_UP when not), and the reply or the error."""
    simulator = signed_simulator(url, timeout=GIVE_UP, connect_timeout=GIVE_UP)
    conversation = simulator.conversation(from_=SENDER, to=TWILIO_NUMBER)
    start = time.monotonic()
    result = conversation.send("hi")
    took = time.monotonic() - start
    if result.replies:
        return took, result.replies[0].body
    return GIVE_UP, "no answer"


def measure(name, worker_options, clients):
    """One candidate's figures: the signed request's time alone and beside each kind of drip."""
    settings = {"TWILIO_AUTH_TOKEN": TEST_AUTH_TOKEN, "PUBLIC_URL": PUBLIC_URL, "SECRET_KEY": "k"}
    with production.Gunicorn(env=settings, workers=2, worker_options=worker_options) as service:
        port = int(service.url.rsplit(":", 1)[1])
        figures = {"candidate": name, "alone": signed_request(service.url)[0]}
        with SlowClients(port, 5, drip="stall") as stalled:
            for drip in ("headers", "body"):
                with SlowClients(port, clients, drip=drip):
                    time.sleep(3)  # let every slow client reach a worker and send a few bytes
                    figures[drip] = signed_request(service.url)[0]
            deadline = time.monotonic() + 5
            while stalled.closed() < 5 and time.monotonic() < deadline:
                time.sleep(0.1)
            figures["stalled dropped"] = stalled.closed()
            figures["stalled after"] = max(stalled.dropped.values(), default=None)
        figures["alone"] = max(figures["alone"], 0.001)  # a ratio, never a division by zero
    figures["worker timeouts"] = service.log().count("WORKER TIMEOUT")
    return figures


def seconds(value):
    """A time for the table; GIVE_UP reads as lost."""
    return "lost (> 30 s)" if value >= GIVE_UP else f"{value:.2f} s"


def main(argv=None):
    """Measure the candidates one after the other in this run and print a table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.slow_clients")
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--candidates", help="comma-separated prefixes of the candidates' names")
    args = parser.parse_args(argv)
    chosen = CANDIDATES
    if args.candidates:
        prefixes = args.candidates.split(",")
        chosen = {k: v for k, v in CANDIDATES.items() if k.startswith(tuple(prefixes))}
    rows = [measure(name, extra, args.clients) for name, extra in chosen.items()]
    print(f"gunicorn {version('gunicorn')}, 2 workers, {args.clients} slow clients")
    print(
        "| worker set-up | alone | beside dripped headers | x alone | beside dripped bodies "
        "| x alone | 5 stalled clients dropped | WORKER TIMEOUT lines |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        after = f" after {r['stalled after']:.0f} s" if r["stalled dropped"] else ""
        print(
            f"| {r['candidate']} | {seconds(r['alone'])} | {seconds(r['headers'])} "
            f"| {r['headers'] / r['alone']:.0f} | {seconds(r['body'])} | {r['body'] / r['alone']:.0f} "
            f"| {r['stalled dropped']}{after} | {r['worker timeouts']} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
