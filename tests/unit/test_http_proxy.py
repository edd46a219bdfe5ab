# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HttpClient honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY as the standard library does: https through a CONNECT
tunnel (against the lab's real lighttpd with HTTPS + Digest), http with the absolute URL, a proxy's credentials
in Proxy-Authorization, and no proxy for a host NO_PROXY names."""
import base64
import socket
import socketserver
import threading
from http.client import HTTPConnection
from urllib.parse import urlsplit

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients import httpclient
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import HttpClient, ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient


class TinyProxy(socketserver.ThreadingTCPServer):
    """CONNECT tunnels and absolute-URL requests, with an optional Basic Proxy-Authorization; logs what it did."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, credentials=None):
        socketserver.ThreadingTCPServer.__init__(self, ("127.0.0.1", 0), _ProxyHandler)
        self.log = []
        self.expected = "Basic " + base64.b64encode(credentials.encode()).decode() if credentials else None
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class _ProxyHandler(socketserver.StreamRequestHandler):
    def _head(self):
        line = self.rfile.readline().decode("latin-1")
        headers = {}
        while True:
            header = self.rfile.readline().decode("latin-1")
            if header in ("\r\n", "\n", ""):
                break
            key, _sep, value = header.partition(":")
            headers[key.strip().lower()] = value.strip()
        return line.split(), headers

    def handle(self):
        while True:
            words, headers = self._head()
            if len(words) != 3:
                return
            method, target, _version = words
            if self.server.expected and headers.get("proxy-authorization") != self.server.expected:
                self.server.log.append(("refused", target))
                self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
                return
            self.server.log.append((method, target))
            if method == "CONNECT":
                return self._tunnel(target)
            self._forward(method, target, headers)

    def _tunnel(self, target):
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()

        def pipe(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        other = threading.Thread(target=pipe, args=(upstream, self.connection), daemon=True)
        other.start()
        pipe(self.connection, upstream)
        other.join(5)
        upstream.close()

    def _forward(self, method, target, headers):
        parts = urlsplit(target)
        body = self.rfile.read(int(headers.get("content-length", "0")))
        forwarded = dict((k, v) for k, v in headers.items() if k not in ("proxy-authorization", "host"))
        conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
        conn.request(method, parts.path + ("?" + parts.query if parts.query else ""), body=body or None,
                     headers=forwarded)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.wfile.write(("HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)).encode("latin-1"))
        for key, value in resp.getheaders():
            if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.wfile.write(("%s: %s\r\n" % (key, value)).encode("latin-1"))
        self.wfile.write(("Content-Length: %d\r\n\r\n" % len(data)).encode("latin-1"))
        self.wfile.write(data)
        self.wfile.flush()


@pytest.fixture
def no_env_proxy(monkeypatch):
    """No proxy from the machine, and the lab's loopback servers treated as remote hosts: the proxy path is
    tested here against them (loopback itself never goes through a proxy: test_loopback_never_through_a_proxy)."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                 "ALL_PROXY", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(httpclient, "is_loopback", lambda host: False)
    return monkeypatch


@pytest.mark.parametrize("host", ["127.0.0.1", "127.5.6.7", "localhost", "[::1]", "api.localhost"])
def test_loopback_never_through_a_proxy(monkeypatch, host):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert HttpClient("http://%s:7878" % host, "Radarr").proxy is None
    assert HttpClient("https://%s:7878" % host, "Radarr").proxy is None
    assert HttpClient("http://radarr.example:7878", "Radarr").proxy is not None


def test_https_goes_through_a_connect_tunnel_and_digest_still_works(lab, no_env_proxy):
    proxy = TinyProxy(credentials="proxyuser:proxy pass")
    user_pass = "proxyuser:proxy%20pass@"
    no_env_proxy.setenv("HTTPS_PROXY", proxy.url.replace("http://", "http://" + user_pass))
    client = RTorrentClient(lab["rpc2_url"], username=lab["rtorrent_username"], password=lab["rtorrent_password"],
                            ca_path=lab["ca_path"])
    assert client.transport.http.proxy is not None
    assert len(client.list_torrents()) == len(lab["torrents"])   # the Digest challenge, then the call
    assert client.call("system.client_version")
    # one tunnel per connection (lighttpd closes the one that got the 401 challenge, as it does without a proxy)
    assert proxy.log == [("CONNECT", "localhost:%d" % urlsplit(lab["rpc2_url"]).port)] * 2
    assert client.request_count == 3
    assert "proxy%20pass" not in client.transport.http.describe() and "127.0.0.1:" in client.transport.http.describe()


def test_a_wrong_proxy_password_is_a_clear_error(lab, no_env_proxy):
    proxy = TinyProxy(credentials="proxyuser:right")
    no_env_proxy.setenv("https_proxy", proxy.url.replace("http://", "http://proxyuser:wrong@"))
    client = RTorrentClient(lab["rpc2_url"], username=lab["rtorrent_username"], password=lab["rtorrent_password"],
                            ca_path=lab["ca_path"])
    with pytest.raises(ServiceError, match="407 Proxy Authentication Required"):
        client.call("system.client_version")


def test_http_sends_the_absolute_url_to_the_proxy(no_env_proxy):
    from http_servers import Basic, serve
    server = serve(Basic)
    proxy = TinyProxy()
    no_env_proxy.setenv("HTTP_PROXY", proxy.url)
    try:
        client = HttpClient("http://127.0.0.1:%d/base" % server.server_port, "svc", username="u", password="p",
                            allow_basic_over_http=True)
        assert client.request("POST", "/x", body=b"1").status == 200
        assert client.request("POST", "/x", body=b"2").status == 200
    finally:
        server.shutdown()
    url = "http://127.0.0.1:%d/base/x" % server.server_port
    assert proxy.log == [("POST", url)] * 3   # the challenge, then two authenticated requests


def test_no_proxy_names_hosts_that_are_reached_directly(lab, no_env_proxy):
    proxy = TinyProxy()
    no_env_proxy.setenv("HTTPS_PROXY", proxy.url)
    no_env_proxy.setenv("NO_PROXY", "example.org,localhost")
    client = RTorrentClient(lab["rpc2_url"], username=lab["rtorrent_username"], password=lab["rtorrent_password"],
                            ca_path=lab["ca_path"])
    assert client.transport.http.proxy is None
    assert client.call("system.client_version") and proxy.log == []


def test_only_http_proxies(no_env_proxy):
    no_env_proxy.setenv("HTTPS_PROXY", "socks5://127.0.0.1:1080")
    with pytest.raises(ServiceError, match="is not an http:// proxy"):
        HttpClient("https://seedbox.example", "rTorrent")
