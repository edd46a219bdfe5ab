# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prowlarr test double: ``GET /api/v1/search`` as Prowlarr 1.x answers it (SearchController, ReleaseResource).

* Auth: ``X-Api-Key`` header (or ``?apikey=``); missing or wrong key: 401 with an empty body. ``/ping`` is open.
* ``GET /api/v1/search?query=&type=search|movie|tvsearch&categories=&indexerIds=&limit=&offset=``: the
  ``{imdbid:tt..}`` / ``{tmdbid:..}`` / ``{tvdbid:..}`` parts of ``query`` are read as Prowlarr's NewznabRequest
  does for ``type=movie`` (imdbid, tmdbid, traktid, doubanid, year, genre) and ``type=tvsearch`` (imdbid, tvdbid,
  tmdbid, tvmazeid, rid, season, episode, year, genre). The answer is a plain JSON array of releases in camelCase
  (``guid, age, size, indexerId, indexer, title, imdbId`` (an int), ``publishDate, categories, protocol``
  (``torrent``/``usenet``), ``seeders, leechers, fileName``...). When every indexer fails Prowlarr answers 400;
  other failures inside it answer an empty array - the double does both through ``faults``.
* ``GET /api/v1/system/status`` (the same key): Prowlarr's SystemResource (``appName``, ``instanceName``,
  ``version``, ``urlBase``, ``branch``...), the version from the state's ``version``.
* Every request is counted by path in ``server.counts`` (for the tests' request budgets).
* Each search is logged with its time in ``<state>.requests.jsonl`` so tests can check the spacing.

State (re-read when it changes):

    {"api_key": "...", "releases": {"imdb:tt0087182": [{"title": "...", "seeders": 3}], "tvdb:81189": []},
     "faults": {"status": 500}}

Run: ``python3 prowlarr_double.py STATE_FILE PORT``.
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_lock = threading.Lock()
MOVIE_KEYS = ("imdbid", "tmdbid", "traktid", "doubanid", "year", "genre")
TV_KEYS = ("imdbid", "rid", "tvdbid", "tmdbid", "tvmazeid", "doubanid", "season", "episode", "year", "genre")
CATEGORIES = {2000: "Movies", 5000: "TV"}


def load_state(path):
    with open(path) as handle:
        return json.load(handle)


def parse_query(text, search_type):
    """The id parameters Prowlarr reads from ``{key:value}`` parts of the query."""
    keys = MOVIE_KEYS if search_type == "movie" else TV_KEYS if search_type == "tvsearch" else ()
    found = {}
    for key, value in re.findall(r"\{(\w+):([^{}]+)\}", text or "", re.I):
        if key.lower() in keys:
            found[key.lower()] = value.strip()
    return found


def release(spec, number, category):
    title = spec.get("title", "Release.%d.1080p.WEB-DL" % number)
    protocol = spec.get("protocol", "torrent")
    out = {"guid": spec.get("guid", "https://indexer.example/details/%d" % number), "age": 120,
           "ageHours": 2880.0, "ageMinutes": 172800.0, "size": spec.get("size", 8 * 1024 ** 3),
           "indexerId": spec.get("indexerId", 1), "indexer": spec.get("indexer", "LabTracker"), "title": title,
           "sortTitle": title.lower(), "approved": False, "imdbId": spec.get("imdbId", 0),
           "publishDate": "2026-01-01T00:00:00Z", "downloadUrl": "http://127.0.0.1/1/download?link=x",
           "infoUrl": "https://indexer.example/details/%d" % number, "indexerFlags": [],
           "categories": [{"id": category, "name": CATEGORIES[category], "subCategories": []}],
           "protocol": protocol, "fileName": "%s.%s" % (title, "nzb" if protocol == "usenet" else "torrent")}
    if protocol == "torrent":
        out.update(seeders=spec.get("seeders", 5), leechers=spec.get("leechers", 1),
                   infoHash=spec.get("infoHash", "%040X" % number))
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Kestrel"
    disable_nagle_algorithm = True   # as Kestrel: headers and body are separate writes, no 40 ms delayed-ACK stall

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, payload=None):
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        state = load_state(self.server.state_path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with _lock:
            self.server.counts[parts.path] = self.server.counts.get(parts.path, 0) + 1
        if parts.path == "/ping":
            return self._send(200, {"status": "OK"})
        key = self.headers.get("X-Api-Key") or (query.get("apikey") or [None])[0]
        if key != state["api_key"]:
            return self._send(401)
        if parts.path == "/api/v1/system/status":
            return self._send(200, {"appName": "Prowlarr", "instanceName": "Prowlarr",
                                    "version": state.get("version", "1.28.2.4885"), "buildTime": "2025-01-01T00:00:00Z",
                                    "isDebug": False, "isProduction": True, "isAdmin": False, "isUserInteractive": False,
                                    "startupPath": "/app/prowlarr/bin", "appData": "/config", "osName": "debian",
                                    "isNetCore": True, "isLinux": True, "isOsx": False, "isWindows": False,
                                    "isDocker": False, "mode": "console", "branch": "master", "databaseType": "sqLite",
                                    "authentication": "forms", "urlBase": "", "runtimeVersion": "6.0.36",
                                    "runtimeName": ".NET"})
        if parts.path != "/api/v1/search":
            return self._send(404)
        search_type = (query.get("type") or ["search"])[0]
        text = (query.get("query") or [""])[0]
        ids = parse_query(text, search_type)
        with _lock:
            with open(self.server.log_path, "a") as handle:
                handle.write(json.dumps({"time": time.time(), "query": text, "type": search_type, "ids": ids,
                                         "categories": query.get("categories", [])}) + "\n")
        faults = state.get("faults") or {}
        if faults.get("status"):
            status = int(faults["status"])
            if status == 400:   # SearchFailedException: every indexer failed
                return self._send(400, {"message": "Search failed due to all selected indexers being unavailable"})
            return self._send(status, {"message": "injected fault"})
        if faults.get("empty"):   # any other exception inside Prowlarr: logged, and an empty list
            return self._send(200, [])
        lookup = None
        for name in ("imdbid", "tmdbid", "tvdbid"):
            if name in ids:
                lookup = "%s:%s" % (name[:-2], ids[name].lower())
                if lookup in state.get("releases", {}):
                    break
        specs = state.get("releases", {}).get(lookup, []) if lookup else []
        category = 2000 if search_type == "movie" else 5000
        return self._send(200, [release(spec, n + 1, category) for n, spec in enumerate(specs)])


def serve(state_path, port, host="127.0.0.1"):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.state_path = state_path
    server.counts = {}
    server.log_path = os.path.splitext(os.path.abspath(state_path))[0] + ".requests.jsonl"
    return server


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2])).serve_forever()
