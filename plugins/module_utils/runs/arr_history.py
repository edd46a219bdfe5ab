# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read a Radarr/Sonarr history incrementally: what an earlier run read is kept (as a digest, import_evidence)
in a state file per instance, and a run reads only the newest pages, until the newest record it knows.

Fail closed: the new records are used only when the read proves nothing is missing — the newest known record
is found, every record before it is newer than anything known (a higher id), and the history's totalRecords is
exactly the known count plus the new records. Anything else (a record removed, an older record appearing, a
cache from another instance or that cannot be read) means a full read, as if there were no cache.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import digest
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError, load, save

CACHE_VERSION = 1
PROBE_SIZE = 50   # the first page of an incremental read: small, as an unchanged history is the usual case


def cache_path(state_dir, name):
    return os.path.join(state_dir, "arr-history-%s.json" % re.sub(r"[^A-Za-z0-9._-]", "_", name))


def identity(instance):
    return {"name": instance["name"], "type": instance["type"], "url": (instance["url"] or "").rstrip("/")}


def load_cache(path, instance):
    """(cache, why_not): the usable cache of this instance, or None and the reason a full read is needed."""
    try:
        cache = load(path)
    except StateError as exc:
        return None, "cache unreadable (%s)" % exc
    if cache is None:
        return None, "no cache yet"
    if cache.get("version") != CACHE_VERSION or not isinstance(cache.get("digest"), dict) \
            or not isinstance(cache.get("total"), int) or not isinstance(cache.get("max_id"), int) \
            or not isinstance(cache.get("newest_id"), int):
        return None, "cache in an unknown format"
    if cache.get("instance") != identity(instance):
        return None, "cache belongs to another instance (%s)" % (cache.get("instance") or {}).get("url")
    return cache, None


def _ids(records):
    ids = [r.get("id") for r in records]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return None
    return ids


def _full(client, page_size, why, requests_before):
    records, pages = client.history(page_size=page_size)
    ids = _ids(records)
    folded = digest(records)
    newest = records[0] if records else None
    cache = {"version": CACHE_VERSION, "digest": folded, "total": len(records),
             "max_id": max(ids) if ids else 0, "newest_id": newest.get("id") if newest and ids else 0}
    if records and not ids:
        cache = None   # records without ids cannot be read incrementally: keep no cache
    info = {"history_read": "full", "why": why, "history_pages": pages, "new_records": len(records),
            "history_requests": client.http.request_count - requests_before}
    return folded, cache, info


def _incremental(client, cache, page_size):
    """The new records, or None with the reason when they cannot be proven complete."""
    size = min(PROBE_SIZE, page_size)
    page, pages, new, seen = 1, 0, [], set()
    while True:
        records, total = client.history_page(page, size)
        pages += 1
        ids = _ids(records)
        if ids is None:
            return None, pages, "a history record without an id"
        found = False
        for record, record_id in zip(records, ids):
            if record_id == cache["newest_id"]:
                found = True
                break
            if record_id in seen:
                continue   # a record that arrived while reading pushed this one onto the next page
            if record_id <= cache["max_id"]:
                return None, pages, "record %d is not newer than the last read but was not the newest then" % record_id
            seen.add(record_id)
            new.append(record)
        last = not records or page * size >= total
        if found or (last and cache["total"] == 0):
            break
        if last:
            return None, pages, "the newest record of the last read is gone"
        if size < page_size:   # more is new than the probe holds: on with full-size pages
            size, page = page_size, 1
        else:
            page += 1
    if total != cache["total"] + len(new):
        return None, pages, "history reports %d records where %d known + %d new were expected (records removed)" % (
            total, cache["total"], len(new))
    return new, pages, None


def read_history(client, cache, page_size=1000, why_no_cache="no usable cache"):
    """(digest, new_cache, info): the digest of the instance's whole history, read incrementally from ``cache``
    when possible; the cache to keep for the next run (None: keep none); how it was read (``info``:
    history_read (full, incremental), why, history_pages, new_records, history_requests)."""
    start = client.http.request_count
    if cache is None:
        return _full(client, page_size, why_no_cache, start)
    new, pages, why = _incremental(client, cache, page_size)
    if new is None:
        folded, fresh, info = _full(client, page_size, why, start)
        info["history_pages"] += pages
        info["history_requests"] = client.http.request_count - start
        return folded, fresh, info
    folded = digest(new, into=cache["digest"])
    ids = [r["id"] for r in new]
    cache = dict(cache, digest=folded, total=cache["total"] + len(new), max_id=max([cache["max_id"]] + ids),
                 newest_id=new[0]["id"] if new else cache["newest_id"])
    info = {"history_read": "incremental", "why": "%d new records" % len(new), "history_pages": pages,
            "new_records": len(new), "history_requests": client.http.request_count - start}
    return folded, cache, info


def save_cache(path, instance, cache):
    save(path, dict(cache, instance=identity(instance)))
