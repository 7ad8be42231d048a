"""python -m tools.sitebuild [build|fetch|serve]: the website in _site/, its downloads, a room server."""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tools.sitebuild import lite, pages, published, serve, slim

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"


def build(out, cache, allow_uncommitted=False, browser_notebooks="student"):
    """Build the whole site into out from the committed files: pages, assets, mermaid, JupyterLite."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sms-cookies-published-") as tmp:
        source = published.committed_files(ROOT, Path(tmp) / "tree", allow_uncommitted)
        lite.fetch(cache)
        contents = published.browser_notebooks(
            source / "notebooks", Path(tmp) / "contents", full=browser_notebooks == "full"
        )
        build_from(source, contents, out, cache)
    print(
        f"built the site and JupyterLite ({browser_notebooks} notebooks) into {out} "
        f"in {time.monotonic() - started:.0f} s"
    )


def build_from(source, contents, out, cache):
    """Build the site into out from the files in source, with contents in JupyterLite."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    pages.build_pages(out, source)
    assets = out / "assets"
    for name in ("site.css", "site.js"):
        shutil.copy2(STATIC / name, assets / name)
    mermaid = cache / "npm" / f"mermaid-{lite.MERMAID_VERSION}" / "dist"
    # The module loads its chunks from chunks/ beside it; the source maps stay out.
    shutil.copytree(
        mermaid / "chunks" / "mermaid.esm.min",
        assets / "mermaid" / "chunks" / "mermaid.esm.min",
        ignore=shutil.ignore_patterns("*.map"),
    )
    shutil.copy2(mermaid / "mermaid.esm.min.mjs", assets / "mermaid" / "mermaid.esm.min.mjs")
    lite.build_lite(cache, out / "lite", contents, source)
    # The browser asks for /favicon.ico at the server's root, JupyterLab for lab/favicon.ico: both
    # get the small pictures only (JupyterLite's is 319 KB).
    favicon = out / "lite" / "lab" / "favicon.ico"
    slim.small_favicon(favicon, favicon)
    shutil.copy2(favicon, out / "favicon.ico")
    (out / ".nojekyll").write_text("")
    slim.precompress(out)


def main(argv=None):
    """Command line: build (default), fetch, or serve."""
    parser = argparse.ArgumentParser(prog="python -m tools.sitebuild", description=__doc__)
    parser.add_argument("command", nargs="?", default="build", choices=("build", "fetch", "serve"))
    parser.add_argument("--out", type=Path, default=ROOT / "_site")
    parser.add_argument("--cache", type=Path, default=ROOT / ".site-cache")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 (a room's machines must reach it)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="server processes for serve (default: one per core, at most 4; 1 on Windows)",
    )
    parser.add_argument(
        "--allow-uncommitted",
        action="store_true",
        help="publish the checkout's tracked files as they are, changes not committed included",
    )
    parser.add_argument(
        "--browser-notebooks",
        choices=("student", "full"),
        default="student",
        help="the notebooks in JupyterLite: the student copies (default) or the full notebooks",
    )
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.command == "fetch":
        lite.fetch(args.cache)
    elif args.command == "serve":
        return serve.serve(args.out.resolve(), args.host, args.port, args.processes)
    else:
        build(
            args.out.resolve(),
            args.cache.resolve(),
            args.allow_uncommitted,
            args.browser_notebooks,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
