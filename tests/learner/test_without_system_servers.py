"""Notebook 08 as a learner without redis-server and nginx sees it: the stand-ins, the same outputs.

SMS_COOKIES_NO_SYSTEM_SERVERS=1 makes companion_app.serving.hosts treat both as missing (nginx is
also looked for outside PATH, in /usr/sbin), and PATH holds only this Python's folder.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from companion_app.serving import hosts

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "08-use-more-than-one-machine.ipynb"


def test_the_switch_makes_redis_server_and_nginx_missing(monkeypatch):
    monkeypatch.setenv(hosts.NO_SYSTEM_SERVERS, "1")
    assert hosts.redis_server_path() is None and hosts.nginx_path() is None
    reasons = hosts.missing(gunicorn=False)
    assert hosts.REDIS_MISSING in reasons and hosts.NGINX_MISSING in reasons


@pytest.mark.slow
def test_notebook_08_passes_strict_nbval_without_redis_server_and_nginx():
    env = {
        **os.environ,
        hosts.NO_SYSTEM_SERVERS: "1",
        "PATH": str(Path(sys.executable).parent),
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", str(NOTEBOOK), "-p", "no:cacheprovider", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
