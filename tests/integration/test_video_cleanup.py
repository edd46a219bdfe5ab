# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""video_extras_clean through ansible-playbook on a library with real-world names (tests/lab/library.py)."""
import fcntl
import json
import os
import signal
import threading
import time

import pytest

from conftest import run_with_vars
import library

PLAYBOOK = "playbooks/video_cleanup.yml"
ANCHOR = ".servarr-anchor"


@pytest.fixture
def media(tmp_path):
    movies, series = tmp_path / "media" / "movies", tmp_path / "media" / "series"
    movie_extras, movie_kept = library.build(str(movies), library.MOVIES)
    series_extras, series_kept = library.build(str(series), library.SERIES)
    for root in (movies, series):
        (root / ANCHOR).write_text("")
    # a symbolic link to a video outside the library, and a linked folder named like an extras folder
    work = tmp_path / "work"
    work.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious-trailer.mkv").write_bytes(b"outside the library")
    (outside / "Trailers").mkdir()
    (outside / "Trailers" / "keep.mkv").write_bytes(b"outside too")
    os.symlink(str(outside / "precious-trailer.mkv"), str(movies / "Dune (2021)" / "linked-trailer.mkv"))
    os.symlink(str(outside / "Trailers"), str(movies / "300 (2006)" / "Trailers"))
    extras = dict(("movies/" + k, v) for k, v in movie_extras.items())
    extras.update(("series/" + k, v) for k, v in series_extras.items())
    kept = ["movies/" + k for k in movie_kept] + ["series/" + k for k in series_kept]
    return {"base": tmp_path, "movies": str(movies), "series": str(series), "outside": outside,
            "extras": extras, "kept": kept, "work": str(work)}


def host_vars(media, **extra):
    values = {"servarr_library_roots": [media["movies"], media["series"]], "servarr_library_anchor_file": ANCHOR,
              "servarr_state_dir": str(media["base"] / "state")}
    values.update(extra)
    return values


def everything(media):
    return library.snapshot(str(media["base"] / "media")), library.snapshot(str(media["outside"]))


def videos_of(extras):
    return dict((k, v) for k, v in extras.items() if v != "sidecar")


def test_check_mode_lists_every_extra_with_its_rule_and_touches_nothing(media):
    before = everything(media)
    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media), check=True, diff=True)
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task("Remove extras from the library roots")
    found = dict((os.path.relpath(e["path"], str(media["base"] / "media")), e["rule"]) for e in task["extras"])
    assert found == videos_of(media["extras"])
    sidecars = set(os.path.relpath(s, str(media["base"] / "media")) for e in task["extras"] for s in e["sidecars"])
    assert sidecars == set(k for k, v in media["extras"].items() if v == "sidecar")
    assert task["changed"] is True
    assert task["bytes_freed"] > 0
    assert everything(media) == before
    # the diff names each file with its rule and size
    diff = task["diff"]["before"]
    assert "300-trailer.mp4  [suffix -trailer, 60.0 MiB]" in diff
    assert "Making of.mkv  [folder Featurettes, 700.0 MiB]" in diff
    assert "rarbg.com.mp4  [sample beside larger feature, 12.0 MiB]" in diff
    protected = dict((os.path.basename(p["path"]), p["kept_because"]) for p in task["protected"])
    assert protected["sample.mkv"] == "largest video in its folder"
    assert protected["Old Show 1x02-sample.avi"] == "parses as an episode"
    assert len(task["symlinks_skipped"]) == 2


def test_real_run_removes_exactly_the_extras_then_reports_no_change(media):
    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media))
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task("Remove extras from the library roots")
    media_dir = str(media["base"] / "media")
    for rel in media["extras"]:
        assert not os.path.lexists(os.path.join(media_dir, rel)), rel
    for rel in media["kept"]:
        assert os.path.isfile(os.path.join(media_dir, rel)), rel
    # symbolic links and what they point at are untouched
    assert os.path.islink(os.path.join(media["movies"], "Dune (2021)", "linked-trailer.mkv"))
    assert (media["outside"] / "precious-trailer.mkv").read_bytes() == b"outside the library"
    assert (media["outside"] / "Trailers" / "keep.mkv").exists()
    # emptied extras folders are gone, folders with other content stay
    for folder in ("Best_Movie_Ever (2019)/behind the scenes", "Best_Movie_Ever (2019)/extras",
                   "Best_Movie_Ever (2019)/Featurettes"):
        assert not os.path.exists(os.path.join(media["movies"], folder))
    assert os.path.isdir(os.path.join(media["series"], "Awesome TV Show (2024)/Season 1/theme-music"))
    assert len(task["folders_removed"]) == 6
    removed_bytes = sum(item["size"] for item in task["removed"])
    assert task["bytes_freed"] == removed_bytes
    assert len(task["removed"]) == len(media["extras"])

    again = run_with_vars(media["work"], PLAYBOOK, host_vars(media))
    task = again.task("Remove extras from the library roots")
    assert task["changed"] is False and task["extras"] == []


