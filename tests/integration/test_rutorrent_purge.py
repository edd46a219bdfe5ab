# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rtorrent_purge with data_removal rutorrent, against the lab's ruTorrent stand-in (tests/lab/rutorrent_standin.py:
ruTorrent 5.3.12's httprpc, erasedata and XML-RPC proxy, behind the same lighttpd with HTTPS + Digest) and the
lab's real rTorrent: removals asked together and verified together within one clean-up interval, the clean-up
that runs only once the UI was opened since rTorrent started, and ruTorrent's answers that mean nothing was
removed (issue 16 #2)."""
import json
import os
import ssl
import time
import urllib.request

import pytest

import lab as lab_mod
import scenario
from conftest import rtorrent, run_playbook, run_with_vars

PURGE = "Remove imported torrents that met the seeding policy, with their data"


def open_ui(lab, interval=2):
    """Load ruTorrent's web UI as a browser does (its plugins' init runs: erasedata schedules its clean-up)."""
    lab_mod.set_rutorrent(lab, interval=interval)
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, lab["rutorrent_ui_url"], lab["rtorrent_username"], lab["rtorrent_password"])
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPSHandler(
        context=ssl.create_default_context(cafile=lab["ca_path"])))
    with opener.open(lab["rutorrent_ui_url"], timeout=30) as page:
        assert b"plugin" in page.read()


def restart_rtorrent(lab):
    lab_mod._kill_pidfile(os.path.join(lab["dir"], "rtorrent.pid"))
    lab_mod.start_rtorrent(lab["dir"], int(lab["scgi_url"].rsplit(":", 1)[1]))


def loaded(lab):
    return set(t["hash"] for t in rtorrent(lab).list_torrents())


def data_removed(lab):
    """The expected removals whose data goes (xseed_orig loses only its torrent: its copy stays)."""
    return [k for k in scenario.EXPECTED_PURGED if k != "xseed_orig"]


def lists(lab):
    folder = os.path.join(lab["dir"], "rutorrent-share", "settings", "erasedata")
    return sorted(n for n in os.listdir(folder) if n.endswith(".list")) if os.path.isdir(folder) else []


def purge(lab, **overrides):
    return run_playbook(lab, "playbooks/seedbox_purge.yml", servarr_rtorrent_url=lab["rutorrent_standin_url"],
                        servarr_purge_data_removal="rutorrent", **overrides)


def purge_module(lab, verify_timeout, batch_size=10):
    """The purge task alone, with a short verify_timeout (the playbook keeps the module's 60 s)."""
    host_vars = lab_mod.inventory(lab)["all"]["children"]["servarr"]["hosts"]["lab"]
    book = os.path.join(lab["dir"], "purge-short.yml")
    imported = sorted(lab["torrents"][k]["hash"] for k in scenario.EXPECTED_PURGED)
    task = {"mediaops.servarr.rtorrent_purge": {
        "rtorrent_url": lab["rutorrent_standin_url"], "rtorrent_username": lab["rtorrent_username"],
        "rtorrent_password": lab["rtorrent_password"], "rtorrent_ca_path": lab["ca_path"],
        "imported_hashes": imported, "min_seed_days": 0, "data_removal": "rutorrent",
        "download_root": lab["download_root"], "sftp_host": lab["sftp"]["host"], "sftp_port": lab["sftp"]["port"],
        "sftp_username": lab["sftp"]["username"], "sftp_key_file": lab["sftp"]["key_file"],
        "sftp_known_hosts": lab["sftp"]["known_hosts"], "journal": host_vars["servarr_purge_journal"],
        "state_dir": host_vars["servarr_state_dir"], "verify_timeout": verify_timeout,
        "rutorrent_batch_size": batch_size},
        "name": PURGE}
    with open(book, "w") as handle:
        json.dump([{"hosts": "servarr", "gather_facts": False, "tasks": [task]}], handle)
    return run_with_vars(lab["dir"], book, host_vars)


