# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import (
    evaluate, normalize_hash, parse_date)

H1 = "A" * 40
H2 = "b" * 40


def rec(i, event, h, date):
    r = {"id": i, "eventType": event, "date": date, "sourceTitle": "x"}
    if h is not None:
        r["downloadId"] = h
    return r


def run(history, queue=(), name="radarr", more=()):
    return evaluate([{"name": name, "history": history, "queue": list(queue)}] + list(more))


def test_import_after_grab_is_imported():
    r = run([rec(1, "grabbed", H1, "2026-01-01T00:00:00Z"), rec(2, "downloadFolderImported", H1, "2026-01-01T01:00:00Z")])
    assert r["imported"] == [H1]
    assert r["evidence"][H1]["last_grab_at"] == "2026-01-01T00:00:00Z"


def test_grabbed_again_after_import_is_not():
    r = run([rec(1, "grabbed", H1, "2026-01-01T00:00:00Z"), rec(2, "downloadFolderImported", H1, "2026-01-01T01:00:00Z"),
             rec(3, "grabbed", H1, "2026-01-05T00:00:00Z")])
    assert r["imported"] == []
    assert r["regrabbed"] == [H1]


def test_queued_hash_is_not_imported_case_insensitive():
    r = run([rec(2, "downloadFolderImported", H1, "2026-01-01T01:00:00Z")], queue=[{"downloadId": H1.lower()}])
    assert r["imported"] == []
    assert r["queued"] == [H1]


def test_queue_of_another_instance_counts():
    other = {"name": "sonarr", "history": [], "queue": [{"downloadId": H2}]}
    r = run([rec(2, "downloadFolderImported", H2, "2026-01-01T01:00:00Z")], more=[other])
    assert r["imported"] == []


def test_lowercase_ids_match_and_come_back_upper():
    r = run([rec(2, "downloadFolderImported", H2, "2026-01-01T01:00:00Z")])
    assert r["imported"] == [H2.upper()]


def test_non_hash_ids_are_ignored_and_counted():
    r = run([rec(1, "downloadFolderImported", "SABnzbd_nzo_abc", "2026-01-01T00:00:00Z"),
             rec(2, "downloadFolderImported", None, "2026-01-01T00:00:00Z"),
             rec(3, "downloadFolderImported", "c" * 64, "2026-01-01T00:00:00Z")])
    assert r["imported"] == []
    assert r["stats"][0]["ignored_ids"] == 2


def test_grab_in_one_instance_without_import_blocks():
    other = {"name": "radarr-4k", "history": [rec(9, "grabbed", H1, "2026-02-01T00:00:00Z")], "queue": []}
    r = run([rec(2, "downloadFolderImported", H1, "2026-01-01T01:00:00Z")], more=[other])
    assert r["imported"] == []


def test_other_events_do_not_count_as_import():
    r = run([rec(1, "downloadFailed", H1, "2026-01-01T00:00:00Z"), rec(2, "downloadIgnored", H1, "2026-01-01T00:00:00Z")])
    assert r["imported"] == []


def test_same_second_grab_and_import_ordered_by_id():
    r = run([rec(5, "grabbed", H1, "2026-01-01T00:00:00Z"), rec(6, "downloadFolderImported", H1, "2026-01-01T00:00:00Z")])
    assert r["imported"] == [H1]
    r = run([rec(7, "grabbed", H1, "2026-01-01T00:00:00Z"), rec(6, "downloadFolderImported", H1, "2026-01-01T00:00:00Z")])
    assert r["imported"] == []


def test_undated_import_proves_nothing():
    r = run([rec(2, "downloadFolderImported", H1, "yesterday")])
    assert r["imported"] == []


def test_dates_as_dotnet_writes_them():
    assert parse_date("2026-01-01T01:00:00.1234567Z") > parse_date("2026-01-01T01:00:00Z")
    assert parse_date("2026-01-01T02:00:00+01:00") == parse_date("2026-01-01T01:00:00Z")
    assert parse_date("garbage") is None


def test_normalize_hash():
    assert normalize_hash(" " + H2 + " ") == H2.upper()
    assert normalize_hash(None) is None
    assert normalize_hash("g" * 40) is None


def test_an_impossible_date_is_no_date():
    assert parse_date("2026-13-40T25:00:00Z") is None


def test_counts_by_reason_and_the_imported_hashes_held_back():
    H3, H4 = "C" * 40, "D" * 40
    history = [rec(1, "grabbed", H1, "2026-01-01T00:00:00Z"), rec(2, "downloadFolderImported", H1, "2026-01-01T01:00:00Z"),
               rec(3, "grabbed", H1, "2026-01-05T00:00:00Z"),                      # regrabbed
               rec(4, "downloadFolderImported", H2, "2026-01-01T01:00:00Z"),        # imported
               rec(5, "grabbed", H3, "2026-01-01T00:00:00Z"),                       # not imported
               rec(6, "downloadFolderImported", H4, "2026-01-02T00:00:00Z")]        # imported, still queued
    r = run(history, queue=[{"downloadId": H4}])
    assert r["counts"] == {"imported": 1, "queued": 1, "regrabbed": 1, "undated_import": 0, "not_imported": 1}
    assert [(e["hash"], e["reason"], e["last_grab_at"]) for e in r["held_back"]] == [
        (H1, "regrabbed", "2026-01-05T00:00:00Z"), (H4, "queued", None)]
