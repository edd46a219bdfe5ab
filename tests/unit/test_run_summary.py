# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the callbacks read from module results: documented RETURN keys, no_log never read, messages."""
from ansible_collections.mediaops.servarr.plugins.module_utils.clients import ntfy
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import run_summary as rs


def test_extract_reads_the_documented_keys():
    purge = {"removed": [{"hash": "A"}, {"hash": "B"}], "bytes_freed": 41 * 10 ** 9, "used_bytes_after": 5,
             "free_bytes_after": 6, "torrents_total": 9, "unfinished_intents": 1}
    [r] = rs.extract("mediaops.servarr.rtorrent_purge", purge, label="box1")
    assert r["seedbox"] == "box1" and r["figures"]["removed_torrents"] == 2 and r["figures"]["freed_bytes"] == 41e9
    assert r["figures"]["unfinished_intents"] == 1
    sync = {"fetched": [{"name": "a", "bytes": 1}, {"name": "b", "error": "x"}], "bytes": 1, "failed_items": ["b"],
            "not_fetched": [], "locked": False}
    [r] = rs.extract("lftp_mirror", sync)
    assert r["figures"]["fetched_items"] == 1 and r["figures"]["failed_items"] == 1 and r["seedbox"] is None
    [r] = rs.extract("arr_history_hashes", {"imported_hashes": ["A"], "queued_hashes": [],
                                            "instances": [{"name": "radarr", "queue_records": 3}]})
    assert r["figures"]["instances"] == {"radarr": {"queue_items": 3}} and r["seedbox"] is None
    [r] = rs.extract("jellyfin_refresh", {"mode": "targeted", "paths": ["/a", "/b"], "imports": [1, 2, 3]}, label="x")
    assert r["figures"]["jellyfin_folders"] == 2 and r["seedbox"] is None
    assert rs.extract("ansible.builtin.debug", {"msg": "x"}) == []


def test_library_analysis_figures_come_from_its_documented_totals():
    totals = {"items": 3, "bytes": 900, "candidates": 1, "candidate_bytes": 500, "protected": 1,
              "not_in_jellyfin": 0, "per_instance": {"radarr": {"items": 2, "bytes": 700, "candidates": 1,
                                                                "candidate_bytes": 500},
                                                     "sonarr": {"items": 1, "bytes": 200, "candidates": 0,
                                                                "candidate_bytes": 0}}}
    [r] = rs.extract("mediaops.servarr.library_analyze", {"rows": [], "totals": totals})
    assert r["figures"]["candidates"] == 1 and r["figures"]["candidate_bytes"] == 500
    assert r["figures"]["instances"] == {
        "radarr": {"library_items": 2, "library_bytes": 700, "candidates": 1, "candidate_bytes": 500},
        "sonarr": {"library_items": 1, "library_bytes": 200, "candidates": 0, "candidate_bytes": 0}}


def test_loop_items_are_labelled():
    result = {"results": [{"item": "alpha", "removed": [1], "bytes_freed": 3},
                          {"item": {"name": "beta", "rtorrent_password": "pw"}, "removed": [], "bytes_freed": 0},
                          {"item": "gamma", "skipped": True}]}
    records = rs.extract("rtorrent_purge", result)
    assert [r["seedbox"] for r in records] == ["alpha", "beta"]


def test_no_log_results_are_never_read():
    secret = {"removed": [1], "bytes_freed": 3, "msg": "password hunter2"}
    assert rs.extract("rtorrent_purge", dict(secret, _ansible_no_log=True)) == []
    assert rs.extract("rtorrent_purge", {"censored": "the output has been hidden"}) == []
    assert rs.extract("rtorrent_purge", {"results": [dict(secret, _ansible_no_log=True, item="a")]}) == []
    assert "hunter2" not in rs.failure_text(dict(secret, _ansible_no_log=True))
    assert "hunter2" not in rs.failure_text({"results": [dict(secret, item="a", failed=True, _ansible_no_log=True)]})


def test_failure_text_is_one_short_line():
    text = rs.failure_text({"msg": "line one\nline two " + "x" * 1000}, label="beta")
    assert text.startswith("beta: line one line two") and len(text) <= 300 and "\n" not in text


def recorder(*plays):
    clock = iter(range(100)).__next__
    rec = rs.RunRecorder(lambda: float(clock()))
    for job, results in plays:
        rec.start_play(job)
        for action, result, kwargs in results:
            rec.add_result(action, "lab", result, kwargs.pop("task", "T"), **kwargs)
    return rec


def test_failure_message_names_task_error_and_what_was_done():
    rec = recorder(("purge", [
        ("rtorrent_purge", {"removed": [1, 2, 3], "bytes_freed": 41 * 10 ** 9}, {"label": "alpha"}),
        ("rtorrent_purge", {"msg": "rTorrent: wrong username or password"},
         {"label": "beta", "failed": True, "task": "Remove imported torrents"}),
    ]))
    rec.finish(["lab"])
    title, body, failed, idle = rs.compose_message(rec, check_mode=False)
    assert failed and title == "servarr purge FAILED on lab"
    assert 'Task "Remove imported torrents" failed on lab: beta: rTorrent: wrong username or password' in body
    assert "Before that it had alpha: removed 3 torrents, 41.0 GB freed." in body