def test_removals_through_rutorrent_are_asked_together_and_verified_together(lab):
    open_ui(lab, interval=2)
    res = purge(lab)
    assert res.rc == 0, res.stdout[-3000:]
    result = res.task(PURGE)
    names = dict((v["hash"], k) for k, v in lab["torrents"].items())
    assert sorted(names[r["hash"]] for r in result["removed"]) == sorted(scenario.EXPECTED_PURGED)
    assert all(r["data_verified"] for r in result["removed"] if r["data"] == "removed")
    assert result["pending"] == []
    for key in data_removed(lab):
        assert not os.path.exists(lab["torrents"][key]["data_path"]), key
    assert os.path.exists(lab["torrents"]["xseed_orig"]["data_path"])   # the copy still seeds it
    assert not loaded(lab) & set(lab["torrents"][k]["hash"] for k in scenario.EXPECTED_PURGED)
    assert lists(lab) == []   # ruTorrent's clean-up applied every list it was given
    journal = [json.loads(line) for line in open(os.path.join(lab["dir"], "purge-journal.jsonl"))]
    events = [r["event"] for r in journal]
    # every removal with data was asked before the first one was verified: one wait for all of them
    asked = [i for i, r in enumerate(journal) if r["event"] == "removing" and r["data"] == "removed"]
    finished = [i for i, r in enumerate(journal) if r["event"] == "removed" and r["data"] == "removed"]
    assert len(asked) == len(data_removed(lab)) and max(asked) < min(finished), events
    again = purge(lab)
    assert again.rc == 0 and again.task(PURGE)["changed"] is False and again.task(PURGE)["removed"] == []


def test_a_rutorrent_whose_ui_was_never_opened_answers_false_and_nothing_is_deleted(lab):
    res = purge(lab)
    assert res.rc != 0
    result = res.task(PURGE)
    assert "answered false to removewithdata" in result["msg"] and "open ruTorrent once" in result["msg"]
    assert result["pending"] == [] and lists(lab) == []
    for key in data_removed(lab):
        assert os.path.exists(lab["torrents"][key]["data_path"]), key
        assert lab["torrents"][key]["hash"] in loaded(lab)


def test_a_rutorrent_before_5_3_fails_at_once_naming_the_version(lab):
    lab_mod.set_rutorrent(lab, version="4.3.11")
    open_ui(lab)
    res = purge(lab)
    result = res.task(PURGE)
    assert res.rc != 0 and "needs ruTorrent 5.3.0 or later; use data_removal sftp" in result["msg"]
    for key in data_removed(lab):
        assert os.path.exists(lab["torrents"][key]["data_path"]), key
        assert lab["torrents"][key]["hash"] in loaded(lab)


@pytest.mark.parametrize("change, words", [
    ({"proxy": "off"}, "Could not reach rTorrent over XMLRPC. Is rTorrent running?; nothing was removed"),
    ({"scgi": "127.0.0.1:1"}, "ruTorrent could not reach rTorrent (is rTorrent running?)"),
])
def test_rutorrent_answers_that_name_their_cause(lab, change, words):
    lab_mod.set_rutorrent(lab, **change)
    res = purge(lab)
    assert res.rc != 0 and words in res.task(PURGE)["msg"], res.task(PURGE)["msg"]
    assert sorted(loaded(lab)) == sorted(v["hash"] for v in lab["torrents"].values())


def test_after_an_rtorrent_restart_the_data_stays_each_pending_removal_is_named_and_the_next_run_finishes_it(lab):
    open_ui(lab, interval=1)
    restart_rtorrent(lab)   # ruTorrent's clean-up job lived in the rTorrent that stopped
    res = purge_module(lab, verify_timeout=3)
    result = res.task(PURGE)
    assert res.rc != 0 and result["msg"].startswith("stopped after 1 of 6 removals: "), result["msg"]
    names = dict((v["hash"], k) for k, v in lab["torrents"].items())
    pending = sorted(names[e["hash"]] for e in result["pending"])
    assert pending == sorted(data_removed(lab))
    assert [names[r["hash"]] for r in result["removed"]] == ["xseed_orig"]   # its data stays: verified at once
    msg = result["msg"]
    assert "ruTorrent erased the torrent; its erasedata clean-up deletes the data only once ruTorrent's web UI " \
           "was opened since rTorrent started" in msg
    assert "not verified, left to the journal (the next run finishes them): " in msg
    for key in pending:
        assert lab["torrents"][key]["name"] in msg
        assert os.path.exists(lab["torrents"][key]["data_path"]) and lab["torrents"][key]["hash"] not in loaded(lab)
    assert len(lists(lab)) == len(pending)

    # the next run finishes every one from the journal (over SFTP: ruTorrent's job is still not running)
    again = purge_module(lab, verify_timeout=3)
    resumed = again.task(PURGE)
    assert again.rc == 0, again.stdout[-3000:]
    assert sorted(names[r["hash"]] for r in resumed["resumed"]) == pending
    assert all(r["outcome"] == "finished" and r["data_verified"] for r in resumed["resumed"])
    for key in pending:
        assert not os.path.exists(lab["torrents"][key]["data_path"]), key

    # once the UI is opened, ruTorrent's job works off its (now stale) lists without harm
    open_ui(lab, interval=1)
    deadline = time.time() + 10
    while lists(lab) and time.time() < deadline:
        time.sleep(0.2)
    assert lists(lab) == []
    assert os.path.exists(lab["torrents"]["xseed_orig"]["data_path"])
