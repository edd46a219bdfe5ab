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
* ``GET /Users``: an array of ``UserDto`` (Name, Id as 32 hex digits, ServerId, Policy...).
* ``GET /Items?userId=&Recursive=true&IncludeItemTypes=Movie,Series,Episode&Fields=ProviderIds&StartIndex=&Limit=``:
  ``{Items, TotalRecordCount, StartIndex}`` of ``BaseItemDto`` in PascalCase; ``ProviderIds`` only when asked in
  ``Fields``; ``UserData`` (Played, PlayCount, IsFavorite, PlaybackPositionTicks, LastPlayedDate once played,
  Key, ItemId) only with ``userId``; null fields left out; ``Filters`` (IsPlayed, IsUnplayed, IsResumable,
  IsFavorite: all must hold, for the given user), ``searchTerm`` and ``ParentId`` narrow the list; an unknown user
  is 404. State keys ``users``, ``items`` and ``user_data`` ({user id: {item id: UserData}});
  ``faults.items_status`` fails a user (``"<user id>"``) or one page (``"<user id>:<StartIndex>"``; ``library``
  for the reads without a user); ``faults.items_delay_ms`` slows every ``/Users`` and ``/Items`` answer.
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
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

UPDATE_TYPES = ("Created", "Modified", "Deleted")
_lock = threading.Lock()


def load_state(path):
    """The state, parsed again only when the file changed (the benchmark's library has 92,000 items)."""
    return library_state(path)


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
    disable_nagle_algorithm = True   # as Kestrel: headers and body are separate writes, no 40 ms delayed-ACK stall

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
        if method == "GET" and parts.path in ("/Users", "/Items"):
            return self._library(parts.path, query)
        return self._send(404)

    # -- users and items with their play state (library_analyze) -------------------------------------------
    def _library(self, path, query):
        state = library_state(self.server.state_path)
        query = dict((k.lower(), v[0]) for k, v in query.items())
        users = state.get("users", [])
        if path == "/Users":
            return self._send(200, [dict(USER_DEFAULTS, Name=u["Name"], Id=u["Id"], ServerId=SERVER_ID)
                                    for u in users])
        user_id = query.get("userid")
        if user_id is not None and user_id not in [u["Id"] for u in users]:
            return self._send(404, {"title": "Not Found", "status": 404}, "application/problem+json; charset=utf-8")
        faults = state.get("faults") or {}
        if faults.get("items_delay_ms"):
            time.sleep(faults["items_delay_ms"] / 1000.0)
        who = user_id or "library"
        fault = (faults.get("items_status") or {}).get("%s:%s" % (who, query.get("startindex", "0"))) \
            or (faults.get("items_status") or {}).get(who)
        if fault:
            return self._send(int(fault), {"title": "injected fault", "status": int(fault)},
                              "application/problem+json; charset=utf-8")
        types = tuple(t for t in (query.get("includeitemtypes") or "").split(",") if t)
        fields = set(f.strip() for f in (query.get("fields") or "").split(",") if f.strip())
        start = int(query.get("startindex") or 0)
        limit = int(query["limit"]) if query.get("limit") else None
        chosen = of_types(state, types)
        if query.get("parentid"):   # a series' episodes (the baseline of scripts/bench_library.py asks this way)
            chosen = [i for i in by_key(state, "SeriesId").get(query["parentid"], [])
                      if not types or i["Type"] in types]
        if query.get("searchterm"):   # name search: exact name first, else names containing the term
            term = query["searchterm"].lower()
            found = by_key(state, "Name").get(term)
            chosen = [i for i in (found if found is not None else
                                  [i for i in chosen if term in i["Name"].lower()]) if not types or i["Type"] in types]
        filters = tuple(f.strip() for f in (query.get("filters") or "").split(",") if f.strip())
        played = (state.get("user_data") or {}).get(user_id or "", {})
        if filters and user_id is not None:   # ItemFilter values that read the user's play state
            key = ("filtered", user_id, filters, types, query.get("parentid"), query.get("searchterm"))
            with _lock:
                found = _library_cache["types"].get(key)
            if found is None:
                tests = [FILTERS[f] for f in filters if f in FILTERS]
                found = [i for i in chosen if all(test(played.get(i["Id"]) or {}) for test in tests)]
                with _lock:
                    _library_cache["types"][key] = found
            chosen = found
        page = chosen[start:start + limit] if limit is not None else chosen[start:]
        with_user_data = user_id is not None and (query.get("enableuserdata") or "true").lower() != "false"
        with_ids = "ProviderIds" in fields
        items = []
        for item in page:
            dto = base_dto(item, with_ids)
            if with_user_data:
                data = dict(USERDATA_DEFAULTS, Key=item["Id"], ItemId=item["Id"])
                data.update(played.get(item["Id"]) or {})
                dto = dict(dto, UserData=data)
            items.append(dto)
        return self._send(200, {"Items": items, "TotalRecordCount": len(chosen), "StartIndex": start})

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


