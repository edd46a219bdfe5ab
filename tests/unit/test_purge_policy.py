# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import (
    GB, plan, under_root, used_bytes)

NOW = 1_800_000_000
DAY = 86400


def t(h, ratio=0.0, age_days=None, size=GB, path=None, label="radarr", complete=1):
    h = h.upper().ljust(40, "0")
    return {"hash": h, "name": h[:4], "ratio": ratio, "finished": (NOW - age_days * DAY) if age_days is not None else 0,
            "seedingtime": "", "size_bytes": size, "data_path": path or "/dl/" + h[:4], "label": label,
            "complete": complete}


def decide(torrents, imported=None, **kw):
    kw.setdefault("download_root", "/dl")
    imported = [x["hash"] for x in torrents] if imported is None else imported
    return plan(torrents, imported, now=NOW, **kw)


def removed(result):
    return [e["torrent"]["hash"][:4] for e in result["remove"]]


def reasons(result):
    return dict((k["torrent"]["hash"][:4], k["reason"]) for k in result["keep"])


def test_ratio_or_age():
    r = decide([t("aaaa", ratio=2.1, age_days=0.1), t("bbbb", ratio=0.2, age_days=3), t("cccc", ratio=1.0, age_days=1)])
    assert removed(r) == ["BBBB", "AAAA"]  # oldest first
    assert r["remove"][1]["reason"] == "ratio 2.10 >= 1.5"
    assert r["remove"][0]["reason"] == "seeded 3.0 days >= 2"
    assert reasons(r)["CCCC"] == "ratio 1.00 < 1.5 and seeded 1.0 days < 2"


def test_unknown_finish_time_is_never_old():
    r = decide([t("aaaa", ratio=0.1, age_days=None)], min_seed_days=0)
    assert removed(r) == []
    assert "finish time unknown" in reasons(r)["AAAA"]


def test_finish_time_in_the_future_is_unknown():
    torrent = t("aaaa", ratio=0.0)
    torrent["finished"] = NOW + 10 * DAY
    assert removed(decide([torrent], min_seed_days=0)) == []


def test_ruTorrent_seedingtime_used_when_finished_missing():
    torrent = t("aaaa", ratio=0.0)
    torrent["seedingtime"] = str(NOW - 5 * DAY)
    assert removed(decide([torrent])) == ["AAAA"]


def test_not_imported_queued_protected_incomplete_outside_root():
    ts = [t("aaaa", ratio=5, age_days=9), t("bbbb", ratio=5, age_days=9), t("cccc", ratio=5, age_days=9, label="keep"),
          t("dddd", ratio=5, age_days=9, complete=0), t("eeee", ratio=5, age_days=9, path="/elsewhere/x"),
          t("ffff", ratio=5, age_days=9)]
    r = decide(ts, imported=[x["hash"] for x in ts[1:]], queued=[ts[1]["hash"].lower()], protect_labels=["keep"],
               protect_hashes=[ts[5]["hash"].lower()])
    assert removed(r) == []
    why = reasons(r)
    assert why["AAAA"] == "not imported by Radarr/Sonarr"
    assert why["BBBB"] == "still in a Radarr/Sonarr queue"
    assert why["CCCC"] == "protected label 'keep'"
    assert why["DDDD"] == "download incomplete"
    assert why["EEEE"].startswith("data /elsewhere/x is outside download_root")
    assert why["FFFF"] == "protected hash"


def test_label_filter():
    r = decide([t("aaaa", ratio=5, label="sonarr"), t("bbbb", ratio=5, label="radarr")], labels=["sonarr"])
    assert removed(r) == ["AAAA"]


def test_min_seed_time_wins_over_ratio_and_cap():
    ts = [t("aaaa", ratio=9, age_days=0.01, size=800 * GB)]
    r = decide(ts, min_seed_hours=24, max_total_gb=100)
    assert removed(r) == []
    assert reasons(r)["AAAA"].startswith("minimum seed time 24h not reached")


def test_capacity_cap_removes_oldest_first_until_under():
    ts = [t("aaaa", ratio=0, age_days=1.5, size=300 * GB), t("bbbb", ratio=0, age_days=1.8, size=300 * GB),
          t("cccc", ratio=0, age_days=0.5, size=300 * GB), t("dddd", ratio=0, age_days=None, size=100 * GB)]
    r = decide(ts, max_total_gb=500)
    assert removed(r) == ["BBBB", "AAAA"]  # 1000 -> 700 -> 400 GB
    assert r["remove"][0]["trigger"] == "capacity"
    assert r["remove"][0]["reason"].startswith("capacity: 1000.0 GB used > max_total_gb 500")
    assert r["used_after"] == 400 * GB


