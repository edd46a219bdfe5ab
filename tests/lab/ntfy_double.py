# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ntfy test double: the publish API as ntfy 2.x serves it (binwiederhier/ntfy server/server.go, errors.go).

* ``POST|PUT /<topic>`` (topic: 1-64 of ``[-_A-Za-z0-9]``): the body is the message (trimmed), parameters from
  the headers ``X-Title``/``Title``/``t``, ``X-Priority``/``Priority``/``prio``/``p`` (1-5 or min, low, default,
  high, max, urgent; anything else 400 40007), ``X-Tags``/``Tags``/``tag``/``ta`` (comma-separated), or the same
  names as query parameters. A body that is not UTF-8 is 400 40011. A body over the message size limit (4,096
  bytes) would become an attachment; attachments are off here, as on a server without an attachment cache:
  400 40014.
* ``POST|PUT /``: JSON ``{"topic", "message", "title", "priority": 0-5, "tags": [...], "click", ...}``, read with a
  limit of twice the message size limit (413 41303 "JSON body too large"); not JSON: 400 40024; a bad topic:
  400 40009; then handled as the topic publish above (so a message over 4,096 bytes is 400 40014).
* Auth: ``Authorization: Bearer <token>`` or ``Basic`` (user:password). Unknown token or wrong password: 401 40101.
  A known user (or anonymous) without write access to the topic: 403 40301. Topics listed in ``open_topics`` take
  anonymous writes.
* ``GET /<topic>[,<topic>...]/auth`` (server.go authPathRegex, authorizeTopicRead, handleTopicAuth): 200
  ``{"success": true}`` when the user (or anonymous) may READ every topic named, 401 40101 for wrong credentials,
  403 40301 otherwise; nothing is published. Read access is ``read_access`` (default: the same as
  ``write_access``), so a write-only user is refused here although it may publish.
* No user and no token configured is ntfy without an auth-file: the ``Authorization`` header is not read at all.
* Rate limit: after ``rate_limit`` accepted messages, 429 42901 "limit reached: too many requests".
* Errors are ntfy's JSON ``{"code", "http", "error", "link"}``; success is 200 with the message
  ``{"id", "time", "expires", "event": "message", "topic", "message", "title"?, "priority"?, "tags"?}``.
