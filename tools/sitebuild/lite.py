"""The in-browser half of the site: JupyterLite with a self-hosted Pyodide and a lock of pure wheels.

Pyodide's runtime comes from npm (`pyodide` at exactly the version jupyterlite-pyodide-kernel
expects); the wheels come from PyPI. Both are downloaded once into the cache folder and reused until
pyproject.toml or the wheel list changes (a stamp, like .venv's). Pyodide's own lock names hundreds
of wheels that the npm package does not carry, so a new lock lists only the wheels shipped here,
with their real sha256 and the dependencies read from each wheel's metadata.
"""

import base64
import email.parser
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.sitebuild import slim

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
WHEEL_LIST = HERE / "browser-wheels.txt"
BUILD_REQUIREMENTS = HERE / "build-requirements.lock"
#: JupyterLite's build tools live apart from .venv (not under a hidden folder: the lite build
#: skips hidden paths).
TOOLS = ROOT / "build" / "site-tools"

#: mermaid from npm renders the diagrams on the site's pages (JupyterLite brings its own).
MERMAID_VERSION = "12.3.0"

#: The runtime files of the npm package that Pyodide loads (no wheels are in it).
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "package.json",
)

#: The tutorial's packages, shipped at the versions of the Python that runs the tests.
APP_PACKAGES = (
    "flask",
    "werkzeug",
    "itsdangerous",
    "blinker",
    "click",
    "jinja2",
    "markupsafe",
    "twilio",
    "python-dotenv",
    "gsm0338",
    "urllib3",
    "requests",
    "idna",
    "charset-normalizer",
    "certifi",
    "pyngrok",
    "pyyaml",
)

#: Packages whose PyPI wheels all carry C code: built from source without a compiler, each falls
#: back to pure Python (MarkupSafe without its speedups, PyYAML without libyaml).
BUILT_PURE = ("markupsafe", "pyyaml")

#: Dependencies the browser never imports, left out of the lock on purpose: twilio's async client
#: and JWT code are not used by the notebooks; regex (a C extension with no Pyodide wheel on PyPI)
#: is replaced there by an approximation of grapheme clusters (simulator.params). requests and
#: pyngrok are shipped: requests reaches in-process servers there (companion_app.serving.inprocess), and
#: pyngrok's failures are the handled sentences notebook 04 shows.
NOT_IN_BROWSER = {
    "twilio": {"aiohttp", "aiohttp-retry", "pyjwt"},
    "sms-cookies": {"regex"},
}

#: Dependencies a package imports without declaring them: companion_app.simulator.core imports
#: urllib3 (to read the webhook URL as Twilio does), which it otherwise gets through requests.
UNDECLARED = {"sms-cookies": {"urllib3"}}

#: Environment markers as Pyodide evaluates them.
EMSCRIPTEN = {
    "implementation_name": "cpython",
    "implementation_version": "3.14.2",
    "os_name": "posix",
    "platform_machine": "wasm32",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Emscripten",
    "platform_version": "",
    "python_full_version": "3.14.2",
    "python_version": "3.14",
    "sys_platform": "emscripten",
    "extra": "",
}


def run(*cmd, **kwargs):
    """Run a command, stopping the build with its output if it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # noqa: S603
    if result.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@functools.cache
def tools_python():
    """The Python of JupyterLite's build tools, installed (once per requirements change) if needed."""
    python = TOOLS / "bin" / "python"
    stamp = TOOLS / "installed.stamp"
    expected = hashlib.sha256(BUILD_REQUIREMENTS.read_bytes()).hexdigest()
    if not (stamp.exists() and stamp.read_text() == expected):
        if importlib.util.find_spec("uv"):  # make installs uv in .venv: 2 s where pip takes 12
            # uv's venv has no pip (nothing here runs the tools' pip): 0.04 s, where venv's
            # ensurepip takes 3 s. --compile-bytecode: the .pyc files pip writes (see the Makefile).
            run(sys.executable, "-m", "uv", "venv", "--quiet", "--clear", "--python",
                sys.executable, TOOLS)  # fmt: skip
            run(sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", python,
                "--compile-bytecode", "--require-hashes", "-r", BUILD_REQUIREMENTS)  # fmt: skip
        else:
            run(sys.executable, "-m", "venv", "--clear", TOOLS)
            run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--require-hashes", "-r", BUILD_REQUIREMENTS)  # fmt: skip
        stamp.write_text(expected)
    return python


@functools.cache
def pyodide_version():
    """The Pyodide version jupyterlite-pyodide-kernel loads (its PYODIDE_VERSION)."""
    code = "from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION as v; print(v)"
    return run(tools_python(), "-c", code).stdout.strip()


def requirements():
    """Every wheel the browser needs, as name==version lines."""
    lines = [
        line.split("#")[0].strip()
        for line in WHEEL_LIST.read_text(encoding="utf-8").splitlines()
        if line.split("#")[0].strip()
    ]
    lines += [f"{name}=={importlib.metadata.version(name)}" for name in APP_PACKAGES]
    return lines


