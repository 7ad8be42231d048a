"""Run the webhook under gunicorn (several worker processes) from a notebook, a test or a benchmark.

    with Gunicorn("companion_app:create_app()", env={"SECRET_KEY": key}) as service:
        TwilioSimulator(service.url, ...)      # real HTTP to 127.0.0.1 on a port the OS chose
        print(app_lines(service.log()))        # the app's log lines, without times and pids

Only the settings passed in `env` reach the app: the machine's SECRET_KEY, TWILIO_AUTH_TOKEN, ...
are taken out and no .env file is read. The offline switch is kept: the workers still ignore every
setting but the ones passed (named in SMS_COOKIES_PASSED).
Gunicorn does not run on Windows and may not be installed: unavailable_reason() says which, and
start() refuses with it.
"""

import atexit
import contextlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from companion_app.inbrowser import IN_BROWSER, needs_real_python
from companion_app.serving.registry import Registry
from companion_app.settings import ENV_FILE_VARIABLE, PASSED_VARIABLE, SETTING_NAMES

#: The reference app, as gunicorn imports it (the factory is called once in every worker).
APP = "companion_app:create_app()"

#: Python logging for the workers: the app's INFO lines (one per message, never the body) and every
#: warning, in gunicorn's own style plus the logger's name. Without it the app's INFO lines are lost.
LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "app": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        }
    },
    "handlers": {
        "app": {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr"}
    },
    "root": {"level": "WARNING", "handlers": ["app"]},
    "loggers": {"companion_app": {"level": "INFO"}},
}

#: The access log: method and path only. Gunicorn's default logs the request line with its query
#: string, and a webhook set to GET receives the message Body there.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s'

#: Why gunicorn cannot run, one sentence per cause.
ON_WINDOWS = (
    "gunicorn does not run on Windows (it needs fork): use Linux, macOS or WSL for this part."
)
NOT_INSTALLED = (
    "gunicorn is not installed: install the 'production' extra "
    '(pip install -e ".[production]") to run this part.'
)


def unavailable_reason():
    """Why gunicorn cannot run here (Windows, the browser, or not installed); None when it can."""
    if IN_BROWSER:
        return needs_real_python("Gunicorn's worker processes cannot run in the browser")
    if os.name == "nt":
        return ON_WINDOWS
    if importlib.util.find_spec("gunicorn") is None:
        return NOT_INSTALLED
    return None


#: Why gunicorn cannot run on this machine; None when it can.
UNAVAILABLE = unavailable_reason()

LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
BOOTED = "Booting worker with pid"
APP_LINE = re.compile(r"^\[[^\]]*\] \[\d+\] \[(\w+)\] (companion_app[\w.]*): (.*)$")


def available():
    """True when gunicorn can run here (not Windows, and installed)."""
    return unavailable_reason() is None


def app_lines(log, contains=""):
    """The app's own log lines ("LEVEL logger: message"), without gunicorn's time and pid."""
    lines = []
    for line in log.splitlines():
        found = APP_LINE.match(line)
        if found and contains in found.group(3):
            lines.append(f"{found.group(1)} {found.group(2)}: {found.group(3)}")
    return lines


#: How each worker serves: gunicorn's threaded worker, so that a client that sends its request slowly
#: holds one thread and not a whole worker, and a connection that sends nothing is closed after a
#: few seconds. 64 threads a worker: 40 slow clients cannot take every thread of even one worker.
#: Notebook 07 compares it with the default (sync) workers; benchmarks/slow_clients.py measures it.
WORKER_OPTIONS = ("--worker-class", "gthread", "--threads", "64")

#: Seconds gunicorn gives its workers to finish on a stop (its default is 30). A webhook answers in
#: milliseconds and Twilio gives up on it after 15 s, so no answer worth waiting for takes longer.
#: It also bounds a stop that comes while a worker is still starting: a worker ignores the stop
#: signal until it has set up its own signal handlers, and gunicorn waits this long before it
#: kills it (seen as a 30 s wait for Ctrl-C on a loaded machine, just after a start).
GRACEFUL_TIMEOUT = 10


