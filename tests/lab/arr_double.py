# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Radarr / Sonarr test double: the parts of ``/api/v3`` the collection uses, as the real apps answer them.

Follows the official OpenAPI documents in tests/specs (the tests validate every answer against them):
camelCase JSON, enums as camelCase strings, null fields left out, ``page``/``pageSize`` paging with
``pageSize`` defaulting to 10, ``eventType`` repeatable, ``downloadId`` matched exactly, and 401 with an
empty body for a missing or wrong key. Its state is a JSON file, re-read when it changes, so tests can
change records or inject faults (``faults``) while it runs:

    {"kind": "radarr", "api_key": "...", "history": [...], "queue": [...], "movies": [...], "tags": [...],
     "faults": {"history_page_status": {"2": 500}, "delay_ms": 0}}

Sonarr answers ``GET /api/v3/qualityprofile`` with ``quality_profiles`` from the state, or with its six default
profiles (ids 1-6: Any, SD, HD-720p, HD-1080p, Ultra-HD, HD - 720p/1080p) as a new Sonarr creates them.
Backups follow Radarr's/Sonarr's CommandController, BackupController and BackupService: ``POST /api/v3/command``
``{"name": "Backup"}`` answers 201 with the queued command, which starts at once and ends after
``faults.backup_seconds`` (0.2 s): completed, with a ``<app>_backup_v<version>_<local time>.zip`` in
``<state>.backups/manual/`` that ``GET /api/v3/system/backup`` lists (newest first, the id a hash of type and name);
or failed as the app fails it (``faults.backup_fail``: the exception's text; message "Failed", result unknown);
``faults.backup_hang`` keeps it started. The zip is served at its ``path`` behind the UI's authentication, not the
API key (``authentication_required``: ``enabled`` sends the login redirect, ``disabledForLocalAddresses`` serves it).

Run: ``python3 arr_double.py STATE_FILE PORT``.
"""
import hashlib
import io
import json
import os
import re
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_lock = threading.Lock()
_cache = {"mtime": None, "state": None}


def load_state(path):
    with _lock:
        mtime = os.stat(path).st_mtime_ns
        if _cache["mtime"] != mtime:
            with open(path) as handle:
                _cache["state"] = json.load(handle)
            _cache["mtime"] = mtime
        return _cache["state"]


def parse_iso(text):
    """ISO-8601 as the apps write it (``2026-11-23T10:00:00Z``, with or without fractions) to epoch seconds."""
    from datetime import datetime
    text = text.strip().replace("Z", "+00:00")
    if "." in text:   # Python 3.11 takes at most 6 fraction digits; .NET writes up to 7
        head, frac = text.split(".", 1)
        digits = "".join(ch for ch in frac if ch.isdigit())
        text = head + "." + digits[:6].ljust(6, "0") + frac[len(digits):]
    return datetime.fromisoformat(text).timestamp()


def page_of(records, query, default_sort="date"):
    page = int(query.get("page", ["1"])[0])
    size = int(query.get("pageSize", ["10"])[0])
    sort_key = query.get("sortKey", [default_sort])[0]
    direction = query.get("sortDirection", ["descending"])[0]
    ordered = sorted(records, key=lambda r: (r.get(sort_key) or "", r.get("id", 0)),
                     reverse=(direction != "ascending"))
    start = (page - 1) * size
    return {"page": page, "pageSize": size, "sortKey": sort_key, "sortDirection": direction,
            "totalRecords": len(records), "records": ordered[start:start + size]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Kestrel"
    disable_nagle_algorithm = True   # as Kestrel: headers and body are separate writes, no 40 ms delayed-ACK stall

    def log_message(self, fmt, *args):  # keep test output quiet
        pass

    def _send(self, status, payload=None):
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        if payload is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self, state, query):
        key = self.headers.get("X-Api-Key") or query.get("apikey", [None])[0]
        auth = self.headers.get("Authorization") or ""
        if auth.startswith("Bearer "):
            key = auth[7:]
        return key == state["api_key"]

    def do_GET(self):
        state = load_state(self.server.state_path)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        faults = state.get("faults") or {}
        if faults.get("delay_ms"):
            time.sleep(faults["delay_ms"] / 1000.0)
        if parts.path == "/ping":
            return self._send(200, {"status": "OK"})
        if parts.path.startswith("/backup/"):
            return self._backup_file(state, parts.path)
        if not self._authorised(state, query):
            return self._send(401)
        self.server.counts[parts.path] = self.server.counts.get(parts.path, 0) + 1
        if parts.path == "/api/v3/history":
            page = query.get("page", ["1"])[0]
            status = (faults.get("history_page_status") or {}).get(page)
            if status:
                return self._send(int(status), {"message": "injected fault"})
            records = state.get("history", [])
            events = query.get("eventType")
            if events:
                wanted = set(int(e) for e in events)
                records = [r for r in records if self.server.event_numbers.get(r["eventType"]) in wanted]
            if "downloadId" in query:
                records = [r for r in records if r.get("downloadId") == query["downloadId"][0]]
            return self._send(200, page_of(records, query))
        if parts.path == "/api/v3/history/since":
            # HistoryController.GetHistorySince: records at or after `date`, oldest first, a plain array;
            # eventType binds from the enum's name or its number.
            if faults.get("since_status"):
                return self._send(int(faults["since_status"]), {"message": "injected fault"})
            try:
                since = parse_iso(query["date"][0])
            except (KeyError, ValueError):
                return self._send(400, {"message": "date is required"})
            records = [r for r in state.get("history", []) if parse_iso(r["date"]) >= since]
            if "eventType" in query:
                wanted = query["eventType"][0]
                number = int(wanted) if wanted.isdigit() else self.server.event_numbers.get(wanted)
                records = [r for r in records if self.server.event_numbers.get(r["eventType"]) == number]
            return self._send(200, sorted(records, key=lambda r: (parse_iso(r["date"]), r["id"])))
        if parts.path == "/api/v3/queue":
            return self._send(200, page_of(state.get("queue", []), query, default_sort="timeleft"))
        if parts.path == "/api/v3/system/status":
            return self._send(200, {"appName": state["kind"].capitalize(), "version": state.get("version", "5.0.0")})
        if parts.path == "/api/v3/tag":
            return self._send(200, state.get("tags", []))
        # Settings the preflight reads: DownloadClientResource (fields as the app's schema: host, port, useSsl,
        # urlBase...), DownloadClientConfigResource, RemotePathMappingResource, RootFolderResource.
        if parts.path == "/api/v3/downloadclient":
            return self._send(200, state.get("download_clients", []))
        if parts.path == "/api/v3/config/downloadclient":
            return self._send(200, dict({"id": 1, "downloadClientWorkingFolders": "_UNPACK_|_FAILED_",
                                         "enableCompletedDownloadHandling": True, "autoRedownloadFailed": True,
                                         "autoRedownloadFailedFromInteractiveSearch": True},
                                        **state.get("download_client_config", {})))
        if parts.path == "/api/v3/remotepathmapping":
            return self._send(200, state.get("remote_path_mappings", []))
        if parts.path == "/api/v3/rootfolder":
            return self._send(200, state.get("root_folders", []))
        if parts.path in LIBRARY_GET:
            return self._library_get(state, parts.path, faults)
        if parts.path == "/api/v3/qualityprofile":
            status = (faults.get("status") or {}).get(parts.path)
            if status:
                return self._send(int(status), {"message": "injected fault"})
            if state["kind"] != "sonarr" and "quality_profiles" not in state:
                return self._send(200, [])
            profiles = state.get("quality_profiles")
            return self._send(200, profiles if profiles is not None else default_quality_profiles())
        if parts.path == "/api/v3/system/backup":
            return self._send(200, self._backups(_advance(self.server.state_path)))
        if parts.path == "/api/v3/command":
            return self._send(200, [command_resource(c, state["kind"]) for c in _advance(self.server.state_path)
                                    .get("commands", [])])
        match = re.match(r"^/api/v3/command/(\d+)$", parts.path)
        if match:
            for command in _advance(self.server.state_path).get("commands", []):
                if command["id"] == int(match.group(1)):
                    return self._send(200, command_resource(command, state["kind"]))
            return self._send(404)
        return self._send(404)

    def do_POST(self):
        state = load_state(self.server.state_path)
        if not self._authorised(state, parse_qs(urlsplit(self.path).query)):
            return self._send(401)
        if urlsplit(self.path).path == "/api/v3/tag":
            return self._tag_post(state)
        if urlsplit(self.path).path == "/api/v3/command":
            return self._command_post(state)
        return self._send(404)

    def do_DELETE(self):
        state = load_state(self.server.state_path)
        if not self._authorised(state, parse_qs(urlsplit(self.path).query)):
            return self._send(401)
        match = re.match(r"^/api/v3/tag/(\d+)$", urlsplit(self.path).path)
        if match:
            return self._tag_delete(int(match.group(1)))
        return self._send(404)

    def do_PUT(self):
        state = load_state(self.server.state_path)
        if not self._authorised(state, parse_qs(urlsplit(self.path).query)):
            return self._send(401)
        if urlsplit(self.path).path in EDITORS:
            return self._editor_put(state, urlsplit(self.path).path)
        return self._send(404)

    # -- library: movies, series, tags and the bulk editors (library_analyze, arr_tag) -----------------------
    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype not in ("application/json", "text/json", "application/*+json"):
            return None, self._send(415, {"title": "Unsupported Media Type", "status": 415})
        try:
            return json.loads(raw.decode("utf-8")), None
        except ValueError as exc:
            return None, self._send(400, {"title": "One or more validation errors occurred.", "status": 400,
                                          "errors": {"$": [str(exc)]}})

    def _write_log(self, method, path, body):
        self.server.writes.append({"method": method, "path": path, "body": body})

    def _library_get(self, state, path, faults):
        status = (faults.get("status") or {}).get(path)
        if status:
            return self._send(int(status), {"message": "injected fault"})
        kind = state["kind"]
        if path == "/api/v3/movie" and kind == "radarr":
            return self._send(200, state.get("movies", []))
        if path == "/api/v3/series" and kind == "sonarr":
            return self._send(200, state.get("series", []))
        return self._send(404)

    def _tag_post(self, state):
        # TagController: a label that is not lower-case letters, digits and '-' is a 400 validation error; an
        # existing label is returned as it is; 201 Created with the tag
        body, sent = self._body()
        if sent is not None or body is None:
            return sent
        label = body.get("label") if isinstance(body, dict) else None
        fault = ((state.get("faults") or {}).get("status") or {}).get("POST /api/v3/tag")
        if fault:
            return self._send(int(fault), {"message": "injected fault"})
        if not isinstance(label, str) or not re.match(r"^[a-z0-9-]+$", label):
            return self._send(400, [{"propertyName": "Label", "errorMessage": "Allowed characters a-z, 0-9 and -",
                                     "attemptedValue": label, "severity": "error", "errorCode": "RegularExpressionValidator"}])
        with _lock:
            state = _reload(self.server.state_path)
            for tag in state.setdefault("tags", []):
                if tag["label"] == label:
                    return self._send(201, tag)
            tag = {"id": max([t["id"] for t in state["tags"]] + [0]) + 1, "label": label}
            state["tags"].append(tag)
            _save(self.server.state_path, state)
            self._write_log("POST", "/api/v3/tag", body)
        return self._send(201, tag)

    def _editor_put(self, state, path):
        # MovieEditorController / SeriesEditorController.SaveAll: only the fields that are set change; 202 with
        # the edited items
        body, sent = self._body()
        if sent is not None or body is None:
            return sent
        kind = state["kind"]
        if EDITORS[path] != kind:
            return self._send(404)
        fault = ((state.get("faults") or {}).get("status") or {}).get("PUT " + path)
        if fault:
            return self._send(int(fault), {"message": "injected fault"})
        id_key = "movieIds" if kind == "radarr" else "seriesIds"
        ids, tags, apply_tags = body.get(id_key), body.get("tags"), body.get("applyTags", "add")
        allowed = set(self.server.editor_fields)
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or set(body) - allowed \
                or (tags is not None and not all(isinstance(t, int) for t in tags)) \
                or apply_tags not in ("add", "remove", "replace"):
            return self._send(400, {"title": "One or more validation errors occurred.", "status": 400})
        with _lock:
            state = _reload(self.server.state_path)
            records = state.get("movies" if kind == "radarr" else "series", [])
            wanted = set(ids)
            edited = []
            for record in records:
                if record["id"] not in wanted:
                    continue
                for key in ("monitored", "qualityProfileId", "rootFolderPath"):
                    if body.get(key) is not None:
                        record[key] = body[key]
                if tags is not None:
                    current = set(record.get("tags") or [])
                    if apply_tags == "add":
                        current |= set(tags)
                    elif apply_tags == "remove":
                        current -= set(tags)
                    else:
                        current = set(tags)
                    record["tags"] = sorted(current)
                edited.append(record)
            _save(self.server.state_path, state)
            self._write_log("PUT", path, body)
        return self._send(202, edited)

    # -- backups: CommandController, BackupController, BackupService, BackupFileMapper ----------------------
    def _command_post(self, state):
        body, sent = self._body()
        if sent is not None or body is None:
            return sent
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            # PostValidator.RuleFor(c => c.Name).NotBlank()
            return self._send(400, [{"propertyName": "Name", "errorMessage": "'Name' must not be empty.",
                                     "severity": "error", "errorCode": "NotEmptyValidator"}])
        if name.strip().lower() != "backup":
            # KnownTypes...Single(...) finds no such command: the app answers 500
            return self._send(500, {"message": "Sequence contains no matching element",
                                    "description": "System.InvalidOperationException: Sequence contains no matching "
                                                   "element"})
        faults = state.get("faults") or {}
        now = time.time()
        with _lock:
            state = _reload(self.server.state_path)
            commands = state.setdefault("commands", [])
            command = {"id": max([c["id"] for c in commands] + [0]) + 1, "name": "Backup", "queued": iso(now),
                       "started": iso(now), "status": "started", "result": "unknown", "message": "Starting Backup",
                       "due": None if faults.get("backup_hang") else now + float(faults.get("backup_seconds", 0.2)),
                       "fail": faults.get("backup_fail"), "userAgent": self.headers.get("User-Agent")}
            commands.append(command)
            _save(self.server.state_path, state)
            self._write_log("POST", "/api/v3/command", body)
        # Created(id): 201 with the command as the queue has it now
        answer = command_resource(dict(command, status="queued", started=None), state["kind"])
        return self._send(201, answer)

    def _backups(self, state):
        listed = []
        for entry in state.get("backups", []):
            listed.append({"id": backup_id(entry["type"], entry["name"]), "name": entry["name"],
                           "path": "/backup/%s/%s" % (entry["type"], entry["name"]), "type": entry["type"],
                           "size": entry["size"], "time": entry["time"]})
        return sorted(listed, key=lambda b: b["time"], reverse=True)

    def _backup_file(self, state, path):
        # StaticResourceController [Authorize(Policy="UI")]: the UI's authentication, never the API key
        name = path.rsplit("/", 1)[-1]
        if not re.search(r"(nzbdrone|%s)_backup_v?[._0-9]+\.zip" % state["kind"], path, re.I):
            return self._send(404)
        if state.get("authentication_required", "enabled") != "disabledForLocalAddresses":
            self.send_response(302)
            self.send_header("Location", "/login?returnUrl=" + path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        entry = next((b for b in state.get("backups", []) if path == "/backup/%s/%s" % (b["type"], b["name"])), None)
        if entry is None:
            return self._send(404)
        with open(os.path.join(backup_folder(self.server.state_path), entry["type"], name), "rb") as handle:
            data = handle.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return None

    def _tag_delete(self, tag_id):
        # TagService.Delete: a tag still in use is a 409 ModelConflictException; an unknown id a 404
        with _lock:
            state = _reload(self.server.state_path)
            tag = next((t for t in state.get("tags", []) if t["id"] == tag_id), None)
            if tag is None:
                return self._send(404)
            records = state.get("movies" if state["kind"] == "radarr" else "series", [])
            if any(tag_id in (r.get("tags") or []) for r in records):
                return self._send(409, {"message": "'%s' cannot be deleted since it's still in use" % tag["label"]})
            state["tags"] = [t for t in state["tags"] if t["id"] != tag_id]
            _save(self.server.state_path, state)
            self._write_log("DELETE", "/api/v3/tag/%d" % tag_id, None)
        return self._send(200)


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % int((epoch % 1) * 1000)


def backup_id(kind, name):
    """HashConverter.GetHashInt31("backup-{type}-{name}"): the first four bytes of the SHA-1, little-endian."""
    digest = hashlib.sha1(("backup-%s-%s" % (kind, name)).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little") & 0x7fffffff


def backup_folder(state_path):
    return state_path + ".backups"


def command_resource(command, kind):
    """CommandResource as CommandResourceMapper.ToResource writes it (null fields left out)."""
    body = {"sendUpdatesToClient": True, "updateScheduledTask": False, "requiresDiskAccess": False,
            "isExclusive": False, "isLongRunning": False, "name": "Backup", "trigger": "manual",
            "suppressMessages": False}
    if kind == "radarr":
        body["isTypeExclusive"] = False
    if command.get("userAgent"):
        body["clientUserAgent"] = command["userAgent"]
    found = {"id": command["id"], "name": "Backup", "commandName": "Backup", "message": command.get("message"),
             "body": body, "priority": "normal", "status": command["status"], "result": command["result"],
             "queued": command["queued"], "started": command.get("started"), "ended": command.get("ended"),
             "duration": command.get("duration"), "exception": command.get("exception"), "trigger": "manual",
             "stateChangeTime": command.get("started") or command.get("ended"), "sendUpdatesToClient": True,
             "updateScheduledTask": False}
    return dict((k, v) for k, v in found.items() if v is not None)


def _advance(state_path):
    """Ends the Backup commands that are due: BackupService.Backup writes the zip (config.xml, the database, INFO)
    into the manual folder, or the command fails as CommandExecutor fails it."""
    now = time.time()
    with _lock:
        state = _reload(state_path)
        due = [c for c in state.get("commands", []) if c["status"] == "started" and c.get("due") is not None
               and c["due"] <= now]
        if not due:
            return state
        for command in due:
            command["ended"] = iso(now)
            seconds = now - (command["due"] - 0.2)
            command["duration"] = "00:00:%010.7f" % max(0.0, min(seconds, 59.0))
            if command.get("fail"):
                command.update(status="failed", message="Failed",
                               exception="%s\n   at NzbDrone.Core.Backup.BackupService.Backup(BackupType backupType)"
                                         % command["fail"])
                continue
            command.update(status="completed", result="successful", message="Backup zip created")
            name = "%s_backup_v%s_%s.zip" % (state["kind"], state.get("version", "5.0.0"),
                                             time.strftime("%Y.%m.%d_%H.%M.%S", time.localtime(now)))
            folder = os.path.join(backup_folder(state_path), "manual")
            os.makedirs(folder, exist_ok=True)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as archive:
                archive.writestr("config.xml", "<Config>\n  <Port>7878</Port>\n  <ApiKey>%s</ApiKey>\n"
                                               "  <AuthenticationMethod>Forms</AuthenticationMethod>\n</Config>\n"
                                 % state["api_key"])
                archive.writestr("%s.db" % state["kind"], json.dumps({"tags": state.get("tags", []),
                                                                      "items": state.get("movies", state.get("series", []))}))
                stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
                info = "v%s\n%s\n" % (state.get("version", "5.0.0"), stamp)
                archive.writestr("INFO", info)
            with open(os.path.join(folder, name), "wb") as handle:
                handle.write(out.getvalue())
            backups = [b for b in state.setdefault("backups", []) if b["name"] != name]
            backups.append({"name": name, "type": "manual", "size": len(out.getvalue()), "time": iso(now)[:19] + "Z"})
            state["backups"] = backups
        _save(state_path, state)
        return state


LIBRARY_GET = ("/api/v3/movie", "/api/v3/series")
EDITORS = {"/api/v3/movie/editor": "radarr", "/api/v3/series/editor": "sonarr"}
EDITOR_FIELDS = {
    "radarr": ("movieIds", "monitored", "qualityProfileId", "minimumAvailability", "rootFolderPath", "tags",
               "applyTags", "moveFiles", "deleteFiles", "addImportExclusion"),
    "sonarr": ("seriesIds", "monitored", "monitorNewItems", "qualityProfileId", "seriesType", "seasonFolder",
               "rootFolderPath", "tags", "applyTags", "moveFiles", "deleteFiles", "addImportListExclusion"),
}


# Sonarr's qualities (NzbDrone.Core.Qualities.Quality): id, name, source, resolution, and the weight / group of
# its default quality definitions, lowest first - the order of a profile's items.
SONARR_QUALITIES = [
    (0, "Unknown", "unknown", 0, 1, None), (1, "SDTV", "television", 480, 2, None),
    (12, "WEBRip-480p", "webRip", 480, 3, "WEB 480p"), (8, "WEBDL-480p", "web", 480, 3, "WEB 480p"),
    (2, "DVD", "dvd", 480, 4, None), (13, "Bluray-480p", "bluray", 480, 5, None),
    (22, "Bluray-576p", "bluray", 576, 6, None), (4, "HDTV-720p", "television", 720, 7, None),
    (9, "HDTV-1080p", "television", 1080, 8, None), (10, "Raw-HD", "televisionRaw", 1080, 9, None),
    (14, "WEBRip-720p", "webRip", 720, 10, "WEB 720p"), (5, "WEBDL-720p", "web", 720, 10, "WEB 720p"),
    (6, "Bluray-720p", "bluray", 720, 11, None), (15, "WEBRip-1080p", "webRip", 1080, 12, "WEB 1080p"),
    (3, "WEBDL-1080p", "web", 1080, 12, "WEB 1080p"), (7, "Bluray-1080p", "bluray", 1080, 13, None),
    (20, "Bluray-1080p Remux", "blurayRaw", 1080, 14, None), (16, "HDTV-2160p", "television", 2160, 15, None),
    (17, "WEBRip-2160p", "webRip", 2160, 16, "WEB 2160p"), (18, "WEBDL-2160p", "web", 2160, 16, "WEB 2160p"),
    (19, "Bluray-2160p", "bluray", 2160, 17, None), (21, "Bluray-2160p Remux", "blurayRaw", 2160, 18, None),
]
# QualityProfileService's default profiles: (name, cutoff quality id, allowed quality ids); upgrades off
SONARR_DEFAULT_PROFILES = [
    ("Any", 1, (1, 12, 8, 2, 13, 22, 4, 9, 14, 5, 15, 3, 6, 7)),
    ("SD", 1, (1, 12, 8, 2, 13, 22)),
    ("HD-720p", 4, (4, 14, 5, 6)),
    ("HD-1080p", 9, (9, 15, 3, 7)),
    ("Ultra-HD", 16, (16, 17, 18, 19)),
    ("HD - 720p/1080p", 4, (4, 9, 14, 5, 15, 3, 6, 7)),
]


def quality_profile(profile_id, name, cutoff, allowed, upgrade_allowed=False):
    """A QualityProfileResource as Sonarr's GetDefaultProfile builds it: qualities of one weight form a group
    (ids from 1000, named by the group), whose id then stands for the cutoff; a single quality has no id (0, left
    out as RestResource does) and no name."""
    items, group_id, profile_cutoff = [], 1000, cutoff
    weights = []
    for entry in SONARR_QUALITIES:
        if not weights or weights[-1][0] != entry[4]:
            weights.append((entry[4], []))
        weights[-1][1].append(entry)
    for dummy, group in weights:
        def item(entry, is_allowed):
            qid, qname, source, resolution = entry[:4]
            return {"quality": {"id": qid, "name": qname, "source": source, "resolution": resolution},
                    "items": [], "allowed": is_allowed}
        if len(group) == 1:
            items.append(item(group[0], group[0][0] in allowed))
            continue
        group_allowed = any(entry[0] in allowed for entry in group)
        items.append({"id": group_id, "name": group[0][5], "items": [item(e, group_allowed) for e in group],
                      "allowed": group_allowed})
        if any(entry[0] == cutoff for entry in group):
            profile_cutoff = group_id
        group_id += 1
    return {"id": profile_id, "name": name, "upgradeAllowed": upgrade_allowed, "cutoff": profile_cutoff,
            "items": items, "minFormatScore": 0, "cutoffFormatScore": 0, "minUpgradeFormatScore": 1,
            "formatItems": []}


def default_quality_profiles():
    return [quality_profile(n, name, cutoff, allowed)
            for n, (name, cutoff, allowed) in enumerate(SONARR_DEFAULT_PROFILES, 1)]


def _reload(path):
    with open(path) as handle:
        return json.load(handle)


def _save(path, state):
    """Write the state back (the tests read what the editors did); the cache takes the new state at once."""
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)
    _cache["state"] = state
    _cache["mtime"] = os.stat(path).st_mtime_ns


EVENT_NUMBERS = {
    "radarr": {"unknown": 0, "grabbed": 1, "downloadFolderImported": 3, "downloadFailed": 4,
               "movieFileDeleted": 6, "movieFolderImported": 5, "movieFileRenamed": 8, "downloadIgnored": 9},
    "sonarr": {"unknown": 0, "grabbed": 1, "seriesFolderImported": 2, "downloadFolderImported": 3,
               "downloadFailed": 4, "episodeFileDeleted": 5, "episodeFileRenamed": 6, "downloadIgnored": 7},
}


def serve(state_path, port, host="127.0.0.1"):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.state_path = state_path
    server.counts = {}
    server.writes = []
    server.editor_fields = EDITOR_FIELDS[load_state(state_path)["kind"]]
    server.event_numbers = EVENT_NUMBERS[load_state(state_path)["kind"]]
    return server


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2])).serve_forever()