def test_capacity_counts_shared_data_once():
    ts = [t("aaaa", ratio=0, age_days=1, size=400 * GB, path="/dl/X"),
          t("bbbb", ratio=0, age_days=1.5, size=400 * GB, path="/dl/X", label="cross-seed")]
    assert used_bytes(ts) == 400 * GB
    r = decide(ts, imported=[ts[0]["hash"]], max_total_gb=300)
    # removing the imported one frees nothing while its cross-seed stays; the cap cannot be met, nothing else goes
    assert removed(r) == ["AAAA"]
    assert r["remove"][0]["keep_data"] is True
    assert r["remove"][0]["shared_with"] == [ts[1]["hash"]]


def test_cross_seed_pair_both_eligible_last_one_takes_the_data():
    ts = [t("aaaa", ratio=3, age_days=3, path="/dl/X"), t("bbbb", ratio=3, age_days=2, path="/dl/X")]
    r = decide(ts)
    assert removed(r) == ["AAAA", "BBBB"]
    assert [e["keep_data"] for e in r["remove"]] == [True, False]


def test_single_file_inside_pack_folder_is_a_sibling():
    ts = [t("aaaa", ratio=3, path="/dl/Pack"), t("bbbb", ratio=0, path="/dl/Pack/E01.mkv")]
    r = decide(ts, imported=[ts[0]["hash"]])
    assert r["remove"][0]["keep_data"] is True


def test_max_removals():
    ts = [t("aaaa", ratio=3, age_days=3), t("bbbb", ratio=3, age_days=5), t("cccc", ratio=3, age_days=4)]
    r = decide(ts, max_removals=2)
    assert removed(r) == ["BBBB", "CCCC"]
    assert "max_removals 2 reached" in reasons(r)["AAAA"]


def test_under_root():
    assert under_root("/dl/x", "/dl")
    assert under_root("/dl/x/../y", "/dl/")
    assert not under_root("/dl", "/dl")
    assert not under_root("/dl/../etc", "/dl")
    assert not under_root("/dlx/y", "/dl")
    assert not under_root("relative", "/dl")
    assert not under_root("/dl/x", None)


def test_a_file_listed_outside_download_root_keeps_its_torrent_before_anything_is_decided():
    escaping = t("aaaa", ratio=5, age_days=9, size=3 * GB)
    escaping["files"] = ["/dl/AAAA/movie.mkv", "/dl/AAAA/../../etc/passwd"]
    fine = t("bbbb", ratio=5, age_days=9)
    fine["files"] = ["/dl/BBBB/movie.mkv"]
    r = decide([escaping, fine])
    assert removed(r) == ["BBBB"]
    assert reasons(r)["AAAA"] == "file /dl/AAAA/../../etc/passwd is outside download_root"
    assert r["used_after"] == 3 * GB   # the space it holds is still counted as used
    # torrent_only removes no data: no file is touched, so the file list does not matter
    assert removed(decide([escaping, fine], require_root=False)) == ["AAAA", "BBBB"]


def test_a_torrent_grabbed_again_after_its_import_says_so():
    ts = [t("aaaa", ratio=5, age_days=9), t("bbbb", ratio=5, age_days=9)]
    r = decide(ts, imported=[], regrabbed=[ts[0]["hash"].lower()])
    assert reasons(r) == {"AAAA": "grabbed again after its import and not imported again yet",
                          "BBBB": "not imported by Radarr/Sonarr"}
    assert [k["code"] for k in r["keep"]] == ["regrabbed", "not_imported"]


def test_a_cross_seed_sibling_is_named():
    ts = [t("aaaa", ratio=5, age_days=9, path="/dl/Shared"), t("bbbb", ratio=5, age_days=9, path="/dl/Shared")]
    r = decide(ts, imported=[ts[0]["hash"]])
    assert r["remove"][0]["shared_with_names"] == ["BBBB"] and r["remove"][0]["keep_data"] is True


