"""The shipped nginx configuration (serve/deploy/nginx-briefgen.conf) in front of a real
`briefgen serve`: TLS with a self-signed certificate, HSTS, the redirect from plain HTTP, the
client's own address for the lock-out (a forged X-Forwarded-For changes nothing), Secure
cookies, and a slow client cut off by nginx. Debian's nginx, on loopback ports; skipped when
nginx is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from briefgen.serve import security

from .loopback import free_port

SHIPPED = (Path(__file__).resolve().parent.parent / "src" / "briefgen" / "serve" / "deploy"
           / "nginx-briefgen.conf")
SECRET = "nginx-test-admin-secret-2026"

NGINX = shutil.which("nginx") or next(
    (p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
pytestmark = [pytest.mark.timeout(120),
              pytest.mark.skipif(NGINX is None, reason="nginx is not installed")]


def wait_for(url: str, proc: subprocess.Popen, log: Path, **kw) -> None:
    while True:                                    # pytest-timeout ends a hang
        try:
            urllib.request.urlopen(url, timeout=1, **kw)
            return
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nginx")
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
        capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    base = f"https://localhost:{https_port}"
    serve_log = tmp / "serve.log"
    with serve_log.open("wb") as out:
        serve = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "serve", "--port", str(app_port), "--database",
             f"sqlite:///{tmp / 'briefgen.db'}", "--trusted-proxy", "127.0.0.1",
             "--base-url", base], cwd=tmp, stdout=out, stderr=subprocess.STDOUT,
            env={**os.environ, "BRIEFGEN_ADMIN_SECRET": SECRET})
    # The shipped file, with this test's ports, host name, certificate and a 1 s header
    # deadline instead of 10 s (so that the slow-client check takes a second).
    conf = SHIPPED.read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
                     ("return 301 https://$host$request_uri;",
                      f"return 301 https://$host:{https_port}$request_uri;"),
                     ("enkat.firma.se;", "localhost;"),
                     ("/etc/letsencrypt/live/enkat.firma.se/fullchain.pem", str(tmp / "cert.pem")),
                     ("/etc/letsencrypt/live/enkat.firma.se/privkey.pem", str(tmp / "key.pem")),
                     ("http://127.0.0.1:8000", f"http://127.0.0.1:{app_port}"),
                     ("client_header_timeout 10s;", "client_header_timeout 1s;")):
        assert old in conf, old
        conf = conf.replace(old, new)
    conf = "\n".join(line for line in conf.splitlines() if "[::]" not in line)
    (tmp / "briefgen.conf").write_text(conf)
    (tmp / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
user root;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/briefgen.conf;
}}
""")
    checked = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    nginx_log = tmp / "nginx.out"
    with nginx_log.open("wb") as out:
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf")],
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{app_port}/done", serve, serve_log)
        import ssl

        context = ssl.create_default_context(cafile=str(tmp / "cert.pem"))
        wait_for(base + "/done", nginx, nginx_log, context=context)
        yield {"base": base, "http": f"http://127.0.0.1:{http_port}", "https": https_port,
               "cert": str(tmp / "cert.pem"), "db": f"sqlite:///{tmp / 'briefgen.db'}",
               "serve_log": serve_log}
    finally:
        nginx.terminate()
        serve.terminate()
        nginx.wait(timeout=10)
        serve.wait(timeout=30)


def client(site, source: str, **kw) -> httpx.Client:
    import ssl

    context = ssl.create_default_context(cafile=site["cert"])
    transport = httpx.HTTPTransport(local_address=source, verify=context)
    return httpx.Client(base_url=site["base"], transport=transport, follow_redirects=False,
                        timeout=10, **kw)


def test_tls_hsts_and_the_redirect(site):
    with client(site, "127.0.0.3") as c:
        r = c.get("/done")
    assert r.status_code == 200 and r.http_version in ("HTTP/1.1", "HTTP/2")
    assert r.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert "server" not in r.headers or r.headers["server"] == "nginx"
    r = httpx.get(site["http"] + "/a/x/y?z=1", follow_redirects=False)
    assert r.status_code == 301
    assert r.headers["location"] == f"https://127.0.0.1:{site['https']}/a/x/y?z=1"


def sign_in(c: httpx.Client, secret: str, forged: str | None = None) -> httpx.Response:
    page = c.get("/admin/login")
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
    headers = {"x-forwarded-for": forged} if forged else {}
    return c.post("/admin/login", data={"csrf": token, "secret": secret}, headers=headers)


def test_the_lock_out_sees_the_real_client_behind_the_proxy(site):
    with client(site, "127.0.0.2") as attacker:
        codes = [sign_in(attacker, "guess-of-the-attacker-" + str(i), forged=f"10.0.0.{i}")
                 .status_code for i in range(security.MAX_FAILURES + 2)]
    assert codes == [401] * (security.MAX_FAILURES - 1) + [429] * 3
    with client(site, "127.0.0.3") as admin:
        r = sign_in(admin, SECRET)
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert "briefgen_admin=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        page = admin.get("/admin")
        assert page.status_code == 200
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text).group(1)
        r = admin.post("/admin/invite", data={"csrf": token, "org": "region-x", "count": "1",
                                              "lang": "sv"})
        assert r.status_code == 200
        assert re.search(rf"<code>{re.escape(site['base'])}/a/region-x/[\w-]{{43}}</code>",
                         r.text)


def test_nginx_cuts_off_a_client_that_drips_its_headers(site):
    sock = socket.create_connection(("127.0.0.1", site["https"]))
    import ssl

    context = ssl.create_default_context(cafile=site["cert"])
    tls = context.wrap_socket(sock, server_hostname="localhost")
    tls.sendall(b"GET /done HTTP/1.1\r\nHost: localhost\r\n")
    start = time.monotonic()
    tls.settimeout(0.3)
    closed = None
    while time.monotonic() - start < 5:
        try:
            tls.sendall(b"X-Slow: 1\r\n")
            if tls.recv(4096) == b"":
                closed = time.monotonic() - start
                break
        except TimeoutError:
            continue
        except (OSError, ssl.SSLError):
            closed = time.monotonic() - start
            break
    tls.close()
    assert closed is not None and closed < 3, closed
