# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small HTTP/1.1 client on the standard library, shared by every service client of the collection.

Why not ``open_url``: the seedbox speaks HTTP Digest, and urllib's digest handler redoes the 401 handshake
for every request on a new connection. This client keeps one keep-alive connection per endpoint, answers
the server's challenge once (Digest or Basic, whichever the server asks for) and then authenticates every
following request up front, re-answering only when the server says the nonce is stale.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import os
import re
import socket
import ssl
import time

try:
    from http.client import HTTPConnection, HTTPSConnection, HTTPException
    from urllib.parse import urlsplit, urlencode, quote, unquote
    from urllib.request import getproxies, proxy_bypass
except ImportError:  # pragma: no cover - Python 2 is not supported by this collection
    HTTPConnection = HTTPSConnection = HTTPException = None

USER_AGENT = "mediaops.servarr (Ansible collection)"


class ServiceError(Exception):
    """A service answered in a way that means: stop, change nothing."""

    def __init__(self, message, status=None):
        super(ServiceError, self).__init__(message)
        self.status = status


class AuthError(ServiceError):
    pass


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.attempts = 1   # how many times the request was sent (retries after 5xx or connection errors)

    def tried(self):
        """' (tried 4 times)' for a request that was retried, '' otherwise: for error messages."""
        return " (tried %d times)" % self.attempts if self.attempts > 1 else ""

    def header(self, name, default=None):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default


def parse_challenge(value):
    """Split a WWW-Authenticate value into (scheme, params). Only the first challenge is used."""
    value = (value or "").strip()
    scheme, _sep, rest = value.partition(" ")
    params = {}
    for match in re.finditer(r'([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]+)', rest):
        key = match.group(1).lower()
        params[key] = match.group(3) if match.group(3) is not None else match.group(2)
        if match.group(3) is not None:
            params[key] = re.sub(r"\\(.)", r"\1", params[key])
    return scheme.lower(), params


class DigestState:
    """RFC 7616 client state for one realm: MD5 / SHA-256 (and -sess), qop=auth."""

    _HASHES = {"md5": hashlib.md5, "sha-256": hashlib.sha256}

    def __init__(self, username, password, params):
        self.username = username
        self.password = password
        self.params = params
        self.nonce_count = 0
        algorithm = params.get("algorithm", "MD5").lower()
        self.sess = algorithm.endswith("-sess")
        base = algorithm[:-5] if self.sess else algorithm
        if base not in self._HASHES:
            raise AuthError("server asks for an unsupported digest algorithm %r" % params.get("algorithm"))
        self.algorithm = params.get("algorithm", "MD5")
        self._hash = self._HASHES[base]
        qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
        if qops and "auth" not in qops:
            raise AuthError("server asks for an unsupported digest qop %r" % params.get("qop"))
        self.qop = "auth" if qops else None

    @staticmethod
    def cnonce():
        return hashlib.sha256(os.urandom(16)).hexdigest()[:16]

    def _h(self, text):
        return self._hash(text.encode("utf-8")).hexdigest()

    def header(self, method, uri):
        self.nonce_count += 1
        nonce = self.params.get("nonce", "")
        realm = self.params.get("realm", "")
        cnonce = self.cnonce()
        nc = "%08x" % self.nonce_count
        ha1 = self._h("%s:%s:%s" % (self.username, realm, self.password))
        if self.sess:
            ha1 = self._h("%s:%s:%s" % (ha1, nonce, cnonce))
        ha2 = self._h("%s:%s" % (method, uri))
        if self.qop:
            response = self._h("%s:%s:%s:%s:%s:%s" % (ha1, nonce, nc, cnonce, self.qop, ha2))
        else:
            response = self._h("%s:%s:%s" % (ha1, nonce, ha2))
        parts = [
            'username="%s"' % self.username.replace("\\", "\\\\").replace('"', '\\"'),
            'realm="%s"' % realm,
            'nonce="%s"' % nonce,
            'uri="%s"' % uri,
            'response="%s"' % response,
            "algorithm=%s" % self.algorithm,
        ]
        if "opaque" in self.params:
            parts.append('opaque="%s"' % self.params["opaque"])
        if self.qop:
            parts.extend(["qop=%s" % self.qop, "nc=%s" % nc, 'cnonce="%s"' % cnonce])
        return "Digest " + ", ".join(parts)


def make_ssl_context(validate_certs=True, ca_path=None, ca_option="ca_path"):
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if ca_path:
        if not os.path.isfile(ca_path):
            raise ServiceError("%s %s does not exist or is not a file" % (ca_option, ca_path))
        try:
            return ssl.create_default_context(cafile=ca_path)
        except (ssl.SSLError, ValueError) as exc:
            raise ServiceError("%s %s is not a PEM certificate file: %s" % (ca_option, ca_path, exc))
    return ssl.create_default_context()


