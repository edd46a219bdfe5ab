# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jellyfin_refresh through ansible-playbook against the Radarr/Sonarr doubles and the Jellyfin double."""
import json
import os
import time

import pytest

from conftest import run_with_vars
import lab as lab_mod
import scenario

PLAYBOOK = "playbooks/jellyfin_notify.yml"
TASK = "Send the folders of new imports to Jellyfin"
NOW = time.time()


def imported(kind, rec_id, minutes_ago, path):
    return scenario.history_record(kind, rec_id, "downloadFolderImported", "%040X" % rec_id, NOW - minutes_ago * 60,
                                   os.path.basename(path), rec_id, data={"importedPath": path,
                                                                         "droppedPath": "/downloads/x/" + os.path.basename(path)})


def arr_state(kind, records):
    return {"kind": kind, "api_key": "%s-key-%s" % (kind, os.urandom(6).hex()), "history": records, "queue": []}


@pytest.fixture
def services(tmp_path):
    d = str(tmp_path)
    radarr = arr_state("radarr", [
        imported("radarr", 101, 120, "/mnt/media/movies/Dune (2021)/Dune (2021).mkv"),
        scenario.history_record("radarr", 102, "grabbed", "%040X" % 102, NOW - 100 * 60, "x", 1),
        imported("radarr", 103, 60, "/mnt/media/movies/Heat (1995)/Heat (1995).mkv"),
        imported("radarr", 104, 48 * 60, "/mnt/media/movies/Old (1990)/Old (1990).mkv"),   # before the lookback
    ])
    sonarr = arr_state("sonarr", [
        imported("sonarr", 201, 30, "/mnt/media/series/Andor (2022)/Season 02/Andor S02E01.mkv"),
        imported("sonarr", 202, 30, "/mnt/media/series/Andor (2022)/Season 02/Andor S02E02.mkv"),
    ])
    jellyfin = {"api_key": "0123456789abcdef0123456789abcdef", "user_key": "fedcba9876543210fedcba9876543210",
                "libraries": [{"Name": "Movies", "CollectionType": "movies", "Locations": ["/media/movies"]},
                              {"Name": "Shows", "CollectionType": "tvshows", "Locations": ["/media/series/"]}]}
    ports = {}
    for name, state, script in (("radarr", radarr, "arr_double.py"), ("sonarr", sonarr, "arr_double.py"),
                                ("jellyfin", jellyfin, "jellyfin_double.py")):
        with open(os.path.join(d, name + ".json"), "w") as handle:
            json.dump(state, handle)
        ports[name] = lab_mod.free_port()
        lab_mod.start_double(d, name, ports[name], script=script)
    info = {"dir": d, "ports": ports, "radarr": radarr, "sonarr": sonarr, "jellyfin": jellyfin,
            "checkpoint": os.path.join(d, "jellyfin.checkpoint.json"), "log": os.path.join(d, "jellyfin.requests.jsonl")}
    yield info
    for name in ports:
        lab_mod._kill_pidfile(os.path.join(d, name + ".pid"))


def host_vars(s, **extra):
    values = {
        "servarr_jellyfin_url": "http://127.0.0.1:%d" % s["ports"]["jellyfin"],
        "servarr_jellyfin_api_key": s["jellyfin"]["api_key"],
        "servarr_jellyfin_path_map": [{"from": "/mnt/media", "to": "/media"}],
        "servarr_jellyfin_checkpoint": s["checkpoint"],
        "servarr_arr_instances": [
            {"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:%d" % s["ports"]["radarr"],
             "api_key": s["radarr"]["api_key"]},
            {"name": "sonarr", "type": "sonarr", "url": "http://127.0.0.1:%d" % s["ports"]["sonarr"],
             "api_key": s["sonarr"]["api_key"]}],
    }
    values.update(extra)
    return values


def sent(s):
    """The requests Jellyfin received, except the reads of its library list."""
    if not os.path.exists(s["log"]):
        return []
    with open(s["log"]) as handle:
        return [r for r in (json.loads(line) for line in handle) if r["method"] == "POST"]


