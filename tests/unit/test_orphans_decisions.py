# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The orphan sweep's decisions (pure): what is orphaned, what moves, what waits, and when nothing may move."""
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import orphans as d
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.orphans import find_script

ROOT = "/srv/dl"
NOW = 1000000000.0
OLD = NOW - 3 * 86400


def E(rel, kind="f", size=10, mtime=OLD, ctime=OLD, dev=1):
    return d.Entry(rel, kind, size, mtime, ctime, dev)


def torrent(name, files, multi=True):
    directory = ROOT + "/" + name if multi else ROOT
    return {"hash": name.upper(), "name": name, "directory": directory, "is_multi_file": int(multi),
            "data_path": directory if multi else ROOT + "/" + name, "invalid_path": None,
            "files": [directory + "/" + f for f in files]}


def decide(entries, torrents=(), intents=(), **kw):
    owned, protected, problems = d.owned_paths(torrents, intents, ROOT)
    kw.setdefault("partial", problems)
    return d.plan(entries, owned, protected, NOW, **kw)


def paths(result, outcome=None):
    return sorted(u["path"] for u in result["units"] if outcome is None or u["outcome"] == outcome)


LISTING = [
    E("Movie", "d"), E("Movie/movie.mkv", size=1000), E("Movie/leftover.nfo", size=5),
    E("Gone", "d"), E("Gone/a.mkv", size=100), E("Gone/Subs", "d"), E("Gone/Subs/e.srt", size=3),
    E("lone.mkv", size=50), E("single.mkv", size=70), E("link", "l", size=4), E("Empty", "d", size=0),
]


def test_units_are_whole_orphan_folders_lone_files_links_and_unlisted_files_in_a_torrent_folder():
    single = dict(torrent("single.mkv", [], multi=False), files=[ROOT + "/single.mkv"])
    result = decide(LISTING, [torrent("Movie", ["movie.mkv"]), single])
    assert paths(result) == ["Empty", "Gone", "Movie/leftover.nfo", "link", "lone.mkv"]
    units = dict((u["path"], u) for u in result["units"])
    assert (units["Gone"]["kind"], units["Gone"]["files"], units["Gone"]["size_bytes"]) == ("folder", 2, 103)
    assert units["link"]["kind"] == "symlink" and units["link"]["size_bytes"] == 0
    assert result["orphaned_bytes"] == 103 + 5 + 50
    assert paths(result, "move") == paths(result)


def test_a_cross_seed_pair_and_a_folder_holding_a_listed_file_stay():
    pair = [torrent("Shared", ["Shared.mkv"]), torrent("Shared", ["Shared.mkv"])]
    result = decide([E("Shared", "d"), E("Shared/Shared.mkv")], pair)
    assert result["units"] == []
    # a torrent whose file does not exist yet still holds its folder
    result = decide([E("Partial", "d"), E("Partial/other.part")], [torrent("Partial", ["Sub/file.mkv"])])
    assert paths(result) == ["Partial/other.part"]


def test_young_by_mtime_or_ctime_waits_and_a_young_file_holds_its_whole_folder():
    entries = [E("A", "d"), E("A/old.mkv"), E("A/new.mkv", mtime=NOW - 60), E("B.mkv", ctime=NOW - 600),
               E("C.mkv")]
    result = decide(entries, min_age_seconds=3600)
    assert paths(result, "young") == ["A", "B.mkv"]
    assert paths(result, "move") == ["C.mkv"]
    # SFTP gives no ctime: mtime alone
    result = decide([E("D.mkv", ctime=None)], min_age_seconds=3600)
    assert paths(result, "move") == ["D.mkv"]


def test_caps_take_the_oldest_first_and_leave_the_rest_for_a_later_run():
    entries = [E("a", mtime=OLD - 30, size=100), E("b", mtime=OLD - 20, size=100), E("c", mtime=OLD - 10, size=100)]
    assert paths(decide(entries, max_files=2), "move") == ["a", "b"]
    assert paths(decide(entries, max_files=2), "capped") == ["c"]
    assert paths(decide(entries, max_bytes=150), "move") == ["a"]
    assert paths(decide(entries, max_bytes=50), "move") == []


def test_excludes_dotfiles_globs_and_paths_never_move_and_hold_their_folders():
    entries = [E(".session", "d"), E(".session/x.torrent"), E("watch", "d"), E("watch/new.torrent"),
               E("Rel", "d"), E("Rel/a.mkv"), E("Rel/.DS_Store"), E("Rel2", "d"), E("Rel2/x.!qB"), E("plain")]
    result = decide(entries, patterns=["watch", "*.!qB"], dotfiles=True)
    assert paths(result) == ["Rel/a.mkv", "plain"]
    result = decide(entries, patterns=[], dotfiles=False, excluded_rels={"watch": "exclude /srv/dl/watch"})
    assert paths(result) == [".session", "Rel", "Rel2", "plain"]


