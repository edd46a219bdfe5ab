# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure decisions of the collection and the grace period: matching by provider ids, the membership change,
the collection lookup, batches, the deletion guard, the countdown and the digest's byte limit."""
import datetime

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import collection_plan as cp
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import review_grace as rg
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import tagged_after

GIB = 1024 ** 3


def entry(jid, name, kind="Movie", year=2000, **ids):
    return {"Id": jid, "Name": name, "Type": kind, "ProductionYear": year, "ProviderIds": ids}


LIBRARY = [entry("a" * 32, "Dune", year=1984, Tmdb="841", Imdb="tt0087182"),
           entry("b" * 32, "Dune", year=1984, Tmdb="841"),              # the same film in a 4K library
           entry("c" * 32, "Dune", year=2021, Tmdb="438631"),
           entry("d" * 32, "Lost", kind="Series", year=2004, Tvdb="73739", Imdb="tt0411008"),
           entry("e" * 32, "Episode 1", kind="Episode", Tvdb="1001")]


def test_items_are_matched_by_provider_ids_never_titles():
    wanted = cp.normalise([{"type": "movie", "tmdb_id": 841, "title": "Dune"},
                           {"type": "series", "imdb_id": "TT0411008"},
                           {"type": "movie", "tmdb_id": "10513", "title": "Plan 9"}])
    found, missing = cp.resolve(wanted, cp.index_library(LIBRARY))
    assert found == {"a" * 32: "Dune (1984)", "b" * 32: "Dune (1984)", "d" * 32: "Lost (2004)"}
    assert missing == [{"title": "Plan 9", "type": "movie", "ids": {"tmdb_id": "10513"}}]
    # a series' TVDB id never matches a movie's, nor an episode
    assert cp.resolve(cp.normalise([{"type": "movie", "tmdb_id": "73739"}]), cp.index_library(LIBRARY))[0] == {}


@pytest.mark.parametrize("item,why", [({"type": "movie", "title": "Dune"}, "no provider id"),
                                      ({"type": "episode", "tmdb_id": "1"}, "type must be movie or series"),
                                      ({"type": "series", "tmdb_id": "1"}, "no provider id")])
def test_an_item_without_a_usable_id_is_refused(item, why):
    with pytest.raises(cp.CollectionPlanError, match=why):
        cp.normalise([item])


def test_plan_adds_and_removes_exactly_the_difference():
    members = [entry("a" * 32, "Dune", year=1984), entry("f" * 32, "Hook", year=1991)]
    decided = cp.plan({"a" * 32: "Dune (1984)", "d" * 32: "Lost (2004)"}, members)
    assert decided == {"add": [{"id": "d" * 32, "title": "Lost (2004)"}],
                       "remove": [{"id": "f" * 32, "title": "Hook (1991)"}], "unchanged": 1}
    assert cp.plan({}, []) == {"add": [], "remove": [], "unchanged": 0}


def test_the_collection_is_found_by_its_exact_name_and_never_guessed():
    one = {"Id": "1" * 32, "Name": "Up for removal"}
    assert cp.find_collection([one, {"Id": "2" * 32, "Name": "up for removal"}], "Up for removal") == one
    assert cp.find_collection([], "Up for removal") is None
    with pytest.raises(cp.CollectionPlanError, match="2 Jellyfin collections"):
        cp.find_collection([one, dict(one, Id="3" * 32)], "Up for removal")
    with pytest.raises(cp.CollectionPlanError, match="not a GUID"):
        cp.find_collection([{"Id": "../../Items", "Name": "x"}], "x")


def test_batches_and_their_limit():
    assert cp.batches(list(range(5)), 2) == [[0, 1], [2, 3], [4]]
    assert cp.batches([], 100) == []
    with pytest.raises(cp.CollectionPlanError):
        cp.batches([1], 201)