def run(s, check=False, diff=False, extra_args=(), **extra):
    return run_with_vars(s["dir"], PLAYBOOK, host_vars(s, **extra), check=check, diff=diff, extra_args=extra_args)


EXPECTED = ["/media/movies/Dune (2021)", "/media/movies/Heat (1995)", "/media/series/Andor (2022)/Season 02"]


def test_check_mode_reports_the_request_and_sends_nothing(services):
    res = run(services, check=True, diff=True)
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task(TASK)
    assert task["changed"] is True and task["sent"] is False and task["mode"] == "targeted"
    assert task["request"]["body"]["Updates"] == [{"Path": p, "UpdateType": "Created"} for p in EXPECTED]
    assert task["diff"]["after"] == "".join(p + "\n" for p in EXPECTED)
    assert sent(services) == []
    assert not os.path.exists(services["checkpoint"])


def test_one_targeted_request_then_nothing_then_only_what_is_new(services):
    res = run(services)
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task(TASK)
    assert task["sent"] is True and task["changed"] is True
    requests = sent(services)
    assert len(requests) == 1
    assert requests[0]["path"] == "/Library/Media/Updated"
    assert requests[0]["content_type"] == "application/json"
    assert requests[0]["body"] == {"Updates": [{"Path": p, "UpdateType": "Created"} for p in EXPECTED]}
    with open(services["checkpoint"]) as handle:
        checkpoint = json.load(handle)["instances"]
    assert checkpoint["radarr"]["ids"] == [103] and checkpoint["sonarr"]["ids"] == [201, 202]

    again = run(services)
    assert again.task(TASK)["changed"] is False and again.task(TASK)["mode"] == "none"
    assert len(sent(services)) == 1

    # a new import, at the very date of the checkpoint (the feed is inclusive): sent once, alone
    state = services["sonarr"]
    late = imported("sonarr", 203, 30, "/mnt/media/series/Andor (2022)/Season 01/Andor S01E09.mkv")
    late["date"] = next(r["date"] for r in state["history"] if r["id"] == 202)
    state["history"].append(late)
    with open(os.path.join(services["dir"], "sonarr.json"), "w") as handle:
        json.dump(state, handle)
    third = run(services)
    assert third.task(TASK)["paths"] == ["/media/series/Andor (2022)/Season 01"]
    assert sent(services)[-1]["body"]["Updates"] == [{"Path": "/media/series/Andor (2022)/Season 01",
                                                      "UpdateType": "Created"}]
    assert run(services).task(TASK)["changed"] is False
    assert len(sent(services)) == 2


def test_a_path_under_no_library_falls_back_to_one_full_refresh(services):
    res = run(services, servarr_jellyfin_path_map=[])   # NAS paths sent as they are: Jellyfin knows none
    task = res.task(TASK)
    assert res.rc == 0 and task["mode"] == "full" and "under no Jellyfin library" in task["reason"]
    assert len(task["outside_libraries"]) == 3
    assert [r["path"] for r in sent(services)] == ["/Library/Refresh"]
    # and a warning that points at the likely cause, not only a reason string
    out = " ".join((res.stdout + res.stderr).split())
    assert "3 folder(s) are under no Jellyfin library: /mnt/media/movies/Dune (2021)" in out
    assert "Jellyfin's libraries are at /media/movies, /media/series/; check path_map (empty)" in out


def test_mode_full(services):
    res = run(services, servarr_jellyfin_refresh_mode="full")
    assert res.task(TASK)["mode"] == "full"
    assert [r["path"] for r in sent(services)] == ["/Library/Refresh"]


def test_jellyfin_down_keeps_the_checkpoint_and_the_next_run_sends_the_same(services):
    lab_mod._kill_pidfile(os.path.join(services["dir"], "jellyfin.pid"))
    res = run(services)
    assert res.rc != 0
    task = res.task(TASK)
    assert "cannot reach" in task["msg"] and "checkpoint is unchanged" in task["msg"]
    assert not os.path.exists(services["checkpoint"])
    lab_mod.start_double(services["dir"], "jellyfin", services["ports"]["jellyfin"], script="jellyfin_double.py")
    res = run(services)
    assert res.rc == 0 and res.task(TASK)["paths"] == EXPECTED
    assert [r["body"]["Updates"] for r in sent(services)] == [[{"Path": p, "UpdateType": "Created"} for p in EXPECTED]]


