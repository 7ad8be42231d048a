"""Every Binder/Colab badge and Colab install cell points at pyproject.toml's repository, at the release tag."""

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tools import links

ROOT = Path(__file__).resolve().parents[2]
PROJECT = links.tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
TAG = "v" + PROJECT["version"]
SLUG = REPOSITORY.removeprefix("https://github.com/")
# The addresses as Binder and Colab document them: gh/<org>/<repo>/<ref>, github/<org>/<repo>/blob/<ref>.
BINDER_PREFIX = f"https://mybinder.org/v2/gh/{SLUG}/{TAG}?urlpath=lab/tree/"
COLAB_PREFIX = f"https://colab.research.google.com/github/{SLUG}/blob/{TAG}/"
FILES = [
    ROOT / "README.md",
    # docs/, not the copies JupyterLab keeps in hidden .ipynb_checkpoints folders
    *sorted(p for p in (ROOT / "docs").glob("**/*.md") if ".ipynb_checkpoints" not in p.parts),
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
]
ANY_BINDER = re.compile(r"https://mybinder\.org/v2/[^\s)\"'`\\]+")
ANY_COLAB = re.compile(r"https://colab\.research\.google\.com/github/[^\s)\"'`\\]+")
ANY_GIT_INSTALL = re.compile(r"[\w\[\],-]+ @ git\+[^\s\"'`\\]+")


def text_of(path):
    """A file's text as a reader sees it (a notebook's cell sources, joined)."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells)


def test_the_repository_is_named_once_as_a_github_url():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)
    assert re.fullmatch(r"v\d+\.\d+\.\d+", TAG)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_badge_opens_this_repository_at_the_release_tag(path):
    text = text_of(path)
    for url in ANY_BINDER.findall(text):
        assert url.startswith(BINDER_PREFIX), url
        assert (ROOT / url.removeprefix(BINDER_PREFIX)).is_file(), url
    for url in ANY_COLAB.findall(text):
        assert url.startswith(COLAB_PREFIX), url
        assert (ROOT / url.removeprefix(COLAB_PREFIX)).is_file(), url


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_git_install_is_this_repository_at_the_release_tag(path):
    for found in ANY_GIT_INSTALL.findall(text_of(path)):
        requirement = Requirement(found)
        assert requirement.name == "sms-cookies"
        assert requirement.url == f"git+{REPOSITORY}@{TAG}"
        assert requirement.extras == set()  # its dependencies come from the Colab lock


def test_the_readme_has_both_badges():
    readme = text_of(ROOT / "README.md")
    assert f"{BINDER_PREFIX}notebooks/00-start-here.ipynb" in readme
    assert f"{COLAB_PREFIX}notebooks/00-start-here.ipynb" in readme


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_each_notebook_installs_the_tagged_package_on_colab(path):
    install = json.loads(path.read_text(encoding="utf-8"))["cells"][1]
    source = "".join(install["source"])
    assert source.startswith('import sys\n\nif "google.colab" in sys.modules:')
    lock = f"https://raw.githubusercontent.com/{SLUG}/{TAG}/requirements-colab.lock"
    assert re.findall(r'"(https://raw\.githubusercontent\.com/[^"]+)"', source) == [lock]
    assert f'package = "sms-cookies @ git+{REPOSITORY}@{TAG}"' in source
    calls = [line.strip() for line in source.splitlines() if "run_line_magic" in line]
    assert calls == [
        """get_ipython().run_line_magic("pip", f"install --quiet -r {lock}")""",
        """get_ipython().run_line_magic("pip", f'install --quiet --no-deps "{package}"')""",
    ]
    # No %pip line: JupyterLite's %pip reads a -r file as the cell is read, even where it is skipped.
    assert [line for line in source.splitlines() if line.strip().startswith("%pip")] == []


@pytest.mark.slow
def test_pip_installs_the_colab_lock_as_the_install_cell_asks(tmp_path):
    """pip itself reads the lock the cell names (here from the checkout) and checks every hash."""
    first = ROOT / "notebooks" / "00-start-here.ipynb"
    install = json.loads(first.read_text(encoding="utf-8"))["cells"][1]
    (address,) = re.findall(r'"(https://[^"]+\.lock)"', "".join(install["source"]))
    local = (ROOT / address.rsplit("/", 1)[1]).as_uri()  # the file the tag will publish
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed"]
        + ["--require-hashes", "--report", str(report), "-r", local],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    chosen = {
        item["metadata"]["name"].lower(): item["metadata"]["version"]
        for item in json.loads(report.read_text())["install"]
    }
    pins = [Requirement(r) for r in PROJECT["dependencies"]]
    pins += [Requirement(r) for r in PROJECT["optional-dependencies"]["production"]]
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate():
            assert chosen[pin.name.lower()] == next(iter(pin.specifier)).version, pin
    # Colab keeps its own Jupyter: the lock brings none of it.
    assert not {"jupyterlab", "ipykernel", "notebook", "jupyter-server"} & set(chosen)


def test_the_checker_agrees():
    result = subprocess.run(
        [sys.executable, "-m", "tools.links"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert result.stdout == f"every badge and install cell points at {REPOSITORY} {TAG}\n"


def test_write_moves_every_address_and_touches_only_those_lines(tmp_path):
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8")
        .replace(REPOSITORY, "https://github.com/workshop-org/cookie-course")
        .replace(f'version = "{PROJECT["version"]}"', 'version = "2.3.4"'),
        encoding="utf-8",
    )
    notebook = tmp_path / "notebooks" / "03-count-messages-with-a-session-cookie.ipynb"
    before = notebook.read_text(encoding="utf-8")

    changed = links.updates(links.Links(*links.read_project(tmp_path)), tmp_path)
    for path, text in changed.items():
        path.write_text(text, encoding="utf-8")

    after = notebook.read_text(encoding="utf-8")
    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    new_install = "git+https://github.com/workshop-org/cookie-course@v2.3.4"
    new_lock = "https://raw.githubusercontent.com/workshop-org/cookie-course/v2.3.4/"
    assert len(diff) == 4 and [line[0] for line in diff] == ["-", "+", "-", "+"]
    assert new_lock + "requirements-colab.lock" in diff[1] and new_install in diff[3]
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "https://mybinder.org/v2/gh/workshop-org/cookie-course/v2.3.4?urlpath=" in readme
    assert "colab.research.google.com/github/workshop-org/cookie-course/blob/v2.3.4/" in readme
    assert SLUG not in readme
    assert links.updates(links.Links(*links.read_project(tmp_path)), tmp_path) == {}


@pytest.mark.parametrize(
    "repository", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"]
)
def test_a_repository_binder_and_colab_cannot_open_is_refused(repository):
    with pytest.raises(ValueError, match="must be https://github.com/<owner>/<name>"):
        links.Links(repository, "1.0.0")


def test_the_browser_sentence_opens_binder_at_the_release_tag():
    from companion_app.inbrowser import BINDER_URL, NEEDS_REAL_PYTHON

    assert links.Links(*links.read_project()).binder("notebooks") == BINDER_URL
    assert BINDER_URL in NEEDS_REAL_PYTHON
