import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.httpclient import (
    DigestState, HttpClient, ServiceError, parse_challenge)


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


class _Basic(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Basic.seen.append(self.headers.get("Authorization"))
        if self.headers.get("Authorization") != "Basic dTpw":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="x"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


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
