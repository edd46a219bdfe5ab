# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ntfy publishing: pure helpers (priority, tags, topic URL, shortening to ntfy's limits, redaction) and a client
on the collection's HttpClient. Used by the ``ntfy_send`` module and the ``ntfy`` callback plugin.

ntfy's publish API (server/server.go of binwiederhier/ntfy): ``POST /<topic>`` with the message as body and the
``Title``/``Priority``/``Tags`` headers, or ``POST /`` with a JSON object ``{"topic", "message", "title",
"priority": 1-5, "tags": [...]}``. This client publishes JSON: a title with non-ASCII characters needs no header
encoding, and the topic stays out of any header. A message over the server's message size limit (4,096 bytes
by default) is turned into an attachment, or refused where attachments are off; so the message is shortened to
that limit here, never refused. Authentication: ``Authorization: Bearer <token>`` or ``Basic``, sent up front
(ntfy sends no challenge); a wrong token or password is a 401, a topic the user may not write to a 403.

Checking without publishing: ``GET /<topic>/auth`` answers ``{"success": true}`` when the credentials are good
and the user may READ the topic (server.go: authPathRegex, authorizeTopicRead, handleTopicAuth), 401 for a wrong
token or password, 403 when the user may not read it. ntfy has no such check for writing: only a message proves
that the user may publish.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import HttpClient, ServiceError
# SHORTENED_MARK and shorten_line lived here before module_utils/text.py: still importable from this module
from ansible_collections.mediaops.servarr.plugins.module_utils.text import (  # pylint: disable=unused-import
    SHORTENED_MARK, shorten, shorten_line)

try:
    from urllib.parse import urlsplit, urlunsplit
except ImportError:  # pragma: no cover - Python 2 is not supported by this collection
    urlsplit = urlunsplit = None

# ntfy's default message-size-limit (server/config.go DefaultMessageSizeLimit), in bytes of UTF-8. ntfy keeps a
# message as text only when it is SHORTER than that (util/peek.go: the limit is reached when read == limit; the
# server then takes the attachment path, refused where attachments are off): at most 4,095 bytes are sent.
SERVER_MESSAGE_LIMIT = 4096
MESSAGE_LIMIT = SERVER_MESSAGE_LIMIT - 1
# ntfy has no title limit of its own, but a phone shows one line: keep titles short.
TITLE_LIMIT = 200
PRIORITIES = {"min": 1, "low": 2, "default": 3, "high": 4, "max": 5, "urgent": 5}
TOPIC_RE = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
MASK = "********"


class NtfyError(ServiceError):
    """Publishing failed; ``status`` is ntfy's HTTP status when it answered."""


def parse_priority(value):
    """ntfy's priority: 1-5 or min/low/default/high/max/urgent (as ntfy's util.ParsePriority). None -> 3."""
    if value is None or value == "":
        return 3
    text = str(value).strip().lower()
    if text in PRIORITIES:
        return PRIORITIES[text]
    if text in ("1", "2", "3", "4", "5"):
        return int(text)
    raise ValueError("priority %r is not 1-5 or one of min, low, default, high, max, urgent" % (value,))


def parse_tags(value):
    """Tags from a list or a comma-separated string, trimmed, empty ones and duplicates dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    tags = []
    for item in items:
        tag = str(item).strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def split_topic_url(url):
    """``https://ntfy.example.com/alerts`` -> (``https://ntfy.example.com``, ``alerts``). A server under a path
    (``https://example.com/ntfy/alerts``) keeps its path. Credentials in the URL are refused (they would show in
    logs); give them as token or username/password."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NtfyError("ntfy: url must be the topic's http:// or https:// URL, e.g. https://ntfy.sh/mytopic")
    if parts.username or parts.password:
        raise NtfyError("ntfy: put credentials in token or username/password, not in the url")
    path = parts.path.rstrip("/")
    base, _sep, topic = path.rpartition("/")
    if not TOPIC_RE.match(topic):
        raise NtfyError("ntfy: the url must end in a topic name (1-64 of A-Z a-z 0-9 _ -), got %r" % (topic,))
    return urlunsplit((parts.scheme, parts.netloc, base, "", "")), topic


def redact(text, secrets):
    """``text`` with every secret (4 characters or more; shorter ones would mask ordinary words) replaced."""
    if text is None:
        return text
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def build_payload(topic, message, title=None, priority=None, tags=None, click=None, limit=MESSAGE_LIMIT):
    """The JSON publish body. The message is shortened to ``limit`` bytes, the title to TITLE_LIMIT."""
    payload = {"topic": topic, "message": shorten(message, limit) or u"(no message)"}
    if title:
        payload["title"] = shorten_line(title, TITLE_LIMIT)
    payload["priority"] = parse_priority(priority)
    tags = parse_tags(tags)
    if tags:
        payload["tags"] = tags
    if click:
        payload["click"] = click
    return payload


