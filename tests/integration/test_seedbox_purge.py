# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""seedbox_purge.yml against the lab: real rTorrent behind HTTPS + Digest, real sshd, Radarr/Sonarr doubles."""
import json
import os
import signal
import time

import pytest

from conftest import rtorrent, run_playbook
import scenario

PURGE = "Remove imported torrents that met the seeding policy, with their data"
ARR = "Read what Radarr and Sonarr have really imported"


def loaded(lab):
    return set(t["hash"] for t in rtorrent(lab).list_torrents())


def snapshot(lab):
    files = []
    for root, _dirs, names in os.walk(lab["download_root"]):
        files.extend(os.path.join(root, n) for n in names)
    return loaded(lab), sorted(files)


def lab_hashes(lab):
    return set(v["hash"] for v in lab["torrents"].values())


def by_key(lab, hashes):
    names = dict((v["hash"], k) for k, v in lab["torrents"].items())
    return sorted(names[h] for h in hashes)


def test_check_then_real_then_idempotent(lab):
    before = snapshot(lab)
    check = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True, diff=True)
    assert check.rc == 0, check.stdout[-3000:]
    planned = check.task(PURGE)
    assert planned["changed"] is True
    assert by_key(lab, [r["hash"] for r in planned["removed"]]) == sorted(scenario.EXPECTED_PURGED)
    assert "Movie.Shared.2018.1080p" in planned["diff"]["before"]
    assert "kept, shared with %s (%s)" % (lab["torrents"]["xseed_copy"]["name"], lab["torrents"]["xseed_copy"]["hash"]) \
        in planned["diff"]["before"]
    assert snapshot(lab) == before, "check mode changed something"
    assert not os.path.exists(os.path.join(lab["dir"], "purge-journal.jsonl")), "check mode wrote the journal"

    arr = check.task(ARR)
    stats = dict((s["name"], s) for s in arr["instances"])
    assert stats["radarr"]["history_records"] == 2500 and stats["radarr"]["history_pages"] == 3
    assert stats["radarr"]["history_read"] == "full" and stats["radarr"]["history_read_why"] == "no cache yet"
    assert not os.path.exists(os.path.join(lab["dir"], "state")), "check mode created the state folder"
    assert stats["radarr"]["ignored_ids"] == 2  # usenet ids
    assert by_key(lab, arr["regrabbed_hashes"]) == ["movie_regrab"]

    real = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert real.rc == 0, real.stdout[-3000:]
    result = real.task(PURGE)
    removed = dict((by_key(lab, [r["hash"]])[0], r) for r in result["removed"])
    assert sorted(removed) == sorted(scenario.EXPECTED_PURGED)
    assert by_key(lab, loaded(lab)) == sorted(scenario.EXPECTED_KEPT)
    for key, entry in removed.items():
        path = lab["torrents"][key]["data_path"]
        if key == "xseed_orig":  # its cross-seed sibling is still loaded: the data stays
            assert entry["data"] == "kept" and entry["data_verified"] is None
            assert entry["shared_with"] == [lab["torrents"]["xseed_copy"]["hash"]]
            assert entry["shared_with_names"] == [lab["torrents"]["xseed_copy"]["name"]]
            assert os.path.exists(path)
        else:
            assert entry["data"] == "removed" and entry["data_verified"] is True, entry
            assert not os.path.exists(path), path
    for key in scenario.EXPECTED_KEPT:
        assert os.path.exists(lab["torrents"][key]["data_path"])
    # by default only the imported (or imported and grabbed again) torrents that stay are listed; all are counted
    kept = dict((by_key(lab, [k["hash"]])[0], k["reason"]) for k in result["kept"])
    assert kept == {"movie_regrab": "grabbed again after its import and not imported again yet"}
    assert result["kept_counts"] == {"regrabbed": 1, "queued": 2, "not_imported": 2}
    assert "evidence" not in real.task(ARR)
    assert real.task(ARR)["counts"]["imported"] == len(real.task(ARR)["imported_hashes"])
    held = dict((by_key(lab, [e["hash"]])[0], e["reason"]) for e in real.task(ARR)["held_back"]
                if e["hash"] in lab_hashes(lab))
    assert held == {"movie_regrab": "regrabbed", "show_pack": "queued"}
    assert result["bytes_freed"] > 0 and result["used_bytes_after"] < result["used_bytes_before"]
    assert result["free_bytes_after"] > 0
    journal = [json.loads(line) for line in open(os.path.join(lab["dir"], "purge-journal.jsonl"))]
    assert [j["event"] for j in journal].count("removed") == len(scenario.EXPECTED_PURGED)
    assert all(j["paths"] for j in journal if j["event"] == "removing")

    # check mode reads the history state but writes none
    state = os.path.join(lab["dir"], "state")
    stamps = dict((n, os.stat(os.path.join(state, n)).st_mtime_ns) for n in os.listdir(state))
    dry = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True)
    assert dry.rc == 0 and [s["history_read"] for s in dry.task(ARR)["instances"]] == ["incremental"] * 2
    assert dict((n, os.stat(os.path.join(state, n)).st_mtime_ns) for n in os.listdir(state)) == stamps

    again = run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_verbose_results=True)
    assert again.rc == 0
    kept = dict((by_key(lab, [k["hash"]])[0], k["reason"]) for k in again.task(PURGE)["kept"])
    assert sorted(kept) == sorted(scenario.EXPECTED_KEPT)
    assert kept["show_pack"] == "still in a Radarr/Sonarr queue"
    assert kept["not_imported"] == "not imported by Radarr/Sonarr"
    assert kept["movie_regrab"] == "grabbed again after its import and not imported again yet"
    assert sorted(again.task(ARR)["evidence"]) == again.task(ARR)["imported_hashes"]
    assert again.task(PURGE)["changed"] is False
    assert again.task(PURGE)["removed"] == []
    # the history is read incrementally now: one request per instance, the same answer
    for stats in again.task(ARR)["instances"]:
        assert (stats["history_read"], stats["history_requests"], stats["new_records"]) == ("incremental", 1, 0)
    assert again.task(ARR)["imported_hashes"] == real.task(ARR)["imported_hashes"]
    assert sorted(os.listdir(os.path.join(lab["dir"], "state"))) == [
        "arr-history-radarr.json", "arr-history-sonarr.json", "purge.lock", "purged-metainfo"]


