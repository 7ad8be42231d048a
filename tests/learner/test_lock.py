"""requirements.lock holds every package at one version, agrees with pyproject.toml, and pip reads it.

The lock is uv's universal resolution (make lock): one file for Python 3.10 and newer on Linux,
macOS and Windows, each entry with its environment marker. These tests read it with `packaging`,
the library pip itself uses for requirements and markers, and check it against pyproject.toml's
exact pins in every environment the README supports.
"""

import itertools
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.links import tomllib

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = (ROOT / "requirements.lock").read_text(encoding="utf-8")

PYTHONS = ["3.10", "3.11", "3.12", "3.13", "3.14"]
PLATFORMS = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
}
ENVIRONMENTS = [
    {"python_version": py, "python_full_version": f"{py}.0", **PLATFORMS[platform]}
    for py, platform in itertools.product(PYTHONS, PLATFORMS)
]


#: The smaller locks make lock writes beside it, constrained by it.
SMALLER_LOCKS = ["requirements-colab.lock", "tools/sitebuild/build-requirements.lock"]


def entries(text=LOCK):
    """A lock's requirements (continuation lines joined), with their hashes."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        requirement = Requirement(re.sub(r"\s*--hash=\S+", "", line))
        found.append((requirement, hashes))
    return found


def locked(environment, text=LOCK):
    """{name: version} of what pip installs from a lock in this environment."""
    versions = {}
    for requirement, _ in entries(text):
        if requirement.marker is None or requirement.marker.evaluate(environment):
            name = canonicalize_name(requirement.name)
            (spec,) = requirement.specifier
            assert name not in versions, f"{name} is locked twice for {environment}"
            versions[name] = spec.version
    return versions


def pinned():
    """pyproject.toml's direct requirements: the package's own and every extra's."""
    project = PYPROJECT["project"]
    lines = project["dependencies"] + list(
        itertools.chain(*project["optional-dependencies"].values())
    )
    return [Requirement(line) for line in lines]


def test_every_entry_is_one_exact_version_with_hashes():
    """pip's hash-checking mode needs == and at least one sha256 for every line."""
    found = entries()
    assert len(found) > 100
    for requirement, hashes in found:
        (spec,) = requirement.specifier
        assert spec.operator == "==", requirement
        assert hashes, f"{requirement.name} has no hash"


@pytest.mark.parametrize(
    "environment", ENVIRONMENTS, ids=lambda e: f"{e['python_version']}-{e['sys_platform']}"
)
def test_the_lock_installs_exactly_pyproject_s_pins(environment):
    """In every supported environment, each direct pin is locked at its version, and only there."""
    versions = locked(environment)
    for requirement in pinned():
        applies = requirement.marker is None or requirement.marker.evaluate(environment)
        name = canonicalize_name(requirement.name)
        if not applies:
            continue
        (spec,) = requirement.specifier
        assert versions.get(name) == spec.version, (name, versions.get(name), spec.version)


def test_gunicorn_is_locked_where_it_runs_only():
    """The production extra's marker survives the lock: no gunicorn on Windows."""
    for environment in ENVIRONMENTS:
        has_it = "gunicorn" in locked(environment)
        assert has_it is (environment["sys_platform"] != "win32"), environment


def test_the_lock_names_its_refresh_command():
    """A reader of the lock learns how to refresh it."""
    assert "make lock" in LOCK.splitlines()[1]


@pytest.mark.parametrize("name", SMALLER_LOCKS)
def test_the_smaller_locks_agree_with_the_lock(name):
    """Colab's lock and the site tools' lock: exact, hashed, and never another version of a package."""
    text = (ROOT / name).read_text(encoding="utf-8")
    assert "make lock" in text.splitlines()[1]
    for requirement, hashes in entries(text):
        (spec,) = requirement.specifier
        assert spec.operator == "==" and hashes, requirement
    for environment in ENVIRONMENTS:
        whole, part = locked(environment), locked(environment, text)
        shared = set(whole) & set(part)
        assert {n: part[n] for n in shared} == {n: whole[n] for n in shared}, environment


def test_colab_s_lock_holds_the_package_s_pins_and_no_jupyter():
    """What Colab installs: the dependencies and the production extra at pyproject's pins."""
    text = (ROOT / "requirements-colab.lock").read_text(encoding="utf-8")
    project = PYPROJECT["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for r in project["optional-dependencies"]["production"]]
    for environment in ENVIRONMENTS:
        versions = locked(environment, text)
        for requirement in wanted:
            if requirement.marker is None or requirement.marker.evaluate(environment):
                (spec,) = requirement.specifier
                assert versions[canonicalize_name(requirement.name)] == spec.version
        assert not {"jupyterlab", "ipykernel", "pytest"} & set(versions)