def gunicorn_command(
    app_spec, bind, workers, log_config=None, worker_options=WORKER_OPTIONS, folder=None
):
    """The gunicorn command line that `serve --production` and Gunicorn both run.

    bind is "host:port"; log_config, the path of a JSON file holding LOG_CONFIG (None: no app or
    access log lines); folder, the caller's own temporary folder, where each worker's heartbeat
    file goes (`--worker-tmp-dir`; gunicorn's default is the system's temp folder, where a file
    shows up for a moment at each worker's start). The app spec comes last.
    """
    command = [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(workers)]
    command += [*worker_options, "--no-control-socket", "--graceful-timeout", str(GRACEFUL_TIMEOUT)]
    if folder is not None:
        command += ["--worker-tmp-dir", str(folder)]
    if log_config is not None:
        command += ["--log-config-json", str(log_config), "--access-logfile", "-"]
        command += ["--access-logformat", ACCESS_LOG_FORMAT]
    return [*command, app_spec]


class Gunicorn:
    """`python -m gunicorn` serving `app_spec` on 127.0.0.1 (port chosen by the OS); a context manager."""

    def __init__(
        self,
        app_spec=APP,
        env=None,
        workers=2,
        cwd=None,
        extra_args=(),
        start_timeout=30,
        logs=True,
        worker_options=WORKER_OPTIONS,
    ):
        self.app_spec = app_spec
        self.workers = workers
        self.logs = logs
        self.extra_args = list(extra_args)
        self.worker_options = list(worker_options)
        self.start_timeout = start_timeout
        # The machine's settings stay out: only what the caller passes reaches the app.
        self.env = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES}
        self.env.update(env or {})
        self.env.setdefault(ENV_FILE_VARIABLE, "")
        self.env[PASSED_VARIABLE] = ",".join(sorted(set(env or {}) & set(SETTING_NAMES)))
        self._folder = tempfile.TemporaryDirectory(prefix="gunicorn-")
        self.cwd = cwd or self._folder.name
        self.log_path = Path(self._folder.name) / "gunicorn.log"
        self.process = None
        self.url = None

    def command(self):
        """The command line: gunicorn_command() on a free loopback port, then extra_args."""
        log_config = None
        if self.logs:
            log_config = Path(self._folder.name) / "logging.json"
            log_config.write_text(json.dumps(LOG_CONFIG), encoding="utf-8")
        command = gunicorn_command(
            self.app_spec,
            "127.0.0.1:0",
            self.workers,
            log_config,
            self.worker_options,
            folder=self._folder.name,
        )
        return [*command[:-1], *self.extra_args, command[-1]]

    def log(self):
        """Everything gunicorn, its workers and the app logged so far."""
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text, count=1, timeout=10):
        """Wait (at most timeout seconds) until text is in the log count times; return how often it is."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.log().count(text)

    def start(self):
        """Start gunicorn and return once every worker booted and a request got an answer."""
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(reason)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_ready(self):
        import requests  # here, not at the top: the module imports where requests cannot run

        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early:\n{self.log()}")
            log = self.log()
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
        raise RuntimeError(f"gunicorn did not answer within {self.start_timeout} s:\n{self.log()}")

    @property
    def running(self):
        """True while the gunicorn master process is alive."""
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """Stop gunicorn (SIGTERM, then SIGKILL after 10 s); calling it twice is harmless."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def close(self):
        """Stop gunicorn and delete its folder and log."""
        self.stop()
        self._folder.cleanup()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        state = "running" if self.running else "stopped"
        return f"<Gunicorn {self.url or 'not started'} {self.workers} workers {state}>"


def run_in_foreground(command, env=None):
    """Run gunicorn until it exits; SIGTERM, SIGHUP or Ctrl-C stop it cleanly. Return its exit code.

    The signal is passed on to gunicorn (which stops its workers) and this process waits for it,
    so whoever stops this process stops gunicorn too, and a `with` around this call cleans up.
    """
    process = subprocess.Popen(command, env=env)
    received = []

    def pass_on(signum, frame):
        received.append(signum)
        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGTERM)

    names = ("SIGTERM", "SIGHUP")
    caught = [getattr(signal, n) for n in names if hasattr(signal, n)]
    previous = {s: signal.signal(s, pass_on) for s in caught}
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # gunicorn got the terminal's Ctrl-C too; make sure
                pass_on(signal.SIGINT, None)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


#: The gunicorns serve() started, by name.
_named = Registry(close="close")


def serve(app_spec=APP, name="default", **options):
    """Start gunicorn; one started earlier under the same name is stopped first (safe re-runs)."""
    _named.stop(name)
    service = Gunicorn(app_spec, **options)
    service.start()
    return _named.add(name, service)


def stop(name="default"):
    """Stop (and clean up) the gunicorn started under `name`, if any."""
    _named.stop(name)


def stop_all():
    """Stop every gunicorn started with serve()."""
    _named.stop_all()


atexit.register(stop_all)  # a kernel that exits takes its servers with it
