# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A purge killed (SIGKILL) right after a d.erase, against the lab's real rTorrent: the next run finishes it.
And a purge told to stop (SIGTERM) at that moment: it finishes the torrent in hand and starts no other.

The module runs in its own process, as Ansible runs it; the only thing changed in it is that the process
signals itself as soon as rTorrent has erased the first torrent, before the data is deleted.
"""
import json
import os
import signal
import subprocess
import sys

import lab as lab_mod
from conftest import COLLECTIONS, rtorrent, run_playbook
from torrentfile import make_torrent

PURGE = "Remove imported torrents that met the seeding policy, with their data"

RUNNER = r"""
import json, os, signal, sys
sys.path.insert(0, sys.argv[2])
from ansible.module_utils.testing import patch_module_args
from ansible_collections.mediaops.servarr.plugins.module_utils.clients import rtorrent
erase = rtorrent.RTorrentClient.erase

def erase_then_die(self, torrent_hash):
    erase(self, torrent_hash)
    os.kill(os.getpid(), getattr(signal, sys.argv[3]))

rtorrent.RTorrentClient.erase = erase_then_die
from ansible_collections.mediaops.servarr.plugins.modules import rtorrent_purge
with patch_module_args(json.load(open(sys.argv[1]))):
    rtorrent_purge.main()
"""


def module_args(lab, **extra):
    v = lab_mod.inventory(lab)["all"]["children"]["servarr"]["hosts"]["lab"]
    args = dict(rtorrent_url=v["servarr_rtorrent_url"], rtorrent_username=v["servarr_rtorrent_username"],
                rtorrent_password=v["servarr_rtorrent_password"], rtorrent_ca_path=v["servarr_rtorrent_ca_path"],
                data_removal="sftp", download_root=v["servarr_seedbox_download_root"], sftp_host=v["servarr_sftp_host"],
                sftp_port=v["servarr_sftp_port"], sftp_username=v["servarr_sftp_username"],
                sftp_key_file=v["servarr_sftp_key_file"], sftp_known_hosts=v["servarr_sftp_known_hosts"],
                min_seed_days=0, state_dir=v["servarr_state_dir"], journal=v["servarr_purge_journal"])
    args.update(extra)
    return args


def signalled_after_first_erase(lab, keys, signame="SIGKILL"):
    path = os.path.join(lab["dir"], "args.json")
    with open(path, "w") as handle:
        json.dump(module_args(lab, imported_hashes=[lab["torrents"][key]["hash"] for key in keys]), handle)
    return subprocess.run([sys.executable, "-c", RUNNER, path, COLLECTIONS, signame], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)


def killed_after_first_erase(lab, key):
    proc = signalled_after_first_erase(lab, [key])
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])


def loaded(lab):
    return set(t["hash"] for t in rtorrent(lab).list_torrents())


def journal_lines(lab):
    with open(os.path.join(lab["dir"], "purge-journal.jsonl")) as handle:
        return handle.read()


def test_the_next_run_frees_the_data_a_killed_run_left_behind(lab):
    movie = lab["torrents"]["movie_a"]
    killed_after_first_erase(lab, "movie_a")
    assert movie["hash"] not in loaded(lab), "the erase happened"
    assert os.path.exists(movie["data_path"]), "the kill came before the data was deleted"
    before = journal_lines(lab)
    assert json.loads(before.splitlines()[-1])["event"] == "removing"

    check = run_playbook(lab, "playbooks/seedbox_purge.yml", check=True)
    assert check.rc == 0, check.stdout[-3000:]
    resumed = check.task(PURGE)["resumed"]
    assert [(r["hash"], r["outcome"]) for r in resumed] == [(movie["hash"], "would finish")]
    assert os.path.exists(movie["data_path"]) and journal_lines(lab) == before, "check mode changed something"
    assert check.task(PURGE)["unfinished_intents"] == 1   # what the killed run left (servarr_purge_unfinished_intents)

    real = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert real.rc == 0, real.stdout[-3000:]
    result = real.task(PURGE)
    assert [(r["hash"], r["outcome"], r["data_verified"]) for r in result["resumed"]] == [
        (movie["hash"], "finished", True)]
    assert result["resumed"][0]["name"] == movie["name"] and result["changed"] is True
    assert "[left by an earlier run: %s: finished, deleted the 2 of its 2 files still there]" % movie["name"] \
        in real.task("Summary")["msg"]
    assert not os.path.exists(movie["data_path"])
    assert movie["hash"] not in [r["hash"] for r in result["removed"]]
    assert result["bytes_freed"] >= result["resumed"][0]["size_bytes"] > 0
    assert result["unfinished_intents"] == 0

    again = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert again.rc == 0 and again.task(PURGE)["resumed"] == [] and again.task(PURGE)["changed"] is False
    records = [json.loads(line) for line in journal_lines(lab).splitlines()]
    assert all(r["event"] != "removing" or r["hash"] != movie["hash"] for r in records), "the journal was compacted"


def test_data_a_loaded_torrent_uses_now_is_kept(lab):
    movie = lab["torrents"]["movie_a"]
    killed_after_first_erase(lab, "movie_a")
    # a cross-seed of the same data is loaded before the next run
    info_hash, meta = make_torrent(movie["data_path"], source="XS")
    client = rtorrent(lab)
    client.call("load.raw_start", "", meta, "d.directory.set=%s" % lab["download_root"], "d.custom1.set=cross-seed")
    assert info_hash.upper() in loaded(lab)

    real = run_playbook(lab, "playbooks/seedbox_purge.yml")
    assert real.rc == 0, real.stdout[-3000:]
    resumed = real.task(PURGE)["resumed"]
    assert [(r["hash"], r["outcome"]) for r in resumed] == [(movie["hash"], "abandoned")]
    assert "used by the loaded torrent %s" % movie["name"] in resumed[0]["why"]
    assert os.path.exists(movie["data_path"]) and info_hash.upper() in loaded(lab)


def test_a_run_told_to_stop_finishes_the_torrent_in_hand_and_starts_no_other(lab):
    proc = signalled_after_first_erase(lab, ["movie_old", "movie_a"], "SIGTERM")
    result = json.loads(proc.stdout)
    assert result["failed"] is True, result
    pair = [lab["torrents"]["movie_old"], lab["torrents"]["movie_a"]]
    first, second = sorted(pair, key=lambda t: t["hash"] != result["removed"][0]["hash"])
    assert result["msg"] == ("stopped after 1 of 2 removals: SIGTERM received; stopped before the next removal, "
                             "nothing is half done")
    assert [(r["hash"], r["data_verified"]) for r in result["removed"]] == [(first["hash"], True)]
    assert result["unfinished_intents"] == 0   # a clean stop leaves nothing half done in the journal
    assert not os.path.exists(first["data_path"]) and first["hash"] not in loaded(lab)
    assert os.path.exists(second["data_path"]) and second["hash"] in loaded(lab)
    records = [json.loads(line) for line in journal_lines(lab).splitlines()]
    assert [(r["hash"], r["event"]) for r in records] == [(first["hash"], "removing"), (first["hash"], "removed")]
