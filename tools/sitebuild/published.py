"""What the site publishes: the files committed at HEAD, and the learner's copies for the browser.

A notebook saved after a live demo holds real phone numbers and a tunnel's address; a file left
in notebooks/ may be anything. So the pages and the in-browser contents are built from `git
archive HEAD`, and the build stops, in one sentence, when a notebook has changes not committed
(the instructor may publish the checkout's tracked files instead: --allow-uncommitted). Untracked
files are never published.

The notebooks in the browser are the student copies (outputs cleared, each solution replaced by a
starter, each check kept); --browser-notebooks full puts the whole notebooks there instead.
"""

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# The student-copy generator: the one place the site names it.
from tools.student import build as write_student_copies

#: The make variable (and command-line flag) that publishes changes not committed.
ALLOW_UNCOMMITTED = "make site ALLOW_UNCOMMITTED=1 (--allow-uncommitted)"


def git(checkout, *args):
    """Run git in checkout and return its output (bytes), or None when it is not a git checkout."""
    try:
        result = subprocess.run(
            ["git", "-C", str(checkout), *args],  # noqa: S607
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    return result.stdout if result.returncode == 0 else None


def uncommitted_notebooks(checkout):
    """The tracked notebooks under notebooks/ whose working copy or index differs from HEAD."""
    status = git(
        checkout, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--", "notebooks"
    )
    names = []
    for entry in (status or b"").decode().split("\0"):
        path = entry[3:]
        if path.endswith(".ipynb"):
            names.append(Path(path).name)
    return sorted(names)


def committed_files(checkout, dest, allow_uncommitted=False):
    """Write into dest the files the site is built from, and return dest.

    HEAD's tree (git archive); with allow_uncommitted, the checkout's tracked files as they are
    now. Stops the build, in a sentence, when a notebook has changes not committed.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    tracked = git(checkout, "ls-files", "-z")
    if tracked is None:
        sys.exit(f"{checkout} is not a git checkout: the site publishes only committed files.")
    if allow_uncommitted:
        for name in tracked.decode().split("\0"):
            if name and (Path(checkout) / name).is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(Path(checkout) / name, dest / name)
        return dest
    changed = uncommitted_notebooks(checkout)
    if changed:
        sys.exit(
            f"Not publishing: {', '.join(changed)} {'has' if len(changed) == 1 else 'have'} "
            "changes that are not committed; commit them (or undo them), or publish them anyway "
            f"with {ALLOW_UNCOMMITTED}."
        )
    archive = git(checkout, "archive", "--format=tar", "HEAD")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def browser_notebooks(notebooks, dest, full=False):
    """Write into dest the contents of JupyterLite: the student copies of notebooks (or the full ones)."""
    dest = Path(dest)
    shutil.copytree(notebooks, dest, ignore=shutil.ignore_patterns("*.ipynb"), dirs_exist_ok=True)
    if full:
        for path in Path(notebooks).glob("*.ipynb"):
            shutil.copy2(path, dest / path.name)
    else:
        write_student_copies(notebooks, dest)
    return dest
