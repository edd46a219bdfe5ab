# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""seedbox_orphans.yml against the lab: real rTorrent behind HTTPS + Digest, real sshd (shell and SFTP).

The lab's torrents (scenario.py) stay: a cross-seed pair sharing one folder, a stopped torrent, an incomplete one.
Each test adds orphans of every kind under the download root first.
"""
import json
import os
import signal
import subprocess
import sys
import time

import lab as lab_mod
from conftest import COLLECTIONS, rtorrent, run_playbook

SWEEP = "Move the data no loaded torrent lists into the quarantine, and expire old quarantine"
HOSTILE = "-rf \"quoted\" 'single' name.mkv"
QUARANTINE = ".servarr-quarantine"


def write(path, size, age_days=3):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))
    stamp = time.time() - age_days * 86400
    os.utime(path, (stamp, stamp))


def add_orphans(lab):
    """Orphans of each kind, and what they are, by path relative to the download root."""
    root = lab["download_root"]
    write(os.path.join(root, "Removed.In.ruTorrent.2021", "movie.mkv"), 5000)
    write(os.path.join(root, "Removed.In.ruTorrent.2021", "Subs", "eng.srt"), 300)
    write(os.path.join(root, "Lone.File.2020.mkv"), 4000)
    write(os.path.join(root, lab["torrents"]["movie_a"]["name"], "sample-leftover.mkv"), 700)
    write(os.path.join(root, HOSTILE), 900)
    os.symlink(os.path.join(lab["dir"], "outside-target"), os.path.join(root, "escape-link"))
    os.makedirs(os.path.join(lab["dir"], "outside-target"))
    write(os.path.join(lab["dir"], "outside-target", "precious.txt"), 10)
    write(os.path.join(root, ".hidden-by-user"), 50)          # a dot-file: excluded by default
    write(os.path.join(root, "watch", "new.torrent"), 60)       # a watch folder the user excludes
    return {"Removed.In.ruTorrent.2021": ("folder", 5300), "Lone.File.2020.mkv": ("file", 4000),
            lab["torrents"]["movie_a"]["name"] + "/sample-leftover.mkv": ("file", 700),
            HOSTILE: ("file", 900), "escape-link": ("symlink", 0)}


def add_young(lab):
    """A file still being written: modified an hour ahead of the run (how long a slow, loaded test machine takes
    between writing it and the sweep cannot make it old)."""
    write(os.path.join(lab["download_root"], "Young.Download.mkv"), 800, age_days=-1 / 24.0)
    return "Young.Download.mkv"


def tree(lab):
    """Every path under the download root (links not followed) with its size, and every torrent loaded."""
    found = {}
    for folder, dirs, files in os.walk(lab["download_root"]):
        for name in dirs + files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, lab["download_root"])] = os.lstat(path).st_size if name in files else -1
    return found, sorted(t["hash"] for t in rtorrent(lab).list_torrents())


def owned(lab):
    paths = set()
    for torrent in rtorrent(lab).list_torrents():
        for path in torrent["files"]:
            paths.add(os.path.relpath(path, lab["download_root"]))
    return paths


def sweep(lab, check=False, diff=False, **overrides):
    settings = dict(servarr_orphans_min_age_hours=0, servarr_orphans_exclude=["watch"])
    settings.update(overrides)
    return run_playbook(lab, "playbooks/seedbox_orphans.yml", check=check, diff=diff, **settings)


def quarantined(lab):
    base = os.path.join(lab["download_root"], QUARANTINE)
    out = set()
    if not os.path.isdir(base):
        return out
    for batch in os.listdir(base):
        for folder, dirs, files in os.walk(os.path.join(base, batch)):
            for name in dirs + files:
                rel = os.path.relpath(os.path.join(folder, name), os.path.join(base, batch))
                out.add(rel)
    return out


def journal(lab):
    path = os.path.join(lab["dir"], "state", "orphans-journal.jsonl")
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def test_check_then_real_then_idempotent_then_expiry(lab):
    orphans = add_orphans(lab)
    time.sleep(8)   # ctime cannot be set back: the orphans must be older than the minimum age by their ctime too
    young = add_young(lab)
    min_age = {"servarr_orphans_min_age_hours": 7.0 / 3600}
    before = tree(lab)
    torrent_paths = owned(lab)
    assert lab["torrents"]["xseed_orig"]["name"] + "/Movie.Shared.2018.mkv" in torrent_paths

    check = sweep(lab, check=True, diff=True, **min_age)
    assert check.rc == 0, check.stdout[-3000:]
    result = check.task(SWEEP)
    assert result["changed"] is True
    assert result["listing"]["method"] == "ssh"
    assert result["listing"]["round_trips"] == 1
    assert dict((m["path"], (m["kind"], m["size_bytes"])) for m in result["moved"]) == orphans
    assert all(m["outcome"] == "would move" for m in result["moved"])
    units = dict((u["path"], u) for u in result["orphans"])
    assert units[young]["outcome"] == "young"
    assert result["orphaned_bytes"] == sum(size for _kind, size in orphans.values()) + 800
    assert "would move Removed.In.ruTorrent.2021 (5300 bytes, 2 files)" in result["diff"]["before"]
    assert HOSTILE in result["diff"]["before"]
    assert tree(lab) == before, "check mode changed something"
    assert not os.path.exists(os.path.join(lab["dir"], "state", "orphans-journal.jsonl"))

    real = sweep(lab, **min_age)
    assert real.rc == 0, real.stdout[-3000:]
    result = real.task(SWEEP)
    assert result["changed"] is True and result["partial"] == []
    assert sorted(m["path"] for m in result["moved"] if m["outcome"] == "moved") == sorted(orphans)
    assert result["moved_bytes"] == sum(size for _kind, size in orphans.values())
    assert result["quarantine_bytes"] == result["moved_bytes"]
    after, hashes = tree(lab)
    assert hashes == before[1], "a torrent was touched"
    for path in orphans:
        assert path not in after, path
    for path in torrent_paths:   # every torrent's file stays: cross-seed pair, stopped and incomplete torrents
        if path in before[0]:
            assert after.get(path) == before[0][path], path
    assert young in after and ".hidden-by-user" in after and "watch/new.torrent" in after
    assert os.path.exists(os.path.join(lab["dir"], "outside-target", "precious.txt")), "the link was followed"
    held = quarantined(lab)
    for path in orphans:
        assert path in held, (path, held)
    batch = result["moved"][0]["batch"]
    link = os.path.join(lab["download_root"], QUARANTINE, batch, "escape-link")
    assert os.path.islink(link) and os.readlink(link) == os.path.join(lab["dir"], "outside-target")
    events = [r["event"] for r in journal(lab)]
    assert events == ["moving", "moved"]

    again = sweep(lab, **min_age)
    assert again.rc == 0, again.stdout[-2000:]
    assert again.task(SWEEP)["changed"] is False
    assert again.task(SWEEP)["moved"] == [] and again.task(SWEEP)["expired"] == []
    assert again.task(SWEEP)["quarantine_bytes"] == result["moved_bytes"]

    # retention over: check mode says what would expire, a real run deletes only that batch
    dry = sweep(lab, check=True, diff=True, servarr_orphans_retention_days=0, **min_age)
    assert dry.rc == 0
    assert [(e["batch"], e["outcome"], e["size_bytes"]) for e in dry.task(SWEEP)["expired"]] == [
        (batch, "would expire", result["moved_bytes"])]
    assert "expire " in dry.task(SWEEP)["diff"]["before"]
    assert quarantined(lab) == held
    gone = sweep(lab, servarr_orphans_retention_days=0, **min_age)
    assert gone.rc == 0, gone.stdout[-2000:]
    assert [(e["batch"], e["outcome"]) for e in gone.task(SWEEP)["expired"]] == [(batch, "expired")]
    assert gone.task(SWEEP)["expired_bytes"] == result["moved_bytes"]
    assert gone.task(SWEEP)["quarantine_bytes"] == 0
    assert not os.path.exists(os.path.join(lab["download_root"], QUARANTINE, batch))
    assert os.path.exists(os.path.join(lab["dir"], "outside-target", "precious.txt"))
    last = sweep(lab, servarr_orphans_retention_days=0, **min_age)
    assert last.task(SWEEP)["changed"] is False


def test_sftp_only_listing_moves_the_same(lab):
    orphans = add_orphans(lab)
    res = sweep(lab, servarr_orphans_listing="sftp")
    assert res.rc == 0, res.stdout[-3000:]
    result = res.task(SWEEP)
    assert result["listing"]["method"] == "sftp"
    assert sorted(m["path"] for m in result["moved"] if m["outcome"] == "moved") == sorted(orphans)
    assert sorted(orphans) == sorted(p for p in orphans if p in quarantined(lab))
    assert sweep(lab, servarr_orphans_listing="sftp").task(SWEEP)["changed"] is False


def test_a_listing_cut_short_moves_nothing(lab):
    add_orphans(lab)
    before = tree(lab)
    for cut in ({"servarr_orphans_max_entries": 5}, {"servarr_orphans_max_depth": 1},
                {"servarr_orphans_max_entries": 5, "servarr_orphans_listing": "sftp"}):
        res = sweep(lab, **cut)
        assert res.rc == 0, res.stdout[-2000:]
        result = res.task(SWEEP)
        assert result["partial"], cut
        assert result["moved"] == [] and result["changed"] is False, cut
        assert tree(lab) == before, cut


def test_a_path_an_unfinished_purge_holds_stays(lab):
    orphans = add_orphans(lab)
    held = os.path.join(lab["download_root"], "Lone.File.2020.mkv")
    with open(os.path.join(lab["dir"], "purge-journal.jsonl"), "w") as handle:
        handle.write(json.dumps({"event": "removing", "hash": "A" * 40, "name": "Lone", "paths": [held],
                                 "data_path": held, "time": "2026-01-01T00:00:00Z"}) + "\n")
    res = sweep(lab)
    assert res.rc == 0, res.stdout[-2000:]
    moved = sorted(m["path"] for m in res.task(SWEEP)["moved"])
    assert moved == sorted(p for p in orphans if p != "Lone.File.2020.mkv")
    assert os.path.exists(held)


RUNNER = r"""
import json, os, signal, sys
sys.path.insert(0, sys.argv[2])
from ansible.module_utils.testing import patch_module_args
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import orphans
move_many = orphans.Seedbox.move_many

