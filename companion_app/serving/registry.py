"""Running things by name, so that running a notebook cell again stops what it started before."""


class Registry:
    """Servers, gunicorns or live sessions by name: start() under a taken name stops the old one.

    `close` names the method that stops a thing (stop() for a server, close() for gunicorn and a
    live session); stopping twice is harmless.
    """

    def __init__(self, close="stop"):
        self._running = {}
        self._close = close

    def start(self, name, make):
        """Stop what runs under `name`, then keep and return make()."""
        self.stop(name)
        thing = self._running[name] = make()
        return thing

    def add(self, name, thing):
        """Keep thing under `name` (the caller stopped the old one)."""
        self._running[name] = thing
        return thing

    def get(self, name):
        """What runs under `name`, or None."""
        return self._running.get(name)

    def forget(self, name, thing):
        """Forget `thing` if it is still what runs under `name` (it stopped itself)."""
        if self._running.get(name) is thing:
            del self._running[name]

    def stop(self, name):
        """Stop what runs under `name`, if anything."""
        thing = self._running.pop(name, None)
        if thing is not None:
            getattr(thing, self._close)()

    def stop_all(self):
        """Stop everything, in the order it started."""
        for name in list(self._running):
            self.stop(name)

    def __iter__(self):
        return iter(list(self._running.values()))

    def __len__(self):
        return len(self._running)
