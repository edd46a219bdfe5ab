# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Incremental history reading: only what is new, and a full read whenever the new part cannot be proven
complete. A fake client pages the records as Radarr does (newest first, totalRecords)."""
import json
from datetime import datetime, timedelta

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.runs.arr_history import (
    PROBE_SIZE, cache_path, load_cache, read_history, save_cache)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import digest

INSTANCE = {"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:7878/"}


class Http:
    request_count = 0


class FakeArr:
    def __init__(self, records):
        self.records = records
        self.http = Http()

    def _ordered(self):
        return sorted(self.records, key=lambda r: (r["date"], r["id"]), reverse=True)

    def history_page(self, page, page_size):
        self.http.request_count += 1
        start = (page - 1) * page_size
        return self._ordered()[start:start + page_size], len(self.records)

    def history(self, page_size=1000):
        records, page = [], 0
        while True:
            page += 1
            batch, total = self.history_page(page, page_size)
            records.extend(batch)
            if not batch or page * page_size >= total:
                return records, page


def rec(i, minute=None, event=None):
    h = ("%040X" % (i // 2 + 1))
    return {"id": i, "eventType": event or ("grabbed" if i % 2 else "downloadFolderImported"), "downloadId": h,
            "date": (datetime(2026, 1, 1) + timedelta(minutes=i if minute is None else minute)).strftime(
                "%Y-%m-%dT%H:%M:00Z"),
            "sourceTitle": "t%d" % i, "data": {"importedPath": "/m/%d.mkv" % i}}


def first_read(arr, page_size=100):
    folded, cache, info = read_history(arr, None, page_size=page_size)
    assert info["history_read"] == "full"
    return cache


def reread(arr, cache, page_size=100):
    cache = json.loads(json.dumps(cache))   # as it comes back from the state file
    arr.http.request_count = 0
    return read_history(arr, cache, page_size=page_size)


def test_an_unchanged_history_costs_one_request_and_gives_the_same_digest():
    arr = FakeArr([rec(i) for i in range(1, 1000)])
    cache = first_read(arr)
    folded, cache2, info = reread(arr, cache)
    assert info["history_read"] == "incremental" and info["history_requests"] == 1 and info["new_records"] == 0
    assert folded == json.loads(json.dumps(digest(arr.records)))


@pytest.mark.parametrize("new", [3, PROBE_SIZE + 1, 250])
def test_only_new_records_are_read_and_the_result_equals_a_full_read(new):
    arr = FakeArr([rec(i) for i in range(1, 600)])
    cache = first_read(arr)
    arr.records += [rec(i) for i in range(600, 600 + new)]
    folded, cache2, info = reread(arr, cache)
    assert info["history_read"] == "incremental" and info["new_records"] == new
    assert info["history_requests"] == (1 if new < PROBE_SIZE else 1 + -(-(new + 1) // 100))
    assert folded == json.loads(json.dumps(digest(arr.records)))
    assert cache2["total"] == len(arr.records) and cache2["newest_id"] == 600 + new - 1
    arr.records.append(rec(900))
    folded, _cache3, info = reread(arr, cache2)
    assert info["new_records"] == 1 and folded == json.loads(json.dumps(digest(arr.records)))


@pytest.mark.parametrize("change, why", [
    (lambda r: r.pop(10), "records removed"),
    (lambda r: r.pop(), "record 298 is not newer than the last read"),   # the newest one went
    (lambda r: r.append(rec(5000, minute=3)), "records removed"),   # an out-of-order date: not reached, count off
    (lambda r: r.append(dict(rec(2, minute=900), id=2)), "not newer than the last read"),   # a changed date
    (lambda r: (r.pop(10), r.append(rec(5000))), "records removed"),
])
def test_anything_unproven_means_a_full_read(change, why):
    arr = FakeArr([rec(i) for i in range(1, 300)])
    cache = first_read(arr)
    change(arr.records)
    folded, cache2, info = reread(arr, cache)
    assert info["history_read"] == "full" and why in info["why"], info
    assert folded == json.loads(json.dumps(digest(arr.records)))
    assert cache2["total"] == len(arr.records)


def test_an_empty_history_stays_cheap_and_fills_incrementally():
    arr = FakeArr([])
    cache = first_read(arr)
    assert reread(arr, cache)[2]["history_requests"] == 1
    arr.records.append(rec(1))
    folded, _cache, info = reread(arr, cache)
    assert info["history_read"] == "incremental" and folded == json.loads(json.dumps(digest(arr.records)))


def test_the_cache_is_kept_per_instance_and_refused_for_another(tmp_path):
    arr = FakeArr([rec(i) for i in range(1, 10)])
    path = cache_path(str(tmp_path), "radarr 4k/uhd")
    assert path == str(tmp_path / "arr-history-radarr_4k_uhd.json")
    save_cache(path, INSTANCE, first_read(arr))
    assert load_cache(path, INSTANCE)[0]["total"] == 9
    assert load_cache(path, dict(INSTANCE, url="http://127.0.0.1:7878"))[0] is not None   # trailing / alike
    cache, why = load_cache(path, dict(INSTANCE, url="http://other:7878"))
    assert cache is None and "another instance" in why
    cache, why = load_cache(str(tmp_path / "missing.json"), INSTANCE)
    assert cache is None and why == "no cache yet"
    (tmp_path / "bad.json").write_text("{not json")
    cache, why = load_cache(str(tmp_path / "bad.json"), INSTANCE)
    assert cache is None and "cache unreadable" in why