def auth_header(token=None, username=None, password=None):
    if token:
        return "Bearer " + token.strip()
    if username:
        raw = ("%s:%s" % (username, password or "")).encode("utf-8")
        return "Basic " + base64.b64encode(raw).decode("ascii")
    return None


def read_secret_file(path, what):
    """The first line of a file holding a token or a password (a vault-decrypted file, a systemd credential)."""
    try:
        with open(path) as handle:
            value = handle.readline().strip()
    except (IOError, OSError) as exc:
        raise NtfyError("ntfy: cannot read the %s file %s: %s" % (what, path, exc.strerror or exc))
    if not value:
        raise NtfyError("ntfy: the %s file %s is empty" % (what, path))
    return value


_STATUS_MEANING = {
    400: "ntfy refused the message as invalid",
    401: "ntfy refused the credentials (wrong access token or username/password)",
    403: "ntfy refused: this user may not publish to the topic",
    404: "ntfy: no such page (is the url the topic's URL?)",
    413: "ntfy refused the message as too large",
    429: "ntfy's rate limit is reached (too many requests or messages); try later",
}


def describe_refusal(status, body):
    """A one-line reason from ntfy's answer: {"code": 42901, "http": 429, "error": "limit reached: ..."}."""
    detail = ""
    try:
        data = json.loads(body.decode("utf-8", "replace")) if body else {}
        if isinstance(data, dict) and data.get("error"):
            detail = str(data["error"])
    except ValueError:
        detail = ""
    meaning = _STATUS_MEANING.get(status, "ntfy answered HTTP %d" % status)
    if detail and detail not in meaning:
        meaning += " (%s)" % shorten_line(detail, 200)
    return meaning


class NtfyClient:
    """Publishes to one topic. Secrets stay in the Authorization header; never in errors."""

    def __init__(self, url, token=None, username=None, password=None, ca_path=None, validate_certs=True,
                 timeout=10, limit=MESSAGE_LIMIT):
        self.base_url, self.topic = split_topic_url(url)
        if token and username:
            raise NtfyError("ntfy: give an access token or a username/password, not both")
        if password and not username:
            raise NtfyError("ntfy: a password needs a username")
        headers = {"Content-Type": "application/json"}
        auth = auth_header(token, username, password)
        if auth:
            headers["Authorization"] = auth
        self.limit = limit
        self.http = HttpClient(self.base_url, "ntfy", validate_certs=validate_certs, ca_path=ca_path,
                               timeout=timeout, retries=0, default_headers=headers)

    def describe(self):
        """The server, without the topic: on a public server the topic name is what keeps it private."""
        return self.http.describe()

    def close(self):
        self.http.close()

    def check_auth(self):
        """One ``GET /<topic>/auth``, nothing published. Returns ``"ok"`` (credentials good, the topic readable) or
        ``"no-read"`` (credentials good - or none needed - but the user may not read the topic); raises NtfyError
        for wrong credentials (status 401), an unreachable server, or an answer that is not ntfy's."""
        try:
            resp = self.http.request("GET", "/%s/auth" % self.topic)
        except ServiceError as exc:
            raise NtfyError(str(exc))
        if resp.status == 403:
            return "no-read"
        if resp.status != 200:
            raise NtfyError("%s: %s" % (self.describe(), describe_refusal(resp.status, resp.body)), status=resp.status)
        try:
            answer = json.loads(resp.body.decode("utf-8"))
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("success") is not True:
            raise NtfyError("%s: GET /<topic>/auth did not answer ntfy's {\"success\": true} (is the url an ntfy "
                            "server's topic? ntfy before 1.14 has no such check)" % self.describe())
        return "ok"

    def publish(self, message, title=None, priority=None, tags=None, click=None):
        """Publish; returns (payload sent, ntfy's message dict). Raises NtfyError naming the cause."""
        payload = build_payload(self.topic, message, title, priority, tags, click, self.limit)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            resp = self.http.request("POST", "/", body=body, idempotent=False)
        except ServiceError as exc:
            raise NtfyError(str(exc))
        if resp.status != 200:
            raise NtfyError("%s: %s" % (self.describe(), describe_refusal(resp.status, resp.body)), status=resp.status)
        try:
            answer = json.loads(resp.body.decode("utf-8"))
        except ValueError:
            answer = {}
        return payload, answer if isinstance(answer, dict) else {}
