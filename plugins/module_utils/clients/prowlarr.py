# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prowlarr (``/api/v1``) client: an id search across the indexers, spaced out for the indexers' rate limits.

``GET /api/v1/search?query={imdbid:tt0111161}&type=movie&categories=2000`` - Prowlarr turns the ``{key:value}``
parts of the query into the indexers' id parameters (``movie``: imdbid, tmdbid; ``tvsearch``: tvdbid, imdbid,
tmdbid) and answers a plain JSON array of releases (camelCase). When every indexer fails it answers 400; when
something else goes wrong inside it, it answers an empty array, so "no release" is weak evidence - it is only
ever used to *lower* a score.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import HttpClient, ServiceError

MOVIE_CATEGORY = 2000
TV_CATEGORY = 5000


class ProwlarrError(ServiceError):
    pass


class ProwlarrClient:
    def __init__(self, url, api_key, validate_certs=True, ca_path=None, timeout=120, retries=1, backoff=2.0,
                 min_interval=2.0, name="prowlarr", clock=time.monotonic, sleep=time.sleep):
        if not api_key:
            raise ProwlarrError("%s: the API key is empty" % name)
        self.name = name
        self.min_interval = max(0.0, float(min_interval))
        self._clock = clock
        self._sleep = sleep
        self._last = None
        self.queries = 0
        self.http = HttpClient(url, name, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                               retries=retries, backoff=backoff,
                               default_headers={"X-Api-Key": api_key, "Accept": "application/json"})

    def close(self):
        self.http.close()

    def status(self):
        """``GET /api/v1/system/status`` (one request, no indexer asked): Prowlarr's version; raises ProwlarrError
        naming a wrong key (401) or an answer that is not Prowlarr's."""
        resp = self.http.request("GET", "/api/v1/system/status")
        if resp.status == 401:
            raise ProwlarrError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status != 200:
            raise ProwlarrError("%s: GET /api/v1/system/status answered HTTP %s %s%s"
                                % (self.name, resp.status, resp.reason, resp.tried()), resp.status)
        try:
            data = json.loads(resp.body.decode("utf-8"))
        except ValueError:
            data = None
        if not isinstance(data, dict) or not data.get("version"):
            raise ProwlarrError("%s: /api/v1/system/status did not answer Prowlarr's status (is %s Prowlarr?)"
                                % (self.name, self.http.describe()))
        return data

    def _pace(self):
        """Every search fans out to every indexer: keep ``min_interval`` seconds between two searches."""
        if self._last is not None:
            wait = self._last + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last = self._clock()

    def search(self, kind, ids):
        """Releases for one title. ``kind``: ``movie`` or ``series``; ``ids``: dict with ``imdb``, ``tmdb``,
        ``tvdb`` (any present). Returns the list of releases."""
        if kind == "movie":
            search_type, category = "movie", MOVIE_CATEGORY
            order = ("imdb", "tmdb")
        else:
            search_type, category = "tvsearch", TV_CATEGORY
            order = ("tvdb", "imdb")
        terms = ["{%sid:%s}" % (key, ids[key]) for key in order if ids.get(key)]
        if not terms:
            raise ProwlarrError("%s: no id to search for" % self.name)
        query = {"query": terms[0], "type": search_type, "categories": category, "limit": 100, "offset": 0}
        self._pace()
        self.queries += 1
        resp = self.http.request("GET", "/api/v1/search", query=query)
        if resp.status == 401:
            raise ProwlarrError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status == 429:
            raise ProwlarrError("%s: rate limited (HTTP 429); raise indexer_query_interval" % self.name, 429)
        if resp.status != 200:
            detail = resp.body[:200].decode("utf-8", "replace").strip()
            raise ProwlarrError("%s: search %s answered HTTP %s %s%s" % (
                self.name, terms[0], resp.status, resp.reason, (": " + detail) if detail else ""), resp.status)
        try:
            data = json.loads(resp.body.decode("utf-8"))
        except ValueError:
            data = None
        if not isinstance(data, list):
            raise ProwlarrError("%s: search %s did not answer a list of releases (is %s Prowlarr?)"
                                % (self.name, terms[0], self.http.describe()))
        return [r for r in data if isinstance(r, dict)]


def usable_releases(releases):
    """Releases someone could still fetch: usenet ones, and torrents with at least one seeder."""
    count = 0
    for release in releases:
        if release.get("protocol") == "usenet":
            count += 1
        elif (release.get("seeders") or 0) > 0:
            count += 1
    return count
