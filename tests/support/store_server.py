"""A store-backed counter webhook in its own process, for the kill-and-retry tests.

    python -m tests.support.store_server DB_PATH PAUSE_FILE PAUSE_AT

serves notebook 07's counter (state in companion_app.app.store.PairStore, idempotent per MessageSid)
on a free 127.0.0.1 port and prints the port. With PAUSE_AT "in-transaction" or "after-commit",
a message whose Body is "pause" writes PAUSE_FILE and hangs there, so the test can kill the
process at that exact point.
"""

import sys
import time
from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, request
from twilio.twiml.messaging_response import MessagingResponse

from companion_app.app.store import PairStore
from companion_app.serving.server import LocalServer
from companion_app.simulator import SystemClock


def hang(pause_file):
    """Say where we are, then wait to be killed."""
    Path(pause_file).write_text("paused", encoding="utf-8")
    time.sleep(120)


def create_store_app(store, pause_file, pause_at):
    """The counter with its count in the store; may hang at pause_at for a Body of "pause"."""
    app = Flask("store_counter")

    @app.route("/sms", methods=["POST"])
    def count_in_store():
        form = request.form
        pausing = form.get("Body") == "pause"

        def add_one(state):
            if pausing and pause_at == "in-transaction":
                hang(pause_file)
            return {**state, "counter": state.get("counter", 0) + 1}

        state = store.update(form["From"], form["To"], add_one, message_sid=form["MessageSid"])
        if pausing and pause_at == "after-commit":
            hang(pause_file)
        reply = MessagingResponse()
        reply.message(f"count {state['counter']}")
        return Response(str(reply), mimetype="application/xml")

    return app


def main(db_path, pause_file, pause_at):
    """Serve until killed."""
    store = PairStore(db_path, SystemClock(), lifetime=timedelta(hours=8))
    server = LocalServer(create_store_app(store, pause_file, pause_at))
    print(server.port, flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(*sys.argv[1:4])
