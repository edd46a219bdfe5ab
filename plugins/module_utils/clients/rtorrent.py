# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rTorrent XML-RPC client: HTTP(S) endpoints (ruTorrent httprpc, /RPC2) and SCGI (TCP or unix socket).

Facts it relies on (rTorrent 0.9.8, see UPSTREAM.md): ``d.multicall2("", "main", ...)`` lists every torrent
and every field in one round trip; request bodies over ``network.xmlrpc.size_limit`` (512 KiB) are rejected,
so ``system.multicall`` batches are chunked; ``d.ratio`` is per mille; hashes are 40 upper-case hex digits.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket

try:
    import xmlrpc.client as xmlrpc_client
    from urllib.parse import urlsplit, unquote, urlencode
except ImportError:  # pragma: no cover
    xmlrpc_client = None

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import (
    MAX_BODY_BYTES, HttpClient, ServiceError)

# rTorrent's default network.xmlrpc.size_limit is 512 KiB; stay well under it.
MAX_REQUEST_BYTES = 256 * 1024

# Every field the purge decision needs, fetched for every torrent in one d.multicall2.
TORRENT_FIELDS = (
    ("hash", "d.hash="),
    ("name", "d.name="),
    ("size_bytes", "d.size_bytes="),
    ("completed_bytes", "d.completed_bytes="),
    ("complete", "d.complete="),
    ("state", "d.state="),
    ("is_active", "d.is_active="),
    ("ratio_permille", "d.ratio="),
    ("finished", "d.timestamp.finished="),
    ("directory", "d.directory="),
    ("base_path", "d.base_path="),
    ("is_multi_file", "d.is_multi_file="),
    ("label", "d.custom1="),
    ("seedingtime", "d.custom=seedingtime"),
    ("addtime", "d.custom=addtime"),
    ("free_diskspace", "d.free_diskspace="),
    # every file's path, relative to d.directory: captured in the same call, before anything is erased
    ("files", "f.multicall=,f.path="),
)


class RTorrentError(ServiceError):
    pass


class RTorrentFault(RTorrentError):
    def __init__(self, method, code, text):
        super(RTorrentFault, self).__init__("rTorrent fault %s in %s: %s" % (code, method, text))
        self.method = method
        self.code = code
        self.text = text


# How rTorrent says "no torrent has this info-hash", by version: 0.9.8 answers fault -501 "Could not find
# info-hash." (xmlrpc-c's type error), 0.15 and later -503 "invalid parameters: info-hash not found" (an
# input_error). The code alone means other things too (-501 also "Unsupported target type found.", -503 a parse
# error), so the meaning is read from the text; any other fault is not "gone".
_UNKNOWN_HASH_TEXTS = ("could not find info-hash", "info-hash not found")


def invalid_file_path(rel):
    """A file path rTorrent listed that no real torrent can have: absolute, empty, or with an empty, ``.`` or
    ``..`` component or a NUL (rTorrent refuses such names in a .torrent; only a lying endpoint sends them)."""
    if not rel or rel.startswith("/") or "\0" in rel:
        return True
    return any(part in ("", ".", "..") for part in rel.split("/"))


def is_unknown_hash(fault):
    text = (fault.text or "").strip().lower()
    return fault.code in (-501, -503) and any(known in text for known in _UNKNOWN_HASH_TEXTS)


def check_removewithdata_answer(answer, where):
    """ruTorrent's answer to mode=removewithdata (plugins/httprpc/action.php, 5.3.0 and later): JSON. A ruTorrent
    before 5.3.0 has no such mode and forwards the form to rTorrent, which answers an XML-RPC fault (HTTP 200);
    a bare false means ruTorrent could not reach rTorrent or its erasedata plugin refused."""
    text = (answer or b"").strip()
    if text.startswith(b"<") or b"methodResponse" in text[:200]:
        raise RTorrentError("ruTorrent at %s does not know mode=removewithdata (it passed the request on to rTorrent, "
                            "which answered with an XML-RPC fault): data_removal rutorrent needs ruTorrent 5.3.0 or "
                            "later; use data_removal sftp" % where)
    if text == b"false":
        raise RTorrentError("ruTorrent at %s answered false to removewithdata: it could not reach rTorrent, or its "
                            "erasedata plugin refused (it only works once ruTorrent's web UI was opened since "
                            "rTorrent started); nothing was removed: open ruTorrent once, or use data_removal sftp"
                            % where)