def test_the_cross_seed_sibling_takes_the_data_when_it_goes_too(lab):
    first = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert first.rc == 0, first.stdout[-2000:]
    assert os.path.exists(lab["torrents"]["xseed_orig"]["data_path"])
    copy = lab["torrents"]["xseed_copy"]["hash"]
    state = json.load(open(lab["radarr"]["state"]))
    state["history"].append(scenario.history_record("radarr", 99999, "downloadFolderImported", copy,
                                                    time.time(), "Movie.Shared (copy)", 6))
    json.dump(state, open(lab["radarr"]["state"], "w"))
    res = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert res.rc == 0, res.stdout[-2000:]
    radarr = [s for s in res.task(ARR)["instances"] if s["name"] == "radarr"][0]
    assert (radarr["history_read"], radarr["new_records"], radarr["history_requests"]) == ("incremental", 1, 1)
    assert [r["hash"] for r in res.task(PURGE)["removed"]] == [copy]
    assert not os.path.exists(lab["torrents"]["xseed_orig"]["data_path"])


@pytest.mark.parametrize("url_key", ["rpc2_url", "scgi_url"])
def test_other_endpoints_and_local_removal(lab, url_key):
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_rtorrent_url=lab[url_key],
                       servarr_purge_data_removal="local")
    assert res.rc == 0, res.stdout[-2000:]
    assert len(res.task(PURGE)["removed"]) == len(scenario.EXPECTED_PURGED)
    assert not os.path.exists(lab["torrents"]["movie_a"]["data_path"])


def test_torrent_only_keeps_data(lab):
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_purge_data_removal="torrent_only")
    assert res.rc == 0
    assert os.path.exists(lab["torrents"]["movie_a"]["data_path"])
    assert lab["torrents"]["movie_a"]["hash"] not in loaded(lab)


def test_data_outside_download_root_is_kept(lab):
    other = os.path.join(lab["dir"], "seedbox", "other-root")
    os.makedirs(other)
    before = snapshot(lab)
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_seedbox_download_root=other)
    assert res.rc == 0, res.stdout[-2000:]
    assert res.task(PURGE)["removed"] == []
    assert all("outside download_root" in k["reason"] for k in res.task(PURGE)["kept"] if k["code"] != "regrabbed")
    assert res.task(PURGE)["kept_counts"]["outside_root"] == len(scenario.EXPECTED_PURGED)
    assert snapshot(lab) == before


def _fault(lab, app, **faults):
    state = json.load(open(lab[app]["state"]))
    state["faults"] = faults
    json.dump(state, open(lab[app]["state"], "w"))


def _kill(lab, app):
    os.kill(int(open(os.path.join(lab["dir"], app + ".pid")).read()), signal.SIGKILL)


