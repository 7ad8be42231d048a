"""python -m tools.sitebuild [build|fetch|serve]: the website in _site/, its downloads, a room server."""

import argparse
import shutil
import sys
import time
from pathlib import Path

from tools.sitebuild import lite, pages, serve

ROOT = Path(__file__).resolve().parents[2]
STATIC = Path(__file__).resolve().parent / "static"


def build(out, cache):
    """Build the whole site into out: pages, assets, mermaid, JupyterLite."""
    started = time.monotonic()
    lite.fetch(cache)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    written = pages.build_pages(out)
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
    lite.build_lite(cache, out / "lite", ROOT / "notebooks")
    # JupyterLite asks for /favicon.ico at the server's root.
    shutil.copy2(out / "lite" / "lab" / "favicon.ico", out / "favicon.ico")
    (out / ".nojekyll").write_text("")
    print(
        f"built {len(written)} pages and JupyterLite into {out} in {time.monotonic() - started:.0f} s"
    )


def main(argv=None):
    """Command line: build (default), fetch, or serve."""
    parser = argparse.ArgumentParser(prog="python -m tools.sitebuild", description=__doc__)
    parser.add_argument("command", nargs="?", default="build", choices=("build", "fetch", "serve"))
    parser.add_argument("--out", type=Path, default=ROOT / "_site")
    parser.add_argument("--cache", type=Path, default=ROOT / ".site-cache")
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 (a room's machines must reach it)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.command == "fetch":
        lite.fetch(args.cache)
    elif args.command == "serve":
        return serve.serve(args.out.resolve(), args.host, args.port)
    else:
        build(args.out.resolve(), args.cache.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
