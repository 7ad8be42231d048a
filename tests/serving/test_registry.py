"""One registry of running servers: a re-run cell stops what the last run started."""

from companion_app.serving import server
from companion_app.serving.registry import Registry


class Thing:
    """Something that can be stopped, and remembers it."""

    def __init__(self):
        self.stopped = 0

    def stop(self):
        self.stopped += 1


def test_starting_under_a_taken_name_stops_the_old_one():
    """start(name) twice: the first is stopped once, the second runs."""
    registry = Registry()
    first = registry.start("a", Thing)
    second = registry.start("a", Thing)
    assert (first.stopped, second.stopped) == (1, 0)
    assert registry.get("a") is second


def test_stop_all_stops_each_once_and_twice_is_harmless():
    """stop_all() then stop() again: every thing stopped exactly once."""
    registry = Registry()
    things = [registry.start(name, Thing) for name in "abc"]
    registry.stop_all()
    registry.stop("a")
    assert [t.stopped for t in things] == [1, 1, 1]
    assert len(registry) == 0


def test_serve_twice_frees_the_first_port():
    """server.serve under one name twice: the first real server is stopped, its port closed."""
    from flask import Flask

    app = Flask("t")
    first = server.serve(app, name="registry-test")
    second = server.serve(app, name="registry-test")
    try:
        assert not first.running and second.running
    finally:
        server.stop("registry-test")
    assert not second.running
