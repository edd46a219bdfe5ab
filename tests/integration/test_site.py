# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/site.yml (sync, purge, cleanup, Jellyfin) with --check --diff against the whole lab: what the demo
runs. Every job plans work, and nothing anywhere changes. tests/run.sh also runs this file with the lowest
ansible-core the collection claims (meta/runtime.yml), so all five modules and four playbooks are tried there."""
import json
import os

from conftest import rtorrent, run_playbook
import library


def everything(lab):
    loaded = sorted(t["hash"] for t in rtorrent(lab).list_torrents())
    return loaded, library.snapshot(lab["nas"]), library.snapshot(lab["download_root"])


def test_site_check_mode_plans_every_job_and_changes_nothing(lab):
    before = everything(lab)
    res = run_playbook(lab, "playbooks/site.yml", check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-2000:]
    tasks = {}
    for play in res.data["plays"]:
        for task in play["tasks"]:
            assert task["status"] == "ok", task
            tasks.setdefault(task["task"]["name"], []).append(task["hosts"]["lab"])

    sync = tasks["Mirror completed downloads through a staging folder"][0]
    assert sync["changed"] is True and sync["fetched"] and not os.listdir(os.path.join(lab["nas"], "_done"))
    purge = tasks["Remove imported torrents that met the seeding policy, with their data"][0]
    assert purge["changed"] is True and purge["removed"]
    cleanup = tasks["Remove extras from the library roots"][0]
    assert cleanup["changed"] is True and len(cleanup["extras"]) == sum(
        1 for entries in (library.MOVIES, library.SERIES) for _p, _s, rule in entries if rule and rule != "sidecar")
    assert cleanup["state_folders_created"] == [os.path.join(lab["dir"], "state")]
    jellyfin = tasks["Send the folders of new imports to Jellyfin"][0]
    assert jellyfin["mode"] == "targeted" and jellyfin["sent"] is False

    assert everything(lab) == before
    assert not os.path.exists(os.path.join(lab["dir"], "state"))
    sent = os.path.join(lab["dir"], "jellyfin.requests.jsonl")
    if os.path.exists(sent):
        with open(sent) as handle:
            assert [json.loads(line)["method"] for line in handle] == ["GET"]   # the key check, nothing else
