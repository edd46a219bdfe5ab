# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""library_analyze and arr_tag through ansible-playbook, against Radarr/Sonarr/Jellyfin/Prowlarr doubles holding
a library whose right answer is known (tests/lab/library_corpus.py)."""
import csv
import datetime
import glob
import json
import os

import pytest

import lab as lab_mod
import library_corpus
from conftest import run_with_vars

NAMES = ("radarr", "sonarr", "jellyfin", "prowlarr")
SCRIPTS = {"radarr": "arr_double.py", "sonarr": "arr_double.py", "jellyfin": "jellyfin_double.py",
           "prowlarr": "prowlarr_double.py"}


@pytest.fixture
def library(tmp_path):
    d = str(tmp_path)
    states = library_corpus.build()
    ports = {}
    try:
        for name in NAMES:
            with open(os.path.join(d, "%s.json" % name), "w") as handle:
                json.dump(states[name], handle)
            ports[name] = lab_mod.free_port()
            lab_mod.start_double(d, name, ports[name], script=SCRIPTS[name])
        yield {"dir": d, "ports": ports, "states": states}
    finally:
        for name in NAMES:
            lab_mod._kill_pidfile(os.path.join(d, "%s.pid" % name))


def host_vars(lib, prowlarr=False, **extra):
    ports = lib["ports"]
    found = {
        "servarr_arr_instances": [
            {"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:%d" % ports["radarr"],
             "api_key": library_corpus.RADARR_KEY},
            {"name": "sonarr", "type": "sonarr", "url": "http://127.0.0.1:%d" % ports["sonarr"],
             "api_key": library_corpus.SONARR_KEY}],
        "servarr_jellyfin_url": "http://127.0.0.1:%d" % ports["jellyfin"],
        "servarr_jellyfin_api_key": library_corpus.JELLYFIN_KEY,
        "servarr_state_dir": os.path.join(lib["dir"], "state"),
        "servarr_library_log_file": os.path.join(lib["dir"], "analysis.log"),
    }
    os.makedirs(found["servarr_state_dir"], exist_ok=True)
    if prowlarr:
        found.update(servarr_prowlarr_url="http://127.0.0.1:%d" % ports["prowlarr"],
                     servarr_prowlarr_api_key=library_corpus.PROWLARR_KEY,
                     servarr_library_indexer_query_interval=0.3)
    found.update(extra)
    return found


def analysis(lib, check=False, **kw):
    return run_with_vars(lib["dir"], "playbooks/library_analysis.yml", host_vars(lib, **kw), check=check)


def state(lib, name):
    with open(os.path.join(lib["dir"], "%s.json" % name)) as handle:
        return json.load(handle)


def set_faults(lib, name, faults):
    data = state(lib, name)
    data["faults"] = faults
    with open(os.path.join(lib["dir"], "%s.json" % name), "w") as handle:
        json.dump(data, handle)


def label(row):
    return "%s (%s)" % (row["title"], row["year"]) if row["title"] == "Dune" else \
        "Plan 9" if row["title"].startswith("Plan 9") else row["title"]


def reports(lib):
    return glob.glob(os.path.join(lib["dir"], "state", "reports", "*.csv"))


def test_analysis_scores_the_corpus_as_known_and_writes_the_report(library):
    res = analysis(library, servarr_library_result_rows="all")
    task = res.task("Score every movie and series")
    assert res.rc == 0, res.stdout[-3000:]
    # the playbook's printed summary, not only the module's result (it once printed a dict's method)
    summary = res.task("Summary")["msg"]
    expected = "%d of %d items score 80 or more" % (task["totals"]["candidates"], task["totals"]["items"])
    assert summary.startswith(expected), summary
    assert "bound method" not in summary
    rows = dict((label(r), r) for r in task["rows"])
    assert dict((k, r["score"]) for k, r in rows.items()) == library_corpus.EXPECTED
    for title, why in library_corpus.PROTECTED.items():
        assert rows[title]["protected"] and why in rows[title]["reason"], rows[title]
    assert "Missing Film" not in rows
    # the two Dunes are told apart by their ids, never by title
    assert rows["Dune (2021)"]["watched_by"] == ["alice"] and rows["Dune (1984)"]["last_watched"] == "never"
    assert rows["Dune (1984)"]["reason"] == ("never watched by anyone, added 14 months ago (+50); "
                                             "IMDb 4.1 < 5.0 (+20); 2160p copy never watched (+10)")
    assert rows["Waterworld"]["watched_by"] == ["bob"]
    assert rows["Battlefield Earth"]["last_watched"] == "unknown"
    assert "watched, date unknown (+0)" in rows["Battlefield Earth"]["reason"]
    assert rows["Plan 9"]["last_watched"] == "not in Jellyfin"
    assert rows["Gigli"]["score"] == 80 and rows["Gigli"]["tmdb_id"] == "8046"
    assert "ended series, nobody watched past S01 (+20)" in rows["Lost"]["reason"]
    assert "last watched 3 years ago (+30)" in rows["Lost"]["reason"]
    # series: a never watched, ended, badly rated 200 GB series added years ago is a candidate; the same but
    # small is not, nor a well rated one; a favourite series is protected
    night = rows["Night Shift Zero"]
    assert night["reason"] == ("never watched by anyone, added 2 years 6 months ago (+50); Sonarr 4.2 < 5.0 (+20); "
                               "1080p series (quality profile HD-1080p) never watched (+8); "
                               "200.0 GB on disk (>= 100 GB) never watched (+10)")
    assert (night["type"], night["tvdb_id"], night["rating_source"], night["quality"]) == \
        ("series", "900004", "Sonarr", "quality profile HD-1080p")
    assert rows["The Event"]["reason"] == ("never watched by anyone, added 2 years ago (+50); Sonarr 4.5 < 5.0 (+20); "
                                           "1080p series (quality profile HD-1080p) never watched (+8)")
    assert rows["Quiet Acres"]["reason"] == ("never watched by anyone, added 18 months ago (+50); "
                                             "1080p series (quality profile HD upgrades) never watched (+8); "
                                             "150.0 GB on disk (>= 100 GB) never watched (+10)")
    assert rows["Lost"]["reason"] == ("last watched 3 years ago (+30); 1080p series (quality profile HD-1080p) not "
                                      "watched since 3 years ago (+8); 120.0 GB on disk (>= 100 GB) not watched since "
                                      "3 years ago (+10); ended series, nobody watched past S01 (+20)")
    assert task["jellyfin"]["users"] == 2 and task["jellyfin"]["unmatched"] == 1   # the home video
    assert task["jellyfin"]["unknown_dates"] == 2 and rows["Battlefield Earth"]["watched_by"] == ["alice", "bob"]
    # sorted by score, then size
    scores = [(r["score"], r["size_bytes"]) for r in task["rows"]]
    assert scores == sorted(scores, reverse=True)
    [report] = reports(library)
    assert task["report"] == report and task["changed"]
    assert os.path.basename(report) == "library_analysis_%s.csv" % datetime.date.today().isoformat()
    with open(report) as handle:
        lines = list(csv.DictReader(handle))
    assert list(lines[0]) == ["Title", "Type", "Quality", "Size (GB)", "Score", "Reason", "Last Watched",
                              "Rating", "Rating Source", "Available on Indexers", "Instance", "Id", "TMDb", "TVDB",
                              "IMDb"]
    assert len(lines) == len(library_corpus.EXPECTED)
    assert [(l["Title"], l["Score"], l["Id"], l["TMDb"], l["TVDB"]) for l in lines[:3]] == \
        [("Night Shift Zero", "88", "4", "", "900004"), ("Dune", "80", "1", "841", ""),
         ("Gigli", "80", "6", "8046", "")]
    # the rating and where it comes from: IMDb for a film, Sonarr's own for a series
    assert [(l["Rating"], l["Rating Source"], l["Quality"]) for l in lines[:2]] == \
        [("4.2", "Sonarr", "quality profile HD-1080p"), ("4.1", "IMDb", "Bluray-2160p")]
    with open(os.path.join(library["dir"], "analysis.log")) as handle:
        assert "jellyfin: user bob read" in handle.read()
    # the requests do not grow with the titles: tag + queue + library per instance (and Sonarr's quality
    # profiles); users, titles, and played / resumed / favourites per user
    assert task["requests"] == {"radarr": 3, "sonarr": 4, "jellyfin": 8}
    again = analysis(library, servarr_library_result_rows="all").task("Score every movie and series")
    assert again["changed"] is False


def night_shift_bytes(lib):
    return [s for s in lib["states"]["sonarr"]["series"] if s["title"] == "Night Shift Zero"][0]["statistics"]["sizeOnDisk"]


def test_candidates_only_by_default_and_small_pages(library):
    res = analysis(library, servarr_library_jellyfin_page_size=2)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Score every movie and series")
    assert sorted(label(r) for r in task["rows"]) == ["Dune (1984)", "Gigli", "Night Shift Zero"]
    assert task["totals"]["candidates"] == 3
    assert task["totals"]["candidate_bytes"] == 105 * library_corpus.GIB + night_shift_bytes(library)
    assert task["totals"]["per_instance"]["sonarr"] == {
        "items": 6, "bytes": sum(s["statistics"]["sizeOnDisk"] for s in library["states"]["sonarr"]["series"]),
        "candidates": 1, "candidate_bytes": night_shift_bytes(library)}


def test_check_mode_writes_nothing(library):
    res = analysis(library, check=True, prowlarr=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Score every movie and series")
    assert task["changed"] is False and [label(r) for r in task["rows"]] == ["Night Shift Zero", "Dune (1984)"]
    assert not os.path.exists(os.path.join(library["dir"], "state", "reports"))
    assert not os.path.exists(os.path.join(library["dir"], "state", "library_indexers.json"))
    assert not os.path.exists(os.path.join(library["dir"], "analysis.log"))


@pytest.mark.parametrize("fault,who", [({"items_status": {library_corpus.BOB: 500}}, "user bob"),
                                       ({"items_status": {"%s:2" % library_corpus.ALICE: 500}}, "user alice"),
                                       ({"items_status": {"library:4": 500}}, "the library"),
                                       ({"status": {"/Users": 503}}, "GET /Users")])
def test_jellyfin_failure_fails_closed(library, fault, who):
    set_faults(library, "jellyfin", fault)
    res = analysis(library, servarr_library_jellyfin_page_size=2)
    task = res.task("Score every movie and series")
    assert res.rc != 0
    assert "no report was written" in task["msg"]
    # users by the names people know, never by Jellyfin's ids
    assert who in task["msg"] and library_corpus.ALICE not in task["msg"] and library_corpus.BOB not in task["msg"]
    assert reports(library) == []


def test_instance_failure_fails_closed(library):
    set_faults(library, "sonarr", {"status": {"/api/v3/series": 500}})
    res = analysis(library)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and "sonarr" in task["msg"] and reports(library) == []


def test_jellyfin_down_fails_closed(library):
    lab_mod._kill_pidfile(os.path.join(library["dir"], "jellyfin.pid"))
    res = analysis(library)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and "cannot reach" in task["msg"] and reports(library) == []


def test_prowlarr_availability_is_cached_spaced_and_only_for_candidates(library):
    res = analysis(library, prowlarr=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Score every movie and series")
    rows = dict((label(r), r) for r in task["rows"])
    assert list(rows) == ["Night Shift Zero", "Dune (1984)"]   # Gigli has no release left: 80 - 20
    assert rows["Dune (1984)"]["available_on_indexers"] == 2
    assert rows["Night Shift Zero"]["available_on_indexers"] == 1
    assert task["indexers"] == {"candidates": 3, "from_cache": 0, "queries": 3, "not_checked": 0}
    log = [json.loads(line) for line in open(os.path.join(library["dir"], "prowlarr.requests.jsonl"))]
    # best first: the series (88), then the films (80) by size
    assert [entry["query"] for entry in log] == ["{tvdbid:900004}", "{imdbid:tt0087182}", "{imdbid:tt0299930}"]
    assert [(entry["type"], entry["categories"]) for entry in log] == \
        [("tvsearch", ["5000"]), ("movie", ["2000"]), ("movie", ["2000"])]
    assert log[1]["time"] - log[0]["time"] >= 0.29 and log[2]["time"] - log[1]["time"] >= 0.29
    with open(os.path.join(library["dir"], "analysis.log")) as handle:
        assert "prowlarr: 3/3 Gigli" in handle.read()
    # the second run answers from the cache, so Prowlarr may even be down
    set_faults(library, "prowlarr", {"status": 500})
    again = analysis(library, prowlarr=True).task("Score every movie and series")
    assert again["indexers"]["queries"] == 0 and again["indexers"]["from_cache"] == 3
    assert [label(r) for r in again["rows"]] == ["Night Shift Zero", "Dune (1984)"]


def test_prowlarr_limits_queries_and_fails_closed(library):
    res = analysis(library, prowlarr=True, servarr_library_max_indexer_queries=1)
    task = res.task("Score every movie and series")
    assert task["indexers"] == {"candidates": 3, "from_cache": 0, "queries": 1, "not_checked": 2}
    assert [(label(r), r["available_on_indexers"]) for r in task["rows"]] == \
        [("Night Shift Zero", 1), ("Dune (1984)", None), ("Gigli", None)]
    os.unlink(os.path.join(library["dir"], "state", "library_indexers.json"))
    for path in reports(library):
        os.unlink(path)
    set_faults(library, "prowlarr", {"status": 400})
    res = analysis(library, prowlarr=True)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and "prowlarr" in task["msg"] and reports(library) == []


def stop_services(lib):
    for name in NAMES:
        lab_mod._kill_pidfile(os.path.join(lib["dir"], "%s.pid" % name))


@pytest.mark.parametrize("check", [True, False])
def test_a_missing_state_folder_fails_before_any_service_is_read(library, check):
    """No role installed: no /var/lib/servarr. The run used to read everything and fail writing the report; check
    mode passed. Now both fail at once, naming the folder (every service is down: reading one would say so)."""
    stop_services(library)
    state_dir = os.path.join(library["dir"], "no-role", "servarr")
    res = analysis(library, check=check, prowlarr=True, servarr_state_dir=state_dir)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and task["requests"] == {}
    assert task["msg"] == ("report_dir %s/reports cannot be created: its parent %s does not exist (the role creates "
                           "the state folder; or point report_dir elsewhere); nothing was read" % (state_dir, state_dir))
    assert not os.path.exists(os.path.join(library["dir"], "no-role"))
    # the report elsewhere: the Prowlarr cache still needs the state folder
    res = analysis(library, check=check, prowlarr=True, servarr_state_dir=state_dir,
                   servarr_library_report_dir=os.path.join(library["dir"], "state", "reports"))
    msg = res.task("Score every movie and series")["msg"]
    assert res.rc != 0 and msg.startswith("the folder of indexer_cache %s cannot be created" % state_dir), msg


@pytest.mark.parametrize("check", [True, False])
def test_an_unusable_report_folder_or_log_fails_before_any_service_is_read(library, check):
    stop_services(library)
    blocker = os.path.join(library["dir"], "state", "reports")
    os.makedirs(os.path.dirname(blocker), exist_ok=True)
    with open(blocker, "w") as handle:   # a file where the folder should be
        handle.write("")
    res = analysis(library, check=check)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and task["requests"] == {}
    assert task["msg"] == "report_dir %s exists but is not a folder; nothing was read" % blocker
    os.unlink(blocker)
    log = os.path.join(library["dir"], "logs", "analysis.log")
    res = analysis(library, check=check, servarr_library_log_file=log)
    task = res.task("Score every movie and series")
    assert res.rc != 0 and task["msg"] == ("log_file %s cannot be written: its folder %s does not exist; nothing "
                                           "was read" % (log, os.path.dirname(log)))


# -- arr_tag ------------------------------------------------------------------------------------------------
def reduce(lib, check=False, diff=False, **kw):
    return run_with_vars(lib["dir"], "playbooks/library_reduce.yml", host_vars(lib, **kw), check=check, diff=diff)


def tagged(lib, name, label="deletion-candidate-80"):
    data = state(lib, name)
    ids = [t["id"] for t in data["tags"] if t["label"] == label]
    key = "movies" if name == "radarr" else "series"
    return sorted(r["id"] for r in data[key] if ids and ids[0] in r.get("tags", []))


def test_reduce_tags_candidates_idempotently_and_check_mode_changes_nothing(library):
    before = (state(library, "radarr"), state(library, "sonarr"))
    res = reduce(library, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Tag the candidates for review")
    assert task["changed"] and task["added"] == 3
    assert task["instances"]["radarr"]["tag_created"] is True and task["instances"]["sonarr"]["tag_created"] is True
    assert "+ radarr: Dune (id 1)" in res.stdout and "+ radarr: Gigli (id 6)" in res.stdout
    assert "+ sonarr: Night Shift Zero (id 4)" in res.stdout
    assert (state(library, "radarr"), state(library, "sonarr")) == before

    res = reduce(library)
    task = res.task("Tag the candidates for review")
    assert res.rc == 0 and task["changed"] and task["added"] == 3
    assert tagged(library, "radarr") == [1, 6] and tagged(library, "sonarr") == [4]
    # one tag, created once (POST answered 201); nothing else changed on the movies
    radarr = state(library, "radarr")
    assert [t["label"] for t in radarr["tags"]] == ["keep", "4k", "deletion-candidate-80"]
    for old, new in zip(before[0]["movies"], radarr["movies"]):
        assert dict(old, tags=None) == dict(new, tags=None)
    # tag read, tag created, movies (series) read, one editor request
    assert task["instances"]["radarr"]["requests"] == 4 and task["instances"]["sonarr"]["requests"] == 4

    again = reduce(library)
    task = again.task("Tag the candidates for review")
    assert task["changed"] is False and task["instances"]["radarr"]["requests"] == 2
    assert task["instances"]["sonarr"]["requests"] == 2


def test_reduce_from_a_reviewed_csv_exclusive_and_keep_tag(library):
    assert analysis(library).rc == 0
    [report] = reports(library)
    with open(report) as handle:
        lines = list(csv.reader(handle))
    # the reviewer deletes the Gigli row and lowers nothing else
    reviewed = os.path.join(library["dir"], "reviewed.csv")
    with open(reviewed, "w", newline="") as handle:
        csv.writer(handle).writerows([line for line in lines if line[0] != "Gigli"])
    # Gigli was tagged by an earlier review; The Event carries the tag too but got the keep tag since
    data = state(library, "radarr")
    data["tags"].append({"id": 9, "label": "deletion-candidate-80"})
    for movie in data["movies"]:
        if movie["id"] == 6:
            movie["tags"] = [9]
    with open(os.path.join(library["dir"], "radarr.json"), "w") as handle:
        json.dump(data, handle)

    res = reduce(library, servarr_reduce_csv=reviewed, servarr_library_score_threshold=50)
    task = res.task("Tag the candidates for review")
    assert res.rc == 0, res.stdout[-3000:]
    assert [e["title"] for e in task["instances"]["radarr"]["add"]] == ["Dune"]
    assert [e["id"] for e in task["instances"]["radarr"]["remove"]] == [6]
    assert [e["title"] for e in task["instances"]["sonarr"]["add"]] == \
        ["Lost", "The Event", "Night Shift Zero", "Quiet Acres"]
    assert tagged(library, "radarr") == [1] and tagged(library, "sonarr") == [1, 3, 4, 5]
    assert reduce(library, servarr_reduce_csv=reviewed, servarr_library_score_threshold=50) \
        .task("Tag the candidates for review")["changed"] is False


def test_reduce_refuses_a_bad_label_and_a_csv_for_another_instance(library):
    # refused before the analysis reads anything (it used to be refused by arr_tag after the whole analysis)
    for check in (True, False):
        res = reduce(library, check=check, servarr_reduce_tag="Deletion Candidate")
        task = res.task("Score every movie and series (no reviewed CSV given)")
        assert res.rc != 0 and "review_tag 'deletion candidate'" in task["msg"]
        assert "lower-case letters, digits and '-'" in task["msg"] and task["requests"] == {}
        with pytest.raises(KeyError):
            res.task("Tag the candidates for review")
    res = reduce(library, servarr_reduce_tag="keep")
    assert res.rc != 0 and "review_tag and keep_tag must differ" in \
        res.task("Score every movie and series (no reviewed CSV given)")["msg"]
    bad = os.path.join(library["dir"], "bad.csv")
    with open(bad, "w") as handle:
        handle.write("Title,Score,Instance,Id,TMDb\nDune,90,radarr-4k,1,841\n")
    res = reduce(library, servarr_reduce_csv=bad)
    assert res.rc != 0 and "radarr-4k" in res.task("Tag the candidates for review")["msg"]
    assert "deletion-candidate-80" not in [t["label"] for t in state(library, "radarr")["tags"]]


def test_killed_analysis_leaves_nothing_and_the_next_run_writes_the_report(library):
    import signal
    import subprocess
    import sys
    import time
    from conftest import COLLECTIONS, REPO
    reports_dir = os.path.join(library["dir"], "state", "reports")
    os.makedirs(reports_dir)
    stale = os.path.join(reports_dir, ".library_analysis_2026-01-01.csv.abc123")   # a run killed mid-write
    with open(stale, "w") as handle:
        handle.write("Title\n")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    set_faults(library, "jellyfin", {"items_delay_ms": 400})
    inventory = os.path.join(library["dir"], "kill-inventory.json")
    host = dict(host_vars(library), ansible_connection="local", ansible_python_interpreter=sys.executable)
    with open(inventory, "w") as handle:
        json.dump({"all": {"children": {"servarr": {"hosts": {"lab": host}}}}}, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOME=os.path.join(library["dir"], "ah"))
    proc = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                             os.path.join(REPO, "playbooks", "library_analysis.yml")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    log = os.path.join(library["dir"], "analysis.log")
    deadline = time.time() + 120
    while time.time() < deadline and not (os.path.exists(log) and "titles read" in open(log).read()):
        time.sleep(0.05)
    assert "titles read" in open(log).read()
    # what systemd does to a unit's processes after its stop timeout: every one of them (Ansible's workers run
    # in sessions of their own, so the process group is not enough)
    family = descendants(proc.pid)
    assert len(family) >= 2
    for pid in [proc.pid] + family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    time.sleep(0.5)
    assert [pid for pid in family if os.path.exists("/proc/%d" % pid) and "Z" not in state_of(pid)] == []
    assert os.listdir(reports_dir) == [os.path.basename(stale)]
    set_faults(library, "jellyfin", {})
    res = analysis(library)
    task = res.task("Score every movie and series")
    assert res.rc == 0 and task["changed"]
    assert [os.path.basename(p) for p in reports(library)] == \
        ["library_analysis_%s.csv" % datetime.date.today().isoformat()]
    assert not os.path.exists(stale)


def state_of(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def descendants(root):
    """Every process below ``root`` (from /proc), whatever its session."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found
