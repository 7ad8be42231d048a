"""A room of learners opening a notebook in the browser at once (a benchmark, not a test).

    python -m benchmarks.room [--learners 30] [--rounds 3] [--site _site] [--record]

Replays, for N learners at once, the files one real Chromium fetched for notebook 03's "Run in
your browser" until its kernel was ready (benchmarks/room-03.txt; --record fetches the list again
with Chromium), against `make serve-site` and, in the same run and on the same `_site/`, against
nginx when it is installed (a config of its own in a temporary folder, 127.0.0.1 only, one worker;
serve-site runs its default, one process per core up to 4; gzip_static on so both send the same
gzip copies). Each learner is
a browser: up to 6 connections kept alive, "Accept-Encoding: gzip, deflate" as Chromium sends over
plain HTTP, then a reload that revalidates each file with its ETag. Prints, per server and round:
the time until every learner has every file, failed or stalled (> 60 s) requests, bytes per
learner on the first visit and on the reload, and the ratio to nginx. Then, for serve-site: 150
connections opened at once (how many are answered), and 100 stalled clients (headers sent in
part, never finished): how long until the server has dropped them all, while another client is
served.
"""

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
DOWNLOADS = Path(__file__).resolve().parent / "room-03.txt"
NOTEBOOK = "03-count-messages-with-a-session-cookie.ipynb"
CONNECTIONS_PER_LEARNER = 6  # what Chromium opens per host over HTTP/1.1
STALLED_AFTER = 60.0

NGINX_CONF = """daemon off;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 20;
    gzip_static on;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port} backlog=1024;
        root {site};
    }}
}}
"""


