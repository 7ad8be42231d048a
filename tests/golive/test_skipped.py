"""A step that did not happen: one kind of object for no tunnel, no number and no browser support."""

import pytest

from companion_app.golive.inbrowser import open_tunnel, point_number
from companion_app.golive.skipped import NotInBrowser, NoTunnel, NumberNotPointed, Skipped


@pytest.mark.parametrize("kind", [NoTunnel, NumberNotPointed, NotInBrowser])
def test_a_skipped_step_is_falsy_and_undoes_nothing(kind):
    """Falsy, not ok, nothing to close or restore, and its repr names the reason."""
    step = kind("no-token", "Set NGROK_AUTHTOKEN.")
    assert isinstance(step, Skipped)
    assert not step and not step.ok
    assert step.close() is None and step.restore() is None
    with step as entered:
        assert entered is step
    assert repr(step) == f"<{kind.__name__} no-token: Set NGROK_AUTHTOKEN.>"


def test_in_the_browser_each_step_says_where_it_can_run():
    """The browser's tunnel and number say, in one sentence, that they need a real Python."""
    for step in (open_tunnel(8000), point_number("https://x.example")):
        assert isinstance(step, NotInBrowser)
        assert "needs a real Python" in step.message
        assert "\n" not in step.message