def stamp_text():
    """What the downloads depend on; a change means downloading again."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update("\n".join(requirements()).encode())
    digest.update(f"pyodide {pyodide_version()} mermaid {MERMAID_VERSION}".encode())
    return digest.hexdigest()


def npm_package(name, version, cache):
    """The unpacked npm package name@version (npm pack, kept in cache)."""
    target = cache / "npm" / f"{name}-{version}"
    if not (target / "package.json").exists():
        tarball_dir = cache / "npm"
        tarball_dir.mkdir(parents=True, exist_ok=True)
        out = run("npm", "pack", "--silent", f"{name}@{version}", cwd=tarball_dir)
        tarball = tarball_dir / out.stdout.strip().splitlines()[-1]
        with tempfile.TemporaryDirectory(dir=tarball_dir) as tmp, tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
            shutil.rmtree(target, ignore_errors=True)
            Path(tmp, "package").rename(target)
        tarball.unlink()
    return target


def fetch(cache):
    """Download the npm packages and the pure wheels into cache, unless the stamp says they are there."""
    stamp = cache / "downloads.stamp"
    expected = stamp_text()
    if stamp.exists() and stamp.read_text() == expected:
        stamp.touch()  # up to date: tell make so
        return False
    wheels = cache / "wheels"
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    pure = [line for line in requirements() if line.split("==")[0] not in BUILT_PURE]
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check")
    run(*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "any",
        "--python-version", "3.14", "--implementation", "py", "--abi", "none", "-d", wheels, *pure)  # fmt: skip
    for line in requirements():
        name = line.split("==")[0]
        if name in BUILT_PURE:
            built = tempfile.mkdtemp(dir=cache)
            run(*pip, "wheel", "--quiet", "--no-deps", "--no-binary", name, "-w", built,
                line, env={**os.environ, "CC": "/bin/false"})  # fmt: skip
            for path in Path(built).glob("*.whl"):
                retag_pure(path, wheels)
            shutil.rmtree(built)
    npm_package("pyodide", pyodide_version(), cache)
    npm_package("mermaid", MERMAID_VERSION, cache)
    stamp.write_text(expected)
    return True


def retag_pure(path, target):
    """Copy a wheel built without C code into target as py3-none-any (WHEEL and RECORD updated)."""
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        if any(n.endswith((".so", ".pyd")) for n in names):
            sys.exit(f"{path.name} carries compiled code: it cannot run in the browser")
        files = {n: whl.read(n) for n in names}
    info = next(n for n in names if n.endswith(".dist-info/WHEEL"))
    text = files[info].decode()
    text = re.sub(r"(?m)^Root-Is-Purelib: .*$", "Root-Is-Purelib: true", text)
    text = re.sub(r"(?m)^Tag: .*\n?", "", text).rstrip("\n") + "\nTag: py3-none-any\n"
    files[info] = text.encode()
    record = info.replace("/WHEEL", "/RECORD")
    digest = base64.urlsafe_b64encode(hashlib.sha256(files[info]).digest()).rstrip(b"=").decode()
    lines = [
        f"{info},sha256={digest},{len(files[info])}" if line.startswith(f"{info},") else line
        for line in files[record].decode().splitlines()
    ]
    files[record] = ("\n".join(lines) + "\n").encode()
    name, version = path.name.split("-")[:2]
    with zipfile.ZipFile(Path(target) / f"{name}-{version}-py3-none-any.whl", "w") as out:
        for entry in names:
            out.writestr(entry, files[entry], zipfile.ZIP_DEFLATED)


def own_wheel(target, project=ROOT):
    """Build the project's own wheel (sms-cookies) from the folder project into target."""
    run(sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "--quiet",
        "--no-deps", "-w", target, project)  # fmt: skip
    return next(target.glob("sms_cookies-*.whl"))


