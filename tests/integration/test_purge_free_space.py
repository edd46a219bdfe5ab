# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The purge's free-space floor against the lab: real rTorrent (d.free_diskspace of the real disk), real sshd.

The lab's disk is shared with whatever else runs on this machine, so its free space moves: the deterministic
cases use a quota (the free space is then the quota less the torrents' data, as long as the disk has more), and
the rTorrent case a floor far above what the lab's data could ever free.
"""
import os

from conftest import rtorrent, run_playbook
import scenario

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import (
    Policy, disk_free, used_bytes)

PURGE = "Remove imported torrents that met the seeding policy, with their data"
# the ratio/age policy removes nothing: whatever goes, goes for the floor
NO_POLICY = {"servarr_purge_min_ratio": 1000, "servarr_purge_min_seed_days": 1000}
# imported, complete, not queued, not grabbed again: what the floor may remove (xseed_orig frees nothing, its
# cross-seed stays)
MAY_GO = ["movie_a", "movie_b", "movie_lower", "movie_old", "show_done"]


def listing(lab):
    return rtorrent(lab).list_torrents()


def snapshot(lab):
    files = []
    for root, _dirs, names in os.walk(lab["download_root"]):
        files.extend(os.path.join(root, n) for n in names)
    return sorted(t["hash"] for t in listing(lab)), sorted(files)


def key_of(lab):
    return dict((v["hash"], k) for k, v in lab["torrents"].items())


def oldest_first(lab, keys):
    """The order the docs promise: the longest seeded since it finished first (hash on a tie), read from rTorrent."""
    torrents = dict((t["hash"], t) for t in listing(lab))
    hashes = sorted((lab["torrents"][k]["hash"] for k in keys), key=lambda h: (torrents[h]["finished"], h))
    return [key_of(lab)[h] for h in hashes], torrents


def quota_for(lab, free):
    """A quota (in GB, as the inventory gives it) leaving ``free`` bytes over the lab's data, and its bytes."""
    quota_gb = (used_bytes(listing(lab)) + free) / 1e9
    return quota_gb, Policy(quota_gb=quota_gb).quota_bytes


def test_floor_with_a_quota_check_real_and_idempotent(lab):
    quota_gb, quota = quota_for(lab, 300000)
    used = used_bytes(listing(lab))
    before_free = quota - used
    floor = 500000
    order, torrents = oldest_first(lab, MAY_GO)
    expected, freed = [], 0
    for key in order:
        if before_free + freed >= floor:
            break
        expected.append(key)
        freed += torrents[lab["torrents"][key]["hash"]]["size_bytes"]
    assert 1 < len(expected) < len(MAY_GO)   # the floor is met part way: the order matters
    settings = dict(NO_POLICY, servarr_seedbox_quota_gb=quota_gb, servarr_purge_min_free_gb=floor / 1e9)

    before = snapshot(lab)
    check = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True, diff=True, **settings)
    assert check.rc == 0, check.stdout[-3000:]
    planned = check.task(PURGE)
    assert [key_of(lab)[r["hash"]] for r in planned["removed"]] == expected
    assert set(r["trigger"] for r in planned["removed"]) == {"free_space"}
    assert planned["removed_counts"] == {"policy": 0, "capacity": 0, "free_space": len(expected)}
    fs = planned["free_space"]
    assert (fs["source"], fs["quota_bytes"], fs["size_bytes"], fs["floor_bytes"]) == ("quota", quota, quota, floor)
    assert fs["before_bytes"] == before_free and fs["planned_after_bytes"] == before_free + freed
    assert fs["after_bytes"] is None and fs["met"] is True   # check mode measures nothing after
    diff = planned["diff"]
    assert diff["before"].startswith("free space %d bytes, floor %d bytes\n" % (before_free, floor))
    assert "free space %d bytes (computed; measured after a real run)" % (before_free + freed) in diff["after"]
    for key in expected:
        assert "%s [free_space] (free space: " % lab["torrents"][key]["data_path"] in diff["before"]
    assert snapshot(lab) == before, "check mode changed something"

    real = run_playbook(lab, "playbooks/seedbox_purge.yml", diff=True, **settings)
    assert real.rc == 0, real.stdout[-3000:]
    result = real.task(PURGE)
    assert [key_of(lab)[r["hash"]] for r in result["removed"]] == expected
    for entry in result["removed"]:
        assert entry["data"] == "removed" and entry["data_verified"] is True
        assert entry["reason"].startswith("free space: ") and entry["trigger"] == "free_space"
        assert not os.path.exists(entry["data_path"])
    kept = dict((key_of(lab)[k["hash"]], k["reason"]) for k in result["kept"])
    assert kept["xseed_orig"].endswith("removing it would free no space: its data is shared with %s, which stays"
                                       % lab["torrents"]["xseed_copy"]["name"])
    assert os.path.exists(lab["torrents"]["xseed_orig"]["data_path"])
    # measured: rTorrent asked again after the removals; the quota less what is still loaded, as the disk holds it
    now = listing(lab)
    fs = result["free_space"]
    assert fs["after_bytes"] == quota - used_bytes(now) == before_free + freed
    assert fs["disk_free_after_bytes"] > 0 and fs["met"] is True and fs["short_bytes"] == 0
    assert "(measured), floor" in fs["message"] and "(measured)" in result["diff"]["after"]
    assert result["free_bytes_after"] > 0

    again = run_playbook(lab, "playbooks/seedbox_purge.yml", **settings)
    assert again.rc == 0, again.stdout[-3000:]
    assert again.task(PURGE)["changed"] is False and again.task(PURGE)["removed"] == []
    assert again.task(PURGE)["free_space"]["met"] is True
    assert again.task(PURGE)["free_space"]["after_bytes"] == fs["after_bytes"]