def test_only_a_collection_in_jellyfins_collections_folder_may_be_deleted():
    folders = ["/config/data/collections"]
    assert cp.under_folder("/config/data/collections/Up for removal [boxset]", folders)
    assert not cp.under_folder("/media/movies/Trilogy [boxset]", folders)
    assert not cp.under_folder("/config/data/collections/../../media/x", folders)
    assert not cp.under_folder(None, folders) and not cp.under_folder("/config/data/collections/x", [])


def test_tagged_after_is_what_carries_the_tag_once_the_plan_is_carried_out():
    records = [{"id": 1, "title": "Dune", "year": 1984, "tmdbId": 841, "imdbId": "tt0087182", "tags": [],
                "sizeOnDisk": 5 * GIB},
               {"id": 2, "title": "Hook", "tmdbId": 879, "tags": [7], "sizeOnDisk": GIB},
               {"id": 3, "title": "Heat", "tmdbId": 949, "tags": [7], "movieFile": {"size": 2 * GIB}}]
    decided = {"add": [{"id": 1}], "remove": [{"id": 2}]}
    found = tagged_after(records, decided, 7, "radarr", "radarr")
    assert [(f["id"], f["size_bytes"], f["type"], f["tmdb_id"]) for f in found] == \
        [(1, 5 * GIB, "movie", "841"), (3, 2 * GIB, "movie", "949")]


def row(item_id, title, size_gb=1.0, instance="radarr", **more):
    return dict({"instance": instance, "id": item_id, "title": title, "year": 2000, "tmdb_id": str(item_id),
                 "size_bytes": int(size_gb * GIB)}, **more)


def test_the_countdown_starts_once_and_restarts_for_an_item_that_left():
    today = datetime.date(2026, 11, 25)
    state, rows = rg.update({}, [row(1, "Dune", 60)], today, 14)
    assert state == {"radarr:1": {"first_tagged": "2026-11-25", "title": "Dune", "ids": "tmdb_id=1"}}
    assert (rows[0]["days_left"], rows[0]["past_grace"], rows[0]["deletable_from"]) == (14, False, "2026-12-09")
    later = today + datetime.timedelta(days=15)
    state2, rows = rg.update(state, [row(1, "Dune", 60), row(2, "Gigli")], later, 14)
    assert [(r["title"], r["days_left"], r["past_grace"]) for r in rows] == [("Dune", 0, True), ("Gigli", 14, False)]
    # Dune left the tag (a favourite): forgotten, so coming back starts again
    state3, rows = rg.update(state2, [row(2, "Gigli")], later, 14)
    assert list(state3) == ["radarr:2"]
    state4, rows = rg.update(state3, [row(1, "Dune", 60), row(2, "Gigli")], later, 14)
    assert state4["radarr:1"]["first_tagged"] == later.isoformat()
    # the id now names another title: a new countdown
    state5, rows = rg.update(state2, [row(1, "Other", tmdb_id="999")], later, 14)
    assert rows[0]["days_left"] == 14


def test_the_digest_says_how_to_keep_first_and_fits_ntfys_limit():
    today = datetime.date(2026, 11, 25)
    many = [row(n, u"Le Fabuleux Destin d\u2019Am\u00e9lie Poulain \u2014 \u6771\u4eac %d" % n, 3.5) for n in range(300)]
    _state, rows = rg.update({"radarr:0": {"first_tagged": "2026-11-01", "ids": "tmdb_id=0"}}, many, today, 14)
    message = rg.digest(rows, "Up for removal")
    raw = message["body"].encode("utf-8")
    assert len(raw) <= rg.DIGEST_LIMIT and not message["empty"]
    assert message["body"].startswith("To keep one, mark it a favourite in Jellyfin")
    assert message["body"].splitlines()[-1].startswith("... and ")
    shown = message["body"].count("\n- ")
    assert message["body"].splitlines()[-1] == "... and %d more in the collection 'Up for removal'" % (300 - shown)
    assert "Past the grace period" in message["body"] and message["title"] == \
        "Up for removal: 300 items, 1050.0 GB (1 past the grace period)"
    assert rg.digest([], "Up for removal")["empty"]
    small = rg.digest(rows[:2], "Up for removal")
    assert "... and" not in small["body"] and small["body"].count("\n- ") == 2
