# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jellyfin client (library refresh, play state, collections) and the pure planning of a targeted refresh.

Auth is ``Authorization: MediaBrowser Token="..."``, which every current Jellyfin accepts; the legacy
``X-Emby-Token`` header and ``api_key`` parameter are off by default from 2026 on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import posixpath

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import HttpClient, ServiceError


class JellyfinError(ServiceError):
    pass


class JellyfinClient:
    def __init__(self, url, api_key, validate_certs=True, ca_path=None, timeout=30, retries=3, backoff=1.0,
                 name="jellyfin"):
        if not api_key or any(ch in api_key for ch in '"\\\r\n'):
            raise JellyfinError("%s: the API key is empty or holds a quote, backslash or line break" % name)
        self.name = name
        self.http = HttpClient(url, name, validate_certs=validate_certs, ca_path=ca_path, timeout=timeout,
                               retries=retries, backoff=backoff,
                               default_headers={"Authorization": 'MediaBrowser Token="%s"' % api_key,
                                                "Accept": "application/json"})

    def close(self):
        self.http.close()

    def _check(self, resp, what):
        if resp.status == 401:
            raise JellyfinError("wrong API key for %s (HTTP 401 from %s)" % (self.name, self.http.describe()), 401)
        if resp.status == 403:
            raise JellyfinError("%s: %s needs an administrator's API key (HTTP 403)" % (self.name, what), 403)
        if resp.status not in (200, 204):
            raise JellyfinError("%s: %s answered HTTP %s %s" % (self.name, what, resp.status, resp.reason),
                                resp.status)

    def libraries(self):
        """``GET /Library/VirtualFolders``: list of (name, [locations])."""
        resp = self.http.request("GET", "/Library/VirtualFolders")
        self._check(resp, "GET /Library/VirtualFolders")
        try:
            data = json.loads(resp.body.decode("utf-8"))
            return [(str(lib.get("Name")), [str(loc) for loc in lib.get("Locations") or []]) for lib in data]
        except (ValueError, TypeError, AttributeError):
            raise JellyfinError("%s: /Library/VirtualFolders did not answer a list of libraries (is %s Jellyfin?)"
                                % (self.name, self.http.describe()))

    def boxset_locations(self):
        """The folders of the libraries of CollectionType ``boxsets`` (Jellyfin's own ``<data>/collections``, which
        the first collection adds as the ``Collections`` library)."""
        resp = self.http.request("GET", "/Library/VirtualFolders")
        self._check(resp, "GET /Library/VirtualFolders")
        try:
            data = json.loads(resp.body.decode("utf-8"))
            return [str(loc) for lib in data if lib.get("CollectionType") == "boxsets"
                    for loc in lib.get("Locations") or []]
        except (ValueError, TypeError, AttributeError):
            raise JellyfinError("%s: /Library/VirtualFolders did not answer a list of libraries" % self.name)

    def media_updated(self, paths, update_type="Created"):
        """One ``POST /Library/Media/Updated`` for every path (Jellyfin rescans just those, after a debounce)."""
        body = json.dumps({"Updates": [{"Path": path, "UpdateType": update_type} for path in paths]})
        resp = self.http.request("POST", "/Library/Media/Updated", body=body.encode("utf-8"),
                                 headers={"Content-Type": "application/json"}, idempotent=True)
        self._check(resp, "POST /Library/Media/Updated")

    def refresh_all(self):
        """``POST /Library/Refresh``: queue a scan of every library."""
        resp = self.http.request("POST", "/Library/Refresh", idempotent=True)
        self._check(resp, "POST /Library/Refresh")

    # -- library analysis: users and their play state ---------------------------------------------------
    def _json(self, path, query, what):
        resp = self.http.request("GET", path, query=query)
        self._check(resp, what)
        try:
            return json.loads(resp.body.decode("utf-8"))
        except ValueError:
            raise JellyfinError("%s: %s did not answer JSON (is %s Jellyfin?)" % (self.name, what, self.http.describe()))

    def users(self):
        """``GET /Users``: list of (id, name)."""
        data = self._json("/Users", None, "GET /Users")
        if not isinstance(data, list) or not all(isinstance(u, dict) and isinstance(u.get("Id"), str) for u in data):
            raise JellyfinError("%s: GET /Users did not answer a list of users" % self.name)
        return [(u["Id"], str(u.get("Name") or u["Id"])) for u in data]

    def items(self, user_id, item_types, page_size=5000, fields=("ProviderIds",), filters=None, user_name=None,
              parent_id=None, what_name=None):
        """Every item of ``item_types`` (that a user sees, with the user's ``UserData``, when ``user_id`` is given;
        narrowed by Jellyfin's ``Filters`` such as ``IsPlayed``), one page at a time: a generator of lists, so that
        no caller has to hold them all. Paged with ``StartIndex``/``Limit`` in a stable order; a page that fails,
        or a total that changes while reading, raises, naming the user by ``user_name`` (people know their
        names, not Jellyfin's ids)."""
        start = 0
        total = None
        seen = 0
        who = what_name or ("user %s" % (user_name or user_id) if user_id else "the library")
        while True:
            query = {"Recursive": "true", "EnableImages": "false",
                     "SortBy": "DateCreated,SortName", "SortOrder": "Ascending", "StartIndex": start,
                     "Limit": page_size}
            if item_types:
                query["IncludeItemTypes"] = ",".join(item_types)
            if parent_id:
                query["ParentId"] = parent_id
            if user_id:
                query.update(userId=user_id, EnableUserData="true")
            else:
                query["EnableUserData"] = "false"
            if fields:
                query["Fields"] = ",".join(fields)
            if filters:
                query["Filters"] = filters
            what = "GET /Items (%s, %s%s, from %d)" % (who, ",".join(item_types) or "every type",
                                                       ", " + filters if filters else "", start)
            data = self._json("/Items", query, what)
            if not isinstance(data, dict) or not isinstance(data.get("Items"), list) \
                    or not isinstance(data.get("TotalRecordCount"), int):
                raise JellyfinError("%s: %s is not a page of items" % (self.name, what))
            if total is None:
                total = data["TotalRecordCount"]
            elif data["TotalRecordCount"] != total:
                raise JellyfinError("%s: the library changed while it was read (%d items, then %d); run again"
                                    % (self.name, total, data["TotalRecordCount"]))
            batch = data["Items"]
            seen += len(batch)
            if batch:
                yield batch
            start += len(batch)
            if not batch or start >= total:
                break
        if seen != total:
            raise JellyfinError("%s: /Items reported %d items for %s but %d could be read"
                                % (self.name, total, who, seen))

    # -- collections (BoxSets): Jellyfin's CollectionController --------------------------------------------------
    def collections(self, page_size=5000):
        """Every collection: list of {Id, Name, Path}. ``GET /Items?IncludeItemTypes=BoxSet&Recursive=true``: with an
        API key and no ``Recursive`` the list would be empty (the root's direct children are libraries), and
        Jellyfin ignores a ``ParentId`` for this listing. A failed page raises; never "no collection"."""
        found = []
        for page in self.items(None, ("BoxSet",), page_size=page_size, fields=("Path",), what_name="collections"):
            for entry in page:
                if not isinstance(entry, dict) or not isinstance(entry.get("Id"), str):
                    raise JellyfinError("%s: GET /Items (collections) answered an item without an Id" % self.name)
                if entry.get("Type", "BoxSet") == "BoxSet":
                    found.append({"Id": entry["Id"], "Name": entry.get("Name"), "Path": entry.get("Path")})
        return found

    def members(self, collection_id, collection_name=None, page_size=5000):
        """A collection's members (its linked children) with ``ProviderIds``: ``ParentId`` and ``Recursive=true``
        (with an API key and neither ``Recursive`` nor a ``userId`` the list is empty: a BoxSet has no physical
        children; with a user, a member series would bring its episodes)."""
        found = []
        who = "collection %s" % (collection_name or collection_id)
        for page in self.items(None, (), page_size=page_size, parent_id=collection_id, what_name=who):
            for entry in page:
                if not isinstance(entry, dict) or not isinstance(entry.get("Id"), str):
                    raise JellyfinError("%s: the members of %s include an item without an Id" % (self.name, who))
                found.append(entry)
        return found

    def create_collection(self, name):
        """``POST /Collections?name=&isLocked=true`` with no ids: returns the new collection's Id. Never retried (a
        second POST with the same name replaces the collection, members and all). Locked, so that no metadata
        refresh renames what the next run looks up by name."""
        resp = self.http.request("POST", "/Collections", query={"name": name, "isLocked": "true"}, idempotent=False)
        self._check(resp, "POST /Collections")
        try:
            data = json.loads(resp.body.decode("utf-8"))
            return str(data["Id"])
        except (ValueError, TypeError, KeyError, AttributeError):
            raise JellyfinError("%s: POST /Collections did not answer the new collection's Id" % self.name)

    def collection_items(self, method, collection_id, ids):
        """``POST`` (add) or ``DELETE`` (remove) ``/Collections/{id}/Items?ids=a,b``: 204. Both are idempotent on
        Jellyfin's side (a member is not added twice; a non-member is skipped), so a failed attempt is retried.
        Raises JellyfinError with ``status`` 400 when Jellyfin refused the batch (one unknown id refuses all)."""
        what = "%s /Collections/%s/Items (%d ids)" % (method, collection_id, len(ids))
        resp = self.http.request(method, "/Collections/%s/Items" % collection_id, query={"ids": ",".join(ids)},
                                 idempotent=True)
        self._check(resp, what)

    def delete_item(self, item_id):
        """``DELETE /Items/{id}``: deletes the item AND its folder on disk. Only ever called for a collection that
        lies in Jellyfin's own collections folder (see runs/collection_run.py)."""
        resp = self.http.request("DELETE", "/Items/%s" % item_id, idempotent=True)
        if resp.status == 404:
            return False
        self._check(resp, "DELETE /Items/%s" % item_id)
        return True