Every request that reached a handler (headers included) is kept in ``requests``; accepted messages in
``messages``.
"""
import base64
import json
import re
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOPIC_RE = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
PRIORITIES = {"": 0, "1": 1, "min": 1, "2": 2, "low": 2, "3": 3, "default": 3, "4": 4, "high": 4,
              "5": 5, "max": 5, "urgent": 5}
ERRORS = {
    40007: (400, "invalid priority parameter"),
    40009: (400, "invalid request: topic invalid"),
    40011: (400, "invalid request: message must be UTF-8 encoded"),
    40014: (400, "invalid request: attachments not allowed"),
    40024: (400, "invalid request: request body must be valid JSON"),
    40101: (401, "unauthorized"),
    40301: (403, "forbidden"),
    40401: (404, "page not found"),
    41303: (413, "JSON body too large"),
    42901: (429, "limit reached: too many requests"),
}


class HttpError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code


class NtfyDouble:
    def __init__(self, users=None, tokens=None, write_access=None, open_topics=None, rate_limit=None,
                 message_limit=4096, certfile=None, keyfile=None, read_access=None):
        """users: {name: password}; tokens: {token: user}; write_access: {user: [topics]} ("*" = every topic);
        read_access: the same for reading (default: write_access); open_topics: topics anyone may read and write
        (default: every topic when no user or token is configured)."""
        self.users = dict(users or {})
        self.tokens = dict(tokens or {})
        self.write_access = dict(write_access or {})
        self.read_access = dict(write_access or {}) if read_access is None else dict(read_access)
        self.open_topics = open_topics
        self.rate_limit = rate_limit
        self.message_limit = message_limit
        self.requests = []
        self.messages = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.scheme = "http"
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            self.scheme = "https"
        self.port = self.server.server_address[1]
        self.thread = None

    @property
    def base_url(self):
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def topic_url(self, topic):
        return "%s/%s" % (self.base_url, topic)

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # -- the server's decisions --------------------------------------------------------------------------------
    def authorize(self, headers, topic, perm="write"):
        # no user and no token is ntfy without an auth-file: it reads no Authorization header (maybeAuthenticate)
        auth = (headers.get("Authorization") or "") if (self.users or self.tokens) else ""
        user = None
        if auth:
            scheme, _sep, value = auth.partition(" ")
            if scheme.lower() == "bearer":
                user = self.tokens.get(value.strip())
                if user is None:
                    raise HttpError(40101)
            elif scheme.lower() == "basic":
                try:
                    name, _sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
                except (ValueError, UnicodeDecodeError):
                    raise HttpError(40101)
                if self.users.get(name) != password or name not in self.users:
                    raise HttpError(40101)
                user = name
            else:
                raise HttpError(40101)
        open_topics = self.open_topics
        if open_topics is None:
            open_topics = ["*"] if not (self.users or self.tokens) else []
        if "*" in open_topics or topic in open_topics:
            return user
        access = self.write_access if perm == "write" else self.read_access
        allowed = access.get(user, []) if user else []
        if "*" not in allowed and topic not in allowed:
            raise HttpError(40301)
        return user

    def publish(self, topic, body, params, headers):
        if not TOPIC_RE.match(topic):
            raise HttpError(40009)
        user = self.authorize(headers, topic)
        if self.rate_limit is not None and len(self.messages) >= self.rate_limit:
            raise HttpError(42901)
        priority_text = params.get("priority", "").strip().lower()
        if priority_text not in PRIORITIES:
            raise HttpError(40007)
        if len(body) >= self.message_limit:
            # ntfy's peek reports the limit reached when it read exactly message-size-limit bytes: from 4,096
            # bytes on the body would be an attachment, and this server has none
            raise HttpError(40014)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HttpError(40011)
        now = int(time.time())
        message = {"id": secrets.token_hex(6), "time": now, "expires": now + 43200, "event": "message",
                   "topic": topic, "message": text.strip() or "triggered"}
        if params.get("title"):
            message["title"] = params["title"]
        if PRIORITIES[priority_text]:
            message["priority"] = PRIORITIES[priority_text]
        tags = [t.strip() for t in params.get("tags", "").split(",") if t.strip()]
        if tags:
            message["tags"] = tags
        with self.lock:
            self.messages.append(dict(message, user=user))
        return message


def _param(headers, query, *names):
    for name in names:
        value = headers.get(name)
        if value and value.strip():
            return value.strip()
    for name in names:
        values = query.get(name.lower())
        if values and values[0].strip():
            return values[0].strip()
    return ""


def _handler(double):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ntfy"

        def log_message(self, fmt, *args):
            pass

        def _send(self, status, payload):
            body = (json.dumps(payload) + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, code):
            status, text = ERRORS[code]
            self._send(status, {"code": code, "http": status, "error": text,
                                "link": "https://ntfy.sh/docs/publish/"})

        def _handle(self):
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with double.lock:
                double.requests.append({"method": self.command, "path": parts.path, "body": body,
                                        "headers": dict(self.headers.items())})
            headers = self.headers
            try:
                if parts.path == "/":
                    if len(body) > 2 * double.message_limit:
                        raise HttpError(41303)
                    try:
                        data = json.loads(body.decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        raise HttpError(40024)
                    if not isinstance(data, dict):
                        raise HttpError(40024)
                    topic = data.get("topic") if isinstance(data.get("topic"), str) else ""
                    if not TOPIC_RE.match(topic):
                        raise HttpError(40009)
                    priority = data.get("priority") or 0
                    if not isinstance(priority, int) or isinstance(priority, bool):
                        raise HttpError(40024)
                    params = {"title": data.get("title") or "", "priority": str(priority) if priority else "",
                              "tags": ",".join(data.get("tags") or [])}
                    message = double.publish(topic, (data.get("message") or "").encode("utf-8"), params, headers)
                elif re.match(r"^/[-_A-Za-z0-9]{1,64}$", parts.path):
                    params = {"title": _param(headers, query, "X-Title", "Title", "t"),
                              "priority": _param(headers, query, "X-Priority", "Priority", "prio", "p"),
                              "tags": _param(headers, query, "X-Tags", "Tags", "Tag", "ta")}
                    message = double.publish(parts.path[1:], body, params, headers)
                else:
                    raise HttpError(40401)
            except HttpError as exc:
                self._error(exc.code)
                return
            self._send(200, message)

        def do_GET(self):
            parts = urlsplit(self.path)
            with double.lock:
                double.requests.append({"method": "GET", "path": parts.path, "body": b"",
                                        "headers": dict(self.headers.items())})
            match = re.match(r"^/([-_A-Za-z0-9]{1,64}(,[-_A-Za-z0-9]{1,64})*)/auth$", parts.path)
            try:
                if not match:
                    raise HttpError(40401)
                for topic in match.group(1).split(","):
                    double.authorize(self.headers, topic, perm="read")
            except HttpError as exc:
                self._error(exc.code)
                return
            self._send(200, {"success": True})

        def do_POST(self):
            self._handle()

        def do_PUT(self):
            self._handle()

    return Handler


if __name__ == "__main__":
    import sys
    d = NtfyDouble().start()
    print(d.base_url)
    sys.stdout.flush()
    d.thread.join()
