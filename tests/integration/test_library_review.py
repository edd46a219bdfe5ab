# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/library_review.yml end to end against the Radarr/Sonarr/Jellyfin doubles holding the known library
(tests/lab/library_corpus.py) and the ntfy double: the review tag mirrored into the Jellyfin collection "Up for
removal", the grace period, the digest, protection by a favourite or the keep tag, check mode and failures."""
import datetime
import json
import os

import pytest

import lab as lab_mod
import library_corpus
from conftest import run_with_vars
from ntfy_double import NtfyDouble

NAMES = ("radarr", "sonarr", "jellyfin")
SCRIPTS = {"radarr": "arr_double.py", "sonarr": "arr_double.py", "jellyfin": "jellyfin_double.py"}
TOKEN = "tk_household7Qp1vXcR7mWn2bLk5sY"
CANDIDATES = {"Dune (1984)", "Gigli (2003)", "Night Shift Zero (2015)"}
TASKS = ("Tag the candidates for review", "List what carries the tag in the Jellyfin collection",
         "Count down the grace period")


@pytest.fixture
def review(tmp_path):
    d = str(tmp_path)
    states = library_corpus.build()
    ports = {}
    ntfy = NtfyDouble(tokens={TOKEN: "house"}, write_access={"house": ["household"]}).start()
    try:
        for name in NAMES:
            with open(os.path.join(d, "%s.json" % name), "w") as handle:
                json.dump(states[name], handle)
            ports[name] = lab_mod.free_port()
            lab_mod.start_double(d, name, ports[name], script=SCRIPTS[name])
        yield {"dir": d, "ports": ports, "states": states, "ntfy": ntfy}
    finally:
        ntfy.stop()
        for name in NAMES:
            lab_mod._kill_pidfile(os.path.join(d, "%s.pid" % name))


def host_vars(lib, **extra):
    ports = lib["ports"]
    found = {
        "servarr_arr_instances": [
            {"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:%d" % ports["radarr"],
             "api_key": library_corpus.RADARR_KEY},
            {"name": "sonarr", "type": "sonarr", "url": "http://127.0.0.1:%d" % ports["sonarr"],
             "api_key": library_corpus.SONARR_KEY}],
        "servarr_jellyfin_url": "http://127.0.0.1:%d" % ports["jellyfin"],
        "servarr_jellyfin_api_key": library_corpus.JELLYFIN_KEY,
        "servarr_state_dir": os.path.join(lib["dir"], "state", "jobs", "review"),
        "servarr_library_digest_url": lib["ntfy"].topic_url("household"),
        "servarr_library_digest_token": TOKEN,
    }
    os.makedirs(found["servarr_state_dir"], exist_ok=True)
    found.update(extra)
    return found


def run(lib, check=False, diff=False, **kw):
    return run_with_vars(lib["dir"], "playbooks/library_review.yml", host_vars(lib, **kw), check=check, diff=diff)


def read(lib, name):
    with open(os.path.join(lib["dir"], "%s.json" % name)) as handle:
        return json.load(handle)


def write(lib, name, data):
    with open(os.path.join(lib["dir"], "%s.json" % name), "w") as handle:
        json.dump(data, handle)


def collections(lib):
    path = os.path.join(lib["dir"], "jellyfin.collections.json")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return json.load(handle)["collections"]


def members(lib):
    """Titles in the collection "Up for removal", from the double's own record."""
    names = dict((i["Id"], "%s (%s)" % (i["Name"], i.get("ProductionYear"))) for i in lib["states"]["jellyfin"]["items"])
    [found] = [c for c in collections(lib) if c["Name"] == "Up for removal"]
    return set(names[i] for i in found["LinkedChildren"])


def tagged(lib):
    """Titles that carry the review tag in Radarr and Sonarr."""
    found = set()
    for name, key in (("radarr", "movies"), ("sonarr", "series")):
        state = read(lib, name)
        tag = [t["id"] for t in state["tags"] if t["label"] == "deletion-candidate-80"]
        for record in state[key]:
            if tag and tag[0] in record.get("tags", []):
                found.add("%s (%s)" % (record["title"], record["year"]))
    return found


def grace_state(lib):
    path = os.path.join(lib["dir"], "state", "jobs", "review", "library_grace.json")
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        return json.load(handle)


