"""Run every benchmark and write benchmarks/RESULTS.md: `python -m benchmarks` (or `make bench`).

Loopback only, every loop bounded. Options: --quick (fewer rounds), --skip-http, --skip-notebooks.
"""

import argparse
import datetime
import importlib
import importlib.util
import os
import platform
import sys
from importlib.metadata import version
from pathlib import Path

from benchmarks import hosts, notebooks, store_writers, webhook

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine():
    """The machine in one line: CPUs, OS, Python and the servers' versions (no host name, no path)."""
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, gunicorn {version('gunicorn')}, "
        f"Flask {version('flask')}, twilio {version('twilio')}"
    )


def table(header, rows):
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def http_section(args):
    """Throughput, latency and server CPU of the three webhooks under gunicorn."""
    rounds = 3 if args.quick else 10
    result = webhook.measure_http(pairs=64, messages=5, rounds=rounds, threads=16, workers=2)
    bare = result["/bare"]
    rows = []
    for path in webhook.ENDPOINTS:
        r = result[path]
        rows.append(
            [
                webhook.LABELS[path],
                r["requests"],
                r["errors"],
                {True: "yes", False: "NO", None: "–"}[r["counts_exact"]],
                f"{r['throughput']:.0f}",
                f"{r['median_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                f"{r['server_cpu_us']:.0f}",
                f"{r['client_cpu_us']:.0f}",
                f"{r['throughput'] / bare['throughput']:.2f}",
                f"{r['server_cpu_us'] / bare['server_cpu_us']:.2f}",
            ]
        )
    sms, tutorial, unsigned = result["/sms"], result["/tutorial"], result["/unsigned/sms"]
    lines = [
        "## Webhook over HTTP",
        "",
        f"One gunicorn (2 sync workers) on 127.0.0.1 serves all four; {rounds} interleaved rounds of "
        "64 pairs × 5 messages each, from 16 client threads (`http.client`, a new connection per "
        "request, one cookie per pair, signatures computed before timing). Server CPU is the "
        "workers' user+system time per request (from /proc).",
        "",
        *table(
            [
                "webhook",
                "requests",
                "errors",
                "counts exact",
                "req/s",
                "median ms",
                "p99 ms",
                "server CPU µs/req",
                "client CPU µs/req",
                "req/s vs bare",
                "CPU vs bare",
            ],
            rows,
        ),
        "",
        f"Companion vs tutorial: throughput ×{sms['throughput'] / tutorial['throughput']:.2f}, "
        f"median latency ×{sms['median_ms'] / tutorial['median_ms']:.2f}, "
        f"server CPU ×{sms['server_cpu_us'] / tutorial['server_cpu_us']:.2f}. What limits "
        "req/s: client and server share the CPUs, and the Python client costs about as much CPU "
        "per request as the bare route, so the req/s ratios understate the server's differences; "
        "the server-CPU ratios do not. The signature "
        f"check costs {sms['server_cpu_us'] - unsigned['server_cpu_us']:.0f} µs of server CPU "
        "per request (signature on minus off). Server CPU is counted in 10 ms clock ticks and "
        "shares the machine with whatever else runs: expect ±10 % between runs (more for the "
        "difference); the in-process table below is steadier.",
        "",
    ]
    return lines


def in_process_section(args):
    """The same three webhooks called as WSGI apps, the profile and the small pieces."""
    per_request = webhook.measure_in_process(n=1000 if args.quick else 3000, rounds=5)
    bare = per_request["/bare"]
    rows = [
        [webhook.LABELS[path], f"{per_request[path]:.0f}", f"{per_request[path] / bare:.1f}"]
        for path in webhook.ENDPOINTS
    ]
    parts, _ = webhook.profile_companion(n=1000 if args.quick else 3000)
    pieces = webhook.micro_costs(n=5000 if args.quick else 20000)
    return [
        "## Webhook in process (no network, no server)",
        "",
        "Each app called directly as WSGI with prepared requests, the apps taking turns in "
        "blocks of 250 requests; CPU time of the best block.",
        "",
        *table(["webhook", "µs per request", "vs bare"], rows),
        "",
        f"Companion vs tutorial in process: throughput ×"
        f"{per_request['/tutorial'] / per_request['/sms']:.2f} (signature on), ×"
        f"{per_request['/tutorial'] / per_request['/unsigned/sms']:.2f} (signature off).",
        "",
        "### Where the companion's time goes (cProfile, cumulative; the profiler inflates times)",
        "",
        *table(
            ["part", "µs per request", "share"],
            [[label, f"{us:.0f}", f"{share:.0%}"] for label, us, share in parts],
        ),
        "",
        "### Small pieces (timeit, no profiler)",
        "",
        *table(["piece", "µs per call"], [[name, f"{us:.1f}"] for name, us in pieces.items()]),
        "",
    ]


