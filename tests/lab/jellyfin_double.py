"""Jellyfin test double: the library endpoints the collection uses, as Jellyfin 10.10/10.11 answers them.

* Auth: ``Authorization: MediaBrowser Token="..."`` (also the ``Emby`` scheme, and ``?ApiKey=``). The legacy
  ``X-Emby-Token`` / ``X-MediaBrowser-Token`` headers and ``?api_key=`` are off, as on every Jellyfin from 2026
  on, unless the state says ``"legacy_auth": true``. Missing or wrong token: 401, empty body. A token of a
  user who is not an administrator: 403 on the endpoints that need elevation (every one used here).
* ``GET /Library/VirtualFolders``: an array of ``VirtualFolderInfo`` in PascalCase (Name, Locations,
  CollectionType, LibraryOptions, ItemId, PrimaryImageItemId, RefreshProgress, RefreshStatus).
* ``POST /Library/Media/Updated``: JSON ``MediaUpdateInfoDto`` ``{"Updates": [{"Path", "UpdateType"}]}``;
  anything but ``application/json`` is 415, a body that does not bind is 400 (ProblemDetails); 204.
* ``POST /Library/Refresh``: 204.
Every request that got past auth is appended to ``<state>.requests.jsonl`` beside the state file, so tests can
check what was sent. State (re-read when it changes):

    {"api_key": "...", "user_key": "...", "legacy_auth": false,
     "libraries": [{"Name": "Movies", "CollectionType": "movies", "Locations": ["/media/movies"]}],
     "faults": {"status": {"/Library/Media/Updated": 500}}}

Run: ``python3 jellyfin_double.py STATE_FILE PORT``.
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

UPDATE_TYPES = ("Created", "Modified", "Deleted")
_lock = threading.Lock()


def load_state(path):
    with open(path) as handle:
        return json.load(handle)


def token_of(headers, query, legacy):
    """The token Jellyfin's AuthorizationContext would find, and whether only a legacy place held it."""
    auth = headers.get("Authorization") or ""
    scheme, _sep, rest = auth.partition(" ")
    if scheme in ("MediaBrowser", "Emby"):
        params = dict((k, v) for k, v in re.findall(r'(\w+)="([^"]*)"', rest))
        if params.get("Token"):
            return params["Token"]
    for name in ("ApiKey",):
        if query.get(name):
            return query[name][0]
    legacy_token = headers.get("X-Emby-Token") or headers.get("X-MediaBrowser-Token") or \
        (query.get("api_key") or [None])[0]
    return legacy_token if legacy else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Kestrel"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, payload=None, content_type="application/json; charset=utf-8"):
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _record(self, method, path, body):
        with _lock:
            with open(self.server.log_path, "a") as handle:
                handle.write(json.dumps({"method": method, "path": path, "body": body,
                                         "content_type": self.headers.get("Content-Type")}) + "\n")

    def _handle(self, method):
        state = load_state(self.server.state_path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if parts.path == "/System/Ping":
            return self._send(200, "Jellyfin Server")
        token = token_of(self.headers, query, state.get("legacy_auth", False))
        if not token or token not in (state["api_key"], state.get("user_key")):
            return self._send(401)
        if token != state["api_key"]:
            return self._send(403)
        fault = (state.get("faults") or {}).get("status", {}).get(parts.path)
        if fault:
            return self._send(int(fault), {"title": "injected fault", "status": int(fault)},
                              "application/problem+json; charset=utf-8")
        if method == "GET" and parts.path == "/Library/VirtualFolders":
            self._record(method, parts.path, None)
            return self._send(200, [self._folder(lib, i) for i, lib in enumerate(state.get("libraries", []))])
        if method == "POST" and parts.path == "/Library/Refresh":
            self._record(method, parts.path, None)
            return self._send(204)
        if method == "POST" and parts.path == "/Library/Media/Updated":
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype not in ("application/json", "text/json", "application/*+json"):
                return self._send(415, {"title": "Unsupported Media Type", "status": 415},
                                  "application/problem+json; charset=utf-8")
            try:
                body = json.loads(raw.decode("utf-8"))
                updates = body.get("Updates") if "Updates" in body else body.get("updates")
                if not isinstance(updates, list):
                    raise ValueError("Updates must be an array")
                for item in updates:
                    if not isinstance(item.get("Path"), str) or item.get("UpdateType", "Created") not in UPDATE_TYPES:
                        raise ValueError("bad update %r" % (item,))
            except (ValueError, AttributeError, UnicodeDecodeError) as exc:
                return self._send(400, {"title": "One or more validation errors occurred.", "status": 400,
                                        "errors": {"$": [str(exc)]}}, "application/problem+json; charset=utf-8")
            self._record(method, parts.path, body)
            return self._send(204)
        return self._send(404)

    @staticmethod
    def _folder(lib, index):
        return {"Name": lib["Name"], "Locations": lib["Locations"], "CollectionType": lib.get("CollectionType", "movies"),
                "LibraryOptions": {"Enabled": True, "EnableRealtimeMonitor": False, "PathInfos": [
                    {"Path": loc} for loc in lib["Locations"]]},
                "ItemId": "%032x" % (index + 1), "PrimaryImageItemId": "%032x" % (index + 1),
                "RefreshProgress": 0, "RefreshStatus": "Idle"}

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")


def serve(state_path, port, host="127.0.0.1"):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.state_path = state_path
    server.log_path = os.path.splitext(os.path.abspath(state_path))[0] + ".requests.jsonl"
    return server


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2])).serve_forever()
