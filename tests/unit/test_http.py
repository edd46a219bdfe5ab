# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import (
    DigestState, HttpClient, ServiceError, parse_challenge)
from http_servers import Basic as _Basic, serve as _serve  # tests/lab (conftest puts it on sys.path)


def test_parse_challenge():
    scheme, params = parse_challenge('Digest realm="seed box", nonce="abc", qop="auth,auth-int", algorithm=MD5, stale=true')
    assert scheme == "digest"
    assert params == {"realm": "seed box", "nonce": "abc", "qop": "auth,auth-int", "algorithm": "MD5", "stale": "true"}


def test_digest_response_matches_rfc2617_example():
    challenge = {"realm": "testrealm@host.com", "qop": "auth,auth-int", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 "opaque": "5ccc069c403ebaf9f0171e9517f40e41"}
    state = DigestState("Mufasa", "Circle Of Life", challenge)
    state.cnonce = lambda: "0a4f113b"
    header = state.header("GET", "/dir/index.html")
    assert 'response="6629fae49393a05397450978507c4ef1"' in header
    assert "nc=00000001" in header
    assert "nc=00000002" in state.header("GET", "/dir/index.html")


def test_unsupported_digest_algorithm_is_an_error():
    with pytest.raises(ServiceError):
        DigestState("u", "p", {"algorithm": "SHA-512-256", "nonce": "x"})


@pytest.mark.parametrize("url", ["ftp://host/x", "https//host", "", "http://", "https://user:pw@host/x"])
def test_bad_urls(url):
    with pytest.raises(ServiceError):
        HttpClient(url, "svc")


def test_basic_negotiated_once_then_sent_up_front():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Basic)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = HttpClient("http://127.0.0.1:%d/" % server.server_port, "svc", username="u", password="p")
        for dummy in range(3):
            assert client.request("POST", "/RPC2", body=b"x").status == 200
        assert client.request_count == 4  # one challenge, then credentials up front
        assert _Basic.seen[0] is None
    finally:
        server.shutdown()


def test_connection_refused_names_the_service():
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    client = HttpClient("http://127.0.0.1:%d" % port, "sonarr", retries=1, backoff=0.01)
    with pytest.raises(ServiceError, match="sonarr: cannot reach http://127.0.0.1:%d" % port):
        client.request("GET", "/api/v3/queue")


# -- what the errors say -------------------------------------------------------------------------------------