class _ScgiTransport:
    def __init__(self, url, timeout):
        parts = urlsplit(url)
        self.timeout = timeout
        self.request_count = 0
        if parts.hostname:
            try:
                self.address = (parts.hostname, parts.port or 5000)
            except ValueError:
                raise RTorrentError("rTorrent: %r has an invalid port" % url)
            self.family = socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET
        elif parts.path:
            self.address = unquote(parts.path)
            self.family = socket.AF_UNIX
        else:
            raise RTorrentError("rTorrent: %r names neither host:port nor a socket path" % url)
        self.description = url

    def post(self, body):
        header = b"CONTENT_LENGTH\x00%d\x00SCGI\x001\x00REQUEST_METHOD\x00POST\x00REQUEST_URI\x00/RPC2\x00" % len(body)
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        self.request_count += 1
        try:
            sock.connect(self.address)
            sock.sendall(b"%d:%s,%s" % (len(header), header, body))
            chunks = []
            received = 0
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                received += len(chunk)
                if received > MAX_BODY_BYTES:
                    raise RTorrentError("rTorrent: %s answered more than %d MiB; refusing to read more (a broken or "
                                        "hostile answer)" % (self.description, MAX_BODY_BYTES // 1048576))
                chunks.append(chunk)
        except (OSError, socket.timeout) as exc:
            raise RTorrentError("rTorrent: cannot reach %s: %s" % (self.description, exc))
        finally:
            sock.close()
        data = b"".join(chunks)
        head, sep, payload = data.partition(b"\r\n\r\n")
        if not sep:
            raise RTorrentError("rTorrent: %s sent an answer that is not SCGI" % self.description)
        status = 200
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"status:"):
                try:
                    status = int(line.split(b":", 1)[1].split()[0])
                except (ValueError, IndexError):
                    status = 0
        if status != 200:
            raise RTorrentError("rTorrent: %s answered SCGI status %s" % (self.description, status))
        return payload

    def close(self):
        pass


class _HttpTransport:
    def __init__(self, url, username, password, validate_certs, ca_path, timeout, ca_option="rtorrent_ca_path",
                 allow_basic_over_http=False):
        self.http = HttpClient(url, "rTorrent", username=username, password=password,
                               validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                               retries=2, ca_option=ca_option, allow_basic_over_http=allow_basic_over_http,
                               basic_option="rtorrent_allow_basic_over_http")
        self.description = url

    @property
    def request_count(self):
        return self.http.request_count

    def post(self, body, idempotent=False):
        resp = self.http.request("POST", "", body=body, headers={"Content-Type": "text/xml"},
                                 idempotent=idempotent)
        if resp.status == 401:
            raise RTorrentError("rTorrent: wrong username or password for %s (HTTP 401)" % self.description, 401)
        if resp.status != 200:
            raise RTorrentError("rTorrent: %s answered HTTP %s %s%s" % (
                self.description, resp.status, resp.reason, _rutorrent_hint(resp.body)), resp.status)
        return resp.body

    def form(self, fields):
        """A ruTorrent httprpc form request (e.g. mode=removewithdata); not XML-RPC."""
        resp = self.http.request("POST", "", body=urlencode(fields).encode("ascii"),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}, idempotent=False)
        if resp.status == 401:
            raise RTorrentError("rTorrent: wrong username or password for %s (HTTP 401)" % self.description, 401)
        if resp.status != 200:
            raise RTorrentError("ruTorrent: %s answered HTTP %s to %s%s" % (
                self.description, resp.status, fields.get("mode"), _rutorrent_hint(resp.body)), resp.status)
        return resp.body

    def close(self):
        self.http.close()


def _rutorrent_hint(body):
    """What ruTorrent's own error page says (its httprpc answers HTTP 500 with a line of text, e.g. "Could not
    reach rTorrent over XMLRPC" when its XML-RPC proxy is off or rTorrent is down)."""
    text = (body or b"")[:300].decode("utf-8", "replace").strip()
    if not text or text.startswith("<"):
        return ""
    return ": %s" % text.splitlines()[0][:200]


def data_path(torrent):
    """Where a torrent's data lives: its folder (multi-file) or its file (single file).

    ``d.base_path`` is empty for torrents that were never opened, so it is built from ``d.directory``.
    """
    directory = torrent["directory"].rstrip("/") or "/"
    if torrent["is_multi_file"]:
        return directory
    return directory.rstrip("/") + "/" + torrent["name"]