def test_jellyfin_refusing_the_request_keeps_the_checkpoint(services):
    state = dict(services["jellyfin"], faults={"status": {"/Library/Media/Updated": 400}})
    with open(os.path.join(services["dir"], "jellyfin.json"), "w") as handle:
        json.dump(state, handle)
    res = run(services)
    assert res.rc != 0 and "HTTP 400" in res.task(TASK)["msg"]
    assert not os.path.exists(services["checkpoint"])


@pytest.mark.parametrize("case,expected", [
    ("jellyfin_key", "wrong API key for jellyfin"),
    ("user_key", "needs an administrator's API key"),
    ("radarr_key", "wrong API key for radarr"),
])
def test_bad_keys_fail_clearly_and_send_nothing(services, case, expected):
    extra = {}
    if case == "jellyfin_key":
        extra["servarr_jellyfin_api_key"] = "0" * 32
    elif case == "user_key":
        extra["servarr_jellyfin_api_key"] = services["jellyfin"]["user_key"]
    else:
        instances = host_vars(services)["servarr_arr_instances"]
        instances[0]["api_key"] = "not-the-radarr-key-1234"
        extra["servarr_arr_instances"] = instances
    res = run(services, extra_args=["-vvv"], **extra)
    assert res.rc != 0 and expected in res.task(TASK)["msg"]
    assert sent(services) == [] and not os.path.exists(services["checkpoint"])
    for secret in (services["jellyfin"]["api_key"], services["radarr"]["api_key"], services["sonarr"]["api_key"]):
        assert secret not in res.stdout + res.stderr


def test_a_wrong_key_is_noticed_on_a_run_with_nothing_new(services):
    assert run(services).rc == 0
    quiet = run(services)
    assert quiet.rc == 0 and quiet.task(TASK)["mode"] == "none"
    reads = [json.loads(line)["path"] for line in open(services["log"])]
    assert reads.count("/Library/VirtualFolders") == 2   # one cheap authenticated read per run, nothing new or not
    for key, expected in (("0" * 32, "wrong API key for jellyfin"),
                          (services["jellyfin"]["user_key"], "needs an administrator's API key")):
        res = run(services, servarr_jellyfin_api_key=key)
        assert res.rc != 0 and expected in res.task(TASK)["msg"]
    assert len(sent(services)) == 1


def test_the_state_folder_is_made_when_its_parent_exists_and_reported_in_check_mode(services):
    state = os.path.join(services["dir"], "state")
    values = host_vars(services, servarr_state_dir=state)
    values.pop("servarr_jellyfin_checkpoint")   # the playbook's default: <servarr_state_dir>/jellyfin.checkpoint.json
    dry = run_with_vars(services["dir"], PLAYBOOK, values, check=True)
    assert dry.rc == 0 and dry.task(TASK)["state_folders_created"] == [state]
    assert not os.path.exists(state) and sent(services) == []
    real = run_with_vars(services["dir"], PLAYBOOK, values)
    assert real.rc == 0 and real.task(TASK)["sent"] is True and real.task(TASK)["state_folders_created"] == [state]
    assert os.stat(state).st_mode & 0o777 == 0o700
    assert os.path.isfile(os.path.join(state, "jellyfin.checkpoint.json"))
    again = run_with_vars(services["dir"], PLAYBOOK, values)
    assert again.task(TASK)["changed"] is False and again.task(TASK)["state_folders_created"] == []
    # a parent that does not exist is a mistake (a typo, a disk not mounted): said plainly, nothing sent
    missing = os.path.join(services["dir"], "nowhere", "state")
    for check in (True, False):
        bad = run_with_vars(services["dir"], PLAYBOOK, dict(values, servarr_state_dir=missing), check=check)
        assert bad.rc != 0
        assert "its parent %s does not exist" % os.path.dirname(missing) in bad.task(TASK)["msg"]
    assert len(sent(services)) == 1
