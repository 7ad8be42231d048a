"""What the site publishes: only committed files, and the learner's copies in the browser.

The refusal and the untracked file are tried in a small git repository of the test's own; the
browser's contents are read from the site built for the session and compared with the committed
notebooks, cell by cell.
"""

import subprocess
from pathlib import Path

import nbformat
import pytest

from tools.sitebuild.published import committed_files

ROOT = Path(__file__).resolve().parents[2]


def git(repo, *args):
    """Run git in repo (a throwaway identity, no signing)."""
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]  # noqa: S607
        + ["-c", "commit.gpgsign=false", *args],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def checkout(tmp_path):
    """A git checkout with one committed notebook and a committed doc."""
    repo = tmp_path / "repo"
    (repo / "notebooks").mkdir(parents=True)
    (repo / "docs").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 Demo")])
    nbformat.write(nb, repo / "notebooks" / "01-demo.ipynb")
    (repo / "docs" / "guide.md").write_text("# Guide\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def test_a_notebook_with_changes_not_committed_stops_the_build_with_a_sentence(checkout, tmp_path):
    notebook = checkout / "notebooks" / "01-demo.ipynb"
    notebook.write_text(notebook.read_text().replace("01 Demo", "01 Demo +14155550123"))
    with pytest.raises(SystemExit) as stopped:
        committed_files(checkout, tmp_path / "out")
    assert str(stopped.value) == (
        "Not publishing: 01-demo.ipynb has changes that are not committed; commit them "
        "(or undo them), or publish them anyway with make site ALLOW_UNCOMMITTED=1 "
        "(--allow-uncommitted)."
    )


def test_a_staged_change_counts_as_not_committed(checkout, tmp_path):
    notebook = checkout / "notebooks" / "01-demo.ipynb"
    notebook.write_text(notebook.read_text().replace("01 Demo", "01 Demo, after the live demo"))
    git(checkout, "add", "notebooks")
    with pytest.raises(SystemExit, match="01-demo.ipynb has changes"):
        committed_files(checkout, tmp_path / "out")


def test_the_instructor_may_publish_changes_not_committed(checkout, tmp_path):
    notebook = checkout / "notebooks" / "01-demo.ipynb"
    notebook.write_text(notebook.read_text().replace("01 Demo", "01 Demo for Tuesday"))
    out = committed_files(checkout, tmp_path / "out", allow_uncommitted=True)
    assert "01 Demo for Tuesday" in (out / "notebooks" / "01-demo.ipynb").read_text()


def test_other_changes_are_published_as_committed(checkout, tmp_path):
    (checkout / "docs" / "guide.md").write_text("# Guide, draft not committed\n")
    out = committed_files(checkout, tmp_path / "out")
    assert (out / "docs" / "guide.md").read_text() == "# Guide\n"
    assert "01 Demo" in (out / "notebooks" / "01-demo.ipynb").read_text()


@pytest.mark.parametrize("allow_uncommitted", [False, True])
def test_an_untracked_file_is_never_published(checkout, tmp_path, allow_uncommitted):
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("TOKEN = 'real'")])
    nbformat.write(scratch, checkout / "notebooks" / "99-scratch.ipynb")
    (checkout / "notebooks" / "notes.txt").write_text("phone numbers")
    out = committed_files(checkout, tmp_path / "out", allow_uncommitted=allow_uncommitted)
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["01-demo.ipynb"]


def tracked_notebooks():
    """The notebooks git tracks under notebooks/."""
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "notebooks/*.ipynb"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(ROOT / name for name in listed)


def test_the_browser_gets_the_student_copies_of_the_tracked_notebooks(built_site):
    files = built_site / "lite" / "files"
    notebooks = tracked_notebooks()
    published = sorted(p.name for p in files.iterdir() if p.suffix != ".gz")  # gzip copies aside
    assert published == [nb.name for nb in notebooks]
    for path in notebooks:
        full = nbformat.read(path, as_version=4)
        copy = nbformat.read(files / path.name, as_version=4)
        code = [c for c in copy.cells if c.cell_type == "code"]
        assert [c for c in code if c.outputs or c.execution_count is not None] == [], path.name
        solutions = [c.source for c in full.cells if "solution" in c.metadata.get("tags", [])]
        shown = {c.source for c in code}
        assert not any(source in shown for source in solutions), path.name
        assert [c for c in code if "solution" in c.metadata.get("tags", [])] == [], path.name
        checks = [c.source for c in full.cells if "checks.check_" in c.source]
        assert checks == [c.source for c in copy.cells if "checks.check_" in c.source], path.name
        # the lessons themselves are all there
        prose = [c.source for c in full.cells if c.cell_type == "markdown"]
        assert len(prose) == len([c for c in copy.cells if c.cell_type == "markdown"])


def test_the_pages_keep_the_full_notebooks_to_download(built_site):
    for path in tracked_notebooks():
        assert (built_site / "notebooks" / path.name).read_bytes() == path.read_bytes()


# A second whole build: it runs with the in-browser tier (make test-browser), which builds this
# site anyway to run the full notebooks in JupyterLite.
@pytest.mark.lite
def test_the_instructor_may_put_the_full_notebooks_in_the_browser(built_site_full):
    for path in tracked_notebooks():
        assert (built_site_full / "lite" / "files" / path.name).read_bytes() == path.read_bytes()