def test_anything_incomplete_moves_nothing():
    entries = [E("lone.mkv")]
    unreadable = dict(torrent("T", ["a"]), files=[])
    result = decide(entries, [unreadable])
    assert result["move"] == [] and paths(result, "held") == ["lone.mkv"]
    assert "could not be read" in result["partial"][0]
    lying = dict(torrent("T", ["a"]), invalid_path="../../etc/passwd")
    assert decide(entries, [lying])["move"] == []
    assert decide(entries, partial=["the listing hit max_entries"])["move"] == []
    # a torrent whose files are in the quarantine
    inside = torrent(".servarr-quarantine", ["x.mkv"])
    result = decide(entries, [inside], quarantine_rel=".servarr-quarantine")
    assert result["move"] == [] and "inside the quarantine" in result["partial"][0]


def test_unfinished_purges_and_unfinished_moves_hold_their_paths():
    entries = [E("Purging", "d"), E("Purging/a.mkv"), E("Moving.mkv"), E("other.mkv")]
    intents = [{"name": "Purging", "paths": [ROOT + "/Purging/a.mkv"], "data_path": ROOT + "/Purging"}]
    result = decide(entries, intents=intents, pending={"Moving.mkv": "20260101T000000Z-abcdef"})
    assert paths(result) == ["other.mkv"]


def test_special_files_and_another_file_system_stay_and_are_said():
    entries = [E("sock", "s"), E("Mnt", "d", dev=2), E("Mnt/file", dev=2), E("plain")]
    result = decide(entries, quarantine_dev=1)
    assert paths(result) == ["plain"]
    assert sorted(s["path"] for s in result["skipped"]) == ["Mnt", "Mnt/file", "sock"]


@pytest.mark.parametrize("rel", ["", "/etc", "a/../../etc", "a//b", ".", "a/./b", "a/\0b"])
def test_joined_paths_stay_beneath_the_root(rel):
    assert d.rel_problem(rel)
    with pytest.raises(ValueError):
        d.join_beneath(ROOT, rel)


def test_hostile_names_survive_parsing_and_joining():
    name = "-rf \"quoted\" 'single' name\nwith break.mkv"
    raw = b"f 5 100.5 100.5 7 " + name.encode() + b"\0" + b"f 1 1 1 7 bad\xffbyte\0"
    entries, problems, cut = d.parse_find(raw, 10)
    assert not problems and not cut
    assert entries[0].rel == name and entries[0].dev == 7
    assert d.join_beneath(ROOT, entries[1].rel).encode("utf-8", "surrogateescape") == b"/srv/dl/bad\xffbyte"
    assert d.join_beneath(ROOT, name) == ROOT + "/" + name
    entries, problems, cut = d.parse_find(b"f 1 1 1 7 a/../b\0garbage\0f 1 1 1 7 cut-in-the-mid", 10)
    assert entries == [] and len(problems) == 3
    assert d.parse_find(b"f 1 1 1 7 a\0f 1 1 1 7 b\0", 1)[2] is True


def test_the_find_script_prunes_literally_and_lists_one_level_more():
    script = find_script("/srv/dl", 16, {".servarr-quarantine", "ses[1]"}, "/srv/dl/.servarr-quarantine")
    assert "-maxdepth 17" in script
    assert "-path ./.servarr-quarantine -prune" in script
    assert "-path './ses\\[1\\]' -prune" in script
    assert "-L " in script and "find -P ." in script


def test_batches_fold_and_expire_after_retention():
    records = [
        {"event": "moving", "batch": "b1", "items": [{"path": "a", "files": 1}], "quarantine": "/q"},
        {"event": "moved", "batch": "b1", "moved": ["a"], "size_bytes": 10, "epoch": NOW - 20 * 86400},
        {"event": "moving", "batch": "b2", "items": [], "quarantine": "/q"},
        {"event": "moved", "batch": "b2", "moved": [], "size_bytes": 0, "epoch": NOW - 86400},
        {"event": "moving", "batch": "b3", "items": [{"path": "c"}], "quarantine": "/q"},
        {"event": "moving", "batch": "b4", "items": [], "quarantine": "/q"},
        {"event": "moved", "batch": "b4", "moved": [], "epoch": NOW - 30 * 86400},
        {"event": "expiring", "batch": "b4"},
        {"event": "expired", "batch": "b4"},
    ]
    states = d.batch_states(records)
    got = dict((b, s["state"]) for b, s in states.items())
    assert got == {"b1": "held", "b2": "held", "b3": "moving", "b4": "expired"}
    assert [s["batch"] for s in d.due_for_expiry(states, NOW, 14 * 86400)] == ["b1"]
    assert [s["batch"] for s in d.due_for_expiry(states, NOW, 0)] == ["b1", "b2"]