class _Status(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    status = 500

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b'{"page": 1, "pageSize": 1, "totalRecords": 3, "records": [{"id": 1}]}'
        status = 200 if "page=1&" in self.path else _Status.status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_failing_page_is_named_and_the_retries_said():
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient
    server = _serve(_Status)
    try:
        client = ArrClient("radarr", "radarr", "http://127.0.0.1:%d" % server.server_port, "k", backoff=0.0)
        with pytest.raises(ServiceError) as err:
            client.paged("/api/v3/history", {}, page_size=1)
    finally:
        server.shutdown()
    assert str(err.value) == ("radarr: GET /api/v3/history page 2 answered HTTP 500 Internal Server Error "
                              "(tried 4 times)")


@pytest.fixture(scope="module")
def tls_dir(tmp_path_factory):
    import lab
    d = str(tmp_path_factory.mktemp("tls"))
    lab.make_tls(d)
    return d


@pytest.mark.parametrize("make, option", [
    (lambda url, ca: __import__("ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent",
                                fromlist=["x"]).RTorrentClient(url, ca_path=ca).call("system.client_version"),
     "rtorrent_ca_path"),
    (lambda url, ca: HttpClient(url, "Jellyfin", ca_path=ca, ca_option="jellyfin_ca_path").request("GET", "/"),
     "jellyfin_ca_path"),
])
def test_the_tls_hint_names_the_option_of_the_module_that_failed(tls_dir, make, option):
    server = _serve(_Status, tls_dir)
    try:
        with pytest.raises(ServiceError) as err:
            make("https://localhost:%d/RPC2" % server.server_port, None)   # the system CAs do not know the lab's
    finally:
        server.shutdown()
    assert "TLS failure" in str(err.value) and str(err.value).endswith("its certificate with %s)" % option)


def test_a_ca_file_that_is_not_there_is_named_by_its_option(tmp_path):
    with pytest.raises(ServiceError, match="^rtorrent_ca_path /nonexistent.pem does not exist or is not a file$"):
        HttpClient("https://seedbox", "rTorrent", ca_path="/nonexistent.pem", ca_option="rtorrent_ca_path")
    (tmp_path / "x.pem").write_text("not a certificate")
    with pytest.raises(ServiceError, match="jellyfin_ca_path .*x.pem is not a PEM certificate file"):
        HttpClient("https://jf", "Jellyfin", ca_path=str(tmp_path / "x.pem"), ca_option="jellyfin_ca_path")


def test_the_arr_instance_ca_option_is_named():
    from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client
    instance = {"name": "radarr4k", "type": "radarr", "url": "https://r", "api_key": "k", "api_key_file": None,
                "validate_certs": True, "ca_path": "/nonexistent.pem", "timeout": 5}
    with pytest.raises(ServiceError, match="^ca_path of instance radarr4k /nonexistent.pem does not exist"):
        arr_client(instance)
    client = arr_client(dict(instance, ca_path=None))
    assert client.http.ca_option == "ca_path of instance radarr4k"


def test_the_jellyfin_and_rtorrent_ca_options_are_named():
    from ansible_collections.mediaops.servarr.plugins.module_utils.common import jellyfin_client, rtorrent_client

    class Module:
        params = {"jellyfin_url": "https://jf", "jellyfin_api_key": "k", "jellyfin_validate_certs": True,
                  "jellyfin_ca_path": "/nonexistent.pem", "jellyfin_timeout": 5,
                  "rtorrent_url": "https://seedbox/RPC2", "rtorrent_username": None, "rtorrent_password": None,
                  "rtorrent_validate_certs": True, "rtorrent_ca_path": None, "rtorrent_timeout": 5}

    with pytest.raises(ServiceError, match="^jellyfin_ca_path /nonexistent.pem does not exist"):
        jellyfin_client(Module)
    Module.params["jellyfin_ca_path"] = None
    assert jellyfin_client(Module).http.ca_option == "jellyfin_ca_path"
    assert rtorrent_client(Module).transport.http.ca_option == "rtorrent_ca_path"


def test_basic_is_never_sent_over_plain_http_to_another_host(monkeypatch):
    """A server that asks for Basic over http:// gets no password unless the option says so; loopback is this
    machine and may."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients import httpclient
    server = _serve(_Basic)
    _Basic.seen = []
    monkeypatch.setattr(httpclient, "is_loopback", lambda host: False)   # the test server stands for a remote host
    try:
        client = HttpClient("http://127.0.0.1:%d" % server.server_port, "rTorrent", username="u", password="p",
                            basic_option="rtorrent_allow_basic_over_http")
        with pytest.raises(ServiceError, match="rtorrent_allow_basic_over_http"):
            client.request("POST", "/x", body=b"1")
        assert _Basic.seen == [None]   # the challenge only: the password never went out
        allowed = HttpClient("http://127.0.0.1:%d" % server.server_port, "rTorrent", username="u", password="p",
                             allow_basic_over_http=True)
        assert allowed.request("POST", "/x", body=b"1").status == 200
    finally:
        server.shutdown()


class _DigestThenBasic(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        auth = self.headers.get("Authorization")
        _DigestThenBasic.seen.append(auth)
        self.send_response(401)
        if auth is None:
            self.send_header("WWW-Authenticate", 'Digest realm="x", nonce="abc", qop="auth"')
        else:
            self.send_header("WWW-Authenticate", 'Basic realm="x"')   # after Digest: a downgrade attempt
        self.send_header("Content-Length", "0")
        self.end_headers()


def test_digest_is_never_downgraded_to_basic():
    server = _serve(_DigestThenBasic)
    _DigestThenBasic.seen = []
    try:
        client = HttpClient("http://127.0.0.1:%d" % server.server_port, "rTorrent", username="u", password="secretpw",
                            allow_basic_over_http=True)
        with pytest.raises(ServiceError, match="downgrade"):
            client.request("POST", "/x", body=b"1")
    finally:
        server.shutdown()
    assert all(a is None or a.startswith("Digest ") for a in _DigestThenBasic.seen)
    assert not any("c2VjcmV0cHc" in (a or "") for a in _DigestThenBasic.seen)


class _Huge(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"   # no Content-Length: the body runs until the connection closes

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _chunk in range(64):   # 4 MiB
                self.wfile.write(chunk)
        except OSError:
            pass


def test_an_answer_larger_than_the_cap_is_refused():
    server = _serve(_Huge)
    try:
        client = HttpClient("http://127.0.0.1:%d" % server.server_port, "Radarr", max_body=1024 * 1024, retries=0)
        with pytest.raises(ServiceError, match="more than 1 MiB"):
            client.request("GET", "/api/v3/history")
    finally:
        server.shutdown()


def test_a_kept_alive_tls_connection_the_server_closed_is_reopened(tls_dir):
    """Front ends close idle keep-alive connections; the next request on it must go out on a new connection,
    not end as a certificate problem (issue 16: ssl.SSLEOFError after ruTorrent's 15 s clean-up wait)."""
    import socket
    import ssl
    import lab  # noqa: F401  (make_tls made tls_dir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(tls_dir, "tls.crt"), os.path.join(tls_dir, "tls.key"))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    served = []

    def serve():
        for _connection in range(2):
            conn, _addr = listener.accept()
            tls = context.wrap_socket(conn, server_side=True)
            data = b""
            while b"\r\n\r\n" not in data:
                data += tls.recv(4096)
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")][0])
            while len(body) < length:
                body += tls.recv(4096)
            served.append(data.split(b" ")[1])
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            # keep-alive announced, then closed as an idle front end does: a bare TCP close, no TLS goodbye
            tls.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = HttpClient("https://localhost:%d" % port, "rTorrent", ca_path=os.path.join(tls_dir, "tls.crt"),
                        retries=0, ca_option="rtorrent_ca_path")
    assert client.request("POST", "/first", body=b"1").status == 200
    time.sleep(0.2)
    resp = client.request("POST", "/second", body=b"2")
    assert resp.status == 200 and served == [b"/first", b"/second"]
    listener.close()
