# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which items a Jellyfin collection gains and loses: pure decisions for jellyfin_collection.

Items are named by provider ids (TMDb/IMDb for a movie, TVDB/IMDb for a series), never by title, and matched to
Jellyfin's items by the ``ProviderIds`` Jellyfin reports. A title that several Jellyfin items hold (the same film
in a 4K and an HD library) is every one of them. The collection is found by its exact name; two collections of
that name are an error for a person to settle, never a guess.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

KINDS = {"movie": "movie", "series": "series", "Movie": "movie", "Series": "series"}
JELLYFIN_ID = re.compile(r"^[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}$")
# Kestrel (and nginx's default large_client_header_buffers) refuse request lines over 8 KiB; an id is 32 hex
# digits plus a comma (35 bytes URL-encoded), so 200 ids stay well under it with the path and the host.
MAX_BATCH = 200


class CollectionPlanError(ValueError):
    pass


def _imdb(value):
    text = str(value or "").strip().lower()
    return text if text.startswith("tt") and text[2:].isdigit() else None


def _number(value):
    text = str(value if value is not None else "").strip()
    return str(int(text)) if text.isdigit() and int(text) > 0 else None


def item_keys(kind, tmdb=None, imdb=None, tvdb=None):
    """The keys an item is matched by: (kind, provider, id). A movie by TMDb and IMDb, a series by TVDB and IMDb."""
    keys = []
    if kind == "movie" and _number(tmdb):
        keys.append(("movie", "tmdb", _number(tmdb)))
    if kind == "series" and _number(tvdb):
        keys.append(("series", "tvdb", _number(tvdb)))
    if _imdb(imdb):
        keys.append((kind, "imdb", _imdb(imdb)))
    return keys


def entry_keys(entry):
    """The keys of a Jellyfin item (``Type`` and ``ProviderIds``); none for other types."""
    kind = KINDS.get(entry.get("Type"))
    ids = entry.get("ProviderIds")
    if kind is None or not isinstance(ids, dict):
        return []
    lower = dict((str(k).lower(), v) for k, v in ids.items() if isinstance(v, str))
    return item_keys(kind, lower.get("tmdb"), lower.get("imdb"), lower.get("tvdb"))


def normalise(items):
    """Each wanted item as {kind, keys, title}. ``items`` are library_analyze rows or arr_tag's ``tagged``:
    ``type`` (movie or series) and at least one of ``tmdb_id``, ``imdb_id``, ``tvdb_id``."""
    result = []
    for number, item in enumerate(items or [], 1):
        if not isinstance(item, dict):
            raise CollectionPlanError("items[%d] is not a mapping" % number)
        kind = KINDS.get(item.get("type"))
        if kind is None:
            raise CollectionPlanError("items[%d] (%s): type must be movie or series, not %r"
                                      % (number, item.get("title") or "no title", item.get("type")))
        keys = item_keys(kind, item.get("tmdb_id"), item.get("imdb_id"), item.get("tvdb_id"))
        if not keys:
            raise CollectionPlanError("items[%d] (%s): no provider id to match it by (a %s needs %s or imdb_id); "
                                      "titles are never matched" % (number, item.get("title") or "no title", kind,
                                                                    "tmdb_id" if kind == "movie" else "tvdb_id"))
        result.append({"kind": kind, "keys": keys, "title": str(item.get("title") or ""),
                       "ids": dict((k, item.get(k)) for k in ("tmdb_id", "imdb_id", "tvdb_id") if item.get(k))})
    return result


def label(entry):
    """How a Jellyfin item is shown: ``Name (Year)``."""
    name = str(entry.get("Name") or entry.get("Id") or "")
    year = entry.get("ProductionYear")
    return "%s (%s)" % (name, year) if isinstance(year, int) else name


def index_library(entries):
    """{key: [entry]} of Jellyfin's movies and series."""
    index = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("Id"), str):
            continue
        for key in entry_keys(entry):
            index.setdefault(key, []).append(entry)
    return index


def resolve(wanted, index):
    """Jellyfin items for the wanted items: ({jellyfin id: label}, [wanted items Jellyfin does not have])."""
    found, missing = {}, []
    for item in wanted:
        hits = {}
        for key in item["keys"]:
            for entry in index.get(key, ()):
                hits[entry["Id"]] = label(entry)
        if not hits:
            missing.append({"title": item["title"], "type": item["kind"], "ids": item["ids"]})
        found.update(hits)
    return found, missing


def find_collection(collections, name):
    """The collection named exactly ``name`` (Jellyfin keeps the name it was created with), or None. Two of them
    (made by hand, or by a tool that created instead of looking up) fail: which one holds what a person expects
    is not for this module to guess."""
    same = [c for c in collections if c.get("Name") == name]
    if len(same) > 1:
        found = ", ".join(str(c.get("Id")) for c in same)
        raise CollectionPlanError("%d Jellyfin collections are named %r (ids %s): delete or rename all but one in "
                                  "Jellyfin; nothing was changed" % (len(same), name, found))
    if same and not JELLYFIN_ID.match(str(same[0].get("Id") or "")):
        raise CollectionPlanError("Jellyfin answered the collection %r with an id that is not a GUID: %r"
                                  % (name, same[0].get("Id")))
    return same[0] if same else None


def _by_title(entry):
    return (entry["title"].lower(), entry["id"])


def plan(wanted, members):
    """What changes: ``wanted`` {jellyfin id: label}, ``members`` the collection's members (Jellyfin items).
    Returns {add: [{id, title}], remove: [{id, title}], unchanged: int}, each list sorted by title then id."""
    current = dict((m["Id"], label(m)) for m in members if isinstance(m, dict) and isinstance(m.get("Id"), str))
    add = [{"id": i, "title": t} for i, t in wanted.items() if i not in current]
    remove = [{"id": i, "title": t} for i, t in current.items() if i not in wanted]
    return {"add": sorted(add, key=_by_title), "remove": sorted(remove, key=_by_title),
            "unchanged": sum(1 for i in wanted if i in current)}


def batches(entries, size):
    """``entries`` in lists of at most ``size``."""
    if size < 1 or size > MAX_BATCH:
        raise CollectionPlanError("batch_size must be 1 to %d" % MAX_BATCH)
    return [entries[n:n + size] for n in range(0, len(entries), size)]


def under_folder(path, folders):
    """``path`` lies directly in one of ``folders`` (Jellyfin's collections folder: ``<data>/collections``)."""
    if not isinstance(path, str) or not path.startswith("/") or "/../" in path + "/":
        return False
    parent = path.rstrip("/").rsplit("/", 1)[0]
    return any(parent == folder.rstrip("/") for folder in folders if isinstance(folder, str) and folder)


def diff(name, before, after):
    """Ansible's diff: the members' titles before and after, one a line."""
    def text(titles):
        return "".join("%s\n" % t for t in sorted(titles, key=lambda t: t.lower()))
    return {"before_header": "collection %s" % name, "after_header": "collection %s" % name,
            "before": text(before), "after": text(after)}