def collection_writes(lib):
    with open(os.path.join(lib["dir"], "jellyfin.requests.jsonl")) as handle:
        lines = [json.loads(line) for line in handle]
    return [r for r in lines if r["method"] in ("POST", "DELETE") and
            (r["path"].startswith("/Collections") or r["path"].startswith("/Items/"))]


def jellyfin_id(lib, title, year):
    return [i["Id"] for i in lib["states"]["jellyfin"]["items"] if i["Name"] == title and i.get("ProductionYear") == year][0]


def test_review_tags_lists_counts_down_and_tells_the_household(review):
    res = run(review)
    assert res.rc == 0, res.stdout[-3000:]
    assert tagged(review) == CANDIDATES and members(review) == CANDIDATES
    collection = res.task("List what carries the tag in the Jellyfin collection")
    assert collection["created"] and len(collection["added"]) == 3 and collection["not_found"] == []
    # the first collection adds Jellyfin's "Collections" library
    folders = read(review, "jellyfin.collections")
    assert folders["library_created"]
    grace = res.task("Count down the grace period")
    today = datetime.date.today()
    assert [(r["title"], r["days_left"], r["first_tagged"]) for r in grace["countdown"]] == [
        ("Night Shift Zero", 14, today.isoformat()), ("Dune", 14, today.isoformat()),
        ("Gigli", 14, today.isoformat())]
    assert grace["past_grace"] == [] and grace["totals"]["items"] == 3
    assert sorted(v["title"] for v in grace_state(review)["items"].values()) == ["Dune", "Gigli", "Night Shift Zero"]
    [message] = review["ntfy"].messages
    assert message["title"].startswith("Up for removal: 3 items, ")
    body = message["message"]
    assert body.startswith("To keep one, mark it a favourite in Jellyfin (or give it the tag 'keep' in Radarr/Sonarr)")
    assert "- Dune (1984), 60.0 GB, 14 days left" in body and "- Night Shift Zero (2015), 200.0 GB, 14 days left" in body
    assert "'Up for removal'" in body
    summary = res.task("Summary")["msg"]
    assert summary.startswith("3 items up for removal") and "0 past the 14-day grace period" in summary
    assert "digest sent" in summary

    again = run(review)
    assert again.rc == 0, again.stdout[-3000:]
    for name in TASKS:
        assert again.task(name)["changed"] is False, name
    assert again.task("List what carries the tag in the Jellyfin collection")["unchanged"] == 3
    assert len(collections(review)) == 1 and members(review) == CANDIDATES
    assert len(review["ntfy"].messages) == 2   # weekly: the digest goes out every run


def test_a_favourite_or_the_keep_tag_drops_an_item_everywhere(review):
    assert run(review).rc == 0
    state = read(review, "jellyfin")
    state["user_data"][library_corpus.BOB][jellyfin_id(review, "Dune", 1984)] = {"IsFavorite": True}
    write(review, "jellyfin", state)
    radarr = read(review, "radarr")
    [gigli] = [m for m in radarr["movies"] if m["title"] == "Gigli"]
    gigli["tags"].append(1)   # keep
    write(review, "radarr", radarr)

    res = run(review)
    assert res.rc == 0, res.stdout[-3000:]
    assert tagged(review) == {"Night Shift Zero (2015)"} and members(review) == {"Night Shift Zero (2015)"}
    assert sorted(e["title"] for e in res.task("List what carries the tag in the Jellyfin collection")["removed"]) \
        == ["Dune (1984)", "Gigli (2003)"]
    assert [v["title"] for v in grace_state(review)["items"].values()] == ["Night Shift Zero"]
    body = review["ntfy"].messages[-1]["message"]
    assert "Dune" not in body and "Gigli" not in body and "Night Shift Zero" in body
    # favoured again by nobody: its countdown starts again from today, not from the first tagging
    state["user_data"][library_corpus.BOB].pop(jellyfin_id(review, "Dune", 1984))
    write(review, "jellyfin", state)
    again = run(review)
    dune = [r for r in again.task("Count down the grace period")["countdown"] if r["title"] == "Dune"][0]
    assert dune["days_left"] == 14


