"""`make lab` serves the whole repository and opens 00; every notebook link resolves there."""

import json
import os
import posixpath
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.browser import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\]\(([^)\s]+)\)")

pytestmark = pytest.mark.slow


def lab_command():
    """The command `make lab` runs, read from the Makefile's recipe, for the Python running the tests.

    `$(BIN)/jupyter` becomes this Python's `-m jupyter`, so the check runs the same command in
    every set-up the README documents: .venv with make, conda or Binder (no .venv), Windows.
    """
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lab:.*\n\t(.+)$", makefile, flags=re.M).group(1)
    flags = "--allow-root" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    recipe = recipe.replace("$(LAB_FLAGS)", flags)
    program, *arguments = shlex.split(recipe)
    assert program == "$(BIN)/jupyter", recipe
    return [sys.executable, "-m", "jupyter", *arguments]


def relative_links(path):
    """The links in a notebook's Markdown cells that point inside the repository."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return [link for link in LINK.findall(text) if not re.match(r"[a-z]+:|#", link)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab`'s own command, without a browser, on a free port: (base URL, headers, runtime dir)."""
    command = lab_command()
    port = free_port()
    token = secrets.token_hex(16)
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    fresh = {  # a new user's Lab: no workspace or settings from an earlier session on this machine
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("lab-workspaces")),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path_factory.mktemp("lab-settings")),
    }
    process = subprocess.Popen(
        [
            *command,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            # Lab saves a checkpoint of each file it opens: in a folder of the test's, not in the
            # learner's checkout.
            f"--FileCheckpoints.checkpoint_dir={tmp_path_factory.mktemp('checkpoints')}",
        ],
        cwd=ROOT,
        env={**os.environ, **fresh},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"}
    with serving(process, f"{base}/api/status", headers):
        yield base, headers, runtime, token


def contents(lab, path):
    """The Lab server's contents API answer for a repository path (no file body)."""
    base, headers, _, _ = lab
    return requests.get(f"{base}/api/contents/{path}?content=0", headers=headers, timeout=10)


def test_lab_serves_the_repository(lab):
    base, headers, _, _ = lab
    listing = requests.get(f"{base}/api/contents/", headers=headers, timeout=10).json()
    names = {item["name"] for item in listing["content"]}
    assert {"README.md", "docs", "notebooks", "pyproject.toml"} <= names


def test_lab_opens_the_first_notebook(lab):
    _, _, runtime, token = lab
    (opener,) = runtime.glob("jpserver-file-to-run-*-open.html")
    target = re.search(r'href="([^"]+)"', opener.read_text(encoding="utf-8")).group(1)
    assert target.endswith(f"/lab/tree/notebooks/00-start-here.ipynb?token={token}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_link_in_a_notebook_opens_in_lab(lab, path):
    for link in relative_links(path):
        target = posixpath.normpath(posixpath.join("notebooks", link.split("#")[0]))
        assert not target.startswith(".."), link
        assert contents(lab, target).status_code == 200, f"{path.name}: {link} -> {target}"