def free_port():
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def record(site, notebook=NOTEBOOK):
    """The paths one Chromium fetches over the network for notebook until its kernel is ready."""
    import threading

    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch
    from tests.support.downloads import first_visit_and_reload
    from tools.sitebuild.serve import make_server

    server = make_server(site, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            context = launch(playwright, tmp)
            first, _ = first_visit_and_reload(context, url, notebook)
            context.close()
    finally:
        server.shutdown()
    return [d.path for d in first]


def wait_for(url, process, seconds=30):
    """Wait until url answers (or the process exits)."""
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (127.0.0.1)
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within {seconds} s")


def start_serve_site(site, port):
    """make serve-site's server on 127.0.0.1:port, as a process of its own."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.sitebuild", "serve", "--out", str(site)]
        + ["--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    wait_for(f"http://127.0.0.1:{port}/", process)
    return process


def start_nginx(site, port, tmp):
    """nginx serving site on 127.0.0.1:port with a config of its own in tmp, or None."""
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if nginx is None:
        return None
    conf = Path(tmp) / "nginx.conf"
    mime_types = "/etc/nginx/mime.types"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, site=site, mime_types=mime_types))
    process = subprocess.Popen([nginx, "-p", str(tmp), "-c", str(conf)], stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port}/", process)
    return process


async def learner(url, paths, etags=None):
    """One browser fetching paths (revalidating with etags when given): (bytes, failures, etags)."""
    connector = aiohttp.TCPConnector(limit_per_host=CONNECTIONS_PER_LEARNER)
    timeout = aiohttp.ClientTimeout(total=STALLED_AFTER)
    received, failures, tags = 0, 0, {}
    async with aiohttp.ClientSession(
        connector=connector, timeout=timeout, auto_decompress=False
    ) as session:

        async def fetch(path):
            nonlocal received, failures
            headers = {"Accept-Encoding": "gzip, deflate"}
            if etags and path in etags:
                headers["If-None-Match"] = etags[path]
            try:
                async with session.get(url + path.lstrip("/"), headers=headers) as response:
                    body = await response.read()
                    if response.status not in (200, 304):
                        failures += 1
                    received += len(body) + sum(
                        len(k) + len(v) + 4 for k, v in response.raw_headers
                    )
                    if "ETag" in response.headers:
                        tags[path] = response.headers["ETag"]
            except (aiohttp.ClientError, asyncio.TimeoutError):
                failures += 1

        await asyncio.gather(*(fetch(path) for path in paths))
    return received, failures, tags


async def room(url, paths, learners):
    """N learners at once, then each reloads: (seconds, failures, first bytes, reload bytes)."""
    started = time.monotonic()
    firsts = await asyncio.gather(*(learner(url, paths) for _ in range(learners)))
    seconds = time.monotonic() - started
    reloads = await asyncio.gather(*(learner(url, paths, tags) for _, _, tags in firsts))
    failures = sum(f for _, f, _ in firsts) + sum(f for _, f, _ in reloads)
    return (
        seconds,
        failures,
        statistics.mean(b for b, _, _ in firsts),
        statistics.mean(b for b, _, _ in reloads),
    )


def burst(port, connections=150):
    """How many of `connections` opened at once get an HTTP answer."""
    sockets = []
    try:
        for _ in range(connections):
            sockets.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        for s in sockets:
            s.sendall(b"GET /index.html HTTP/1.1\r\nHost: room\r\nConnection: close\r\n\r\n")
        return sum(s.recv(12).startswith(b"HTTP/1.1 200") for s in sockets)
    finally:
        for s in sockets:
            s.close()


def stalled(port, clients=100, limit=60.0):
    """(seconds until the server dropped every stalled client, whether another was served meanwhile)."""
    import urllib.request

    sockets = []
    for _ in range(clients):
        s = socket.create_connection(("127.0.0.1", port), timeout=limit)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: room\r\n")  # never the blank line
        sockets.append(s)
    started = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as answer:  # noqa: S310
        served = answer.status == 200
    for s in sockets:
        with contextlib.suppress(OSError):
            s.recv(1024)
        s.close()
    return time.monotonic() - started, served


def main(argv=None):
    """Measure and print."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--site", type=Path, default=ROOT / "_site")
    parser.add_argument("--record", action="store_true", help=f"record {DOWNLOADS.name} again")
    args = parser.parse_args(argv)
    site = args.site.resolve()
    if not (site / "index.html").exists():
        sys.exit(f"No site in {site}: run make site first.")
    if args.record:
        DOWNLOADS.write_text("\n".join(record(site)) + "\n")
    paths = DOWNLOADS.read_text().split()
    missing = [p for p in paths if not (site / p.lstrip("/")).exists()]
    if missing:
        sys.exit(f"{len(missing)} files of {DOWNLOADS.name} are not in the site (rebuilt?): "
                 "run with --record")  # fmt: skip
    print(
        f"{args.learners} learners, {len(paths)} requests each (notebook 03 until the kernel is ready)"
    )
    print("server | round | all have every file, s | failed or stalled | first visit MB/learner "
          "| reload kB/learner")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="room-nginx-") as tmp:
        servers = {"serve-site": start_serve_site(site, port := free_port())}
        ports = {"serve-site": port}
        nginx = start_nginx(site, nginx_port := free_port(), tmp)
        if nginx is None:
            print("(nginx is not installed: no reference; Debian: apt-get install nginx-light)")
        else:
            servers["nginx"], ports["nginx"] = nginx, nginx_port
        try:
            ratios = []
            for n in range(1, args.rounds + 1):
                times = {}
                order = (
                    list(servers) if n % 2 else list(reversed(servers))
                )  # alternate who goes first
                for name in order:
                    url = f"http://127.0.0.1:{ports[name]}/"
                    seconds, failures, first, reload = asyncio.run(room(url, paths, args.learners))
                    times[name] = seconds
                    print(f"{name} | {n} | {seconds:.2f} | {failures} | {first / 1e6:.2f} | "
                          f"{reload / 1e3:.1f}", flush=True)  # fmt: skip
                if "nginx" in times:
                    ratios.append(times["serve-site"] / times["nginx"])
            if ratios:
                print(f"serve-site / nginx, time until all have every file: median "
                      f"{statistics.median(ratios):.2f} (rounds: "
                      f"{', '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
            port = ports["serve-site"]
            print(f"150 connections at once on serve-site: {burst(port)} answered")
            seconds, served = stalled(port)
            print(f"100 stalled clients on serve-site: all dropped after {seconds:.1f} s; "
                  f"another client {'was' if served else 'was NOT'} served meanwhile")  # fmt: skip
        finally:
            for process in servers.values():
                process.terminate()
                process.wait(timeout=20)


if __name__ == "__main__":
    main()