def move_one_then_die(self, pairs):
    move_many(self, pairs[:1])
    os.kill(os.getpid(), signal.SIGKILL)

orphans.Seedbox.move_many = move_one_then_die
from ansible_collections.mediaops.servarr.plugins.modules import seedbox_orphans
with patch_module_args(json.load(open(sys.argv[1]))):
    seedbox_orphans.main()
"""


def test_a_run_killed_mid_move_is_finished_by_the_next(lab):
    orphans = add_orphans(lab)
    v = lab_mod.inventory(lab)["all"]["children"]["servarr"]["hosts"]["lab"]
    args = dict(rtorrent_url=v["servarr_rtorrent_url"], rtorrent_username=v["servarr_rtorrent_username"],
                rtorrent_password=v["servarr_rtorrent_password"], rtorrent_ca_path=v["servarr_rtorrent_ca_path"],
                download_root=v["servarr_seedbox_download_root"], sftp_host=v["servarr_sftp_host"],
                sftp_port=v["servarr_sftp_port"], sftp_username=v["servarr_sftp_username"],
                sftp_key_file=v["servarr_sftp_key_file"], sftp_known_hosts=v["servarr_sftp_known_hosts"],
                min_age_hours=0, exclude=["watch"], state_dir=v["servarr_state_dir"])
    path = os.path.join(lab["dir"], "args.json")
    with open(path, "w") as handle:
        json.dump(args, handle)
    proc = subprocess.run([sys.executable, "-c", RUNNER, path, COLLECTIONS], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert [r["event"] for r in journal(lab)] == ["moving"]
    assert len(quarantined(lab) & set(orphans)) == 1, "the kill came after exactly one move"

    check = sweep(lab, check=True)
    assert check.rc == 0, check.stdout[-2000:]
    assert [r["outcome"] for r in check.task(SWEEP)["resumed"]] == ["would finish"]
    assert check.task(SWEEP)["moved"] == [], "what the unfinished batch holds is not planned twice"
    assert [r["event"] for r in journal(lab)] == ["moving"]

    res = sweep(lab)
    assert res.rc == 0, res.stdout[-2000:]
    result = res.task(SWEEP)
    assert [r["outcome"] for r in result["resumed"]] == ["finished"]
    assert "4 moved now, 1 were already in the quarantine" in result["resumed"][0]["why"]
    assert result["moved"] == [] and result["changed"] is True
    assert set(orphans) <= quarantined(lab)
    assert [r["event"] for r in journal(lab)] == ["moving", "moved"]
    assert sweep(lab).task(SWEEP)["changed"] is False
