"""Every documented set-up installs the same extras, and its test command runs what `make test` runs."""

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from packaging.licenses import canonicalize_license_expression
from packaging.requirements import Requirement

from companion_app.serving import production
from tools.links import tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS = set(PYPROJECT["project"]["optional-dependencies"])
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
#: An install of the package that resolves its own dependencies, around requirements.lock.
UNLOCKED_INSTALL = re.compile(r"""pip install (?!.*--no-deps)[^\n`]*-e ["']?\.""")
LOCK_INSTALL = "pip install -r requirements.lock"
PACKAGE_INSTALL = "pip install --no-deps -e ."
#: The same two installs as the Makefile writes them (by uv's pip, with options before the files).
LOCK_INSTALL_ANY = re.compile(r"pip install [^\n]*-r requirements\.lock")
PACKAGE_INSTALL_ANY = re.compile(r"pip install [^\n]*--no-deps -e \.")


def markdown_of(path):
    """The Markdown a reader sees: a file's text, or a notebook's Markdown cells."""
    if path.suffix != ".ipynb":
        return path.read_text(encoding="utf-8")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


DOCUMENTED = [
    ROOT / "environment.yml",
    ROOT / "Makefile",
    ROOT / "README.md",
    # docs/, not the copies JupyterLab keeps in hidden .ipynb_checkpoints folders
    *sorted(p for p in (ROOT / "docs").glob("**/*.md") if ".ipynb_checkpoints" not in p.parts),
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
]


def code_block(language, after):
    """The first ```language block in the README after the text `after`."""
    start = README.index(after)
    return re.search(rf"```{language}\n(.*?)```", README[start:], flags=re.S).group(1).strip()


def make_test_steps(prefix):
    """The commands `make test` runs (lint, then pytest), with $(BIN)/ replaced by prefix."""
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M).group(1)
    test = re.search(r"^test:.*\n((?:\t.*\n)+)", MAKEFILE, flags=re.M).group(1)
    steps = [line.strip() for line in (lint + test).splitlines()]
    return [step.replace("$(BIN)/", prefix) for step in steps]


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_documented_install_resolves_around_the_lock(path):
    """Every install takes its versions from requirements.lock; the package comes with --no-deps."""
    assert not UNLOCKED_INSTALL.findall(markdown_of(path)), path.name


@pytest.mark.parametrize(
    "path, where",
    [("Makefile", "$(STAMP):"), ("README.md", "py -m venv"), ("README.md", "### Conda or Binder")],
)
def test_each_set_up_installs_the_lock_then_the_package(path, where):
    text = (ROOT / path).read_text(encoding="utf-8")
    text = text[text.index(where) :].replace("$(LOCK)", "requirements.lock").replace("--quiet ", "")
    if "conda" in where.lower():
        assert PACKAGE_INSTALL in text  # after environment.yml installed the lock
        return
    lock, package = LOCK_INSTALL_ANY.search(text), PACKAGE_INSTALL_ANY.search(text)
    assert lock and package and lock.start() < package.start()


@pytest.mark.parametrize(
    "platform, installed",
    [("linux", True), ("darwin", True), ("win32", False)],
)
def test_the_production_extra_installs_gunicorn_where_it_runs(platform, installed):
    requirements = [
        Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"]["production"]
    ]
    assert [r.name for r in requirements] == ["gunicorn", "redis"]
    assert requirements[0].marker.evaluate({"sys_platform": platform}) is installed
    assert requirements[1].marker is None  # redis-py is pure Python: every platform


def test_the_conda_and_binder_test_command_is_make_test():
    command = code_block("bash", "and to run every test (also in a Binder terminal)")
    assert command.split(" && ") == make_test_steps("")


def test_the_cmd_test_command_is_make_test():
    command = code_block("bat", "and to run every test, in cmd")
    assert command.split(" && ") == make_test_steps(".venv\\Scripts\\")