def test_recycle_keeps_relative_paths_and_expires_after_retention(media):
    recycle = str(media["base"] / "recycle")
    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle))
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task("Remove extras from the library roots")
    assert task["removed"] == []
    moved = os.path.join(recycle, "movies", "300 (2006)", "300-trailer.mp4")
    assert os.path.getsize(moved) == 60 * library.MB
    assert not os.path.exists(os.path.join(media["movies"], "300 (2006)", "300-trailer.mp4"))
    # the module records what it moved (its manifest); age every record past the retention: the next run
    # deletes those files, in check mode only reports them
    manifest_path = os.path.join(recycle, ".servarr-recycle.json")
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    for info in manifest["files"].values():
        info["recycled"] -= 40 * 86400
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle)
    count = sum(len(files) for _f, _d, files in os.walk(recycle)) - 1
    assert len(manifest["files"]) == count
    # a file of someone else's in the recycle folder, older than the retention, is never expired
    foreign = os.path.join(recycle, "movies", "mine.mkv")
    with open(foreign, "w") as handle:
        handle.write("not the module's")
    os.utime(foreign, (1, 1))
    dry = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle), check=True)
    assert len(dry.task("Remove extras from the library roots")["recycle_expired"]) == count
    assert os.path.exists(moved)
    real = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle))
    task = real.task("Remove extras from the library roots")
    assert task["changed"] is True and len(task["recycle_expired"]) == count
    assert "expired %d recycled files" % count in task["msg"]
    assert sorted(os.listdir(recycle)) == [".servarr-recycle.json", "movies"]
    assert os.listdir(os.path.join(recycle, "movies")) == ["mine.mkv"]
    second = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle))
    assert second.task("Remove extras from the library roots")["changed"] is False
    assert os.path.exists(foreign)


def test_recycle_dir_typo_that_holds_the_library_removes_nothing(media):
    """recycle_dir /mnt/media where /mnt/media/.recycle was meant: the library's files are all older than the
    retention. The run refuses before anything is scanned, recycled or expired."""
    parent = str(media["base"] / "media")
    for folder, _dirs, files in os.walk(parent):
        for name in files:
            os.utime(os.path.join(folder, name), (1, 1))
    before = everything(media)
    for recycle in (parent, media["movies"], parent + "/"):
        res = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle,
                                                               servarr_extras_recycle_retention_days=1,
                                                               servarr_extras_max_removals=1000))
        assert res.rc != 0
        msg = res.task("Remove extras from the library roots")["msg"]
        assert "recycle_dir" in msg and "nothing was removed" in msg
        assert everything(media) == before


def test_expirations_count_against_max_removals(media):
    recycle = str(media["base"] / "recycle")
    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle))
    assert res.rc == 0, res.stdout[-2000:]
    manifest_path = os.path.join(recycle, ".servarr-recycle.json")
    with open(manifest_path) as handle:
        manifest = json.load(handle)
    for info in manifest["files"].values():
        info["recycled"] -= 40 * 86400
    with open(manifest_path, "w") as handle:
        json.dump(manifest, handle)
    before = sorted(os.path.join(f, n) for f, _d, names in os.walk(recycle) for n in names)
    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_extras_recycle_dir=recycle,
                                                           servarr_extras_max_removals=1))
    assert res.rc != 0
    assert "recycled files expired, more than max_removals=1" in res.task("Remove extras from the library roots")["msg"]
    assert sorted(os.path.join(f, n) for f, _d, names in os.walk(recycle) for n in names) == before


@pytest.mark.parametrize("case", ["missing_root", "no_anchor", "empty_root", "recycle_inside", "max_removals"])
def test_unsafe_setups_remove_nothing(media, case):
    roots = [media["movies"], media["series"]]
    extra = {}
    if case == "missing_root":
        roots.append(str(media["base"] / "media" / "kids_movies"))
    elif case == "no_anchor":
        os.unlink(os.path.join(media["series"], ANCHOR))
    elif case == "empty_root":
        empty = media["base"] / "media" / "kids_series"
        empty.mkdir()
        roots.append(str(empty))
        extra["servarr_library_anchor_file"] = None
    elif case == "recycle_inside":
        extra["servarr_extras_recycle_dir"] = os.path.join(media["movies"], ".recycle")
    elif case == "max_removals":
        extra["servarr_extras_max_removals"] = 5
    before = everything(media)
    values = host_vars(media, servarr_library_roots=roots, **extra)
    if values.get("servarr_library_anchor_file") is None:
        values.pop("servarr_library_anchor_file")
    res = run_with_vars(media["work"], PLAYBOOK, values)
    assert res.rc != 0
    task = res.task("Remove extras from the library roots")
    expected = {"missing_root": "does not exist", "no_anchor": "no anchor file .servarr-anchor",
                "empty_root": "is empty", "recycle_inside": "inside library root",
                "max_removals": "more than max_removals=5"}[case]
    assert expected in task["msg"]
    assert everything(media) == before


