# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scan and the removal: symlinks, hostile names, files that change after the scan, unreadable folders."""
import os

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import extras_clean
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.extras_clean import (
    CleanError, Journal, check_roots, finish_interrupted, new_report, remove, scan)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.extras_rules import ExtrasRules
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError

RULES = ExtrasRules(min_video_size=500 * 1024 * 1024)
HOSTILE = ["$(touch pwned)-trailer.mkv", "`id`-trailer.mkv", "a'b\"c;d-trailer.mkv", "-rf -trailer.mkv",
           "*?-trailer.mkv", "Ünïcødé 映画-trailer.mkv", "new\nline-trailer.mkv", ("L" * 200) + "-trailer.mkv"]


def make(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


@pytest.fixture
def root(tmp_path):
    lib = tmp_path / "movies"
    make(str(lib / "Movie (2000)" / "Movie (2000).mkv"), b"x" * 1000)
    for name in HOSTILE:
        make(str(lib / "Movie (2000)" / name))
    return str(lib)


def test_hostile_names_are_removed_as_plain_files_and_nothing_runs(root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = scan(check_roots([root]), RULES)
    assert sorted(os.path.basename(c.path) for c in found.candidates) == sorted(HOSTILE)
    report = new_report()
    remove(found, report)
    assert os.listdir(os.path.join(root, "Movie (2000)")) == ["Movie (2000).mkv"]
    assert not os.path.exists(tmp_path / "pwned")


def test_a_file_replaced_after_the_scan_is_kept(root):
    found = scan(check_roots([root]), RULES)
    victim = os.path.join(root, "Movie (2000)", HOSTILE[0])
    os.unlink(victim)
    make(victim, b"a different file now")
    report = new_report()
    remove(found, report)
    assert os.path.exists(victim)
    assert {"path": victim, "reason": "changed since the scan"} in report["not_removed"]


def test_a_folder_swapped_for_a_symlink_after_the_scan_is_not_followed(root, tmp_path):
    found = scan(check_roots([root]), RULES)
    outside = tmp_path / "outside"
    os.rename(os.path.join(root, "Movie (2000)"), str(outside))
    os.symlink(str(outside), os.path.join(root, "Movie (2000)"))
    report = new_report()
    remove(found, report)
    assert report["removed"] == []
    assert len(os.listdir(str(outside))) == 1 + len(HOSTILE)


def deny(monkeypatch, folder_suffix):
    """Make os.scandir refuse one folder, as an unreadable folder on a NAS does."""
    real_scandir = os.scandir

    def scandir(path):
        if path.endswith(folder_suffix):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(extras_clean.os, "scandir", scandir)


def test_unreadable_folder_stops_the_scan(root, monkeypatch):
    deny(monkeypatch, "Movie (2000)")
    with pytest.raises(CleanError, match="cannot read folder .*Movie \\(2000\\): Permission denied"):
        scan([root], RULES)


def test_roots_must_be_absolute_and_not_overlap(root):
    with pytest.raises(CleanError, match="absolute"):
        check_roots(["movies"])
    with pytest.raises(CleanError, match="overlap"):
        check_roots([root, os.path.join(root, "Movie (2000)")])


def test_workers_find_the_same_and_fail_the_same(tmp_path, monkeypatch):
    lib = tmp_path / "movies"
    for n in range(40):
        folder = lib / ("Movie %02d (2000)" % n)
        make(str(folder / ("Movie %02d (2000).mkv" % n)), b"x" * 1000)
        if n % 3 == 0:
            make(str(folder / ("Movie %02d (2000)-trailer.mkv" % n)))
            make(str(folder / ("Movie %02d (2000)-trailer.nfo" % n)))
        if n % 7 == 0:
            make(str(folder / "Featurettes" / "a.mkv"))
    roots = check_roots([str(lib)])
    one, four = scan(roots, RULES, workers=1), scan(roots, RULES, workers=4)
    assert [c.as_dict() for c in one.candidates] == [c.as_dict() for c in four.candidates]
    assert (one.files, one.folders, one.folders_to_remove) == (four.files, four.folders, four.folders_to_remove)
    assert len(one.candidates) == 14 + 6

    deny(monkeypatch, "Movie 17 (2000)")
    with pytest.raises(CleanError, match="Movie 17"):
        scan(roots, RULES, workers=4)


def test_a_worker_that_dies_stops_the_scan_and_leaves_no_child(tmp_path, monkeypatch):
    lib = tmp_path / "movies"
    for n in range(8):
        make(str(lib / ("Movie %d" % n) / ("Movie %d.mkv" % n)))
    roots = check_roots([str(lib)])
    parent, real_walk = os.getpid(), extras_clean._walk

    def walk_then_die_in_a_child(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)   # as if the kernel killed it: no answer in the pipe
        return real_walk(*args, **kwargs)

    forked, real_fork = [], os.fork

    def fork():
        pid = real_fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(extras_clean, "_walk", walk_then_die_in_a_child)
    monkeypatch.setattr(os, "fork", fork)
    with pytest.raises(CleanError, match="stopped unexpectedly"):
        scan(roots, RULES, workers=3)
    assert len(forked) == 2
    for pid in forked:   # every worker was reaped
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


# ---- a run cut short between an extra and its sidecars -------------------------------------------------------

class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs (not even the journal's clean-up)."""


def kill(cand):
    raise Killed()


def movie_with_trailer(tmp_path, folder="Collateral (2004)"):
    lib = tmp_path / "movies"
    base = lib / folder
    make(str(base / "Collateral (2004).mkv"), b"x" * 1000)
    make(str(base / "Collateral (2004).nfo"), b"<movie/>")
    make(str(base / "X-trailer.mkv"), b"trailer")
    make(str(base / "X-trailer.nfo"), b"<trailer/>")
    make(str(base / "X-trailer.en.srt"), b"1\n")
    return str(lib), str(base)


def interrupted_run(lib, journal_path, recycle=None):
    roots = check_roots([lib])
    found = scan(roots, RULES)
    assert [os.path.basename(c.path) for c in found.candidates] == ["X-trailer.mkv"]
    report = new_report()
    with pytest.raises(Killed):
        remove(found, report, recycle_dir=recycle, journal=Journal(journal_path), after_video=kill)
    return roots


@pytest.mark.parametrize("recycle", [False, True])
def test_the_next_run_finishes_a_group_a_killed_run_started(tmp_path, recycle):
    lib, base = movie_with_trailer(tmp_path)
    journal_path = str(tmp_path / "state" / "journal.json")
    os.mkdir(str(tmp_path / "state"))
    recycle_dir = str(tmp_path / "recycle") if recycle else None
    roots = interrupted_run(lib, journal_path, recycle_dir)
    # the kill came between the video and its sidecars: the video is gone, the sidecars are not
    assert sorted(os.listdir(base)) == ["Collateral (2004).mkv", "Collateral (2004).nfo", "X-trailer.en.srt",
                                        "X-trailer.nfo"]
    assert os.path.exists(journal_path)

    entry = Journal(journal_path).read()
    dry = new_report()
    assert finish_interrupted(entry, roots, RULES, dry, check_mode=True) == [
        os.path.join(base, "X-trailer.en.srt"), os.path.join(base, "X-trailer.nfo")]
    assert len(os.listdir(base)) == 4   # check mode touched nothing

    report = new_report()
    finish_interrupted(entry, roots, RULES, report)
    assert sorted(os.listdir(base)) == ["Collateral (2004).mkv", "Collateral (2004).nfo"]
    assert report["resumed"] == dry["resumed"] and report["not_removed"] == []
    if recycle:
        moved = os.path.join(recycle_dir, "movies", "Collateral (2004)")
        assert sorted(os.listdir(moved)) == ["X-trailer.en.srt", "X-trailer.mkv", "X-trailer.nfo"]
        assert [item["to"] for item in report["recycled"]] == [item["to"] for item in dry["recycled"]]
    else:
        assert [item["path"] for item in report["removed"]] == report["resumed"]
    assert report["bytes_freed"] == len(b"<trailer/>") + len(b"1\n")


def test_a_complete_run_leaves_no_journal(tmp_path):
    lib, base = movie_with_trailer(tmp_path)
    journal_path = str(tmp_path / "journal.json")
    written = []
    found = scan(check_roots([lib]), RULES)
    remove(found, new_report(), journal=Journal(journal_path),
           after_video=lambda cand: written.append(Journal(journal_path).read()))
    assert written[0]["video"] == os.path.join(base, "X-trailer.mkv")
    expected = [os.path.join(base, "X-trailer.en.srt"), os.path.join(base, "X-trailer.nfo")]
    assert [item[0] for item in written[0]["sidecars"]] == expected
    assert not os.path.exists(journal_path)
    assert sorted(os.listdir(base)) == ["Collateral (2004).mkv", "Collateral (2004).nfo"]


def test_an_interrupted_group_is_left_when_things_changed_since(tmp_path):
    lib, base = movie_with_trailer(tmp_path)
    journal_path = str(tmp_path / "journal.json")
    roots = interrupted_run(lib, journal_path)
    entry = Journal(journal_path).read()
    # the .nfo was rewritten (another inode); a video that claims the .srt is back in the folder
    os.unlink(os.path.join(base, "X-trailer.nfo"))
    make(os.path.join(base, "X-trailer.nfo"), b"<new/>")
    make(os.path.join(base, "X-trailer.mp4"), b"restored by hand")
    report = new_report()
    assert finish_interrupted(entry, roots, RULES, report) == []
    assert dict((os.path.basename(i["path"]), i["reason"]) for i in report["not_removed"]) == {
        "X-trailer.nfo": "changed since the scan", "X-trailer.en.srt": "belongs to a video now in its folder"}
    assert len(os.listdir(base)) == 5


def test_a_video_still_in_place_means_the_group_had_not_begun(tmp_path):
    lib, base = movie_with_trailer(tmp_path)
    found = scan(check_roots([lib]), RULES)
    journal = Journal(str(tmp_path / "journal.json"))
    journal.begin(found.candidates[0], None)   # killed right after writing the journal
    report = new_report()
    assert finish_interrupted(journal.read(), check_roots([lib]), RULES, report) == []
    assert report["not_removed"] == [] and len(os.listdir(base)) == 5


def test_an_interrupted_group_under_a_root_no_longer_listed_is_left(tmp_path):
    lib, base = movie_with_trailer(tmp_path)
    journal_path = str(tmp_path / "journal.json")
    interrupted_run(lib, journal_path)
    other = tmp_path / "series"
    make(str(other / "Show" / "Show S01E01.mkv"))
    report = new_report()
    assert finish_interrupted(Journal(journal_path).read(), check_roots([str(other)]), RULES, report) == []
    assert len(report["not_removed"]) == 2 and "not among this run's roots" in report["not_removed"][0]["reason"]
    assert len(os.listdir(base)) == 4


def test_a_sidecar_whose_trailer_is_longer_named_than_the_feature_is_finished(tmp_path):
    # Movie.trailer.nfo also starts like a sidecar of Movie.mkv; it belongs to the longer name, the trailer
    lib = tmp_path / "movies"
    base = lib / "Movie (2001)"
    make(str(base / "Movie.mkv"), b"x" * 1000)
    make(str(base / "Movie.nfo"))
    make(str(base / "Movie.trailer.mkv"))
    make(str(base / "Movie.trailer.nfo"))
    journal_path = str(tmp_path / "journal.json")
    found = scan(check_roots([str(lib)]), RULES)
    assert found.candidates[0].as_dict()["sidecars"] == [str(base / "Movie.trailer.nfo")]
    with pytest.raises(Killed):
        remove(found, new_report(), journal=Journal(journal_path), after_video=kill)
    report = new_report()
    finish_interrupted(Journal(journal_path).read(), check_roots([str(lib)]), RULES, report)
    assert sorted(os.listdir(str(base))) == ["Movie.mkv", "Movie.nfo"]


def test_the_sidecars_of_a_kept_video_never_go_with_a_shorter_named_extra(tmp_path):
    lib = tmp_path / "movies"
    base = lib / "Movie (2001)"
    for name, size in (("Movie.1080p.mkv", 600 * 1024 * 1024), ("Movie.mkv", 10)):
        make(str(base / name))
        os.truncate(str(base / name), size)
    make(str(base / "Movie.nfo"))
    make(str(base / "Movie.1080p.nfo"))
    make(str(base / "Movie.1080p-thumb.jpg"))
    found = scan(check_roots([str(lib)]), RULES)
    assert [(os.path.basename(c.path), c.as_dict()["sidecars"]) for c in found.candidates] == [
        ("Movie.mkv", [str(base / "Movie.nfo")])]
    remove(found, new_report())
    assert sorted(os.listdir(str(base))) == ["Movie.1080p-thumb.jpg", "Movie.1080p.mkv", "Movie.1080p.nfo"]


def test_a_journal_that_cannot_be_understood_stops_the_run(tmp_path):
    path = tmp_path / "journal.json"
    path.write_text('{"version": 1, "group": {"root": "/x"}}')
    with pytest.raises(StateError, match="not understood"):
        Journal(str(path)).read()
    path.write_text("not json")
    with pytest.raises(StateError, match="cannot be read"):
        Journal(str(path)).read()


def test_an_extra_whose_folder_became_a_symlink_is_not_deleted_outside(tmp_path):
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs import extras_clean
    root, outside = tmp_path / "movies", tmp_path / "outside"
    (root / "Film").mkdir(parents=True)
    outside.mkdir()
    (outside / "trailer.mkv").write_text("someone else's")
    st = os.stat(str(outside / "trailer.mkv"))
    os.rmdir(str(root / "Film"))
    os.symlink(str(outside), str(root / "Film"))
    with pytest.raises(extras_clean.CleanError):
        extras_clean._unlink_checked(str(root / "Film" / "trailer.mkv"), str(root), (st.st_dev, st.st_ino, st.st_size))
    assert (outside / "trailer.mkv").exists()
