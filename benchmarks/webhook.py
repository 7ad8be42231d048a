"""Webhook throughput and latency under gunicorn on loopback, and where one request's time goes.

The webhooks of ``benchmarks.apps`` are served by one two-worker gunicorn and measured in
interleaved blocks (companion, bare, tutorial, then rotated), so a slow moment of the machine hits all
three alike. Each block is many pairs texting at once: every pair keeps its own cookie, every request
is a new connection (gunicorn's sync worker closes it, and so does Twilio), and every request carries
an X-Twilio-Signature computed before the clock starts.
"""

import cProfile
import http.client
import io
import os
import pstats
import re
import resource
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from flask.sessions import SecureCookieSessionInterface
from twilio.request_validator import RequestValidator
from werkzeug.test import EnvironBuilder

from benchmarks.apps import (
    AUTH_TOKEN,
    PUBLIC_URL,
    create_bare_app,
    create_companion_app,
    create_tutorial_app,
)

ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("/sms", "/unsigned/sms", "/bare", "/tutorial")
LABELS = {
    "/sms": "companion (signature on)",
    "/unsigned/sms": "companion, signature check off",
    "/bare": "bare `<Response/>` route",
    "/tutorial": "Twilio tutorial code",
}
COUNT = re.compile(r"(\d+) times\.")
TWILIO_NUMBER = "+14155550199"


# --- over HTTP ---------------------------------------------------------------------------------


def prepare(path, round_no, pairs, messages):
    """The signed request bodies of one block: [pair][message] -> (body, headers)."""
    validator = RequestValidator(AUTH_TOKEN)
    block = []
    for p in range(pairs):
        sender = f"+1415{round_no:03d}{p:04d}"
        conversation = []
        for m in range(messages):
            form = {
                "From": sender,
                "To": TWILIO_NUMBER,
                "Body": f"message {m + 1}",
                "MessageSid": f"SM{round_no:08x}{p:08x}{m:016x}",
            }
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": validator.compute_signature(f"{PUBLIC_URL}/sms", form),
                "User-Agent": "TwilioProxy/1.1",
            }
            conversation.append((urlencode(form).encode(), headers))
        block.append(conversation)
    return block


def post(port, path, body, headers, cookie):
    """One POST on a new connection; return (status, body, session cookie or the old one)."""
    if cookie:
        headers = {**headers, "Cookie": cookie}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        data = response.read()
        set_cookie = response.getheader("Set-Cookie")
    finally:
        connection.close()
    return response.status, data, set_cookie.split(";", 1)[0] if set_cookie else cookie


def run_block(port, path, block, threads):
    """Every pair of the block texting at once from `threads` threads; return its measurements."""
    latencies, errors, final_counts = [], [], []
    lock = threading.Lock()

    def worker(my_pairs):
        cookies = {p: None for p in my_pairs}
        mine, my_errors, last = [], [], {}
        for m in range(len(block[0])):
            for p in my_pairs:
                body, headers = block[p][m]
                started = time.perf_counter()
                try:
                    status, data, cookies[p] = post(port, path, body, headers, cookies[p])
                except OSError as error:
                    my_errors.append(repr(error))
                    continue
                mine.append(time.perf_counter() - started)
                if status != 200:
                    my_errors.append(f"{status} {data[:80]!r}")
                last[p] = data
        with lock:
            latencies.extend(mine)
            errors.extend(my_errors)
            for data in last.values():
                found = COUNT.search(data.decode("utf-8", "replace"))
                final_counts.append(int(found.group(1)) if found else None)

    shares = [list(range(i, len(block), threads)) for i in range(threads)]
    workers = [threading.Thread(target=worker, args=(share,)) for share in shares if share]
    cpu_before = server_cpu_seconds()
    client_before = client_cpu_seconds()
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    wall = time.perf_counter() - started
    cpu = server_cpu_seconds() - cpu_before
    client_cpu = client_cpu_seconds() - client_before
    return {
        "latencies": latencies,
        "errors": errors,
        "wall": wall,
        "server_cpu": cpu,
        "client_cpu": client_cpu,
        "final_counts": final_counts,
    }


_server_pids = []


def client_cpu_seconds():
    """CPU seconds this (client) process used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu_seconds():
    """CPU seconds used so far by the gunicorn workers (Linux /proc; 0 elsewhere)."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in _server_pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return total


def worker_pids(master_pid):
    """The pids of a gunicorn master's workers."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def percentile(values, q):
    """The q-th percentile (0-100) of values."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure_http(pairs=64, messages=5, rounds=5, threads=16, workers=2):
    """Serve the three webhooks under gunicorn and measure them in interleaved blocks."""
    from tests.support.gunicorn_server import Gunicorn

    results = {path: [] for path in ENDPOINTS}
    blocks = {
        (path, r): prepare(path, r, pairs, messages) for r in range(rounds) for path in ENDPOINTS
    }
    with Gunicorn("benchmarks.apps:create_bench_app()", workers=workers, cwd=ROOT) as server:
        _server_pids[:] = worker_pids(server.process.pid)
        port = int(server.url.rsplit(":", 1)[1])
        run_block(port, "/bare", prepare("/bare", 999, threads, 2), threads)  # warm up
        for r in range(rounds):
            shift = r % len(ENDPOINTS)
            order = ENDPOINTS[shift:] + ENDPOINTS[:shift]
            for path in order:
                results[path].append(run_block(port, path, blocks[path, r], threads))
    summary = {}
    for path, runs in results.items():
        latencies = [x for run in runs for x in run["latencies"]]
        requests_done = len(latencies)
        wall = sum(run["wall"] for run in runs)
        counts = [c for run in runs for c in run["final_counts"]]
        summary[path] = {
            "requests": requests_done,
            "errors": sum(len(run["errors"]) for run in runs),
            "throughput": requests_done / wall,
            "median_ms": statistics.median(latencies) * 1000,
            "p99_ms": percentile(latencies, 99) * 1000,
            "server_cpu_us": sum(run["server_cpu"] for run in runs) / requests_done * 1e6,
            "client_cpu_us": sum(run["client_cpu"] for run in runs) / requests_done * 1e6,
            "counts_exact": None if path == "/bare" else all(c == messages for c in counts),
        }
    return summary


