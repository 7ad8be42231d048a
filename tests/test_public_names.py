"""The names the notebooks and README use keep working after the package was grouped by role."""

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import companion_app
from companion_app import PUBLIC_MODULES


@pytest.mark.parametrize(("name", "home"), sorted(PUBLIC_MODULES.items()))
def test_every_public_name_is_the_module_itself(name, home):
    """import companion_app.X, from companion_app import X and the module's home are one object."""
    real = importlib.import_module(home)
    assert importlib.import_module(f"companion_app.{name}") is real
    assert getattr(companion_app, name) is real
    assert real.__name__ == home
    assert real.__spec__.name == home


def test_a_public_name_patches_the_real_module(monkeypatch):
    """monkeypatch through the public name changes what the moved module uses."""
    from companion_app.golive import tunnel

    monkeypatch.setattr("companion_app.tunnel.DEFAULT_TIMEOUT", 7)
    assert tunnel.DEFAULT_TIMEOUT == 7


def test_an_unknown_name_is_an_ordinary_import_error():
    """Only the listed names are redirected: a typo fails as it would anywhere."""
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("companion_app.no_such_module")
    with pytest.raises(AttributeError, match="no_such_name"):
        companion_app.no_such_name  # noqa: B018


def test_importing_the_package_does_not_load_the_go_live_libraries():
    """`import companion_app` (and create_app) needs neither pyngrok nor twilio's REST client."""
    code = (
        "import sys, companion_app; companion_app.create_app({'SECRET_KEY': 'k'}); "
        "print(sorted(m for m in ('pyngrok', 'twilio.rest', 'requests') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_simulator_does_not_import_the_server():
    """The simulator reaches in-process servers through serving.inprocess, not serving.server."""
    for module in ("core", "conversation", "transport"):
        source = Path(importlib.util.find_spec(f"companion_app.simulator.{module}").origin)
        imported = {
            node.module
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom)
        }
        assert not any(name.startswith("companion_app.serving.server") for name in imported)
        assert "companion_app.serving" not in imported


def test_importing_the_simulator_loads_no_server():
    """`import companion_app.simulator` runs without loading the local server or gunicorn's helper."""
    code = (
        "import sys, companion_app.simulator; "
        "print(sorted(m for m in ('companion_app.serving.server', 'companion_app.serving.production') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
