"""Run a WSGI app under gunicorn on a free loopback port for a test or a benchmark, and always stop it."""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from companion_app.settings import OFFLINE_SWITCH, SETTING_NAMES

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = "Booting worker with pid"


class Gunicorn:
    """`python -m gunicorn` serving `app_spec` on 127.0.0.1 (port chosen by the OS); a context manager."""

    def __init__(self, app_spec, env=None, workers=2, cwd=None, extra_args=(), start_timeout=30):
        self.app_spec = app_spec
        self.workers = workers
        self.cwd = cwd
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        # The machine's settings stay out: only what the caller passes reaches the app.
        self.env = {
            k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k != OFFLINE_SWITCH
        }
        self.env.update(env or {})
        self._log_dir = tempfile.TemporaryDirectory(prefix="gunicorn-")
        self.stderr_path = Path(self._log_dir.name) / "stderr.log"
        self.process = None
        self.url = None

    def stderr(self):
        """Everything gunicorn and its workers wrote to stderr so far."""
        if not self.stderr_path.exists():
            return ""
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def start(self):
        """Start gunicorn and return once every worker booted and a request got an answer."""
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            "127.0.0.1:0",
            "--no-control-socket",
            *self.extra_args,
            self.app_spec,
        ]
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.stderr()}")
            log = self.stderr()
            found = LISTENING.search(log)
            if found and log.count(BOOTED) >= self.workers:
                self.url = f"http://127.0.0.1:{found.group(1)}"
                try:
                    requests.get(f"{self.url}/", timeout=2)
                except requests.RequestException:
                    pass
                else:
                    return
            time.sleep(0.05)
        raise RuntimeError(
            f"gunicorn did not answer within {self.start_timeout} s:\n{self.stderr()}"
        )

    def stop(self):
        """Stop gunicorn (SIGTERM, then SIGKILL after 10 s); calling it twice is harmless."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def close(self):
        """Stop gunicorn and delete its log."""
        self.stop()
        self._log_dir.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()
