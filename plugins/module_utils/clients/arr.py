# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Radarr / Sonarr (``/api/v3``) client: history and queue, every page, fail closed.

A partial answer must never drive a deletion, so any page that fails raises and the caller stops.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time
from xml.etree import ElementTree

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import HttpClient, ServiceError

EVENT_GRABBED = 1
EVENT_IMPORTED = 3
KINDS = ("radarr", "sonarr")


# The most records one paged read takes: years of a large library's history are a few hundred thousand; a
# service that keeps answering full pages past this (or claims a huge totalRecords) is not believed.
MAX_RECORDS = 2000000


class ArrError(ServiceError):
    pass


def api_key_from_config_xml(path):
    """Read ``<ApiKey>`` from a Radarr/Sonarr ``config.xml``."""
    if not os.path.exists(path):
        raise ArrError("api_key_file %s does not exist" % path)
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as exc:
        raise ArrError("api_key_file %s is not a readable config.xml: %s" % (path, exc))
    node = root.find("ApiKey")
    if node is None or not (node.text or "").strip():
        raise ArrError("api_key_file %s has no <ApiKey>" % path)
    return node.text.strip()


class ArrClient:
    def __init__(self, name, kind, url, api_key, validate_certs=True, ca_path=None, timeout=30, retries=3,
                 backoff=1.0):
        if kind not in KINDS:
            raise ArrError("%s: type must be radarr or sonarr, not %r" % (name, kind))
        self.name = name
        self.kind = kind
        self.http = HttpClient(url, name, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                               retries=retries, backoff=backoff,
                               default_headers={"X-Api-Key": api_key, "Accept": "application/json"})

    def close(self):
        self.http.close()

    def get(self, path, query=None):
        resp = self.http.request("GET", path, query=query)
        if resp.status == 401:
            raise ArrError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status != 200:
            page = " page %s" % query["page"] if query and "page" in query else ""
            raise ArrError("%s: GET %s%s answered HTTP %s %s%s"
                           % (self.name, path, page, resp.status, resp.reason, resp.tried()), resp.status)
        try:
            return json.loads(resp.body.decode("utf-8"))
        except ValueError:
            raise ArrError("%s: GET %s did not answer JSON (is %s really %s?)"
                           % (self.name, path, self.http.describe(), self.kind))

    def paged(self, path, query, page_size=1000):
        """Every record of a paged ``/api/v3`` resource. Sorted by date, newest first, so records added
        while reading push older ones onto later pages (read twice, never skipped)."""
        records = []
        page = 1
        total = None
        while True:
            params = dict(query)
            params.update({"page": page, "pageSize": page_size})
            data = self.get(path, params)
            if not isinstance(data, dict) or not isinstance(data.get("records", []), list) \
                    or not isinstance(data.get("totalRecords", 0), int):
                raise ArrError("%s: %s page %d is not a paging envelope" % (self.name, path, page))
            batch = data.get("records") or []
            total = data.get("totalRecords", 0)
            if len(batch) > page_size:
                raise ArrError("%s: %s page %d holds %d records where %d were asked for: not an answer to trust"
                               % (self.name, path, page, len(batch), page_size))
            records.extend(batch)
            if len(records) > MAX_RECORDS:
                raise ArrError("%s: %s goes on past %d records (it reports %d): refusing to read more; a history "
                               "this long is a service answering wrongly" % (self.name, path, MAX_RECORDS, total))
            if not batch or page * page_size >= total:
                break
            page += 1
        if len(records) < total:
            raise ArrError("%s: %s reported %d records but only %d could be read"
                           % (self.name, path, total, len(records)))
        return records, page

    def history(self, event_types=(EVENT_GRABBED, EVENT_IMPORTED), page_size=1000):
        query = {"sortKey": "date", "sortDirection": "descending", "eventType": list(event_types)}
        return self.paged("/api/v3/history", query, page_size)

    def history_page(self, page, page_size, event_types=(EVENT_GRABBED, EVENT_IMPORTED)):
        """One page of the history, newest first: (records, totalRecords)."""
        query = {"sortKey": "date", "sortDirection": "descending", "eventType": list(event_types), "page": page,
                 "pageSize": page_size}
        data = self.get("/api/v3/history", query)
        if not isinstance(data, dict) or not isinstance(data.get("records", []), list) \
                or not isinstance(data.get("totalRecords"), int):
            raise ArrError("%s: /api/v3/history page %d is not a paging envelope" % (self.name, page))
        return data.get("records") or [], data["totalRecords"]

    def imports_since(self, date):
        """Import records (``downloadFolderImported``) at or after ``date`` (ISO-8601), from the un-paged
        ``/api/v3/history/since`` feed. Returns a list; anything but a list of records raises."""
        data = self.get("/api/v3/history/since", {"date": date, "eventType": "downloadFolderImported"})
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise ArrError("%s: /api/v3/history/since did not answer a list of records" % self.name)
        return [r for r in data if r.get("eventType") in ("downloadFolderImported", EVENT_IMPORTED)]

    def queue(self, page_size=1000):
        include = "includeUnknownMovieItems" if self.kind == "radarr" else "includeUnknownSeriesItems"
        return self.paged("/api/v3/queue", {include: "true"}, page_size)

    # -- library (movies, series, tags): used by library_analyze and arr_tag ----------------------------------
    def _send_json(self, method, path, payload, accepted=(200, 201, 202)):
        """A writing request with a JSON body; any answer but ``accepted`` raises (nothing is retried, since
        the apps treat these as writes)."""
        resp = self.http.request(method, path, body=json.dumps(payload).encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, idempotent=False)
        if resp.status == 401:
            raise ArrError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status not in accepted:
            detail = resp.body[:300].decode("utf-8", "replace").strip()
            message = "%s: %s %s answered HTTP %s %s" % (self.name, method, path, resp.status, resp.reason)
            raise ArrError(message + ((": " + detail) if detail else ""), resp.status)
        try:
            return json.loads(resp.body.decode("utf-8")) if resp.body else None
        except ValueError:
            return None

    def _list(self, path):
        data = self.get(path)
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ArrError("%s: GET %s did not answer a list of records" % (self.name, path))
        return data

    def library(self):
        """Every movie (Radarr ``GET /api/v3/movie``) or series (Sonarr ``GET /api/v3/series``): one request."""
        return self._list("/api/v3/movie" if self.kind == "radarr" else "/api/v3/series")

    def movies(self):
        return self._list("/api/v3/movie")

    def series(self):
        return self._list("/api/v3/series")

    def quality_profiles(self):
        """Every quality profile (``GET /api/v3/qualityprofile``): one request. The series' ``qualityProfileId``
        points into it; Sonarr tells an episode file's own quality only one series per request
        (``GET /api/v3/episodefile`` needs ``seriesId`` or the files' ids)."""
        return self._list("/api/v3/qualityprofile")

    def tags(self):
        """``{label: id}`` from ``GET /api/v3/tag``."""
        found = {}
        for tag in self._list("/api/v3/tag"):
            if isinstance(tag.get("id"), int) and isinstance(tag.get("label"), str):
                # the apps keep labels lower-case and match them so: "KEEP" is the tag "keep"
                found[tag["label"].strip().lower()] = tag["id"]
        return found

    def create_tag(self, label):
        """``POST /api/v3/tag``; the apps answer 201 with the tag (an existing label is returned, not doubled)."""
        tag = self._send_json("POST", "/api/v3/tag", {"label": label})
        if not isinstance(tag, dict) or not isinstance(tag.get("id"), int):
            raise ArrError("%s: POST /api/v3/tag did not answer the new tag" % self.name)
        return tag["id"]

    def edit_tags(self, ids, tag_id, apply_tags):
        """One bulk editor request (``PUT /api/v3/movie/editor`` or ``/api/v3/series/editor``) that adds or removes
        one tag on every listed item and changes nothing else."""
        if apply_tags not in ("add", "remove"):
            raise ArrError("%s: applyTags must be add or remove, not %r" % (self.name, apply_tags))
        if self.kind == "radarr":
            path, payload = "/api/v3/movie/editor", {"movieIds": sorted(ids)}
        else:
            path, payload = "/api/v3/series/editor", {"seriesIds": sorted(ids)}
        payload.update(tags=[tag_id], applyTags=apply_tags)
        self._send_json("PUT", path, payload)

    def delete_tag(self, tag_id):
        """``DELETE /api/v3/tag/{id}``. Returns None when deleted, or the app's reason when it keeps the tag
        (HTTP 409: TagService refuses a tag still in use by an item, an indexer, a download client...)."""
        resp = self.http.request("DELETE", "/api/v3/tag/%d" % tag_id, idempotent=False)
        if resp.status == 401:
            raise ArrError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status == 409:
            try:
                detail = json.loads(resp.body.decode("utf-8")).get("message")
            except (ValueError, AttributeError):
                detail = None
            return detail or "the tag is still in use"
        if resp.status not in (200, 204):
            raise ArrError("%s: DELETE /api/v3/tag/%d answered HTTP %s %s" % (self.name, tag_id, resp.status,
                                                                              resp.reason), resp.status)
        return None

    def replace_tags(self, ids, tag_ids):
        """One bulk editor request that sets the tags of every listed item to exactly ``tag_ids``."""
        if self.kind == "radarr":
            path, payload = "/api/v3/movie/editor", {"movieIds": sorted(ids)}
        else:
            path, payload = "/api/v3/series/editor", {"seriesIds": sorted(ids)}
        payload.update(tags=sorted(tag_ids), applyTags="replace")
        self._send_json("PUT", path, payload)

    # -- the apps' own backups (CommandController, BackupController) -----------------------------------------
    def backups(self):
        """``GET /api/v3/system/backup``: the backups the app lists (BackupResource), newest first."""
        found = []
        for entry in self._list("/api/v3/system/backup"):
            if isinstance(entry.get("name"), str) and isinstance(entry.get("path"), str):
                found.append(entry)
        return found

    def start_command(self, name):
        """``POST /api/v3/command`` ``{"name": name}``: the app answers 201 with the queued CommandResource."""
        command = self._send_json("POST", "/api/v3/command", {"name": name}, accepted=(200, 201))
        if not isinstance(command, dict) or not isinstance(command.get("id"), int):
            raise ArrError("%s: POST /api/v3/command did not answer the queued command" % self.name)
        return command

    def command(self, command_id):
        data = self.get("/api/v3/command/%d" % command_id)
        if not isinstance(data, dict) or data.get("id") != command_id:
            raise ArrError("%s: GET /api/v3/command/%d did not answer that command" % (self.name, command_id))
        return data

    def backup(self, timeout=600, interval=1.0, sleep=None, clock=None):
        """Ask the app for a backup of its own (the Backup command, as System > Backup > Backup Now does) and
        wait for it: the backup the app lists afterwards that it did not list before. Returns
        ``{name, path, type, size, time, command_id, seconds}``; a command that fails, is aborted, or does not
        end within ``timeout`` seconds, or a completed command with no new backup listed, raises."""
        sleep = sleep or time.sleep
        clock = clock or time.monotonic
        before = set((b.get("name"), b.get("time"), b.get("size")) for b in self.backups())
        started = clock()
        command = self.start_command("Backup")
        wait = interval
        while command.get("status") not in ("completed", "failed", "aborted", "cancelled", "orphaned"):
            if clock() - started > timeout:
                raise ArrError("%s: its Backup command (id %d) is still %s after %d s (backup_timeout)"
                               % (self.name, command["id"], command.get("status"), timeout))
            sleep(wait)
            wait = min(wait * 1.5, 5.0)
            command = self.command(command["id"])
        if command["status"] != "completed":
            cause = (command.get("exception") or "").strip().splitlines()
            raise ArrError("%s: its Backup command (id %d) %s: %s" % (
                self.name, command["id"], command["status"],
                cause[0] if cause else command.get("message") or "no reason given"))
        new = [b for b in self.backups() if (b.get("name"), b.get("time"), b.get("size")) not in before
               and b.get("type") in (None, "manual")]
        if not new:
            raise ArrError("%s: its Backup command (id %d) completed but System > Backup lists no new backup"
                           % (self.name, command["id"]))
        newest = max(new, key=lambda b: b.get("time") or "")
        return {"name": newest["name"], "path": newest["path"], "type": newest.get("type"),
                "size": newest.get("size"), "time": newest.get("time"), "command_id": command["id"],
                "seconds": round(clock() - started, 1)}

    def download_backup(self, entry, max_bytes):
        """The bytes of a backup the app lists (``GET`` of its ``path``, ``/backup/<type>/<name>``). The app
        serves these files behind its UI authentication, not the API key: a login page or a 401 raises and says
        so."""
        path = entry["path"]
        if not path.startswith("/backup/") or ".." in path or not path.endswith(".zip"):
            raise ArrError("%s: the backup path %r is not a backup the app serves" % (self.name, path))
        if isinstance(entry.get("size"), int) and entry["size"] > max_bytes:
            raise ArrError("%s: the backup %s is %d bytes, more than the %d allowed"
                           % (self.name, entry["name"], entry["size"], max_bytes))
        resp = self.http.request("GET", path, headers={"Accept": "application/zip, */*"})
        if resp.status in (301, 302, 303, 307, 401) or resp.body[:4] != b"PK\x03\x04":
            raise ArrError("%s: GET %s answered HTTP %s %s, not the zip: the apps serve backup files only to a "
                           "signed-in user (the API key is not enough) unless Authentication Required is "
                           "'Disabled for Local Addresses' and this host is local to the app"
                           % (self.name, path, resp.status, resp.reason), resp.status)
        if resp.status != 200:
            raise ArrError("%s: GET %s answered HTTP %s %s" % (self.name, path, resp.status, resp.reason),
                           resp.status)
        if len(resp.body) > max_bytes:
            raise ArrError("%s: the backup %s is more than the %d bytes allowed" % (self.name, entry["name"], max_bytes))
        return resp.body