@pytest.mark.parametrize("rel", ["../O/o.mkv", "T/../O/o.mkv", "/etc/passwd", "a//b", "./x", "", "a\0b"])
def test_a_torrent_with_an_invalid_file_path_is_kept(rel):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import invalid_file_path
    assert invalid_file_path(rel)
    assert not invalid_file_path("Movie (2020)/Movie.mkv") and not invalid_file_path("..hidden/x.mkv")


def test_plan_keeps_a_torrent_rtorrent_listed_with_an_invalid_path():
    bad = dict(t("aaaa", ratio=5.0, age_days=10), invalid_path="T/../O/o.mkv")
    result = decide([bad, t("bbbb", ratio=5.0, age_days=10)])
    assert removed(result) == ["BBBB"]
    assert result["keep"][0]["code"] == "invalid_path" and "T/../O/o.mkv" in result["keep"][0]["reason"]


# The free-space floor (issue 18 #1). Every torrent below is started and reports the disk's free space, as
# rTorrent's d.free_diskspace does; ages make the order: the oldest (longest seeded since it finished) first.

def started(h, free, **kw):
    torrent = t(h, **kw)
    torrent.update(state=1, free_diskspace=free)
    return torrent


def floor_plan(torrents, imported=None, **kw):
    kw.setdefault("min_ratio", 100)      # the ratio/age policy removes nothing unless a test says so
    kw.setdefault("min_seed_days", 1000)
    return decide(torrents, imported=imported, **kw)


def triggers(result):
    return [(e["torrent"]["hash"][:4], e["trigger"]) for e in result["remove"]]


def test_floor_removes_oldest_first_until_met_exactly():
    free = 100 * GB
    ts = [started("aaaa", free, age_days=5, size=30 * GB), started("bbbb", free, age_days=4, size=20 * GB),
          started("cccc", free, age_days=3, size=50 * GB), started("dddd", free, age_days=1, size=10 * GB)]
    r = floor_plan(ts, min_free_gb=150)
    assert triggers(r) == [("AAAA", "free_space"), ("BBBB", "free_space")]   # 100 + 30 + 20 = 150: met exactly
    assert r["remove"][0]["reason"] == ("free space: 100.0 GB free < floor 150.0 GB "
                                        "(ratio 0.00 < 100 and seeded 5.0 days < 1000)")
    assert r["remove"][1]["reason"].startswith("free space: 130.0 GB free < floor 150.0 GB")
    fs = r["free_space"]
    assert (fs["before_bytes"], fs["planned_after_bytes"], fs["floor_bytes"]) == (100 * GB, 150 * GB, 150 * GB)
    assert fs["met"] is True and fs["short_bytes"] == 0 and fs["source"] == "rtorrent" and fs["blocked"] == {}
    assert fs["message"] == "free space 100.0 GB -> 150.0 GB, floor 150.0 GB (min_free_gb 150): met"
    assert [k["code"] for k in r["keep"]] == ["policy_not_met", "policy_not_met"]
    assert r["used_after"] == 60 * GB


def test_floor_counts_what_the_policy_and_the_cap_freed_first():
    free = 100 * GB
    ts = [started("aaaa", free, age_days=5, size=30 * GB), started("bbbb", free, age_days=4, size=20 * GB, ratio=200),
          started("cccc", free, age_days=3, size=50 * GB)]
    r = floor_plan(ts, min_free_gb=140, max_total_gb=60)
    # the policy frees 20 (BBBB: 100 -> 80 GB used), the cap 30 more (AAAA, oldest: 80 -> 50 GB): 150 GB free, over
    # the floor, so CCCC stays
    assert triggers(r) == [("BBBB", "policy"), ("AAAA", "capacity")]
    assert r["free_space"]["planned_after_bytes"] == 150 * GB and r["free_space"]["met"] is True


def test_floor_counts_shared_data_once_and_removes_a_cross_seed_pair_together():
    free = 100 * GB
    ts = [started("aaaa", free, age_days=9, size=40 * GB, path="/dl/X"),
          started("bbbb", free, age_days=2, size=40 * GB, path="/dl/X"),
          started("cccc", free, age_days=5, size=40 * GB), started("dddd", free, age_days=1, size=40 * GB)]
    r = floor_plan(ts, min_free_gb=170)
    # the pair frees 40 GB once (not 80): both go, the oldest first, the last takes the data; then CCCC
    assert triggers(r) == [("AAAA", "free_space"), ("BBBB", "free_space"), ("CCCC", "free_space")]
    assert [e["keep_data"] for e in r["remove"]] == [True, False, False]
    assert r["remove"][1]["reason"].startswith("free space: shares its data with AAAA, removed with it")
    assert r["free_space"]["planned_after_bytes"] == 180 * GB
    assert removed(r) == ["AAAA", "BBBB", "CCCC"] and reasons(r) == {
        "DDDD": "ratio 0.00 < 100 and seeded 1.0 days < 1000"}