def test_check_mode_sends_nothing_writes_nothing_and_starts_no_countdown(review):
    res = run(review, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    collection = res.task("List what carries the tag in the Jellyfin collection")
    assert collection["changed"] and collection["created"] and len(collection["added"]) == 3
    assert collection["diff"]["after"] == "Dune (1984)\nGigli (2003)\nNight Shift Zero (2015)\n"
    grace = res.task("Count down the grace period")
    assert [r["days_left"] for r in grace["countdown"]] == [14, 14, 14]
    assert res.task("Send the digest")["body"].startswith("To keep one")
    assert tagged(review) == set() and collections(review) == [] and collection_writes(review) == []
    assert grace_state(review) is None and review["ntfy"].messages == []
    assert "digest not sent (check mode)" in res.task("Summary")["msg"]
    # nor does a check run after a real one move anything
    assert run(review).rc == 0
    before = grace_state(review)
    assert run(review, check=True).rc == 0
    assert grace_state(review) == before and len(review["ntfy"].messages) == 1


def test_past_the_grace_period_is_listed_never_deleted(review):
    assert run(review).rc == 0
    state = grace_state(review)
    long_ago = (datetime.date.today() - datetime.timedelta(days=20)).isoformat()
    ten_days = (datetime.date.today() - datetime.timedelta(days=10)).isoformat()
    for entry in state["items"].values():
        entry["first_tagged"] = long_ago if entry["title"] == "Dune" else ten_days
    with open(os.path.join(review["dir"], "state", "jobs", "review", "library_grace.json"), "w") as handle:
        json.dump(state, handle)
    res = run(review)
    assert res.rc == 0, res.stdout[-3000:]
    grace = res.task("Count down the grace period")
    assert [(r["title"], r["past_grace"]) for r in grace["past_grace"]] == [("Dune", True)]
    assert dict((r["title"], r["days_left"]) for r in grace["countdown"]) == {"Dune": 0, "Gigli": 4, "Night Shift Zero": 4}
    assert grace["changed"] is False   # the dates are remembered, not moved
    body = review["ntfy"].messages[-1]["message"]
    assert "Past the grace period (a person may delete these in Radarr/Sonarr):\n- Dune (1984), 60.0 GB, grace " \
           "period over since" in body
    assert "- Gigli (2003)" in body and "4 days left" in body
    assert "(1 past the grace period)" in review["ntfy"].messages[-1]["title"]
    assert "1 past the 14-day grace period: Dune" in res.task("Summary")["msg"]
    # nothing was deleted anywhere
    assert len(read(review, "radarr")["movies"]) == len(review["states"]["radarr"]["movies"])
    assert not any(r["path"].startswith("/Items/") for r in collection_writes(review))


@pytest.mark.parametrize("fault", [{"items_status": {"members": 500}}, {"items_status": {"boxsets": 503}},
                                   {"status": {"/Library/VirtualFolders": 500}, "items_status": {"library:0": 500}}])
def test_a_transient_jellyfin_failure_leaves_the_collection_as_it_was(review, fault):
    assert run(review).rc == 0
    writes = len(collection_writes(review))
    state = read(review, "jellyfin")
    state["user_data"][library_corpus.BOB][jellyfin_id(review, "Gigli", 2003)] = {"IsFavorite": True}
    state["faults"] = fault
    write(review, "jellyfin", state)
    res = run(review)
    assert res.rc != 0
    # no second collection, no emptied one: exactly as the last good run left it
    assert len(collections(review)) == 1 and members(review) == CANDIDATES
    assert len(collection_writes(review)) == writes
    assert len(grace_state(review)["items"]) == 3
    state["faults"] = {}
    write(review, "jellyfin", state)
    res = run(review)
    assert res.rc == 0, res.stdout[-3000:]
    assert members(review) == tagged(review) == {"Dune (1984)", "Night Shift Zero (2015)"}


def test_an_empty_review_is_silent_unless_asked(review):
    res = run(review, servarr_library_score_threshold=101)
    assert res.rc == 0, res.stdout[-3000:]
    assert review["ntfy"].messages == [] and "digest not sent" in res.task("Summary")["msg"]
    assert collections(review) == []   # nothing to list: no empty collection is made
    res = run(review, servarr_library_score_threshold=101, servarr_library_digest_when_empty=True)
    assert [m["title"] for m in review["ntfy"].messages] == ["Nothing is up for removal"]


def test_a_missing_state_folder_fails_before_anything_is_read(review):
    res = run(review, check=True, servarr_state_dir=os.path.join(review["dir"], "nowhere", "review"))
    failed = res.task("Fail early when the grace period could not be remembered")
    assert res.rc != 0 and "is missing or not writable" in failed["msg"]
    assert not os.path.exists(os.path.join(review["dir"], "jellyfin.requests.jsonl"))