def test_floor_in_percent_out_of_reach_removes_only_what_may_go_and_says_how_short(lab):
    quota_gb, quota = quota_for(lab, 300000)
    used = used_bytes(listing(lab))
    settings = dict(NO_POLICY, servarr_seedbox_quota_gb=quota_gb, servarr_purge_min_free_percent=99)
    floor = int(quota * 99 / 100.0)
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", **settings)
    assert res.rc == 0, res.stdout[-3000:]
    result = res.task(PURGE)
    # everything that may go went; nothing without import evidence, nothing queued or grabbed again
    assert sorted(key_of(lab)[r["hash"]] for r in result["removed"]) == sorted(MAY_GO)
    left = sorted(key_of(lab)[t["hash"]] for t in listing(lab))
    assert left == sorted(set(scenario.EXPECTED_KEPT) | {"xseed_orig"})
    for key in left:
        assert os.path.exists(lab["torrents"][key]["data_path"])
    fs = result["free_space"]
    assert fs["floor_bytes"] == floor and fs["met"] is False
    assert fs["after_bytes"] == quota - used_bytes(listing(lab)) and fs["short_bytes"] == floor - fs["after_bytes"]
    assert fs["before_bytes"] == quota - used
    assert sorted(fs["blocked"]) == ["not_imported", "policy_not_met", "queued", "regrabbed"]
    assert fs["blocked"]["not_imported"]["torrents"] == 2 and fs["blocked"]["queued"]["torrents"] == 2
    assert "short of the floor" in fs["message"] and "min_free_percent 99" in fs["message"]
    assert "what stays: " in fs["message"]
    assert "short of the floor" in res.stdout + res.stderr, "the run does not warn"

    again = run_playbook(lab, "playbooks/seedbox_purge.yml", **settings)
    assert again.rc == 0 and again.task(PURGE)["changed"] is False and again.task(PURGE)["removed"] == []
    assert again.task(PURGE)["free_space"]["short_bytes"] == fs["short_bytes"]


def test_floor_from_rtorrents_free_space_is_measured_after(lab):
    disk = disk_free(listing(lab))
    assert disk and disk > 10 ** 9
    # 10 GB over what the disk has now: the lab's data (a megabyte or two) can never meet it, whatever else writes
    floor_gb = (disk + 10 ** 10) / 1e9
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_purge_min_free_gb=floor_gb, **NO_POLICY)
    assert res.rc == 0, res.stdout[-3000:]
    result = res.task(PURGE)
    assert sorted(key_of(lab)[r["hash"]] for r in result["removed"]) == sorted(MAY_GO)
    fs = result["free_space"]
    assert fs["source"] == "rtorrent" and fs["quota_bytes"] is None and fs["met"] is False
    # measured after, from rTorrent's d.free_diskspace (the real disk): near what it says now, not the plan's sum
    measured = disk_free(listing(lab))
    assert fs["after_bytes"] == fs["disk_free_after_bytes"] == result["free_bytes_after"]
    assert abs(fs["after_bytes"] - measured) < 200 * 10 ** 6
    assert fs["short_bytes"] == fs["floor_bytes"] - fs["after_bytes"]
