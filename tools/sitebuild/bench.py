"""Figures for the website (a benchmark, not a test): build times, sizes, notebooks in the browser.

    python -m tools.sitebuild.bench [--notebooks 00 03 ...] [--screenshots DIR]

Prints the site's size, Pyodide's folder size; how long a reader waits for the kernel after
clicking "Run in your browser" on four notebooks' pages one after another in one browser (the
fourth against the first, as a ratio); and for each notebook, side by side in one run: the click on
"Run in your browser" to kernel idle, to the first output and to the last cell's output in
JupyterLite (headless Chromium), and the same notebook's wall time under strict nbval on this
machine's Python.
"""

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def folder_size(path):
    """Bytes under path."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build_time(out, cache):
    """Seconds to build the site into out."""
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.sitebuild",
            "build",
            "--out",
            str(out),
            "--cache",
            str(cache),
            # the outputs are compared with the committed ones: the full notebooks, as they are
            "--browser-notebooks",
            "full",
            "--allow-uncommitted",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def nbval_time(notebook):
    """Seconds for strict nbval of one notebook."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(notebook)],
        cwd=ROOT,
        check=False,
        capture_output=True,
    )
    return time.monotonic() - started


def kernel_starts(playwright, launch, open_from_page, url, numbers, tmp):
    """Click "Run in your browser" on each notebook's page in turn in one browser, and each alone.

    Side by side: each notebook's click to kernel ready when opened after the ones before it in the
    same browser, and when opened first in a fresh browser; then the last against the first.
    """
    names = {nb.name[:2]: nb.name for nb in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")}

    def opened(numbers, profile):
        context = launch(playwright, tmp / profile)
        tab = context.new_page()
        try:
            return [open_from_page(tab, url, names[number]) for number in numbers]
        finally:
            context.close()

    in_turn = opened(numbers, "profile-in-turn")
    alone = [opened([number], f"profile-alone-{number}")[0] for number in numbers]
    print("Run in your browser, one after another in one browser, and each first in a fresh one:")
    print("order | notebook | click to kernel ready s | alone s | in turn / alone | notebooks open")
    for order, (number, (took, tabs), (first, _)) in enumerate(
        zip(numbers, in_turn, alone, strict=True), start=1
    ):
        print(f"{order} | {number} | {took:.1f} | {first:.1f} | x{took / first:.2f} | {tabs}")
    if len(in_turn) > 1:
        print(f"last / first in one browser: x{in_turn[-1][0] / in_turn[0][0]:.2f}", flush=True)


def main(argv=None):
    """Measure and print."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch
    from tests.support.lite import differences, open_from_page, run_notebook, tracebacks
    from tools.sitebuild.serve import make_server

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notebooks", nargs="*", default=None)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument(
        "--only-starts",
        action="store_true",
        help="measure the kernel starts only, no notebook runs",
    )
    parser.add_argument("--cold", action="store_true", help="also time a build with an empty cache")
    parser.add_argument(
        "--starts",
        nargs="*",
        default=["00", "03", "01", "06"],
        help="notebooks opened one after another from their pages, in one browser",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.cold:
            print(
                f"cold build (empty cache, downloads): {build_time(tmp / 'cold', tmp / 'cache'):.0f} s"
            )
        warm = build_time(tmp / "site", ROOT / ".site-cache")
        site = tmp / "site"
        print(f"warm build: {warm:.0f} s")
        print(f"site size: {folder_size(site) / 1e6:.1f} MB")
        print(f"Pyodide folder: {folder_size(site / 'lite' / 'static' / 'pyodide') / 1e6:.1f} MB")
        server = make_server(site, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
        if args.only_starts:
            notebooks = []
        if args.notebooks:
            notebooks = [nb for nb in notebooks if nb.name[:2] in args.notebooks]
        with sync_playwright() as playwright:
            if args.starts:
                kernel_starts(playwright, launch, open_from_page, url, args.starts, tmp)
            print(
                "notebook | idle s | first output s | last output s | same under nbval s | result"
            )
            context = launch(playwright, tmp / "profile")
            tab = context.new_page()
            for notebook in notebooks:
                shot = args.screenshots / f"lite-{notebook.stem}.png" if args.screenshots else None
                run = run_notebook(tab, url, notebook.name, screenshot=shot)
                result = (
                    "traceback"
                    if tracebacks(run)
                    else ("as committed" if not differences(notebook, run.outputs) else "differs")
                )
                first = f"{run.load_to_first_output:.1f}" if run.load_to_first_output else "-"
                print(
                    f"{notebook.name[:2]} | {run.load_to_idle:.1f} | {first} | "
                    f"{run.load_to_last_output:.1f} | {nbval_time(notebook):.1f} | {result}",
                    flush=True,
                )
            context.close()
        server.shutdown()


if __name__ == "__main__":
    main()
