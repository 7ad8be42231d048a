"""Refuse request bodies that are too big or badly framed before anything reads them.

Twilio's webhook requests are a few KB (a Body holds at most 1600 characters), so a body over
``MAX_BODY_BYTES`` is refused with 413 without being read. A body whose HTTP framing is broken (a
chunk size that is not hexadecimal, a chunked body cut short, both ``Transfer-Encoding`` and
``Content-Length``) is refused with 400. ``RequestGuard`` does this for any WSGI server (gunicorn
included); ``ChunkedBody`` replaces werkzeug's development-server reader of chunked bodies.
"""

import io
import re

from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

#: The largest request body the app reads: far above any request Twilio sends.
MAX_BODY_BYTES = 64 * 1024

TOO_LARGE = (
    "Request body too large: the limit is {limit} bytes, and Twilio's webhook requests are a "
    "few KB."
)
BOTH_LENGTHS = "Bad request framing: both Transfer-Encoding and Content-Length are set."
UNKNOWN_ENCODING = "Bad request framing: only Transfer-Encoding: chunked is supported."
BAD_LENGTH = "Bad request framing: Content-Length is not a number of bytes."
BAD_CHUNK = "Bad request framing: {why}."

#: A chunk-size line: hexadecimal digits, then optional chunk extensions (RFC 9112, section 7.1).
CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,16})[ \t]*(;[^\r\n]*)?\r?\n")

#: The longest chunk-size or trailer line read, and the most trailer lines accepted.
LINE_LIMIT = 1024
TRAILER_LIMIT = 32


def framing_problem(transfer_encoding, content_length, limit=MAX_BODY_BYTES):
    """(status, reason) when the framing headers alone refuse the request, else None."""
    if transfer_encoding is not None:
        if content_length is not None:
            return 400, BOTH_LENGTHS
        if transfer_encoding.strip().lower() != "chunked":
            return 400, UNKNOWN_ENCODING
        return None
    if content_length is None:
        return None
    if not content_length.strip().isdigit() or not content_length.strip().isascii():
        return 400, BAD_LENGTH
    if int(content_length) > limit:
        return 413, TOO_LARGE.format(limit=limit)
    return None


class ChunkedBody(io.RawIOBase):
    """A chunked request body read from a socket file; a framing error raises 400, too big 413."""

    def __init__(self, rfile, limit=MAX_BODY_BYTES):
        self._rfile = rfile
        self._limit = limit
        self._left = 0
        self._total = 0
        self._done = False

    def readable(self):
        return True

    def _line(self, what):
        line = self._rfile.readline(LINE_LIMIT + 1)
        if not line.endswith(b"\n"):
            raise BadRequest(BAD_CHUNK.format(why=f"{what} cut short or too long"))
        return line

    def _next_chunk(self):
        found = CHUNK_SIZE.fullmatch(self._line("a chunk size line"))
        if not found:
            raise BadRequest(BAD_CHUNK.format(why="a chunk size is not hexadecimal"))
        size = int(found.group(1), 16)
        self._total += size
        if self._total > self._limit:
            raise RequestEntityTooLarge(TOO_LARGE.format(limit=self._limit))
        return size

    def _end_of_chunk(self):
        if self._rfile.readline(3) not in (b"\r\n", b"\n"):
            raise BadRequest(BAD_CHUNK.format(why="a chunk does not end with CRLF"))

    def _trailers(self):
        for _ in range(TRAILER_LIMIT):
            if self._line("a trailer line") in (b"\r\n", b"\n"):
                return
        raise BadRequest(BAD_CHUNK.format(why="too many trailer lines"))

    def readinto(self, buffer):
        """Fill buffer from the current chunk; 0 at the end of the body."""
        if self._done or not len(buffer):
            return 0
        if self._left == 0:
            self._left = self._next_chunk()
            if self._left == 0:
                self._trailers()
                self._done = True
                return 0
        data = self._rfile.read(min(len(buffer), self._left))
        if not data:
            raise BadRequest(BAD_CHUNK.format(why="the body ended inside a chunk"))
        buffer[: len(data)] = data
        self._left -= len(data)
        if self._left == 0:
            self._end_of_chunk()
        return len(data)


def read_body(stream, limit=MAX_BODY_BYTES):
    """At most limit bytes of a streamed body: 413 past the limit, 400 when the stream breaks."""
    parts, total = [], 0
    while True:
        try:
            part = stream.read(min(8192, limit + 1 - total))
        except HTTPException:
            raise
        except Exception as error:  # any server's reader: werkzeug's, gunicorn's (IOError, ...)
            raise BadRequest(BAD_CHUNK.format(why=str(error) or type(error).__name__)) from None
        if not part:
            return b"".join(parts)
        parts.append(part)
        total += len(part)
        if total > limit:
            raise RequestEntityTooLarge(TOO_LARGE.format(limit=limit))


def refuse(status, reason, start_response):
    """A short plain-text WSGI refusal."""
    body = (reason + "\n").encode()
    names = {400: "BAD REQUEST", 413: "REQUEST ENTITY TOO LARGE"}
    start_response(
        f"{status} {names.get(status, 'ERROR')}",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


class RequestGuard:
    """WSGI middleware: 413 for a body over `limit`, 400 for broken framing, before the app runs.

    A chunked body (no Content-Length) is read here, at most `limit` bytes, and handed to the app
    as an ordinary body with its length, so every server behaves alike.
    """

    def __init__(self, app, limit=MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        transfer_encoding = environ.get("HTTP_TRANSFER_ENCODING")
        content_length = environ.get("CONTENT_LENGTH") or None
        problem = framing_problem(transfer_encoding, content_length, self.limit)
        if problem:
            return refuse(*problem, start_response)
        if transfer_encoding is not None:
            try:
                body = read_body(environ["wsgi.input"], self.limit)
            except HTTPException as error:
                return refuse(error.code, error.description, start_response)
            environ = {
                **environ,
                "wsgi.input": io.BytesIO(body),
                "CONTENT_LENGTH": str(len(body)),
                "wsgi.input_terminated": False,
            }
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)