def test_the_powershell_test_command_runs_in_5_1_and_stops_at_the_first_failure():
    command = code_block("powershell", "or in PowerShell")
    # Windows PowerShell 5.1 rejects && and || ("not a valid statement separator in this version").
    assert "&&" not in command and "||" not in command
    first, *rest = [part.strip() for part in command.split(";")]
    guarded = [re.fullmatch(r"if \(\$LASTEXITCODE -eq 0\) \{ (.+) \}", part) for part in rest]
    assert all(guarded), rest
    assert [first, *[g.group(1) for g in guarded]] == make_test_steps(".venv\\Scripts\\")


def test_the_windows_lab_command_is_rooted_at_the_repository_like_make_lab():
    lab = re.search(r"\$\(BIN\)/jupyter lab \$\(LAB_FLAGS\) (.+)", MAKEFILE).group(1)
    windows = code_block("bat", "### Windows without make").splitlines()[-1]
    assert windows == ".venv\\Scripts\\jupyter lab " + lab.replace("/", "\\")
    conda = code_block("bash", "### Conda or Binder").splitlines()[-1]
    assert conda == "jupyter lab " + lab


@pytest.mark.parametrize(
    "name, spec, reason",
    [
        ("nt", object(), "gunicorn does not run on Windows (it needs fork)"),
        ("nt", None, "gunicorn does not run on Windows (it needs fork)"),
        ("posix", None, "gunicorn is not installed: install the 'production' extra"),
        ("posix", object(), None),
    ],
)
def test_the_reason_gunicorn_cannot_run_is_the_true_one(monkeypatch, name, spec, reason):
    monkeypatch.setattr("companion_app.serving.production.os", types.SimpleNamespace(name=name))
    monkeypatch.setattr("companion_app.serving.production.importlib.util.find_spec", lambda _: spec)
    said = production.unavailable_reason()
    assert said == reason or said.startswith(reason)
    assert production.available() is (reason is None)


@pytest.mark.slow
def test_without_gunicorn_notebook_07_and_the_gunicorn_tests_skip_and_say_why():
    hide_gunicorn = (
        "import sys; sys.modules['gunicorn'] = None; import pytest; "
        "sys.exit(pytest.main(['notebooks/07-run-it-for-real.ipynb', 'tests/serving/test_production.py', "
        "'-rs', '-q', '-p', 'no:cacheprovider']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", hide_gunicorn],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    skipped = re.findall(r"^SKIPPED \[\d+\] (\S+?)[:\d]*: (.+)$", result.stdout, flags=re.M)
    assert {path for path, _ in skipped} == {
        "notebooks/07-run-it-for-real.ipynb",
        "tests/serving/test_production.py",
    }
    assert {why for _, why in skipped} == {production.NOT_INSTALLED}
    assert " passed" not in result.stdout and " failed" not in result.stdout


def test_the_license_is_an_spdx_expression_setuptools_reads_without_a_warning():
    project = PYPROJECT["project"]
    # A TOML table here is what setuptools warns about ("`project.license` as a TOML table is
    # deprecated"); the SPDX string and license-files need setuptools 77 or newer.
    assert canonicalize_license_expression(project["license"]) == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
    (setuptools,) = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    assert setuptools.name == "setuptools"
    assert not setuptools.specifier.contains("76.1.0") and setuptools.specifier.contains("77.0.0")


@pytest.mark.parametrize("path", DOCUMENTED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_documented_lab_command_is_rooted_at_the_repository(path):
    # Rooted at notebooks/, Lab cannot open README.md, docs/ or student/, nor the links to ../docs/.
    for command in re.findall(r"jupyter lab [^\n`]*", markdown_of(path)):
        assert "--ServerApp.root_dir=." in command, (path.name, command)


def test_conda_and_binder_install_the_lock_then_the_package():
    yaml = pytest.importorskip("yaml", reason="PyYAML reads environment.yml as conda does")
    environment = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    (pip,) = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    assert pip == ["-r requirements.lock"]
    post_build = (ROOT / "postBuild").read_text(encoding="utf-8")
    assert PACKAGE_INSTALL in post_build and post_build.startswith("#!/bin/sh")
