"""The GitHub Actions workflow: it cannot run here, so zizmor (a workflow linter) checks it offline."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "site.yml"
ZIZMOR = str(Path(sys.executable).with_name("zizmor"))


def zizmor(workflow):
    """zizmor's pedantic audit of a workflow file, offline."""
    if not Path(ZIZMOR).exists():
        pytest.skip("zizmor is not installed (it is in the [site] extra)")
    return subprocess.run(
        [ZIZMOR, "--offline", "--persona", "pedantic", "--no-progress", str(workflow)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_workflow_passes_zizmor():
    result = zizmor(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_catches_a_workflow_that_injects_untrusted_input(tmp_path):
    bad = WORKFLOW.read_text().replace("run: make site", 'run: echo "${{ github.head_ref }}"')
    (tmp_path / "bad.yml").write_text(bad)
    result = zizmor(tmp_path / "bad.yml")
    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_the_workflow_runs_the_readmes_test_command_and_publishes_the_site():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    test_command = re.search(r"^make test\b", readme, flags=re.M).group(0)
    text = WORKFLOW.read_text(encoding="utf-8")
    assert f"run: {test_command}" in text
    assert "run: make site" in text
    assert re.search(r"upload-pages-artifact@[0-9a-f]{40}.*\n\s+with:\n\s+path: _site", text)
    assert re.search(r"deploy-pages@[0-9a-f]{40}", text)
