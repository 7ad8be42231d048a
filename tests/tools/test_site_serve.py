"""make serve-site under a room's conditions: revalidation, gzip, types, no listing, nothing outside
its folder, a room-sized listen backlog, stalled clients dropped, a burst of connections answered.

Each test serves a small folder of its own on 127.0.0.1 and talks to it with real HTTP clients
(requests, http.client, raw sockets); the backlog is read back from the kernel with iproute2's ss.
"""

import contextlib
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tools.sitebuild import slim
from tools.sitebuild.serve import make_server

ROOT = Path(__file__).resolve().parents[2]
SECRET = "the contents of a file outside the site"
#: npm's packages all carry this modification time (1985-10-26 08:15 UTC).
NPM_TIME = 499162500
SCRIPT = "export function greet(name) { return `Hello ${name}, thanks for the message!`; }\n" * 80


@pytest.fixture
def folder(tmp_path):
    """A small site: a page, a script with its gzip copy, typed files, a folder, and a way out."""
    site = tmp_path / "site"
    (site / "lite" / "files").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>home</title>")
    (site / "app.js").write_text(SCRIPT)
    (site / "lite" / "module.mjs").write_text("export const x = 1;\n")
    (site / "lite" / "py.wasm").write_bytes(b"\0asm\1\0\0\0")
    (site / "lite" / "pkg-1.0-py3-none-any.whl").write_bytes(b"PK\5\6" + b"\0" * 18)
    (site / "lite" / "files" / "03.ipynb").write_text('{"cells": []}')
    (site / "lite" / "files" / "notes-in-a-folder.txt").write_text("a file a listing would name")
    (tmp_path / "secret.txt").write_text(SECRET)
    (site / "link-out.txt").symlink_to(tmp_path / "secret.txt")
    for path in site.rglob("*"):
        os.utime(path, (NPM_TIME, NPM_TIME), follow_symlinks=False)
    slim.precompress(site)
    return site


