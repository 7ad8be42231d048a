"""Slowloris-style clients: connections that send a request a byte at a time and never finish it.

    with SlowClients(port, 40, drip="headers") as slow:
        ...                     # 40 connections, each sending one more byte every second
        slow.closed()           # how many of them the server has dropped so far

One thread drips for all of them, so 40 clients cost 40 sockets, not 40 threads.
"""

import socket
import threading
import time

#: What each kind of slow client sends at once, then the byte it sends every `interval` seconds.
#: "headers": a request line and a header that never ends. "body": complete headers announcing a
#: 1,000-byte form body that never arrives. "stall": half a request line, then nothing at all.
#: "silent": a connection that sends nothing.
OPENINGS = {
    "headers": (b"POST /sms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ", b"a"),
    "body": (
        b"POST /sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nBody=",
        b"a",
    ),
    "stall": (b"POST /sm", b""),
    "silent": (b"", b""),
}


class SlowClients:
    """`count` connections to 127.0.0.1:port that drip a request (see OPENINGS); a context manager."""

    def __init__(self, port, count, drip="headers", interval=1.0):
        self.port = port
        self.count = count
        self.opening, self.byte = OPENINGS[drip]
        self.interval = interval
        self.sockets = []
        self.dropped = {}  # socket -> seconds from its opening until the server closed it
        self.answered = set()  # the sockets the server sent something to (an error status)
        self._opened = {}
        self.rounds = 0  # how many times every open connection has been sent its next byte
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, name="slow-clients", daemon=True)

    def __enter__(self):
        for _ in range(self.count):
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
            sock.sendall(self.opening)
            sock.setblocking(False)
            self._opened[sock] = time.monotonic()
            self.sockets.append(sock)
        self._thread.start()
        return self

    def _drip(self):
        while not self._stop.wait(self.interval):
            for sock in self.sockets:
                if sock not in self.dropped:
                    self._poke(sock)
            self.rounds += 1

    def _poke(self, sock):
        """Send the next byte (or only look, for a stalled client); note a closed connection."""
        try:
            while sock.recv(4096):
                self.answered.add(sock)
            raise ConnectionResetError  # recv gave b"": the server closed the connection
        except BlockingIOError:
            pass  # nothing from the server: still open
        except OSError:
            self.dropped[sock] = time.monotonic() - self._opened[sock]
            return
        try:
            if self.byte:
                sock.send(self.byte)
        except BlockingIOError:
            pass  # the server does not read: its buffer is full, and the connection still open
        except OSError:
            self.dropped[sock] = time.monotonic() - self._opened[sock]

    def wait_rounds(self, rounds, timeout=30):
        """Wait until every connection has been sent `rounds` more bytes (or timeout seconds)."""
        deadline = time.monotonic() + timeout
        while self.rounds < rounds and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.rounds >= rounds

    def wait_dropped(self, count, timeout):
        """Wait (at most timeout seconds) until the server has dropped `count` connections."""
        deadline = time.monotonic() + timeout
        while self.closed() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.closed()

    def closed(self):
        """How many of the connections the server has dropped so far."""
        return len(self.dropped)

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.sockets:
            sock.close()
