"""The scan and the removal: symlinks, hostile names, files that change after the scan, unreadable folders."""
import os

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils import extras_clean
from ansible_collections.mediaops.servarr.plugins.module_utils.extras_clean import (
    CleanError, check_roots, new_report, remove, scan)
from ansible_collections.mediaops.servarr.plugins.module_utils.extras_rules import ExtrasRules

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