FAILURES = {
    "radarr 500 on page 2": (lambda lab: _fault(lab, "radarr", history_page_status={"2": 500}), {},
                             "radarr: GET /api/v3/history page 2 answered HTTP 500 Internal Server Error (tried 4 times)"),
    "sonarr down": (lambda lab: _kill(lab, "sonarr"), {}, "sonarr: cannot reach"),
    "wrong api key": (None, {"servarr_arr_instances": "WRONG_KEY"}, "wrong API key for radarr"),
    "wrong rtorrent password": (None, {"servarr_rtorrent_password": "nope"}, "wrong username or password"),
    "bad rtorrent url": (None, {"servarr_rtorrent_url": "htps://seedbox/rutorrent"}, "must start with https://"),
    "unknown CA": (None, {"servarr_rtorrent_ca_path": "/etc/ssl/certs/ca-certificates.crt"},
                   "with rtorrent_ca_path)"),
    "sftp host key unknown": (None, {"servarr_sftp_known_hosts": "/dev/null"}, "nothing was removed"),
    "download_root not there": (None, {"servarr_purge_data_removal": "local",
                                       "servarr_seedbox_download_root": "/nonexistent/downloads"}, "nothing"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failures_remove_nothing_and_say_why(lab, case):
    setup, overrides, message = FAILURES[case]
    if setup:
        setup(lab)
    if overrides.get("servarr_arr_instances") == "WRONG_KEY":
        overrides = {"servarr_arr_instances": [{"name": "radarr", "type": "radarr", "url": lab["radarr"]["url"],
                                                "api_key": "0" * 32}]}
    before = snapshot(lab)
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", **overrides)
    assert res.rc != 0
    assert message in res.stdout, res.stdout[-3000:]
    assert snapshot(lab) == before


def test_secrets_never_appear_in_output_or_log(lab):
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True, diff=True, extra_args=["-vvv"])
    assert res.rc == 0, res.stdout[-2000:]
    log = open(os.path.join(lab["dir"], "ansible.log")).read()
    for secret in (lab["rtorrent_password"], lab["radarr"]["api_key"], lab["sonarr"]["api_key"]):
        assert secret not in res.stdout
        assert secret not in res.stderr
        assert secret not in log


def test_purge_keeps_the_metainfo_of_each_removed_torrent(lab):
    """data_removal sftp: each removed torrent's .torrent (byte-identical to rTorrent's session file) and its file
    list are kept in <state_dir>/purged-metainfo before the erase; the journal's intent names them; check mode
    writes nothing."""
    session = os.path.join(lab["dir"], "rtorrent-session")
    kept_dir = os.path.join(lab["dir"], "state", "purged-metainfo")
    originals = {}
    for key in scenario.EXPECTED_PURGED:
        h = lab["torrents"][key]["hash"]
        with open(os.path.join(session, h + ".torrent"), "rb") as handle:
            originals[h] = handle.read()

    check = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert not os.path.exists(kept_dir), "check mode wrote metainfo"
    assert all("metainfo" not in r for r in check.task(PURGE)["removed"])

    real = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert real.rc == 0, real.stdout[-3000:]
    removed = real.task(PURGE)["removed"]
    assert sorted(r["hash"] for r in removed) == sorted(originals)
    assert oct(os.stat(kept_dir).st_mode & 0o777) == "0o700"
    assert sorted(os.listdir(kept_dir)) == sorted(h + ext for h in originals for ext in (".json", ".torrent"))
    journal = [json.loads(line) for line in open(os.path.join(lab["dir"], "purge-journal.jsonl"))]
    intents = dict((j["hash"], j) for j in journal if j["event"] == "removing")
    for entry in removed:
        h = entry["hash"]
        saved = os.path.join(kept_dir, h + ".torrent")
        assert entry["metainfo"] == saved and "metainfo_not_kept" not in entry, entry
        with open(saved, "rb") as handle:
            assert handle.read() == originals[h]
        assert oct(os.stat(saved).st_mode & 0o777) == "0o600"
        record = json.load(open(os.path.join(kept_dir, h + ".json")))
        assert record["hash"] == h and record["name"] == entry["name"]
        assert record["files"] == intents[h]["paths"] and record["files"]
        assert record["session_file"] == os.path.join(session, h + ".torrent")
        assert intents[h]["metainfo"] == saved
    assert real.task(PURGE)["metainfo_expired"] == []

    # nothing left to remove: nothing more kept, nothing expired within the retention
    before = dict((n, os.stat(os.path.join(kept_dir, n)).st_mtime_ns) for n in os.listdir(kept_dir))
    again = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert again.rc == 0 and again.task(PURGE)["removed"] == []
    assert dict((n, os.stat(os.path.join(kept_dir, n)).st_mtime_ns) for n in os.listdir(kept_dir)) == before
