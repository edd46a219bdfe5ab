# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 20: before arr_tag changes Radarr/Sonarr each instance makes a backup of its own and the exact tag sets are
journaled; library_revert puts them back. Through ansible-playbook against the Radarr/Sonarr doubles, which answer
the command and backup endpoints as the apps do (tests/unit/test_arr_double_conforms.py)."""
import csv
import glob
import json
import os
import time

import pytest

import lab as lab_mod
from conftest import run_with_vars

KEYS = {"radarr": "r" * 32, "sonarr": "s" * 32}
MOVIES, SERIES = 150, 50


def build():
    """150 films and 50 series. Radarr already has the review tag (id 3) on a few films the new review does not
    list (exclusive takes it off); Sonarr has no such tag yet (the run creates it, the revert deletes it again)."""
    radarr_tags = [{"id": 1, "label": "keep"}, {"id": 2, "label": "4k"}, {"id": 3, "label": "deletion-candidate-80"}]
    movies = []
    for number in range(1, MOVIES + 1):
        tags = [2] if number % 3 == 0 else []
        if number > 140:
            tags = sorted(tags + [3])
        if number % 25 == 0:
            tags = sorted(tags + [1])
        movies.append({"id": number, "title": "Film %d" % number, "tmdbId": 1000 + number, "year": 2000 + number % 20,
                       "monitored": True, "sizeOnDisk": number * 1000, "tags": tags})
    series = [{"id": number, "title": "Show %d" % number, "tvdbId": 5000 + number, "monitored": True,
               "tags": [1] if number == 7 else ([4] if number % 2 else [])} for number in range(1, SERIES + 1)]
    return {
        "radarr": {"kind": "radarr", "api_key": KEYS["radarr"], "version": "5.14.0.9383", "history": [], "queue": [],
                   "tags": radarr_tags, "movies": movies},
        "sonarr": {"kind": "sonarr", "api_key": KEYS["sonarr"], "version": "4.0.11.2680", "history": [], "queue": [],
                   "tags": [{"id": 1, "label": "keep"}, {"id": 4, "label": "anime"}], "series": series},
    }


@pytest.fixture
def apps(tmp_path):
    d = str(tmp_path)
    ports = {}
    try:
        for name, state in build().items():
            with open(os.path.join(d, "%s.json" % name), "w") as handle:
                json.dump(state, handle)
            ports[name] = lab_mod.free_port()
            lab_mod.start_double(d, name, ports[name])
        yield {"dir": d, "ports": ports}
    finally:
        for name in ("radarr", "sonarr"):
            lab_mod._kill_pidfile(os.path.join(d, "%s.pid" % name))


def host_vars(apps, **extra):
    found = {
        "servarr_arr_instances": [
            {"name": name, "type": name, "url": "http://127.0.0.1:%d" % apps["ports"][name], "api_key": KEYS[name]}
            for name in ("radarr", "sonarr")],
        "servarr_jellyfin_url": "http://127.0.0.1:9", "servarr_jellyfin_api_key": "unused",
        "servarr_state_dir": os.path.join(apps["dir"], "state"),
    }
    os.makedirs(found["servarr_state_dir"], exist_ok=True)
    found.update(extra)
    return found


def review(apps, rows, name="reviewed.csv"):
    """A reviewed library_analysis CSV listing ``rows`` ((instance, id) pairs) with score 90."""
    path = os.path.join(apps["dir"], name)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Title", "Score", "Instance", "Id"])
        for instance, item_id in rows:
            writer.writerow(["x", 90, instance, item_id])
    return path


def reduce(apps, csv_path, check=False, diff=False, **kw):
    return run_with_vars(apps["dir"], "playbooks/library_reduce.yml",
                         host_vars(apps, servarr_reduce_csv=csv_path, **kw), check=check, diff=diff)


def revert(apps, check=False, diff=False, **kw):
    return run_with_vars(apps["dir"], "playbooks/library_revert.yml", host_vars(apps, **kw), check=check, diff=diff)


def state(apps, name):
    with open(os.path.join(apps["dir"], "%s.json" % name)) as handle:
        return json.load(handle)


def library_bytes(apps):
    """The apps' tags and items, serialised as the doubles keep them: compared byte for byte."""
    found = {}
    for name, key in (("radarr", "movies"), ("sonarr", "series")):
        data = state(apps, name)
        found[name] = json.dumps(data["tags"]) + "\n" + json.dumps(data[key])
    return found


def journals(apps):
    return sorted(glob.glob(os.path.join(apps["dir"], "state", "arr_tag-journal", "arr_tag-*.json")))


