# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Radarr / Sonarr (``/api/v3``) client: history and queue, every page, fail closed.

A partial answer must never drive a deletion, so any page that fails raises and the caller stops.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
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