def test_rescued_or_ignored_failures_are_not_failures():
    rec = recorder(("sync", [("lftp_mirror", {"msg": "boom"}, {"failed": True})]))
    rec.finish([])  # Ansible's stats: no host failed (a rescue handled it)
    title, body, failed, idle = rs.compose_message(rec, check_mode=True)
    assert not failed and idle and title == "[dry run] servarr sync OK on lab"
    assert "nothing would be done" in body and "Dry run" in body


def test_site_run_names_every_job():
    status = {"used_bytes": 10 ** 9, "size_bytes": 10 ** 10, "used_ratio": 0.1, "torrents": {"seeding": 2}}
    rec = recorder(("sync", [("lftp_mirror", {"fetched": [{"name": "a"}], "bytes": 2 * 10 ** 9}, {"label": "sb"}),
                             ("seedbox_info", dict(status, used_bytes=5 * 10 ** 9), {"label": "sb"})]),
                   ("purge", [("seedbox_info", status, {"label": "sb"})]),
                   ("cleanup", [("video_extras_clean", {"extras": [1, 2], "bytes_freed": 10 ** 6}, {})]))
    rec.finish([])
    title, body, failed, idle = rs.compose_message(rec, check_mode=False)
    assert title == "servarr sync, purge, cleanup OK on lab" and not idle
    assert "sync: sb: fetched 1 item (2.0 GB)." in body and "cleanup: removed 2 extras (1.0 MB)." in body
    assert body.count("seedbox 1.0 GB used of 10.0 GB (10%), 2 torrents seeding") == 1 and "5.0 GB used" not in body


def test_many_failures_stay_under_ntfys_limit():
    results = [("lftp_mirror", {"msg": "e" * 5000}, {"failed": True, "task": "t%d" % i}) for i in range(50)]
    rec = recorder(("sync", results))
    rec.finish(["lab"])
    _title, body, failed, _idle = rs.compose_message(rec, check_mode=False)
    assert failed and "(and 45 more failures)" in body
    assert len(ntfy.build_payload("t", body)["message"].encode("utf-8")) <= ntfy.MESSAGE_LIMIT


def test_job_name():
    assert rs.job_name({"servarr_job": "purge"}, None, "seedbox_purge") == "purge"
    assert rs.job_name({"servarr_job": "purge"}, "nightly", "x") == "nightly"
    assert rs.job_name({"servarr_job": "{{ x }}"}, None, "seedbox_purge") == "seedbox_purge"
    assert rs.job_name({}, None, None) == "playbook"


def test_the_purge_summary_says_the_rules_and_the_free_space_floor():
    met = {"removed": [1, 2, 3], "bytes_freed": 41 * 10 ** 9,
           "removed_counts": {"policy": 1, "capacity": 0, "free_space": 2},
           "free_space": {"floor_bytes": 50 * 10 ** 9, "before_bytes": 12 * 10 ** 9, "planned_after_bytes": 53 * 10 ** 9,
                          "after_bytes": 53 * 10 ** 9, "short_bytes": 0, "blocked": {}, "met": True}}
    [r] = rs.extract("rtorrent_purge", met, label="alpha")
    assert (r["figures"]["removed_free_space"], r["figures"]["removed_policy"], r["figures"]["free_after_bytes"]) == (
        2, 1, 53 * 10 ** 9)
    work, state = rs.describe([r])
    assert work == ["alpha: removed 3 torrents, 41.0 GB freed (2 for the free-space floor)"]
    assert state == ["alpha: free space 12.0 GB -> 53.0 GB, floor 50.0 GB met"]

    short = {"removed": [1], "bytes_freed": 10 ** 9, "removed_counts": {"policy": 0, "capacity": 0, "free_space": 1},
             "free_space": {"floor_bytes": 50 * 10 ** 9, "before_bytes": 12 * 10 ** 9,
                            "planned_after_bytes": 13 * 10 ** 9, "after_bytes": None, "short_bytes": 37 * 10 ** 9,
                            "met": False, "blocked": {"not_imported": {"torrents": 12, "bytes": 96 * 10 ** 9},
                                                      "protected_label": {"torrents": 3, "bytes": 41 * 10 ** 9}}}}
    rec = recorder(("purge", [("rtorrent_purge", short, {"label": "alpha"})]))
    rec.finish([])
    _title, body, failed, idle = rs.compose_message(rec, check_mode=True)
    assert not failed and not idle
    assert "alpha: would remove 1 torrent, 1.0 GB freed (1 for the free-space floor)." in body
    assert ("alpha: free space 12.0 GB -> 13.0 GB (would be), 37.0 GB short of the floor 50.0 GB; what stays may not "
            "be removed: 12 not imported (96.0 GB), 3 protected label (41.0 GB).") in body


def test_a_purge_without_a_floor_says_what_it_said_before():
    [r] = rs.extract("rtorrent_purge", {"removed": [1], "bytes_freed": 10 ** 9,
                                        "removed_counts": {"policy": 1, "capacity": 0, "free_space": 0},
                                        "free_space": {"floor_bytes": None, "before_bytes": 5}})
    assert rs.describe([r]) == (["removed 1 torrent, 1.0 GB freed"], [])