def simulator_section():
    """The simulator engineer's own measurement, when benchmarks/simulator_overhead.py exists."""
    if importlib.util.find_spec("benchmarks.simulator_overhead") is None:
        return [
            "## Simulator",
            "",
            "Not measured: benchmarks/simulator_overhead.py is missing.",
            "",
        ]
    module = importlib.import_module("benchmarks.simulator_overhead")
    measure = next(
        (
            getattr(module, name)
            for name in ("measure", "run", "measure_overhead", "simulator_overhead")
            if callable(getattr(module, name, None))
        ),
        None,
    )
    if measure is None:
        return ["## Simulator", "", "Not measured: no measure() in simulator_overhead.py.", ""]
    numbers = measure()
    rows = [
        [
            name,
            (f"{value:.0f}" if value >= 100 else f"{value:.2f}")
            if isinstance(value, float)
            else value,
        ]
        for name, value in (numbers.items() if isinstance(numbers, dict) else [("result", numbers)])
    ]
    doc = (module.__doc__ or "").strip().splitlines()
    return [
        "## Simulator in process",
        "",
        *(doc[:1] or []),
        "",
        *table(["measure", "value"], rows),
        "",
    ]


def store_section(args):
    """Concurrent writer processes on one PairStore: counts, errors and deliveries per second."""
    sizes = (1, 8, 32, 64) if args.quick else (1, 8, 32, 64, 128, 256, 512)
    rows = store_writers.measure(sizes)
    last = rows[-1]
    clean = [row for row in rows if not row["errors"] and row["counted"] == row["messages"]]
    return [
        "## Server-side store under concurrent writers",
        "",
        "`companion_app.app.store.PairStore` (SQLite, WAL, busy timeout, one `BEGIN IMMEDIATE` "
        "transaction per message, idempotent per MessageSid). Each writer is its own process; all "
        "start at a barrier and text the **same** pair (every transaction wants the same row): 20 "
        "messages each with its own MessageSid, then 5 of them delivered again as Twilio's retries "
        "would be.",
        "",
        *table(
            ["writer processes", "deliveries", "messages", "counted", "errors", "deliveries/s"],
            [
                [
                    row["writers"],
                    row["deliveries"],
                    row["messages"],
                    row["counted"],
                    len(row["errors"]),
                    f"{row['deliveries'] / row['seconds']:.0f}",
                ]
                for row in rows
            ],
        ),
        "",
        f"Largest run with exact counts and no error: {clean[-1]['writers'] if clean else 0} "
        f"concurrent writer processes"
        + ("" if last in clean else f"; {last['writers']} failed: {last['errors'][:1]}")
        + ".",
        "",
    ]


def hosts_section(args):
    """Load and faults across 1, 2 and 3 hosts behind nginx, sharing Redis (or what to install)."""
    title = ["## Several hosts behind nginx, sharing Redis", ""]
    reasons = hosts.missing()
    if reasons:
        return [*title, f"Not measured: {reasons[0]}", ""]
    pairs = 40 if args.quick else 200
    rows = hosts.measure(pairs=pairs)
    about = (
        f"`python -m benchmarks.hosts`: {pairs} pairs × 20 messages to /sms/store through nginx "
        "(round-robin) over 1, 2 and 3 gunicorn hosts sharing one redis-server; every 5th message "
        "delivered twice with the same MessageSid, a failed delivery sent again (up to 5 times), "
        "host 2 killed (SIGKILL) half-way. Client, nginx, Redis and hosts share the CPUs: "
        "throughput is a ratio to one host in the same run, not a capacity."
    )
    return [*title, about, "", hosts.table(rows), ""]


def notebooks_section():
    """Seconds per notebook under strict nbval against an empty notebook."""
    empty, results = notebooks.measure_notebooks()
    rows = [
        [name, f"{seconds:.1f}", "yes" if passed else "NO", f"{seconds / empty:.1f}"]
        for name, (seconds, passed) in results.items()
    ]
    total = sum(seconds for seconds, _ in results.values())
    return [
        "## Notebooks under strict nbval",
        "",
        f"One `pytest` run per notebook with the project's nbval options; an empty notebook (one "
        f"`pass` cell: pytest + kernel start-up) takes {empty:.1f} s. Whole series: {total:.1f} s "
        f"for {len(results)} notebooks.",
        "",
        *table(["notebook", "seconds", "passed", "vs empty notebook"], rows),
        "",
    ]


def main(argv=None):
    """Run the benchmarks, print the results and write them to benchmarks/RESULTS.md."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--skip-http", action="store_true", help="no gunicorn run")
    parser.add_argument("--skip-notebooks", action="store_true", help="no nbval run")
    parser.add_argument("--skip-store", action="store_true", help="no concurrent-writer run")
    parser.add_argument("--skip-hosts", action="store_true", help="no several-hosts run")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)

    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m benchmarks{' --quick' if args.quick else ''}` on "
        f"{datetime.date.today():%Y-%m-%d}. Machine: {machine()}. Client and server share the "
        "same CPUs.",
        "",
    ]
    if not args.skip_http:
        lines += http_section(args)
    lines += in_process_section(args)
    lines += simulator_section()
    if not args.skip_store:
        lines += store_section(args)
    if not args.skip_hosts:
        lines += hosts_section(args)
    if not args.skip_notebooks:
        lines += notebooks_section()
    text = "\n".join(lines)
    print(text)
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
