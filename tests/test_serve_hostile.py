"""briefgen serve under attack, on a real uvicorn server on loopback.

The attacker connects from 127.0.0.2 and the honest client from 127.0.0.3 (any 127.x address
reaches the server on Linux), so a limit per client can be seen to hit one and spare the other.
Every loop is bounded and each test takes a few seconds: the deadlines are set to half a second.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from briefgen.load import load_data
from briefgen.serve import security
from briefgen.serve.app import ROUTES, Config, create_app
from briefgen.serve.security import PUBLIC
from briefgen.serve.server import Limits, ServeSettings, uvicorn_config
from briefgen.serve.store import open_store

SECRET = "a-long-admin-secret-for-tests"
ATTACKER, HONEST = "127.0.0.2", "127.0.0.3"
LIMITS = Limits(header_seconds=0.5, body_seconds=0.5, per_client=8)
pytestmark = pytest.mark.timeout(60)


async def broken(request):
    raise RuntimeError("a bug in a handler")


@pytest.fixture(scope="module")
def bundle():
    return load_data()


@pytest.fixture
def store(tmp_path):
    return open_store(f"sqlite:///{tmp_path / 'briefgen.db'}")


@contextmanager
def serving(store, bundle, limits: Limits = LIMITS):
    """The application on a free loopback port, served by uvicorn in a thread."""
    app = create_app(Config(store=store, bundle=bundle, admin_secret=SECRET,
                            base_url="https://enkat.firma.se"),
                     table=ROUTES + [("/broken", broken, ["GET"], PUBLIC)])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn_config(ServeSettings("unused", limits=limits), "127.0.0.1", port,
                            log_config=None)
    config.app, config.factory = app, False
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        serving.server = server
        yield port
    finally:
        server.should_exit = True
        thread.join(15)


def connect(port: int, source: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((source, 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", port))
    return sock


def closed_after(sock: socket.socket, drip: bytes, every: float, limit: float) -> float:
    """Send ``drip`` every ``every`` seconds until the server closes; seconds it took."""
    start = time.monotonic()
    sock.settimeout(every)
    while time.monotonic() - start < limit:
        try:
            sock.sendall(drip)
            while sock.recv(4096):                  # a response, then the close
                pass
            return time.monotonic() - start
        except TimeoutError:
            continue
        except OSError:                              # reset: closed too
            return time.monotonic() - start
    return float("inf")


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a Content-Length body) from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, data
        body += chunk
    return head + b"\r\n\r\n" + body


def honest_get(port: int, path: str = "/done") -> tuple[int, float]:
    start = time.monotonic()
    transport = httpx.HTTPTransport(local_address=HONEST)
    with httpx.Client(transport=transport, timeout=5) as client:
        r = client.get(f"http://127.0.0.1:{port}{path}")
    return r.status_code, time.monotonic() - start


def test_a_request_that_drips_its_headers_or_body_is_cut_off(store, bundle, caplog):
    caplog.set_level(logging.INFO, logger="briefgen.serve.server")
    with serving(store, bundle) as port:
        sock = connect(port, ATTACKER)
        sock.sendall(b"GET /done HTTP/1.1\r\nHost: x\r\n")
        took = closed_after(sock, b"X-Slow: 1\r\n", 0.1, 5)
        assert 0.4 < took < 1.5, took
        # The same with the body: the headers complete, the body comes a byte at a time.
        link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
        sock = connect(port, ATTACKER)
        sock.sendall(f"POST {link}/capabilities HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                     .encode())
        took = closed_after(sock, b"a", 0.1, 5)
        assert 0.4 < took < 1.5, took
        # A connection that says nothing at all is closed too.
        sock = connect(port, ATTACKER)
        took = closed_after(sock, b"", 0.1, 5)
        assert 0.4 < took < 1.5, took
        # An honest request on a kept-alive connection gets a fresh deadline each time.
        sock = connect(port, HONEST)
        for _ in range(3):
            time.sleep(0.3)
            sock.sendall(b"GET /done HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200")
        sock.close()
    # The operator's log names the client cut off, once a connection.
    assert [r.getMessage() for r in caplog.records if r.name == "briefgen.serve.server"] == [
        f"{ATTACKER}: request not sent in time; connection closed"] * 3
    # and nothing else: closing a connection cut off raises nowhere.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_many_half_open_connections_from_one_client_do_not_starve_another(store, bundle):
    with serving(store, bundle) as port:
        held, refused = [], 0
        try:
            for _ in range(1100):                     # the review's 1,100 connections
                sock = connect(port, ATTACKER)
                sock.sendall(b"GET /done HTTP/1.1\r\n")      # and never finish
                held.append(sock)
            status, took = honest_get(port)
            assert status == 200 and took < 5.0, took          # the review: none in 10 s
            for sock in held:
                sock.settimeout(5)          # the held ones close at the deadline
                try:
                    first = sock.recv(64)
                except TimeoutError:
                    first = None
                if first and first.startswith(b"HTTP/1.1 503"):
                    refused += 1
        finally:
            for sock in held:
                sock.close()
        assert refused == 1100 - LIMITS.per_client
        # Every connection closed is counted off again.
        counts = serving.server.server_state.open_per_client
        for _ in range(100):
            if not counts:
                break
            time.sleep(0.02)
        assert counts == {}


def test_guessing_the_secret_locks_out_the_guesser_only(store, bundle):
    async def guesses(port: int, n: int) -> list[int]:
        # Six connections at once, as a browser would: the connection cap is not the test here.
        transport = httpx.AsyncHTTPTransport(local_address=ATTACKER,
                                             limits=httpx.Limits(max_connections=6))
        async with httpx.AsyncClient(transport=transport, timeout=10,
                                     base_url=f"http://127.0.0.1:{port}") as client:
            page = await client.get("/admin/login")
            token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
            replies = await asyncio.gather(*(client.post("/admin/login", data={
                "csrf": token, "secret": f"guess-number-{i:04d}-xyzw"}) for i in range(n)))
        return [r.status_code for r in replies]

    with serving(store, bundle) as port:
        codes = asyncio.run(guesses(port, 40))      # 40 guesses at once
        assert codes.count(401) == security.MAX_FAILURES - 1 and codes.count(429) == 36
        transport = httpx.HTTPTransport(local_address=HONEST)
        with httpx.Client(transport=transport, base_url=f"http://127.0.0.1:{port}",
                          follow_redirects=False) as admin:
            page = admin.get("/admin/login")
            token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
            r = admin.post("/admin/login", data={"csrf": token, "secret": SECRET})
            assert r.status_code == 303
            assert admin.get("/admin").status_code == 200


def test_clients_that_drop_their_posts_leave_no_traceback(store, bundle, caplog):
    caplog.set_level(logging.INFO)
    link = store.invite("region-x", "Region X", "regional", 1, "sv")[0].path()
    with serving(store, bundle) as port:
        for _ in range(20):
            sock = connect(port, ATTACKER)
            sock.sendall(f"POST {link}/capabilities HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         "application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                         "csrf=abc&partnerships=".encode())
            time.sleep(0.02)
            sock.close()
        time.sleep(0.3)
        assert honest_get(port)[0] == 200
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.exc_info]
    left = [r.getMessage() for r in caplog.records if "the client left" in r.getMessage()]
    assert len(left) == 20 and all(re.fullmatch(r"POST /a/region-x/[\w-]{43}/capabilities: "
                                                 "the client left", m) for m in left), left


def test_a_server_error_keeps_the_connection_and_the_headers(store, bundle, caplog):
    with serving(store, bundle) as port:
        sock = connect(port, HONEST)
        sock.sendall(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
        head = read_response(sock)
        assert head.startswith(b"HTTP/1.1 500")
        assert b"content-security-policy: default-src 'self'" in head
        assert b"connection: close" not in head.lower()
        sock.sendall(b"GET /done HTTP/1.1\r\nHost: x\r\n\r\n")   # the same connection
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        sock.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1


def test_a_clients_connections_are_counted_off_one_by_one(store, bundle):
    def settled(expected):
        for _ in range(100):
            counts = dict(getattr(serving.server.server_state, "open_per_client", {}))
            if counts == expected:
                break
            time.sleep(0.02)
        return counts

    with serving(store, bundle) as port:
        held = [connect(port, ATTACKER) for _ in range(3)]
        try:
            assert settled({ATTACKER: 3}) == {ATTACKER: 3}
            for sock in held[:2]:
                sock.close()
            # One connection is still open: it counts against the cap until it closes.
            assert settled({ATTACKER: 1}) == {ATTACKER: 1}
        finally:
            held[2].close()
        assert settled({}) == {}