def test_floor_skips_data_shared_with_a_torrent_that_stays():
    free = 10 * GB
    ts = [started("aaaa", free, age_days=9, size=40 * GB, path="/dl/X"),
          started("bbbb", free, age_days=9, size=40 * GB, path="/dl/X", label="cross-seed"),
          started("cccc", free, age_days=5, size=40 * GB),
          started("eeee", free, age_days=4, size=5 * GB, path="/dl/Pack"),
          started("ffff", free, age_days=4, size=1 * GB, path="/dl/Pack/E01.mkv")]
    r = floor_plan(ts, imported=[ts[0]["hash"], ts[2]["hash"], ts[3]["hash"]], min_free_gb=55)
    # AAAA's data stays with its cross-seed, EEEE's pack holds a file of FFFF (not imported): removing either frees
    # nothing, so neither goes; CCCC frees 40 GB, and the floor stays 5 GB short
    assert triggers(r) == [("CCCC", "free_space")]
    assert reasons(r)["AAAA"].endswith("removing it would free no space: its data is shared with BBBB, which stays")
    assert reasons(r)["EEEE"].endswith("its data is shared with FFFF, which stays")
    assert r["free_space"]["met"] is False and r["free_space"]["short_bytes"] == 5 * GB
    assert r["free_space"]["blocked"]["policy_not_met"] == {"torrents": 2, "bytes": 45 * GB}


def test_floor_never_removes_what_has_no_evidence_or_is_protected_and_says_how_short():
    free = 10 * GB
    ts = [started("aaaa", free, age_days=9, size=20 * GB),                       # not imported
          started("bbbb", free, age_days=9, size=30 * GB, label="keep"),         # protected label
          started("cccc", free, age_days=9, size=40 * GB),                       # protected hash
          started("dddd", free, age_days=0.5, size=50 * GB),                     # min seed time
          started("eeee", free, age_days=8, size=5 * GB),                        # may go
          started("ffff", free, age_days=9, size=60 * GB, label="tv")]           # label not selected
    r = floor_plan(ts, imported=[x["hash"] for x in ts[1:]], min_free_gb=100, protect_labels=["keep"],
                   protect_hashes=[ts[2]["hash"]], min_seed_hours=24, labels=["radarr", "keep"])
    assert triggers(r) == [("EEEE", "free_space")]
    fs = r["free_space"]
    assert fs["met"] is False and fs["planned_after_bytes"] == 15 * GB and fs["short_bytes"] == 85 * GB
    assert fs["blocked"] == {"not_imported": {"torrents": 1, "bytes": 20 * GB},
                             "protected_label": {"torrents": 1, "bytes": 30 * GB},
                             "protected_hash": {"torrents": 1, "bytes": 40 * GB},
                             "min_seed_time": {"torrents": 1, "bytes": 50 * GB},
                             "label_not_selected": {"torrents": 1, "bytes": 60 * GB}}
    assert fs["message"] == (
        "free space 10.0 GB -> 15.0 GB is 85.0 GB short of the floor 100.0 GB (min_free_gb 100): nothing else may "
        "be removed; what stays: 1 label_not_selected (60.0 GB), 1 min_seed_time (50.0 GB), 1 protected_hash "
        "(40.0 GB), 1 protected_label (30.0 GB), 1 not_imported (20.0 GB)")
    assert reasons(r)["AAAA"] == "not imported by Radarr/Sonarr"


def test_floor_in_percent_of_what_rtorrent_tells_and_the_higher_floor_wins():
    free = 100 * GB
    ts = [started(h, free, age_days=9 - i, size=100 * GB) for i, h in enumerate(("aaaa", "bbbb", "cccc", "dddd"))]
    # size = 400 GB of data + 100 GB free = 500 GB
    assert removed(floor_plan(ts, min_free_percent=20)) == []                        # 100 >= 100
    r = floor_plan(ts, min_free_percent=30)                                          # 150: one goes
    assert removed(r) == ["AAAA"] and r["free_space"]["floor_bytes"] == 150 * GB
    assert r["free_space"]["size_bytes"] == 500 * GB
    assert "min_free_percent 30 of 500.0 GB" in r["free_space"]["message"]
    assert removed(floor_plan(ts, min_free_percent=30, min_free_gb=210)) == ["AAAA", "BBBB"]   # 210 > 150
    assert removed(floor_plan(ts, min_free_percent=70, min_free_gb=210)) == ["AAAA", "BBBB", "CCCC"]  # 350 > 210