class Proxy:
    """An HTTP proxy from the environment, as the standard library finds it (``urllib.request.getproxies``:
    ``https_proxy``/``HTTPS_PROXY``, ``http_proxy``/``HTTP_PROXY``; ``no_proxy``/``NO_PROXY`` through
    ``proxy_bypass``). https:// goes through a CONNECT tunnel (TLS and authentication end to end); http://
    requests are sent to the proxy with the absolute URL."""

    def __init__(self, url, service):
        if "://" not in url:
            url = "http://" + url
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ServiceError("%s: proxy %r from the environment is not an http:// proxy" % (service, url))
        try:
            self.port = parts.port or 80
        except ValueError:
            raise ServiceError("%s: proxy %r from the environment has an invalid port" % (service, url))
        self.host = parts.hostname
        self.headers = {}
        if parts.username is not None:
            token = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
            self.headers["Proxy-Authorization"] = "Basic " + base64.b64encode(token.encode("utf-8")).decode("ascii")

    def describe(self):
        return "%s:%d" % (self.host, self.port)   # never the credentials


def is_loopback(host):
    """``localhost``, 127.0.0.0/8 or ::1: this machine, which no proxy may see (an API key to 127.0.0.1 would
    otherwise go through whatever proxy the environment names)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        import ipaddress
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# The most of an answer a client reads: a service that sends more (a lying or broken one) fails the task instead
# of filling this host's memory. rTorrent's answer for thousands of torrents with their file lists is tens of MB.
MAX_BODY_BYTES = 256 * 1024 * 1024


def proxy_for(scheme, host, port, service):
    """The Proxy the environment sets for this endpoint, or None (no proxy, NO_PROXY names the host, or the
    host is this machine)."""
    if is_loopback(host):
        return None
    url = getproxies().get(scheme)
    if not url:
        return None
    hostport = host if port is None else "%s:%d" % (host, port)
    if proxy_bypass(hostport):
        return None
    return Proxy(url, service)


class HttpClient:
    """One endpoint (scheme://host:port), one keep-alive connection, negotiated auth."""

    def __init__(self, base_url, service, username=None, password=None, validate_certs=True, ca_path=None,
                 timeout=30, retries=3, backoff=1.0, default_headers=None, ca_option="ca_path",
                 allow_basic_over_http=False, basic_option=None, max_body=MAX_BODY_BYTES):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServiceError("%s: %r is not an http:// or https:// URL" % (service, base_url))
        if parts.username or parts.password:
            raise ServiceError("%s: put credentials in the username/password options, not in the URL" % service)
        self.service = service
        self.scheme = parts.scheme
        self.host = parts.hostname
        try:
            self.port = parts.port
        except ValueError:
            raise ServiceError("%s: %r has an invalid port" % (service, base_url))
        self.base_path = parts.path.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.default_headers = dict(default_headers or {})
        # the option a user sets to trust the server's certificate, named in TLS errors (rtorrent_ca_path, ...)
        self.ca_option = ca_option
        self._context = make_ssl_context(validate_certs, ca_path, ca_option) if self.scheme == "https" else None
        self.proxy = proxy_for(self.scheme, self.host, self.port, service)
        self._conn = None
        self._auth_scheme = None
        self._digest = None
        self.request_count = 0
        # Basic sends the password itself: never over plain http:// unless the user said so (basic_option)
        self.allow_basic_over_http = allow_basic_over_http
        self.basic_option = basic_option
        self.max_body = max_body

    # -- connection -------------------------------------------------------------------------------------
    def _connection(self):
        if self._conn is None:
            proxy = self.proxy
            if self.scheme == "https":
                if proxy:
                    # TLS to the server through a CONNECT tunnel: the certificate is checked against self.host
                    self._conn = HTTPSConnection(proxy.host, proxy.port, timeout=self.timeout, context=self._context)
                    self._conn.set_tunnel(self.host, self.port or 443, headers=proxy.headers)
                else:
                    self._conn = HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self._context)
            elif proxy:
                self._conn = HTTPConnection(proxy.host, proxy.port, timeout=self.timeout)
            else:
                self._conn = HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _send_once(self, method, path, body, headers):
        conn = self._connection()
        self.request_count += 1
        if self.proxy and self.scheme == "http":
            # the proxy gets the absolute URL; Digest still signs the path, which is what the server sees
            port = ":%d" % self.port if self.port else ""
            host = "[%s]" % self.host if ":" in self.host else self.host
            path = "http://%s%s%s" % (host, port, path)
            headers = dict(headers, **self.proxy.headers)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(self.max_body + 1)
        except Exception:
            self.close()
            raise
        if len(data) > self.max_body:
            self.close()
            raise ServiceError("%s: %s answered more than %d MiB to %s %s; refusing to read more (a broken or "
                               "hostile answer)" % (self.service, self.describe(), self.max_body // 1048576,
                                                    method, path.split("?")[0]))
        if (resp.getheader("Connection") or "").lower() == "close":
            self.close()
        return Response(resp.status, resp.reason, resp.getheaders(), data)

    def _send(self, method, path, body, headers):
        """Send on the kept-alive connection; a connection the server closed meanwhile (front ends close idle
        keep-alive connections after a few seconds; over TLS that shows as an EOF) is reopened once. Only a
        connection that was reused and gave nothing back is retried, so a request is never sent twice to a
        server that answered it."""
        reused = self._conn is not None
        try:
            return self._send_once(method, path, body, headers)
        except ssl.SSLCertVerificationError:
            raise
        except (HTTPException, ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
            if not reused or isinstance(exc, ConnectionRefusedError):
                raise
            return self._send_once(method, path, body, headers)

    # -- auth -----------------------------------------------------------------------------------------------
    def _auth_header(self, method, path):
        if self._auth_scheme == "basic":
            token = base64.b64encode(("%s:%s" % (self.username, self.password)).encode("utf-8")).decode("ascii")
            return "Basic " + token
        if self._auth_scheme == "digest":
            return self._digest.header(method, path)
        return None

    def _answer_challenge(self, resp):
        """Pick the auth scheme from a 401. Returns True if a retry with credentials makes sense."""
        if not self.username:
            return False
        scheme, params = parse_challenge(resp.header("WWW-Authenticate"))
        if scheme == "digest":
            stale = params.get("stale", "").lower() == "true"
            first = self._auth_scheme != "digest"
            self._auth_scheme = "digest"
            self._digest = DigestState(self.username, self.password or "", params)
            return first or stale
        if scheme == "basic":
            if self._auth_scheme == "digest":
                raise ServiceError("%s: %s asked for Basic authentication after Digest was agreed; refusing to "
                                   "send the password in clear (a downgrade)" % (self.service, self.describe()))
            if self.scheme == "http" and not self.allow_basic_over_http and not is_loopback(self.host):
                raise ServiceError("%s: %s asks for Basic authentication over plain http://, which would send the "
                                   "password readable to anyone on the way; use https://%s"
                                   % (self.service, self.describe(),
                                      " or set %s if you accept that" % self.basic_option if self.basic_option else ""))
            first = self._auth_scheme != "basic"
            self._auth_scheme = "basic"
            return first
        return False

    # -- public -----------------------------------------------------------------------------------------------
    def url_path(self, path, query=None):
        full = self.base_path + (path if path.startswith("/") or not path else "/" + path)
        full = quote(full or "/", safe="/:@!$&'()*+,;=-._~%")
        if query:
            full += "?" + urlencode(query, doseq=True)
        return full

    def describe(self):
        port = ":%d" % self.port if self.port else ""
        via = " (through the proxy %s)" % self.proxy.describe() if self.proxy else ""
        return "%s://%s%s%s%s" % (self.scheme, self.host, port, self.base_path, via)

    def request(self, method, path, query=None, body=None, headers=None, idempotent=None):
        """Send a request; returns Response. Retries transient failures (connection errors, 5xx on
        idempotent requests) with exponential backoff. Never raises on HTTP status: callers decide."""
        full = self.url_path(path, query)
        all_headers = {"User-Agent": USER_AGENT}
        all_headers.update(self.default_headers)
        all_headers.update(headers or {})
        if idempotent is None:
            idempotent = method in ("GET", "HEAD")
        attempt = 0
        challenges = 0
        while True:
            auth = self._auth_header(method, full)
            if auth:
                all_headers["Authorization"] = auth
            try:
                resp = self._send(method, full, body, all_headers)
            except ssl.SSLCertVerificationError as exc:
                raise ServiceError("%s: TLS failure talking to %s: %s (give the certificate authority that signed "
                                   "its certificate with %s)" % (self.service, self.describe(), exc, self.ca_option))
            except ssl.SSLError as exc:
                raise ServiceError("%s: TLS connection to %s failed: %s" % (self.service, self.describe(), exc))
            except (socket.timeout, OSError, HTTPException) as exc:
                if attempt < self.retries and (idempotent or isinstance(exc, ConnectionRefusedError)):
                    attempt += 1
                    time.sleep(self.backoff * (2 ** (attempt - 1)))
                    continue
                raise ServiceError("%s: cannot reach %s: %s%s" % (
                    self.service, self.describe(), exc or type(exc).__name__,
                    " (tried %d times)" % (attempt + 1) if attempt else ""))
            if resp.status == 401 and challenges < 2 and self._answer_challenge(resp):
                challenges += 1
                continue
            if resp.status >= 500 and idempotent and attempt < self.retries:
                attempt += 1
                time.sleep(self.backoff * (2 ** (attempt - 1)))
                continue
            resp.attempts = attempt + 1
            return resp
