"""LocalServer: a real port, clean shutdown, and re-running a cell without leaking ports."""

import socket

import pytest
import requests

from companion_app.serving import server


def port_is_free(port):
    """True when nothing listens on the port any more."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_serves_the_app_on_a_free_port(app):
    with server.LocalServer(app) as local:
        response = requests.post(
            f"{local.url}/sms", data={"From": "+14155550100", "To": "+1"}, timeout=5
        )
        assert response.status_code == 200
        assert "Hello Rey" in response.text
    assert not local.running
    assert port_is_free(local.port)


def test_stop_twice_is_harmless(app):
    local = server.LocalServer(app)
    local.stop()
    local.stop()
    assert repr(local).endswith("stopped>")


def test_serving_again_under_a_name_stops_the_old_server(app):
    first = server.serve(app, name="cell")
    second = server.serve(app, name="cell")
    try:
        assert not first.running and port_is_free(first.port)
        assert second.running
    finally:
        server.stop_all()
    assert not second.running


def test_stopped_server_refuses_connections(app):
    local = server.serve(app, name="gone")
    server.stop("gone")
    with pytest.raises(requests.ConnectionError):
        requests.get(local.url, timeout=2)
