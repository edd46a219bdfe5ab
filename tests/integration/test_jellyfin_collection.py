# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""jellyfin_collection through ansible-playbook against the Jellyfin double, and the double's /Collections answers
themselves (as Jellyfin's CollectionController, CollectionManager and ItemsController give them)."""
import json
import os
import urllib.error
import urllib.request

import pytest

import lab as lab_mod
import library_corpus
from conftest import run_with_vars

PLAYBOOK = """
- hosts: servarr
  gather_facts: false
  module_defaults:
    group/mediaops.servarr.jellyfin:
      jellyfin_url: "{{ url }}"
      jellyfin_api_key: "{{ key }}"
  tasks:
    - name: Sync
      mediaops.servarr.jellyfin_collection:
        name: "{{ name | default('Up for removal') }}"
        items: "{{ wanted | default([]) }}"
        state: "{{ wanted_state | default('present') }}"
        batch_size: "{{ batch | default(2) }}"
"""
WANTED = [{"type": "movie", "tmdb_id": "841", "title": "Dune"}, {"type": "movie", "imdb_id": "tt0299930"},
          {"type": "series", "tvdb_id": "900004"}, {"type": "movie", "tmdb_id": "10513", "title": "Plan 9"},
          {"type": "series", "imdb_id": "tt0411008", "title": "Lost"}]


@pytest.fixture
def jf(tmp_path):
    d = str(tmp_path)
    state = library_corpus.build()["jellyfin"]
    with open(os.path.join(d, "jellyfin.json"), "w") as handle:
        json.dump(state, handle)
    with open(os.path.join(d, "pb.yml"), "w") as handle:
        handle.write(PLAYBOOK)
    port = lab_mod.free_port()
    lab_mod.start_double(d, "jellyfin", port, script="jellyfin_double.py")
    try:
        yield {"dir": d, "url": "http://127.0.0.1:%d" % port, "state": state}
    finally:
        lab_mod._kill_pidfile(os.path.join(d, "jellyfin.pid"))


def sync(jf, check=False, diff=False, **kw):
    host_vars = dict(dict(url=jf["url"], key=library_corpus.JELLYFIN_KEY, wanted=WANTED), **kw)
    res = run_with_vars(jf["dir"], os.path.join(jf["dir"], "pb.yml"), host_vars, check=check, diff=diff)
    return res, res.task("Sync")


def call(jf, method, path):
    req = urllib.request.Request(jf["url"] + path, method=method,
                                 headers={"Authorization": 'MediaBrowser Token="%s"' % library_corpus.JELLYFIN_KEY})
    try:
        with urllib.request.urlopen(req) as resp:
            body = resp.read()
            return resp.status, json.loads(body) if body else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def ids(jf, *names):
    return [i["Id"] for n in names for i in jf["state"]["items"]
            if "%s (%s)" % (i["Name"], i.get("ProductionYear")) == n]


def boxsets(jf):
    path = os.path.join(jf["dir"], "jellyfin.collections.json")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return json.load(handle)["collections"]


def seed(jf, collections):
    with open(os.path.join(jf["dir"], "jellyfin.collections.json"), "w") as handle:
        json.dump({"collections": collections, "library_created": True}, handle)


def writes(jf):
    with open(os.path.join(jf["dir"], "jellyfin.requests.jsonl")) as handle:
        return [r for r in map(json.loads, handle) if r["method"] in ("POST", "DELETE")]


def set_faults(jf, faults):
    jf["state"]["faults"] = faults
    with open(os.path.join(jf["dir"], "jellyfin.json"), "w") as handle:
        json.dump(jf["state"], handle)


# -- the double answers as Jellyfin does ----------------------------------------------------------------------
def test_double_collections_as_jellyfin_answers_them(jf):
    dune, gigli, lost = ids(jf, "Dune (1984)", "Gigli (2003)", "Lost (2004)")
    assert call(jf, "GET", "/Library/VirtualFolders") == (200, [])
    status, created = call(jf, "POST", "/Collections?name=Up%20for%20removal&ids=" + dune)
    assert status == 200 and set(created) == {"Id"}
    # the first collection adds the Collections library
    assert [(f["Name"], f["CollectionType"]) for f in call(jf, "GET", "/Library/VirtualFolders")[1]] == \
        [("Collections", "boxsets")]
    cid = created["Id"]
    # one unknown id refuses the whole batch: nothing added
    assert call(jf, "POST", "/Collections/%s/Items?ids=%s,%s" % (cid, gigli, "f" * 32)) == \
        (400, "Error processing request.")
    assert call(jf, "POST", "/Collections/%s/Items?ids=%s" % (cid, "not-a-guid"))[0] == 400
    assert call(jf, "POST", "/Collections/%s/Items?ids=%s,%s" % (cid, gigli, lost)) == (204, None)
    # members: with an API key, ParentId alone lists nothing; Recursive=true the linked children; a user and
    # Recursive=true their episodes too
    assert call(jf, "GET", "/Items?ParentId=%s" % cid)[1]["Items"] == []
    assert [i["Id"] for i in call(jf, "GET", "/Items?ParentId=%s&Recursive=true" % cid)[1]["Items"]] == [dune, gigli, lost]
    with_user = call(jf, "GET", "/Items?ParentId=%s&Recursive=true&userId=%s" % (cid, library_corpus.ALICE))[1]
    assert len(with_user["Items"]) == 3 + 18   # Lost's six seasons of three episodes
    # the BoxSet listing: only recursive, and the parent is ignored
    assert call(jf, "GET", "/Items?IncludeItemTypes=BoxSet")[1]["Items"] == []
    listed = call(jf, "GET", "/Items?IncludeItemTypes=BoxSet&Recursive=true&ParentId=%s&Fields=Path" % dune)[1]
    assert [(b["Id"], b["Name"], b["Path"]) for b in listed["Items"]] == \
        [(cid, "Up for removal", "/config/data/collections/Up for removal [boxset]")]
    # removing a non-member is skipped, not refused
    assert call(jf, "DELETE", "/Collections/%s/Items?ids=%s,%s" % (cid, lost, "e" * 32)) == (204, None)
    # a second POST with the same name gets the same Id and REPLACES the collection: its members are gone
    assert call(jf, "POST", "/Collections?name=Up%20for%20removal") == (200, {"Id": cid})
    assert call(jf, "GET", "/Items?ParentId=%s&Recursive=true" % cid)[1]["Items"] == []
    # an unknown id at creation still leaves the (empty) collection behind
    assert call(jf, "POST", "/Collections?name=Other&ids=" + "d" * 32)[0] == 400
    assert sorted(b["Name"] for b in boxsets(jf)) == ["Other", "Up for removal"]
    assert call(jf, "POST", "/Collections/%s/Items?ids=%s" % ("c" * 32, dune))[0] == 400   # no such collection


# -- the module --------------------------------------------------------------------------------------------------
def test_sync_creates_once_matches_by_provider_ids_and_a_second_run_changes_nothing(jf):
    res, task = sync(jf, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert task["created"] and [e["title"] for e in task["added"]] == \
        ["Dune (1984)", "Gigli (2003)", "Lost (2004)", "Night Shift Zero (2015)"]
    assert task["not_found"] == [{"title": "Plan 9", "type": "movie", "ids": {"tmdb_id": "10513"}}]
    assert task["diff"]["before"] == "" and task["members"] == 4
    [box] = boxsets(jf)
    assert set(box["LinkedChildren"]) == set(ids(jf, "Dune (1984)", "Gigli (2003)", "Lost (2004)",
                                                 "Night Shift Zero (2015)"))
    # create (no ids), then two batches of two
    assert [r["body"]["kind"] for r in writes(jf)] == ["create", "add", "add"]
    res, task = sync(jf, diff=True)
    assert res.rc == 0 and task["changed"] is False and task["unchanged"] == 4 and not task["created"]
    assert len(writes(jf)) == 3
    # fewer items: removed in batches, the same collection (never created again)
    res, task = sync(jf, wanted=WANTED[:1])
    assert [e["title"] for e in task["removed"]] == ["Gigli (2003)", "Lost (2004)", "Night Shift Zero (2015)"]
    assert [r["body"]["kind"] for r in writes(jf)][3:] == ["remove", "remove"]
    assert [b["Id"] for b in boxsets(jf)] == [box["Id"]] and boxsets(jf)[0]["LinkedChildren"] == ids(jf, "Dune (1984)")
    # an empty list empties it and keeps it
    res, task = sync(jf, wanted=[])
    assert task["changed"] and boxsets(jf)[0]["LinkedChildren"] == [] and boxsets(jf)[0]["Id"] == box["Id"]


def test_check_mode_and_diff_write_nothing(jf):
    res, task = sync(jf, check=True, diff=True)
    assert res.rc == 0 and task["changed"] and task["created"] and task["collection_id"] is None
    assert task["diff"]["after"] == "Dune (1984)\nGigli (2003)\nLost (2004)\nNight Shift Zero (2015)\n"
    assert boxsets(jf) == [] and writes(jf) == []


def test_one_unknown_id_is_sent_again_one_by_one_and_named(jf):
    gigli = ids(jf, "Gigli (2003)")[0]
    set_faults(jf, {"unknown_ids": [gigli]})   # deleted in Jellyfin after the library was read
    res, task = sync(jf, batch=100)
    assert res.rc == 0, res.stdout[-3000:]
    assert [(e["title"], e["id"]) for e in task["refused"]] == [("Gigli (2003)", gigli)]
    assert sorted(e["title"] for e in task["added"]) == ["Dune (1984)", "Lost (2004)", "Night Shift Zero (2015)"]
    kinds = [(r["body"]["kind"], len(r["body"]["query"]["ids"].split(","))) for r in writes(jf) if r["body"]["kind"] == "add"]
    assert kinds == [("add", 4), ("add", 1), ("add", 1), ("add", 1), ("add", 1)]
    assert "Jellyfin refused 1 item(s): Gigli (2003)" in res.stdout + res.stderr


@pytest.mark.parametrize("fault", [{"items_status": {"boxsets": 500}}, {"items_status": {"members": 503}},
                                   {"items_status": {"library": 500}}])
def test_a_failed_read_is_a_failure_never_a_missing_collection(jf, fault):
    assert sync(jf)[0].rc == 0
    before = boxsets(jf)
    set_faults(jf, fault)
    res, task = sync(jf, wanted=WANTED[:1])
    assert res.rc != 0 and "the collection was not changed" in task["msg"]
    assert boxsets(jf) == before and len(writes(jf)) == 3


def collection_writes(jf):
    """The double's count of collection writes that succeeded (``collection_fail_after`` counts against it)."""
    path = os.path.join(jf["dir"], "jellyfin.collections.json")
    if not os.path.exists(path):
        return 0
    with open(path) as handle:
        return json.load(handle).get("writes", 0)


def membership(jf):
    """The collections exactly as the double keeps them (ids, names, paths, members in Jellyfin's order)."""
    return json.dumps(boxsets(jf), sort_keys=True)


def test_a_write_failure_after_the_first_batch_puts_the_collection_back(jf):
    # a collection of two; the run adds two more one at a time and the second add fails
    assert sync(jf, wanted=WANTED[:2])[0].rc == 0
    before = membership(jf)
    set_faults(jf, {"collection_status": {"add": 500}, "collection_fail_after": collection_writes(jf) + 1})
    more = [{"type": "series", "tvdb_id": "900004"}, {"type": "series", "imdb_id": "tt0411008"}]
    res, task = sync(jf, wanted=WANTED[:2] + more, batch=1)
    assert res.rc != 0
    assert "answered HTTP 500" in task["msg"] and "the collection was put back as it was" in task["msg"]
    assert task["rolled_back"] is True and task["left_changed"] == [] and task["added"] == []
    assert membership(jf) == before
    # the first batch went in, the second failed, then both were taken out again (the failed one may have landed)
    kinds = [(r["body"]["kind"], r["body"]["query"].get("ids")) for r in writes(jf)][-2:]
    assert sorted(kinds) == sorted(("remove", i) for i in ids(jf, "Lost (2004)", "Night Shift Zero (2015)"))


def test_a_failed_first_run_deletes_the_collection_it_created_and_the_next_run_converges(jf):
    set_faults(jf, {"collection_status": {"add": 500}, "collection_fail_after": 2})   # create, one batch, then 500
    res, task = sync(jf)
    assert res.rc != 0
    assert "the collection this run created was deleted again" in task["msg"]
    assert task["rolled_back"] is True and task["created"] is False and task["collection_id"] is None
    assert boxsets(jf) == []
    # create, the first batch, the second (a 500, retried), then both batches out again and the collection deleted
    kinds = [r["body"]["kind"] for r in writes(jf)]
    assert kinds[:2] == ["create", "add"] and set(kinds[2:-3]) == {"add"} and kinds[-3:] == ["remove", "remove", "delete"]
    set_faults(jf, {})
    res, task = sync(jf)
    assert res.rc == 0 and task["changed"] is True and task["created"] and len(task["added"]) == 4
    res, task = sync(jf)
    assert res.rc == 0 and task["changed"] is False


def test_a_created_collection_that_cannot_be_deleted_is_kept_empty_and_said(jf):
    set_faults(jf, {"collection_status": {"add": 500, "delete": 500}, "collection_fail_after": 2})
    res, task = sync(jf)
    assert res.rc != 0 and task["rolled_back"] is False and task["left_changed"] == []
    [box] = boxsets(jf)
    assert box["LinkedChildren"] == [] and task["created"] is True and task["collection_id"] == box["Id"]
    assert "this run created (id %s) was kept" % box["Id"] in task["msg"]
    set_faults(jf, {})
    res, task = sync(jf)   # found, never created twice
    assert res.rc == 0 and not task["created"] and [b["Id"] for b in boxsets(jf)] == [box["Id"]]


def test_a_failed_undo_names_the_ids_left_changed_and_the_next_run_converges(jf):
    assert sync(jf, wanted=WANTED[:2])[0].rc == 0   # Dune and Gigli
    dune, gigli = ids(jf, "Dune (1984)", "Gigli (2003)")
    # both removed, then the first add fails - and so does adding Dune and Gigli back
    set_faults(jf, {"collection_status": {"add": 500}, "collection_fail_after": collection_writes(jf) + 2})
    res, task = sync(jf, wanted=WANTED[2:], batch=1)
    assert res.rc != 0
    assert "putting the collection back failed" in task["msg"] and "2 item(s) remain changed" in task["msg"]
    assert "removed Dune (1984) (%s)" % dune in task["msg"] and "removed Gigli (2003) (%s)" % gigli in task["msg"]
    assert task["rolled_back"] is False
    assert [(e["id"], e["was"], e["uncertain"]) for e in task["left_changed"]] == \
        [(dune, "removed", False), (gigli, "removed", False)]
    assert [e["id"] for e in task["removed"]] == [dune, gigli] and task["added"] == []
    assert boxsets(jf)[0]["LinkedChildren"] == []
    set_faults(jf, {})
    res, task = sync(jf, wanted=WANTED[2:])
    assert res.rc == 0 and task["changed"] is True and not task["removed"]
    assert sorted(e["title"] for e in task["added"]) == ["Lost (2004)", "Night Shift Zero (2015)"]
    res, task = sync(jf, wanted=WANTED[2:])
    assert res.rc == 0 and task["changed"] is False


def test_check_mode_is_not_touched_by_write_faults(jf):
    set_faults(jf, {"collection_status": {"add": 500, "remove": 500, "create": 500, "delete": 500}})
    res, task = sync(jf, check=True, diff=True)
    assert res.rc == 0 and task["changed"] and task["created"] and "rolled_back" not in task
    assert boxsets(jf) == [] and writes(jf) == []


def test_two_collections_of_that_name_fail_and_change_nothing(jf):
    seed(jf, [{"Id": "1" * 32, "Name": "Up for removal", "Path": "/config/data/collections/a", "LinkedChildren": []},
              {"Id": "2" * 32, "Name": "Up for removal", "Path": "/config/data/collections/b", "LinkedChildren": []}])
    res, task = sync(jf)
    assert res.rc != 0 and "2 Jellyfin collections are named 'Up for removal'" in task["msg"]
    assert "1" * 32 in task["msg"] and writes(jf) == []


def test_absent_deletes_only_a_collection_in_jellyfins_collections_folder(jf):
    assert sync(jf)[0].rc == 0
    res, task = sync(jf, wanted_state="absent")
    assert res.rc == 0 and task["deleted"] and boxsets(jf) == []
    assert writes(jf)[-1]["path"].startswith("/Items/")
    res, task = sync(jf, wanted_state="absent")
    assert res.rc == 0 and task["changed"] is False
    # a [boxset] folder in a media library holds films: emptied, never deleted
    films = ids(jf, "Dune (1984)")
    seed(jf, [{"Id": "3" * 32, "Name": "Up for removal", "Path": "/media/movies/Trilogy [boxset]",
               "LinkedChildren": films}])
    res, task = sync(jf, wanted_state="absent")
    assert res.rc == 0 and not task["deleted"] and "was emptied, not deleted" in task["warning"]
    assert boxsets(jf)[0]["LinkedChildren"] == [] and not any(r["path"].startswith("/Items/") for r in writes(jf)[-1:])