# --- in process --------------------------------------------------------------------------------


def _environs(path, n, cookie):
    validator = RequestValidator(AUTH_TOKEN)
    environs = []
    for i in range(n):
        form = {"From": "+14155550100", "To": TWILIO_NUMBER, "Body": f"m{i}"}
        headers = {
            "X-Twilio-Signature": validator.compute_signature(f"{PUBLIC_URL}/sms", form),
            "Cookie": f"session={cookie}",
        }
        environs.append(
            EnvironBuilder(
                path=path.removeprefix("/unsigned"), method="POST", data=form, headers=headers
            ).get_environ()
        )
    return environs


def _start_response(status, headers, exc_info=None):
    return None


def _call_all(app, environs):
    for environ in environs:
        body = app(environ, _start_response)
        b"".join(body)
        body.close()


def in_process_apps():
    """The three webhooks as separate WSGI apps, and a session cookie valid for all of them."""
    apps = {
        "/sms": create_companion_app(),
        "/unsigned/sms": create_companion_app(signed=False),
        "/bare": create_bare_app(),
        "/tutorial": create_tutorial_app(),
    }
    serializer = SecureCookieSessionInterface().get_signing_serializer(apps["/sms"])
    return apps, serializer.dumps({"counter": 5})


def measure_in_process(n=2000, rounds=5, block=250):
    """CPU microseconds per request for each webhook called directly as WSGI (no network).

    The webhooks take turns in blocks of `block` requests, so a busy moment of the machine hits all
    of them alike; each figure is the best block's CPU time (this process's, so other programs'
    load counts less than with a wall clock).
    """
    apps, cookie = in_process_apps()
    per_request = {path: [] for path in ENDPOINTS}
    for _ in range(rounds * max(1, n // block)):
        for path in ENDPOINTS:
            environs = _environs(path, block, cookie)
            started = time.process_time()
            _call_all(apps[path], environs)
            per_request[path].append((time.process_time() - started) / block * 1e6)
    return {path: min(times) for path, times in per_request.items()}


#: Where the companion's time goes: (label, function name as cProfile names it, file suffix).
PROFILE_PARTS = (
    ("whole request (Flask wsgi_app)", "wsgi_app", "flask/app.py"),
    ("counter view (count_messages)", "count_messages", "companion_app/app/counter.py"),
    ("signature check (check_signature)", "check_signature", "companion_app/app/signature.py"),
    ("… of it, RequestValidator.validate", "validate", "twilio/request_validator.py"),
    ("form parsing (request.form)", "_load_form_data", "werkzeug/wrappers/request.py"),
    ("session cookie read (open_session)", "open_session", "flask/sessions.py"),
    ("session cookie write (save_session)", "save_session", "flask/sessions.py"),
    ("TwiML to text (MessagingResponse.to_xml)", "to_xml", "twilio/twiml/__init__.py"),
    ("recent-requests log (record)", "record", "companion_app/app/activity.py"),
)


def profile_companion(n=3000):
    """cProfile the companion webhook in process; return [(part, µs per request, share)] and text."""
    apps, cookie = in_process_apps()
    environs = _environs("/sms", n, cookie)
    profiler = cProfile.Profile()
    profiler.enable()
    _call_all(apps["/sms"], environs)
    profiler.disable()
    stats = pstats.Stats(profiler)
    cumulative = {}
    for (filename, _, name), (_, _, _, cum, _) in stats.stats.items():
        cumulative[(filename.replace(os.sep, "/"), name)] = (
            cumulative.get((filename.replace(os.sep, "/"), name), 0.0) + cum
        )
    rows = []
    total = None
    for label, name, suffix in PROFILE_PARTS:
        seconds = sum(
            cum
            for (filename, fname), cum in cumulative.items()
            if fname == name and filename.endswith(suffix)
        )
        if total is None:
            total = seconds
        rows.append((label, seconds / n * 1e6, seconds / total if total else 0.0))
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
    return rows, text.getvalue()


def micro_costs(n=20000):
    """µs per call of small pieces a reviewer might suspect of waste."""
    import timeit

    from twilio.twiml.messaging_response import MessagingResponse

    from companion_app.app.activity import RecentRequests

    form = {"From": "+14155550100", "To": TWILIO_NUMBER, "Body": "hi"}
    validator = RequestValidator(AUTH_TOKEN)
    url = f"{PUBLIC_URL}/sms"
    signature = validator.compute_signature(url, form)
    recent = RecentRequests(20)

    def reply():
        response = MessagingResponse()
        response.message("Rey has messaged +14155550199 5 times.")
        return str(response)

    pieces = {
        "RequestValidator(token) per request": lambda: RequestValidator(AUTH_TOKEN),
        "RequestValidator.validate (URL with and without port: 2 HMACs)": lambda: (
            validator.validate(url, form, signature)
        ),
        "one compute_signature (1 HMAC)": lambda: validator.compute_signature(url, form),
        "MessagingResponse + str()": reply,
        "RecentRequests.record": lambda: recent.record(
            from_="+1", to="+2", count=1, signature="valid", status=200
        ),
    }
    return {name: timeit.timeit(fn, number=n) / n * 1e6 for name, fn in pieces.items()}
