"""The notebook series under strict nbval: seconds per notebook against an empty notebook's cost.

Both sides run the same command (`python -m pytest` with the project's nbval options, one notebook),
so pytest's start-up and the kernel's start-up are in both: the ratio says how much a notebook costs
beyond what any notebook costs.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EMPTY_NOTEBOOK = {
    "cells": [
        {
            "cell_type": "code",
            "execution_count": 1,
            "id": "empty",
            "metadata": {},
            "outputs": [],
            "source": ["pass"],
        }
    ],
    "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def run_nbval(path, timeout=600):
    """Run strict nbval on one notebook as `make test` does; return (seconds, passed)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-c",
        str(ROOT / "pyproject.toml"),
        "--rootdir",
        str(ROOT),
        str(path),
    ]
    env = {**os.environ, "SMS_COOKIES_OFFLINE": "1"}
    started = time.perf_counter()
    completed = subprocess.run(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=timeout,
        check=False,
    )
    return time.perf_counter() - started, completed.returncode == 0


def measure_notebooks(empty_runs=2):
    """{name: (seconds, passed)} for every notebook, and the empty notebook's best time."""
    with tempfile.TemporaryDirectory(prefix="bench-empty-nb-") as folder:
        empty = Path(folder) / "empty.ipynb"
        empty.write_text(json.dumps(EMPTY_NOTEBOOK), encoding="utf-8")
        empty_times = [run_nbval(empty) for _ in range(empty_runs)]
    empty_seconds = min(seconds for seconds, _ in empty_times)
    notebooks = {path.name: run_nbval(path) for path in sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))}
    return empty_seconds, notebooks