def wheel_metadata(path):
    """(name, version, requirements, top-level imports) read from a wheel."""
    with zipfile.ZipFile(path) as whl:
        names = whl.namelist()
        info = next(n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(whl.read(info).decode("utf-8"))
    imports = set()
    for entry in names:
        head, _, rest = entry.partition("/")
        module = head if rest else head.removesuffix(".py")
        if not head.endswith((".dist-info", ".data")) and module.isidentifier():
            imports.add(module)
    return meta["Name"], meta["Version"], meta.get_all("Requires-Dist") or [], sorted(imports)


def browser_depends(name, requires):
    """The dependencies a wheel has in Pyodide: markers evaluated there, extras left out."""
    depends = set()
    for line in requires:
        req = Requirement(line)
        if req.marker is not None and not Marker(str(req.marker)).evaluate(EMSCRIPTEN):
            continue
        depends.add(canonicalize_name(req.name))
    return sorted((depends | UNDECLARED.get(name, set())) - NOT_IN_BROWSER.get(name, set()))


def write_lock(folder, pyodide_lock):
    """Write pyodide-lock.json in folder for the wheels in it; every dependency must be there."""
    info = json.loads(pyodide_lock.read_text(encoding="utf-8"))["info"]
    packages = {}
    for whl in sorted(folder.glob("*.whl")):
        dist, version, requires, imports = wheel_metadata(whl)
        name = canonicalize_name(dist)
        packages[name] = {
            "name": name,
            "version": version,
            "file_name": whl.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(whl.read_bytes()).hexdigest(),
            "package_type": "package",
            "imports": imports,
            "depends": browser_depends(name, requires),
            "unvendored_tests": False,
            "shared_library": False,
        }
    missing = {
        f"{name} needs {dep}"
        for name, package in packages.items()
        for dep in package["depends"]
        if dep not in packages
    }
    if missing:
        sys.exit("the browser's wheels are incomplete: " + "; ".join(sorted(missing)))
    lock = {"info": info, "packages": packages}
    (folder / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True) + "\n")
    return lock


#: The kernel's own wheels, from jupyterlite-pyodide-kernel's extension. Listed in the Pyodide lock
#: beside the tutorial's, they load with it in one parallel batch when Pyodide starts, instead of
#: one `piplite.install` after another once it has started (the kernel skips those it finds
#: preloaded).
KERNEL_WHEELS = ("piplite", "ipykernel", "pyodide_kernel")

#: What the kernel loads as Pyodide starts: the packages the kernel itself needs (the names its
#: worker checks before installing them one by one), and the tutorial's package with every
#: dependency the notebooks import.
PRELOAD = ("micropip", "piplite", "ipykernel", "comm", "pyodide-kernel", "jedi", "ipython",
           "sms-cookies")  # fmt: skip


#: JupyterLab's settings in the browser: closing a notebook's tab shuts its kernel down, so the
#: Pythons of notebooks the learner left do not keep running beside the one in use; and every cell
#: is drawn (windowingMode "none"), not only those near the screen: the series' notebooks are
#: short, the page's own search (Ctrl+F) then finds text in any cell, and a "Run All" can be
#: followed to its last cell (with "full", cells off the screen are not in the page at all).
SETTINGS_OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": True, "windowingMode": "none"}
}


def kernel_wheels(target):
    """Copy the kernel's own wheels (piplite, the ipykernel shim, pyodide-kernel) into target."""
    pypi = (
        TOOLS / "share" / "jupyter" / "labextensions" / "@jupyterlite" / "pyodide-kernel-extension"
        / "static" / "pypi"
    )  # fmt: skip
    for name in KERNEL_WHEELS:
        wheels = sorted(pypi.glob(f"{name}-*-none-any.whl"))
        if len(wheels) != 1:
            sys.exit(f"expected one {name} wheel in {pypi}, found {len(wheels)}")
        shutil.copy2(wheels[0], target / wheels[0].name)


def lite_config():
    """jupyter-lite.json: never ask PyPI, and preload the kernel and the tutorial as Pyodide starts."""
    kernel = {
        "disablePyPIFallback": True,
        "loadPyodideOptions": {"packages": list(PRELOAD)},
    }
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "sms-cookies",
            "litePluginSettings": {"@jupyterlite/pyodide-kernel-extension:kernel": kernel},
        },
    }


def build_lite(cache, output, contents, project=ROOT):
    """Build JupyterLite into output, with contents (the notebooks), a self-hosted Pyodide and
    the wheel of the project's files in the folder project."""
    # Not inside the cache: the lite build ignores files under hidden folders.
    with tempfile.TemporaryDirectory(prefix="sms-cookies-lite-") as tmp:
        lite_dir = Path(tmp)
        pyodide = lite_dir / "static" / "pyodide"
        pyodide.mkdir(parents=True)
        runtime = cache / "npm" / f"pyodide-{pyodide_version()}"
        for name in PYODIDE_FILES:
            shutil.copy2(runtime / name, pyodide / name)
        for whl in (cache / "wheels").glob("*.whl"):
            shutil.copy2(whl, pyodide / whl.name)
        slim.slim_wheels(pyodide)
        own_wheel(pyodide, project)
        tools_python()  # the kernel's wheels come with the build tools
        kernel_wheels(pyodide)
        write_lock(pyodide, runtime / "pyodide-lock.json")
        (lite_dir / "jupyter-lite.json").write_text(json.dumps(lite_config(), indent=1))
        (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES, indent=1))
        shutil.rmtree(output, ignore_errors=True)
        jupyter = tools_python().with_name("jupyter")
        run(jupyter, "lite", "build", "--lite-dir", lite_dir, "--contents", contents,
            "--output-dir", output, "--no-sourcemaps", "--apps", "lab", cwd=lite_dir)  # fmt: skip