def _norm(path):
    path = posixpath.normpath(path)
    return path if path != "//" else "/"


def _under(path, folder):
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder + "/") or folder == "/"


def map_path(path, path_map):
    """Map a NAS path to Jellyfin's view: the longest ``from`` prefix (whole path components) wins."""
    path = _norm(path)
    best = None
    for item in path_map:
        source = _norm(item["from"])
        if _under(path, source) and (best is None or len(source) > len(best[0])):
            best = (source, _norm(item["to"]))
    if best is None:
        return path
    rest = path[len(best[0]):].lstrip("/") if best[0] != "/" else path.lstrip("/")
    return posixpath.join(best[1], rest) if rest else best[1]


def import_folder(record):
    """The folder a Radarr/Sonarr import record put its file in (``data.importedPath``), or None."""
    data = record.get("data") or {}
    path = data.get("importedPath")
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    return posixpath.dirname(_norm(path))


def plan_refresh(paths, libraries, mode="targeted", unknown=0):
    """Decide the one request to send.

    ``paths``: folders as Jellyfin sees them; ``libraries``: (name, locations) from Jellyfin; ``unknown``:
    imports whose path is not known. Returns a dict: ``mode`` (``targeted``, ``full`` or ``none``),
    ``paths`` (sorted, distinct), ``outside`` (paths under no library) and ``reason``."""
    distinct = sorted(set(_norm(p) for p in paths))
    if not distinct and not unknown:
        return {"mode": "none", "paths": [], "outside": [], "reason": "nothing new"}
    locations = [_norm(loc) for _name, locs in libraries for loc in locs]
    outside = [p for p in distinct if not any(_under(p, loc) for loc in locations)]
    if mode == "full":
        return {"mode": "full", "paths": distinct, "outside": outside, "reason": "mode full"}
    if unknown:
        return {"mode": "full", "paths": distinct, "outside": outside,
                "reason": "%d imports without an importedPath" % unknown}
    if outside:
        return {"mode": "full", "paths": distinct, "outside": outside,
                "reason": "%d paths under no Jellyfin library (check path_map)" % len(outside)}
    return {"mode": "targeted", "paths": distinct, "outside": [], "reason": "%d folders" % len(distinct)}