def test_floor_against_a_quota():
    ts = [started(h, 10000 * GB, age_days=9 - i, size=100 * GB) for i, h in enumerate(("aaaa", "bbbb", "cccc", "dddd"))]
    # 400 GB used of a 600 GB quota: 200 GB free, whatever the (shared) disk has
    r = floor_plan(ts, quota_gb=600, min_free_percent=50)
    assert removed(r) == ["AAAA"]
    fs = r["free_space"]
    assert (fs["source"], fs["size_bytes"], fs["quota_bytes"], fs["before_bytes"], fs["planned_after_bytes"]) == (
        "quota", 600 * GB, 600 * GB, 200 * GB, 300 * GB)
    assert fs["disk_free_before_bytes"] == 10000 * GB
    # the disk is fuller than the quota says (other users): its free space counts
    tight = [dict(x, free_diskspace=50 * GB) for x in ts]
    r = floor_plan(tight, quota_gb=600, min_free_gb=120)
    assert removed(r) == ["AAAA"] and r["free_space"]["before_bytes"] == 50 * GB
    assert r["free_space"]["planned_after_bytes"] == 150 * GB
    # over the quota: what is freed counts only once back under it
    r = floor_plan(ts, quota_gb=300, min_free_gb=50)
    assert removed(r) == ["AAAA", "BBBB"] and r["free_space"]["before_bytes"] == 0
    assert r["free_space"]["planned_after_bytes"] == 100 * GB


def test_floor_respects_max_removals():
    ts = [started(h, 0, age_days=9 - i, size=10 * GB) for i, h in enumerate(("aaaa", "bbbb", "cccc"))]
    r = floor_plan(ts, min_free_gb=30, max_removals=2)
    assert removed(r) == ["AAAA", "BBBB"]
    assert reasons(r)["CCCC"].endswith("free space under the floor, but max_removals 2 reached")
    assert r["free_space"]["short_bytes"] == 10 * GB and r["free_space"]["blocked"] == {
        "max_removals": {"torrents": 1, "bytes": 10 * GB}}


def test_floor_unknown_free_space_removes_nothing_and_says_so():
    ts = [t("aaaa", age_days=9), t("bbbb", age_days=9)]   # not started: rTorrent reports no free space
    for x in ts:
        x.update(state=0, free_diskspace=0)
    r = floor_plan(ts, min_free_gb=10)
    assert removed(r) == [] and r["free_space"]["met"] is None
    assert r["free_space"]["message"].startswith("free space unknown (no started torrent reports it and no quota_gb")
    # a stopped torrent's 0 is not the disk's free space: the started one tells it
    ts[1].update(state=1, free_diskspace=20 * GB)
    assert floor_plan(ts, min_free_gb=10)["free_space"]["before_bytes"] == 20 * GB


def test_without_a_floor_nothing_changes_and_the_free_space_is_still_reported():
    ts = [started("aaaa", 5 * GB, age_days=9, ratio=0), started("bbbb", 5 * GB, age_days=9, ratio=3)]
    r = decide(ts)
    assert triggers(r) == [("AAAA", "policy"), ("BBBB", "policy")]
    fs = r["free_space"]
    assert fs["floor_bytes"] is None and fs["met"] is None and fs["message"] == ""
    assert (fs["before_bytes"], fs["planned_after_bytes"]) == (5 * GB, 7 * GB)


def test_policy_object_and_keywords_decide_alike():
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import Policy
    free = 0
    ts = [started(h, free, age_days=9 - i, size=10 * GB) for i, h in enumerate(("aaaa", "bbbb", "cccc"))]
    rules = dict(min_ratio=100, min_seed_days=1000, min_free_gb=15, download_root="/dl")
    a = plan(ts, [x["hash"] for x in ts], now=NOW, policy=Policy(**rules))
    b = plan(ts, [x["hash"] for x in ts], now=NOW, **rules)
    assert removed(a) == removed(b) == ["AAAA", "BBBB"]