@pytest.fixture
def serve(folder):
    """Start a server for folder (options passed on); yield its URL and the server."""
    started = []

    def start(**options):
        server = make_server(folder, "127.0.0.1", 0, **options)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}/", server

    yield start
    for server, thread in started:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def raw_get(url, path, headers=None):
    """(status, body) for path sent exactly as written (http.client does not tidy `..` away)."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_a_browser_revalidates_with_the_etag_and_gets_304(serve):
    url, _ = serve()
    first = requests.get(url + "lite/module.mjs", timeout=10)
    assert first.status_code == 200
    assert "Last-Modified" not in first.headers  # 1985 for every npm file: it would mislead
    assert first.headers["Cache-Control"] == "no-cache"
    again = requests.get(
        url + "lite/module.mjs", headers={"If-None-Match": first.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304
    assert again.content == b""


def test_a_rebuilt_file_with_the_same_size_and_1985_date_is_not_taken_for_the_old(serve, folder):
    url, _ = serve()
    first = requests.get(url + "lite/module.mjs", timeout=10)
    module = folder / "lite" / "module.mjs"
    module.unlink()  # as a rebuild does: a new file, same size, npm's fixed date
    module.write_text("export const x = 2;\n")
    os.utime(module, (NPM_TIME, NPM_TIME))
    again = requests.get(
        url + "lite/module.mjs", headers={"If-None-Match": first.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 200
    assert again.text == "export const x = 2;\n"


def test_a_text_asset_is_sent_gzip_to_a_client_that_accepts_it(serve):
    url, _ = serve()
    packed = requests.get(url + "app.js", headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["Content-Type"] == "text/javascript"
    assert packed.text == SCRIPT  # requests undid the gzip
    assert int(packed.headers["Content-Length"]) < len(SCRIPT) / 5
    plain = requests.get(url + "app.js", headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert plain.content == SCRIPT.encode()
    assert plain.headers["ETag"] != packed.headers["ETag"]  # two representations, two tags
    refused = requests.get(url + "app.js", headers={"Accept-Encoding": "gzip;q=0"}, timeout=10)
    assert "Content-Encoding" not in refused.headers


def test_the_gzip_copy_is_gzip_of_the_file(folder):
    assert gzip.decompress((folder / "app.js.gz").read_bytes()) == SCRIPT.encode()
    assert not (folder / "lite" / "module.mjs.gz").exists()  # too small to be worth it


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("lite/module.mjs", "text/javascript"),
        ("lite/py.wasm", "application/wasm"),
        ("lite/pkg-1.0-py3-none-any.whl", "application/zip"),
        ("lite/files/03.ipynb", "application/json"),
        ("index.html", "text/html"),
    ],
)
def test_files_have_the_types_browsers_insist_on(serve, path, content_type):
    url, _ = serve()
    response = requests.get(url + path, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == content_type


@pytest.mark.parametrize("path", ["/lite/files/", "/lite/files", "/lite/"])
def test_a_folder_gives_no_listing(serve, path):
    url, _ = serve()
    response = requests.get(url + path.lstrip("/"), timeout=10)
    assert response.status_code in (403, 404)
    assert "notes-in-a-folder" not in response.text


def test_a_folder_with_an_index_gives_the_index(serve):
    url, _ = serve()
    assert "<title>home</title>" in requests.get(url, timeout=10).text


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/lite/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/lite/%2E%2E/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/link-out.txt",
        "/app.js.gz",
    ],
)
def test_nothing_outside_the_site_is_served(serve, path):
    url, _ = serve()
    status, body = raw_get(url, path)
    assert status in (400, 403, 404)
    assert SECRET not in body


@pytest.mark.skipif(shutil.which("ss") is None, reason="iproute2's ss is not installed")
def test_the_listen_backlog_is_sized_for_a_room(serve):
    _, server = serve()
    port = server.server_address[1]
    listing = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # For a listening socket, ss's Send-Q column is the backlog the kernel granted.
    send_q = int(listing.split()[2])
    somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
    assert send_q == min(1024, somaxconn)
    assert send_q >= 128


def test_a_stalled_client_is_dropped_while_another_is_served(serve):
    url, _ = serve(idle_timeout=1.0)
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    stalled = socket.create_connection(("127.0.0.1", port), timeout=15)
    stalled.sendall(b"GET /index.html HTTP/1.1\r\nHost: room\r\n")  # and never the blank line
    started = time.monotonic()
    assert requests.get(url + "app.js", timeout=10).text == SCRIPT
    # The server closes the stalled connection: recv() returns b"" (or the socket is reset).
    try:
        closed = stalled.recv(1024) == b""
    except ConnectionResetError:
        closed = True
    assert closed
    assert time.monotonic() - started < 10
    stalled.close()


def test_150_connections_opened_at_once_are_all_answered(serve):
    url, _ = serve()
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    connections = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(150)]
    try:
        for connection in connections:
            connection.sendall(
                b"GET /index.html HTTP/1.1\r\nHost: room\r\nConnection: close\r\n\r\n"
            )
        answers = []
        for connection in connections:
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
            answers.append(data.split(b"\r\n", 1)[0])
    finally:
        for connection in connections:
            connection.close()
    assert answers == [b"HTTP/1.1 200 OK"] * 150


def test_serve_site_says_nothing_when_a_browser_drops_a_download(folder):
    (folder / "big.bin").write_bytes(os.urandom(8 << 20))
    server = subprocess.Popen(
        [sys.executable, "-m", "tools.sitebuild", "serve", "--out", str(folder)]
        + ["--host", "127.0.0.1", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [server.stdout.readline() for _ in range(3)]
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", "".join(lines)).group(1))
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as dropped:
                dropped.sendall(b"GET /big.bin HTTP/1.1\r\nHost: room\r\n\r\n")
                dropped.recv(1024)
        assert requests.get(f"http://127.0.0.1:{port}/index.html", timeout=10).ok
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    assert "Traceback" not in errors


# Boots Python in the browser (JupyterLite) until the kernel is ready: the in-browser tier.
@pytest.mark.lite
def test_a_learners_first_visit_is_under_16_mb_and_a_reload_under_100_kb(browser_context, site_url):
    from tests.support.downloads import first_visit_and_reload, total

    notebook = "03-count-messages-with-a-session-cookie.ipynb"
    first, reload = first_visit_and_reload(browser_context, site_url, notebook)
    assert any(d.path.endswith("pyodide.asm.wasm") for d in first)  # Python itself came
    assert total(first) < 16_000_000
    assert [d for d in first if d.status >= 400] == []
    assert total(d for d in first if d.path.endswith("favicon.ico")) < 20_000  # 319 KB x 2 before
    assert total(reload) < 100_000


def start_serve_site(folder, *options):
    """`python -m tools.sitebuild serve` on folder, in a process group of its own: (process, url)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.sitebuild", "serve", "--out", str(folder)]
        + ["--host", "127.0.0.1", "--port", "0", *options],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = [process.stdout.readline() for _ in range(3)]
    url = re.search(r"Write this on the board: (http://127\.0\.0\.1:\d+/)", "".join(lines))
    assert url, lines
    return process, url.group(1)


def answers(url):
    """True while something answers HTTP at url."""
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def gone_within(url, seconds):
    """True once nothing answers at url, waiting at most seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not answers(url):
            return True
        time.sleep(0.1)
    return False


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="one server process without fork")


@needs_fork
@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_stop_ends_every_server_process(folder, signum):
    process, url = start_serve_site(folder, "--processes", "2")
    try:
        assert all(answers(url) for _ in range(20))
        group = os.getpgid(process.pid)
        # Ctrl+C in a terminal reaches the whole process group; SIGTERM only the process.
        if signum == "SIGINT":
            os.killpg(group, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
        assert "Stopped." in process.stdout.read()
        assert gone_within(url, 5)
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)  # no process of the group is left
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@needs_fork
def test_a_killed_parent_leaves_no_server_holding_the_port(folder):
    process, url = start_serve_site(folder, "--processes", "2")
    try:
        assert answers(url)
        process.kill()
        process.wait(10)
        assert gone_within(url, 5)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
