# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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
* Collections, as Jellyfin 10.10/10.11's ``CollectionController`` and ``CollectionManager`` answer (read in
  Jellyfin's source; the double keeps them in ``<state>.collections.json`` beside the state file, which a test may
  write first to start with collections of its own):

  - ``POST /Collections?name=&ids=&isLocked=`` -> 200 ``{"Id"}``. The collection's folder is
    ``<data>/collections/<name> [boxset]`` and its Id is derived from that path, so a second POST with the same
    name gets the same Id and REPLACES the collection: its members are gone. The first collection adds the
    ``Collections`` library (CollectionType ``boxsets``) to ``/Library/VirtualFolders``. The ids are added after
    the collection exists: one unknown id is a 400 (text/plain ``Error processing request.``, the production
    ExceptionMiddleware's body) and leaves the empty collection behind. No name: 400.
  - ``POST /Collections/{id}/Items?ids=`` -> 204; one unknown id refuses the whole batch (400, nothing added);
    ids already members are skipped. ``DELETE /Collections/{id}/Items?ids=`` -> 204; ids that are not members
    are skipped (Jellyfin logs a warning). A collection id that is not a BoxSet: 400. An id that is not a GUID,
    or no ``ids``: 400 ProblemDetails (model binding).
  - ``GET /Items?IncludeItemTypes=BoxSet``: the parent is ignored (Jellyfin forces it to null); with
    ``Recursive=true`` every BoxSet (``Path`` only when asked in ``Fields``); with an API key and no ``userId``
    and no ``Recursive``, the listing is empty (the root folder's direct children are libraries).
  - ``GET /Items?ParentId=<collection>``: its members with ``Recursive=true`` (an API key's recursive read of a
    BoxSet lists its linked children, not their episodes) or with a ``userId`` (``Recursive=true`` and a user
    also list a member series' episodes); with an API key and neither, empty (a BoxSet has no physical children).
  - ``DELETE /Items/{id}`` -> 204 deletes the item; for a BoxSet the collection and its folder.
  - Faults: ``faults.items_status`` keys ``boxsets`` (the BoxSet listing) and ``members`` (member listings);
    ``faults.collection_status`` ``{"create"|"add"|"remove"|"delete": status}`` fails those writes once
    ``faults.collection_fail_after`` (default 0) collection writes succeeded; ``faults.unknown_ids`` are items the
    collection endpoints no longer know (deleted after a client listed the library).
Every request that got past auth is appended to ``<state>.requests.jsonl`` beside the state file, so tests can
check what was sent. State (re-read when it changes):

    {"api_key": "...", "user_key": "...", "legacy_auth": false,
     "libraries": [{"Name": "Movies", "CollectionType": "movies", "Locations": ["/media/movies"]}],
     "faults": {"status": {"/Library/Media/Updated": 500}}}

Run: ``python3 jellyfin_double.py STATE_FILE PORT``.
"""
import hashlib
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
            libraries = list(state.get("libraries", []))
            if load_collections(self.server).get("library_created"):
                libraries.append({"Name": "Collections", "CollectionType": "boxsets", "Locations": [COLLECTIONS_DIR]})
            return self._send(200, [self._folder(lib, i) for i, lib in enumerate(libraries)])
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
        if parts.path == "/Collections" or parts.path.startswith("/Collections/") or \
                (method == "DELETE" and parts.path.startswith("/Items/")):
            return self._collections(method, parts.path, query, state)
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
        recursive = (query.get("recursive") or "").lower() == "true"
        boxsets = load_collections(self.server)["collections"]
        parent = guid(query.get("parentid")) if query.get("parentid") else None
        if types == ("BoxSet",) or (parent and parent in [c["Id"] for c in boxsets]):
            kind = "boxsets" if types == ("BoxSet",) else "members"
            fault = (faults.get("items_status") or {}).get(kind)
            if fault:
                return self._send(int(fault), {"title": "injected fault", "status": int(fault)},
                                  "application/problem+json; charset=utf-8")
            self._record("GET", "/Items", {"kind": kind, "parent": parent, "recursive": recursive,
                                           "user": user_id})
            if kind == "boxsets":   # ItemsController forces the parent to null for a BoxSet listing
                if recursive:
                    chosen = [boxset_dto(c, "Path" in fields) for c in boxsets]
                elif user_id is not None:   # the user root's plain listing: the user's libraries
                    chosen = [dict(Name=lib["Name"], Id="%032x" % (n + 1), Type="CollectionFolder", IsFolder=True)
                              for n, lib in enumerate(state.get("libraries", []))]
                else:   # the root folder's direct children are libraries, none a BoxSet
                    chosen = []
            else:
                members = [c for c in boxsets if c["Id"] == parent][0]["LinkedChildren"]
                by_id = items_by_id(state)
                linked = [by_id[i] for i in members if i in by_id]
                if user_id is None and not recursive:
                    chosen = []   # Folder.GetItemsInternal without a user: physical children only
                elif user_id is not None and recursive:   # AddChildren recurses into a member series
                    chosen = []
                    for item in linked:
                        chosen.append(item)
                        chosen.extend(by_key(state, "SeriesId").get(item["Id"], []))
                else:
                    chosen = linked
                if types:
                    chosen = [i for i in chosen if i["Type"] in types]
                chosen = [base_dto(i, "ProviderIds" in fields) for i in chosen]
            page = chosen[start:start + limit] if limit is not None else chosen[start:]
            return self._send(200, {"Items": page, "TotalRecordCount": len(chosen), "StartIndex": start})
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

    # -- collections (BoxSets) -------------------------------------------------------------------------------
    def _collections(self, method, path, query, state):
        faults = state.get("faults") or {}
        args = dict((k.lower(), v[0]) for k, v in query.items())
        with _collections_lock:
            data = load_collections(self.server)
            by_id = items_by_id(state)
            gone = set(faults.get("unknown_ids") or ())   # deleted since a client read the library
            by_id = dict((k, v) for k, v in by_id.items() if k not in gone) if gone else by_id
            boxsets = dict((c["Id"], c) for c in data["collections"])
            parts = path.strip("/").split("/")
            kind = {"POST": "add", "DELETE": "remove"}.get(method) if len(parts) == 3 and parts[2] == "Items" \
                else ("create" if parts == ["Collections"] and method == "POST" else
                      ("delete" if parts[0] == "Items" and len(parts) == 2 else None))
            self._record(method, path, {"kind": kind, "query": dict((k, v[0]) for k, v in query.items())})
            if kind is None:
                return self._send(404 if method != "GET" else 405)
            fault = (faults.get("collection_status") or {}).get(kind)
            if fault and data.get("writes", 0) >= int(faults.get("collection_fail_after") or 0):
                return self._send(int(fault), {"title": "injected fault", "status": int(fault)},
                                  "application/problem+json; charset=utf-8")
            if kind == "delete":
                target = guid(parts[1])
                if target is None:
                    return self._bad_binding("itemId")
                if target in boxsets:
                    data["collections"] = [c for c in data["collections"] if c["Id"] != target]
                elif target in by_id:
                    data.setdefault("deleted_media", []).append(target)
                else:
                    return self._send(404)
                data["writes"] = data.get("writes", 0) + 1
                save_collections(self.server, data)
                return self._send(204)
            raw_ids = [i for i in (args.get("ids") or "").split(",") if i.strip()]
            ids = [guid(i) for i in raw_ids]
            if None in ids:
                return self._bad_binding("ids")
            if kind == "create":
                name = args.get("name")
                if not name:   # GetValidFilename(null): ArgumentNullException, an ArgumentException
                    return self._error_400()
                folder = "%s/%s [boxset]" % (COLLECTIONS_DIR, re.sub(r'[/\\:*?"<>|\x00]', " ", name))
                cid = path_id(folder)
                data["library_created"] = True
                # the folder's path gives the Id: the same name REPLACES the collection (LinkedChildren empty)
                data["collections"] = [c for c in data["collections"] if c["Id"] != cid] + [
                    {"Id": cid, "Name": name, "Path": folder, "LinkedChildren": [],
                     "IsLocked": (args.get("islocked") or "false").lower() == "true"}]
                data["writes"] = data.get("writes", 0) + 1
                collection = data["collections"][-1]
                if any(i not in by_id and i not in boxsets for i in ids):
                    save_collections(self.server, data)   # the empty collection stays behind
                    return self._error_400()
                for item_id in ids:
                    if item_id not in collection["LinkedChildren"]:
                        collection["LinkedChildren"].append(item_id)
                save_collections(self.server, data)
                return self._send(200, {"Id": cid})
            target = guid(parts[1])
            if target is None:
                return self._bad_binding("collectionId")
            if not raw_ids:
                return self._bad_binding("ids")
            collection = boxsets.get(target)
            if collection is None:   # "No collection exists with the supplied collectionId": ArgumentException
                return self._error_400()
            if kind == "add":
                if any(i not in by_id and i not in boxsets for i in ids):
                    return self._error_400()   # "No item exists with the supplied Id": the whole batch
                for item_id in ids:
                    if item_id not in collection["LinkedChildren"]:
                        collection["LinkedChildren"].append(item_id)
            else:
                collection["LinkedChildren"] = [i for i in collection["LinkedChildren"] if i not in ids]
            data["writes"] = data.get("writes", 0) + 1
            save_collections(self.server, data)
            return self._send(204)

    def _error_400(self):
        """Jellyfin's ExceptionMiddleware outside a Development environment: 400, text/plain, no detail."""
        body = b"Error processing request."
        self.send_response(400)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _bad_binding(self, name):
        return self._send(400, {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                                "title": "One or more validation errors occurred.", "status": 400,
                                "errors": {name: ["The value is not valid."]}},
                          "application/problem+json; charset=utf-8")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_DELETE(self):
        self._handle("DELETE")


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


COLLECTIONS_DIR = "/config/data/collections"
_collections_lock = threading.RLock()


def collections_path(server):
    return os.path.splitext(os.path.abspath(server.state_path))[0] + ".collections.json"


def load_collections(server):
    """The collections: ``{"collections": [{Id, Name, Path, LinkedChildren}], "library_created", "writes"}``."""
    with _collections_lock:
        try:
            with open(collections_path(server)) as handle:
                data = json.load(handle)
        except FileNotFoundError:
            data = {}
        data.setdefault("collections", [])
        return data


def save_collections(server, data):
    path = collections_path(server)
    with open(path + ".tmp", "w") as handle:
        json.dump(data, handle)
    os.replace(path + ".tmp", path)


def guid(text):
    """A Guid as ASP.NET binds it (with or without dashes or braces), in Jellyfin's "N" format; None if invalid."""
    text = (text or "").strip().strip("{}").replace("-", "").lower()
    return text if re.match(r"^[0-9a-f]{32}$", text) else None


def path_id(path):
    """An Id derived from a folder's path, as Jellyfin's LibraryManager.GetNewItemId (type name + lower-case path)."""
    return hashlib.md5(("MediaBrowser.Controller.Entities.Movies.BoxSet" + path.lower()).encode("utf-16-le")).hexdigest()


def boxset_dto(collection, with_path):
    dto = {"Name": collection["Name"], "ServerId": SERVER_ID, "Id": collection["Id"], "Type": "BoxSet",
           "IsFolder": True, "LocationType": "FileSystem", "MediaType": "Unknown"}
    if with_path:
        dto["Path"] = collection["Path"]
    return dto


def items_by_id(state):
    with _lock:
        cache = _library_cache["types"]
        found = cache.get(("by", "Id"))
        if found is None:
            found = dict((i["Id"], i) for i in state.get("items", []))
            cache[("by", "Id")] = found
        return found


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
