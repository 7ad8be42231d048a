"""The repository's address lives in one place, pyproject.toml's [project.urls] Repository.

Every Binder and Colab badge (README, docs/, the notebooks' Markdown) and every Colab install cell is
derived from it, pinned to the release tag v<version>:

    python -m tools.links           # list what disagrees; exit status 1 if anything does
    python -m tools.links --write   # rewrite it (make links)

In a notebook only the Colab install cell and Markdown cells are touched, and the file keeps
Jupyter's own layout (indent 1, UTF-8 as is, a final newline), so a diff shows only those lines.
"""

import argparse
import json
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, the parser tomllib was made from
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
#: Where the badges open the series.
FIRST_NOTEBOOK = "notebooks/00-start-here.ipynb"
#: How every notebook's Colab install cell begins.
INSTALL_CELL_START = 'import sys\n\nif "google.colab" in sys.modules:'
GITHUB = re.compile(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?")

_PART = r"[^/\s)\"'`?]+"
BINDER = re.compile(rf"https://mybinder\.org/v2/gh/{_PART}/{_PART}/{_PART}")
COLAB = re.compile(rf"https://colab\.research\.google\.com/github/{_PART}/{_PART}/blob/{_PART}")
GIT_INSTALL = re.compile(r"sms-cookies(?:\[[\w,]*\])? @ git\+[^\s\"'`]+")
#: The lock Colab installs first: the package's dependencies and gunicorn for notebook 07 (Colab runs
#: Linux and brings its own Jupyter), at the versions of requirements.lock (make lock writes it).
COLAB_LOCK = "requirements-colab.lock"
RAW_COLAB_LOCK = re.compile(
    rf"https://raw\.githubusercontent\.com/{_PART}/{_PART}/{_PART}/{re.escape(COLAB_LOCK)}"
)


def read_project(root=ROOT):
    """(repository URL, version) from pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["urls"]["Repository"], project["version"]


class Links:
    """The badges' and install cells' addresses for one repository at one release tag."""

    def __init__(self, repository, version):
        found = GITHUB.fullmatch(repository)
        if not found:
            raise ValueError(
                f"[project.urls] Repository must be https://github.com/<owner>/<name> "
                f"(Binder and Colab open GitHub repositories), not {repository!r}"
            )
        self.repository = f"https://github.com/{found.group(1)}/{found.group(2)}"
        self.slug = f"{found.group(1)}/{found.group(2)}"
        self.tag = f"v{version}"

    def binder(self, path=FIRST_NOTEBOOK):
        """The Binder launch URL that opens path in JupyterLab."""
        return f"https://mybinder.org/v2/gh/{self.slug}/{self.tag}?urlpath=lab/tree/{path}"

    def colab(self, path=FIRST_NOTEBOOK):
        """The Colab URL that opens the notebook at path."""
        return f"https://colab.research.google.com/github/{self.slug}/blob/{self.tag}/{path}"

    def requirement(self):
        """The pip requirement that installs the package at the release tag (with --no-deps)."""
        return f"sms-cookies @ git+{self.repository}@{self.tag}"

    def colab_lock(self):
        """The address of the release's Colab lock, which pip reads with -r."""
        return f"https://raw.githubusercontent.com/{self.slug}/{self.tag}/{COLAB_LOCK}"

    def rewrite(self, text):
        """text with every Binder/Colab address and git install pointed at this repository and tag."""
        text = BINDER.sub(f"https://mybinder.org/v2/gh/{self.slug}/{self.tag}", text)
        text = COLAB.sub(
            f"https://colab.research.google.com/github/{self.slug}/blob/{self.tag}", text
        )
        text = RAW_COLAB_LOCK.sub(self.colab_lock(), text)
        return GIT_INSTALL.sub(self.requirement(), text)


def is_install_cell(cell):
    """True for a notebook's Colab install cell."""
    return cell["cell_type"] == "code" and "".join(cell["source"]).startswith(INSTALL_CELL_START)


def rewrite_notebook(text, links):
    """The notebook's JSON text with its install cell and Markdown cells rewritten."""
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown" or is_install_cell(cell):
            source = "".join(cell["source"])
            new = links.rewrite(source)
            if new != source:
                cell["source"] = new.splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def files(root=ROOT):
    """The files that carry badges or install commands."""
    return [
        root / "README.md",
        *sorted(  # not a copy in a hidden folder (JupyterLab's .ipynb_checkpoints, say)
            path
            for path in (root / "docs").glob("**/*.md")
            if not any(part.startswith(".") for part in path.relative_to(root).parts)
        ),
        *sorted((root / "notebooks").glob("*.ipynb")),
    ]


def updates(links, root=ROOT):
    """{path: new text} for every file whose links disagree with pyproject.toml."""
    changed = {}
    for path in files(root):
        text = path.read_text(encoding="utf-8")
        new = rewrite_notebook(text, links) if path.suffix == ".ipynb" else links.rewrite(text)
        if new != text:
            changed[path] = new
    return changed


def main(argv=None):
    """Check (or with --write, rewrite) every badge and install cell."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.links", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--write", action="store_true", help="rewrite the files that disagree")
    args = parser.parse_args(argv)
    links = Links(*read_project())
    changed = updates(links)
    for path, text in changed.items():
        name = path.relative_to(ROOT).as_posix()
        if args.write:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"rewrote {name}")
        else:
            print(f"{name}: links disagree with pyproject.toml (run: make links)")
    if not changed:
        print(f"every badge and install cell points at {links.repository} {links.tag}")
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