class RTorrentClient:
    def __init__(self, url, username=None, password=None, validate_certs=True, ca_path=None, timeout=30,
                 ca_option="rtorrent_ca_path", allow_basic_over_http=False):
        if xmlrpc_client is None:  # pragma: no cover
            raise RTorrentError("rTorrent: this Python has no xmlrpc.client")
        scheme = urlsplit(url or "").scheme
        if scheme == "scgi":
            self.transport = _ScgiTransport(url, timeout)
        elif scheme in ("http", "https"):
            self.transport = _HttpTransport(url, username, password, validate_certs, ca_path, timeout, ca_option,
                                            allow_basic_over_http)
        else:
            raise RTorrentError("rTorrent: url %r must start with https://, http:// or scgi://" % (url,))
        self.url = url

    @property
    def request_count(self):
        return self.transport.request_count

    def close(self):
        self.transport.close()

    def call(self, method, *params):
        body = xmlrpc_client.dumps(params, method, allow_none=False).encode("utf-8")
        if len(body) > MAX_REQUEST_BYTES:
            raise RTorrentError("rTorrent: request for %s is larger than rTorrent accepts" % method)
        payload = self.transport.post(body)
        if payload.strip() == b"false":
            # ruTorrent's httprpc answers a bare false (HTTP 200) when it could not get an answer from rTorrent
            raise RTorrentError("rTorrent: %s answered false to %s: ruTorrent could not reach rTorrent (is rTorrent "
                                "running?)" % (self.transport.description, method))
        try:
            return xmlrpc_client.loads(payload, use_builtin_types=True)[0][0]
        except xmlrpc_client.Fault as fault:
            raise RTorrentFault(method, fault.faultCode, fault.faultString)
        except Exception as exc:  # an HTML login page, a proxy error page, ...
            snippet = payload[:120].decode("utf-8", "replace").strip()
            raise RTorrentError("rTorrent: %s did not answer with XML-RPC (%s): %r"
                                % (self.transport.description, type(exc).__name__, snippet))

    def multicall(self, calls):
        """Run [(method, params), ...] with system.multicall in as few requests as the size limit allows.

        Returns one entry per call: the value, or an RTorrentFault instance for a call that failed.
        """
        results = []
        batch = []
        batch_size = 0
        for method, params in calls:
            item = {"methodName": method, "params": list(params)}
            size = len(xmlrpc_client.dumps((item,), allow_none=False)) + 64
            if batch and batch_size + size > MAX_REQUEST_BYTES - 1024:
                results.extend(self._multicall_batch(batch))
                batch, batch_size = [], 0
            batch.append(item)
            batch_size += size
        if batch:
            results.extend(self._multicall_batch(batch))
        return results

    def _multicall_batch(self, batch):
        answers = self.call("system.multicall", batch)
        if not isinstance(answers, list) or len(answers) != len(batch):
            raise RTorrentError("rTorrent: system.multicall answered %d results for %d calls"
                                % (len(answers) if isinstance(answers, list) else -1, len(batch)))
        out = []
        for item, answer in zip(batch, answers):
            if isinstance(answer, dict) and "faultCode" in answer:
                out.append(RTorrentFault(item["methodName"], answer["faultCode"], answer.get("faultString")))
            elif isinstance(answer, list) and len(answer) == 1:
                out.append(answer[0])
            else:
                raise RTorrentError("rTorrent: unexpected system.multicall answer for %s" % item["methodName"])
        return out

    def list_torrents(self, view="main"):
        """Every torrent of ``view`` with every field of TORRENT_FIELDS and its file paths, in one request."""
        commands = [command for _key, command in TORRENT_FIELDS]
        rows = self.call("d.multicall2", "", view, *commands)
        if not isinstance(rows, list):
            raise RTorrentError("rTorrent: d.multicall2 did not answer a list")
        torrents = []
        for row in rows:
            if not isinstance(row, list) or len(row) != len(TORRENT_FIELDS):
                raise RTorrentError("rTorrent: d.multicall2 answered a row of unexpected shape")
            torrent = dict(zip([key for key, _command in TORRENT_FIELDS], row))
            torrent["hash"] = str(torrent["hash"]).upper()
            for key in ("size_bytes", "completed_bytes", "complete", "state", "is_active", "ratio_permille",
                        "finished", "is_multi_file", "free_diskspace"):
                torrent[key] = int(torrent[key] or 0)
            torrent["ratio"] = torrent["ratio_permille"] / 1000.0
            torrent["data_path"] = data_path(torrent)
            base = torrent["directory"].rstrip("/")
            relative = [str(row[0]) for row in (torrent["files"] or [])]
            torrent["invalid_path"] = next((rel for rel in relative if invalid_file_path(rel)), None)
            torrent["files"] = [base + "/" + rel for rel in relative]
            torrents.append(torrent)
        return torrents

    def erase(self, torrent_hash):
        self.call("d.erase", torrent_hash)

    def session_path(self):
        """rTorrent's session folder (``session.path``), where it keeps ``<HASH>.torrent`` of every loaded
        torrent; "" when rTorrent runs without one."""
        answer = self.call("session.path")
        if not isinstance(answer, str):
            raise RTorrentError("rTorrent answered session.path with %r" % (answer,))
        return answer

    def exists(self, torrent_hash):
        """Is the torrent loaded? False only when rTorrent says it knows no such info-hash; any other fault
        (or a wrong answer) raises, so that nothing is deleted on a misunderstanding."""
        try:
            answer = self.call("d.hash", torrent_hash)
        except RTorrentFault as fault:
            if is_unknown_hash(fault):
                return False
            raise
        if str(answer).upper() != str(torrent_hash).upper():
            raise RTorrentError("rTorrent answered d.hash of %s with %r" % (torrent_hash, answer))
        return True

    def rutorrent_remove_with_data(self, torrent_hash):
        if not isinstance(self.transport, _HttpTransport):
            raise RTorrentError("ruTorrent removewithdata needs the ruTorrent httprpc URL, not SCGI")
        answer = self.transport.form({"mode": "removewithdata", "hash": torrent_hash})
        check_removewithdata_answer(answer, self.transport.description)
