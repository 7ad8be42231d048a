"""Running an app: a local server, gunicorn, and the in-process stand-in for the browser.

server (werkzeug on a free port, in a thread), production (gunicorn), framing (request bodies read
safely), printable (text safe for a log line), inprocess (servers with no socket, for Python in the
browser), registry (the running servers by name, so a re-run cell stops the old one).
"""