def test_state_folder_made_by_the_first_real_run_and_only_reported_by_check_mode(media):
    state = str(media["base"] / "state")
    dry = run_with_vars(media["work"], PLAYBOOK, host_vars(media), check=True)
    assert dry.task("Remove extras from the library roots")["state_folders_created"] == [state]
    assert not os.path.exists(state)
    real = run_with_vars(media["work"], PLAYBOOK, host_vars(media))
    assert real.task("Remove extras from the library roots")["state_folders_created"] == [state]
    assert os.stat(state).st_mode & 0o777 == 0o700
    assert os.listdir(state) == ["video_extras_clean.lock"]   # the journal is gone after a complete run
    # a state folder whose parent is missing is a mistake, not something to create
    bad = run_with_vars(media["work"], PLAYBOOK, host_vars(media, servarr_state_dir=str(media["base"] / "no" / "st")),
                        check=True)
    assert bad.rc != 0 and "its parent %s does not exist" % (media["base"] / "no") in \
        bad.task("Remove extras from the library roots")["msg"]


def test_a_run_that_finds_the_lock_held_does_nothing_and_is_ok(media):
    state = media["base"] / "state"
    state.mkdir()
    before = everything(media)
    with open(str(state / "video_extras_clean.lock"), "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        for check in (True, False):
            res = run_with_vars(media["work"], PLAYBOOK, host_vars(media), check=check)
            task = res.task("Remove extras from the library roots")
            assert res.rc == 0 and task["locked"] is True and task["changed"] is False
            assert "another cleanup run holds" in res.task("Summary")["msg"]
    assert everything(media) == before


@pytest.mark.parametrize("recycle", [False, True])
def test_a_run_killed_between_an_extra_and_its_sidecar_is_finished_by_the_next(media, monkeypatch, recycle):
    """SIGKILL of the real module process right after 300-trailer.mp4 went and before 300-trailer.nfo did (the
    module pauses there for tests only, see TEST_PAUSE_ENV in the module); the next run finishes the group."""
    extra = {"servarr_extras_recycle_dir": str(media["base"] / "recycle")} if recycle else {}
    pid_file = str(media["base"] / "module.pid")
    monkeypatch.setenv("MEDIAOPS_SERVARR_TEST_ONLY_PAUSE_AFTER_VIDEO", pid_file)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault(
        "res", run_with_vars(media["work"], PLAYBOOK, host_vars(media, **extra))))
    worker.start()
    deadline = time.time() + 120
    while not (os.path.exists(pid_file) and open(pid_file).read().endswith("\n")) and time.time() < deadline:
        time.sleep(0.05)
    pid = int(open(pid_file).read())
    os.kill(pid, signal.SIGKILL)
    worker.join(120)
    monkeypatch.delenv("MEDIAOPS_SERVARR_TEST_ONLY_PAUSE_AFTER_VIDEO")
    assert outcome["res"].rc != 0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    folder = os.path.join(media["movies"], "300 (2006)")
    assert not os.path.exists(os.path.join(folder, "300-trailer.mp4"))
    assert os.path.exists(os.path.join(folder, "300-trailer.nfo"))   # what the kill left behind
    assert os.path.exists(str(media["base"] / "state" / "video_extras_clean.journal.json"))

    dry = run_with_vars(media["work"], PLAYBOOK, host_vars(media, **extra), check=True, diff=True)
    assert dry.task("Remove extras from the library roots")["resumed"] == [os.path.join(folder, "300-trailer.nfo")]
    assert dry.task("Remove extras from the library roots")["diff"]["before"].startswith(
        "%s  [sidecar of an extra an interrupted run removed]\n" % os.path.join(folder, "300-trailer.nfo"))
    assert os.path.exists(os.path.join(folder, "300-trailer.nfo"))

    res = run_with_vars(media["work"], PLAYBOOK, host_vars(media, **extra))
    assert res.rc == 0, res.stdout + res.stderr
    task = res.task("Remove extras from the library roots")
    assert task["resumed"] == [os.path.join(folder, "300-trailer.nfo")]
    assert "finished 1 sidecars an interrupted run left" in res.task("Summary")["msg"]
    media_dir = str(media["base"] / "media")
    for rel in media["extras"]:
        assert not os.path.lexists(os.path.join(media_dir, rel)), rel
    for rel in media["kept"]:
        assert os.path.isfile(os.path.join(media_dir, rel)), rel
    if recycle:
        assert os.path.isfile(str(media["base"] / "recycle" / "movies" / "300 (2006)" / "300-trailer.nfo"))
        recycled = set(os.path.relpath(os.path.join(f, n), str(media["base"] / "recycle"))
                       for f, _d, names in os.walk(str(media["base"] / "recycle")) for n in names)
        assert recycled == set(media["extras"]) | {".servarr-recycle.json"}   # with the module's manifest
    assert not os.path.exists(str(media["base"] / "state" / "video_extras_clean.journal.json"))
    assert run_with_vars(media["work"], PLAYBOOK, host_vars(media, **extra)).task(
        "Remove extras from the library roots")["changed"] is False