def two_hundred():
    return [("radarr", n) for n in range(1, MOVIES + 1)] + [("sonarr", n) for n in range(1, SERIES + 1)]


def test_tag_200_items_then_revert_gives_the_same_apps(apps):
    rows = two_hundred()
    assert len(rows) == 200
    before = library_bytes(apps)
    res = reduce(apps, review(apps, rows))
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Tag the candidates for review")
    radarr, sonarr = task["instances"]["radarr"], task["instances"]["sonarr"]
    # films 25, 50...150 have the keep tag: not tagged, and 150 loses the tag it had; 141..149 keep theirs
    assert len(radarr["add"]) == 135 and len(radarr["kept"]) == 6 and len(radarr["unchanged"]) == 9
    assert [e["id"] for e in radarr["remove"]] == [150]
    assert len(sonarr["add"]) == 49 and sonarr["tag_created"] is True
    changed = len(radarr["add"]) + len(radarr["remove"]) + len(sonarr["add"])
    assert changed == 185
    # each instance made its own backup first, and lists it
    for name, inst in (("radarr", radarr), ("sonarr", sonarr)):
        listed = state(apps, name)["backups"]
        assert [b["name"] for b in listed] == [inst["backup"]["name"]]
        assert inst["backup"]["name"].startswith("%s_backup_v" % name) and inst["backup"]["type"] == "manual"
        assert [c["status"] for c in state(apps, name)["commands"]] == ["completed"]
    # the journal holds the exact tag set before and after of every item changed, and nothing else
    [path] = journals(apps)
    assert task["journal"] == path and task["run"] in path
    with open(path) as handle:
        journal = json.load(handle)
    assert journal["state"] == "done"
    assert sum(len(i["items"]) for i in journal["instances"].values()) == changed
    assert journal["instances"]["radarr"]["items"]["150"] == {"title": "Film 150", "before": [1, 2, 3], "after": [1, 2]}
    assert journal["instances"]["radarr"]["items"]["3"] == {"title": "Film 3", "before": [2], "after": [2, 3]}
    new_tag = journal["instances"]["sonarr"]["tag_id"]
    assert journal["instances"]["sonarr"]["items"]["1"]["after"] == [4, new_tag]
    assert library_bytes(apps) != before

    # check mode shows the change and changes nothing, asks for no backup
    dry = revert(apps, check=True, diff=True)
    assert dry.rc == 0, dry.stdout[-3000:]
    task = dry.task("Put the tags back")
    assert task["changed"] is True and task["reverted"] == changed and task["conflicts"] == 0
    assert "radarr: Film 3 (id 3): tags [4k, deletion-candidate-80] -> [4k]" in dry.stdout
    assert "sonarr: tag deletion-candidate-80 (id %d) deleted" % new_tag in dry.stdout
    assert len(state(apps, "radarr")["commands"]) == 1

    res = revert(apps)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Put the tags back")
    assert task["changed"] is True and task["reverted"] == changed
    assert task["instances"]["sonarr"]["tags_deleted"] == [new_tag]
    assert task["instances"]["radarr"]["backup"]["command_id"] == 2   # the revert asked for a backup too
    assert library_bytes(apps) == before
    assert len(state(apps, "radarr")["backups"]) >= 1 and len(state(apps, "radarr")["commands"]) == 2

    again = revert(apps)
    assert again.rc == 0 and again.task("Put the tags back")["changed"] is False
    assert len(state(apps, "radarr")["commands"]) == 2   # nothing to change: no backup asked
    assert library_bytes(apps) == before


def test_a_failed_backup_changes_no_tag(apps):
    before = library_bytes(apps)
    data = state(apps, "sonarr")
    data["faults"] = {"backup_fail": "System.UnauthorizedAccessException: Backup folder /config/Backups/manual "
                                     "is not writable"}
    with open(os.path.join(apps["dir"], "sonarr.json"), "w") as handle:
        json.dump(data, handle)
    res = reduce(apps, review(apps, two_hundred()))
    task = res.task("Tag the candidates for review")
    assert res.rc != 0
    assert "sonarr: its Backup command" in task["msg"] and "failed" in task["msg"] and "not writable" in task["msg"]
    assert "nothing was tagged" in task["msg"]
    assert library_bytes(apps) == before
    assert journals(apps) == []