SERVER_ID = "4f1c2b0e9d8a4c6b8e2f1a3d5c7b9e01"
USER_DEFAULTS = {"HasPassword": True, "HasConfiguredPassword": True, "HasConfiguredEasyPassword": False,
                 "EnableAutoLogin": False, "Policy": {"IsAdministrator": False, "IsHidden": False,
                                                      "IsDisabled": False}}
# Jellyfin leaves null fields out (LastPlayedDate appears once something was played)
USERDATA_DEFAULTS = {"PlaybackPositionTicks": 0, "PlayCount": 0, "IsFavorite": False, "Played": False}
_library_cache = {"mtime": None, "state": None, "types": {}}
FILTERS = {"IsPlayed": lambda d: d.get("Played", False), "IsUnplayed": lambda d: not d.get("Played", False),
           "IsResumable": lambda d: d.get("PlaybackPositionTicks", 0) > 0,
           "IsFavorite": lambda d: d.get("IsFavorite", False)}


def library_state(path):
    """The state, cached while the file is unchanged."""
    with _lock:
        info = os.stat(path)
        mtime = (info.st_mtime_ns, info.st_size, info.st_ino)   # two writes within one clock tick differ in size
        if _library_cache["mtime"] != mtime:
            with open(path) as handle:
                _library_cache.update(state=json.load(handle), mtime=mtime, types={}, dto={})
        return _library_cache["state"]


def of_types(state, types):
    """The items of the given ``Type`` values, in the library's stable order (DateCreated, then name)."""
    with _lock:
        found = _library_cache["types"].get(types)
        if found is None or _library_cache["state"] is not state:
            found = [i for i in state.get("items", []) if not types or i["Type"] in types]
            _library_cache["types"][types] = found
        return found


def base_dto(item, with_ids):
    """The item as BaseItemDto without UserData (built once per item and state)."""
    cache = _library_cache.setdefault("dto", {})
    key = (item["Id"], with_ids)
    dto = cache.get(key)
    if dto is None:
        dto = dict((k, v) for k, v in item.items() if k != "ProviderIds")
        dto["ServerId"] = SERVER_ID
        if with_ids:
            dto["ProviderIds"] = item.get("ProviderIds") or {}
        cache[key] = dto
    return dto


def by_key(state, key):
    """Items indexed by ``SeriesId`` or by lower-case ``Name`` (built once per state)."""
    with _lock:
        cache = _library_cache["types"]
        found = cache.get(("by", key))
        if found is None:
            found = {}
            for item in state.get("items", []):
                value = item.get(key)
                if value is not None:
                    found.setdefault(value.lower() if key == "Name" else value, []).append(item)
            cache[("by", key)] = found
        return found


def serve(state_path, port, host="127.0.0.1"):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.state_path = state_path
    server.log_path = os.path.splitext(os.path.abspath(state_path))[0] + ".requests.jsonl"
    return server


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2])).serve_forever()