def test_a_backup_that_does_not_end_changes_no_tag(apps):
    before = library_bytes(apps)
    data = state(apps, "radarr")
    data["faults"] = {"backup_hang": True}
    with open(os.path.join(apps["dir"], "radarr.json"), "w") as handle:
        json.dump(data, handle)
    started = time.time()
    res = reduce(apps, review(apps, [("radarr", 1)]), servarr_arr_backup_timeout=2)
    task = res.task("Tag the candidates for review")
    assert res.rc != 0 and "still started after 2 s" in task["msg"], task["msg"]
    assert time.time() - started < 60
    assert library_bytes(apps) == before and journals(apps) == []


def test_check_mode_asks_no_backup_and_writes_no_journal(apps):
    before = library_bytes(apps)
    res = reduce(apps, review(apps, [("radarr", 1), ("sonarr", 2)]), check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Tag the candidates for review")
    assert task["changed"] and task["run"] is None and task["instances"]["radarr"]["backup"] is None
    assert library_bytes(apps) == before and journals(apps) == []
    assert "commands" not in state(apps, "radarr") and "commands" not in state(apps, "sonarr")
    assert not os.path.exists(os.path.join(apps["dir"], "state", "arr_tag-journal"))


def test_backup_off_and_conflicts_and_an_older_run(apps):
    before = library_bytes(apps)
    first = reduce(apps, review(apps, [("radarr", 1), ("radarr", 2), ("sonarr", 2)], "one.csv"),
                   servarr_arr_backup=False, servarr_reduce_exclusive=False)
    assert first.rc == 0, first.stdout[-3000:]
    assert "commands" not in state(apps, "radarr")   # backups turned off: none asked
    second = reduce(apps, review(apps, [("radarr", 4), ("sonarr", 4)], "two.csv"), servarr_arr_backup=False)
    assert second.rc == 0, second.stdout[-3000:]
    run_one = first.task("Tag the candidates for review")["run"]
    assert len(journals(apps)) == 2
    # someone changes film 4 by hand after the second run: a conflict, left alone
    data = state(apps, "radarr")
    for movie in data["movies"]:
        if movie["id"] == 4:
            movie["tags"] = [2]
    with open(os.path.join(apps["dir"], "radarr.json"), "w") as handle:
        json.dump(data, handle)
    res = revert(apps, servarr_revert_run=run_one, servarr_arr_backup=False)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Put the tags back")
    assert task["runs"][-1] == run_one and len(task["runs"]) == 2
    assert [e["id"] for e in task["instances"]["radarr"]["conflict"]] == [4]
    forced = revert(apps, servarr_revert_run=run_one, servarr_arr_backup=False, servarr_revert_force=True)
    assert forced.rc == 0 and forced.task("Put the tags back")["reverted"] == 1
    # film 4 had the 4k tag before the first run: its original set is back
    movies = dict((m["id"], m["tags"]) for m in state(apps, "radarr")["movies"])
    assert movies[4] == [] and movies[1] == [] and movies[2] == []
    assert library_bytes(apps) == before


RESTORE = """---
- name: Restore
  hosts: servarr
  gather_facts: false
  tasks:
    - name: Put the state back
      mediaops.servarr.state_backup:
        state: restored
        state_dir: "{{ servarr_state_dir }}"
        backup_dir: "{{ servarr_backup_dir }}"
"""


def test_the_review_journal_survives_a_rebuilt_container(apps):
    """The reduce job's journal, backed up and restored onto a fresh state folder, reverts as if nothing happened."""
    before = library_bytes(apps)
    csv_path = review(apps, [("radarr", 1), ("radarr", 3), ("sonarr", 2)])
    assert reduce(apps, csv_path).rc == 0
    backups = os.path.join(apps["dir"], "backups")
    res = run_with_vars(apps["dir"], "playbooks/state_backup.yml", host_vars(apps, servarr_backup_dir=backups))
    assert res.rc == 0, res.stdout[-3000:]
    # the container is rebuilt: a fresh, empty state folder, the archive put back
    fresh = os.path.join(apps["dir"], "rebuilt")
    playbook = os.path.join(apps["dir"], "restore.yml")
    with open(playbook, "w") as handle:
        handle.write(RESTORE)
    res = run_with_vars(apps["dir"], playbook, host_vars(apps, servarr_state_dir=fresh, servarr_backup_dir=backups))
    assert res.rc == 0, res.stdout[-3000:]
    # the same review again is a no-op, and the revert finds the run it must undo
    again = reduce(apps, csv_path, servarr_state_dir=fresh)
    assert again.rc == 0 and again.task("Tag the candidates for review")["changed"] is False
    res = revert(apps, servarr_state_dir=fresh)
    assert res.rc == 0, res.stdout[-3000:]
    assert res.task("Put the tags back")["reverted"] == 3 + 10   # exclusive took the tag off films 141-150
    assert library_bytes(apps) == before
