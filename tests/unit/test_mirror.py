# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync's local side without a seedbox: the run lock, the folder checks, what a staged item holds."""
import os
import subprocess
import sys

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.runs.mirror import (
    already_in, check_folders, local_files, parse_rate, rename_noreplace, was_staged)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import RunLock
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import Item


def test_the_lock_keeps_a_second_run_out_and_check_mode_only_probes(tmp_path):
    path = str(tmp_path / "sync.lock")
    probe = RunLock(path, probe_only=True)
    assert probe.acquire() and not os.path.exists(path)   # check mode creates nothing
    first = RunLock(path)
    assert first.acquire()
    # another process, as a second cron run would be
    held = subprocess.run([sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); "
                           "fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)", path], capture_output=True, check=False)
    assert held.returncode != 0 and b"BlockingIOError" in held.stderr
    other = subprocess.run([sys.executable, "-c", "import sys; sys.path[:0] = sys.argv[2:]; "
                            "from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import RunLock; "
                            "sys.exit(0 if RunLock(sys.argv[1], probe_only=True).acquire() else 3)", path]
                           + sys.path, capture_output=True, check=False)
    assert other.returncode == 3, other.stderr
    first.release()
    again = RunLock(path)
    assert again.acquire()
    again.release()


def test_folders_must_exist_and_not_nest(tmp_path):
    dest, staging = tmp_path / "import", tmp_path / "staging"
    dest.mkdir()
    with pytest.raises(ValueError, match="staging_dir .* is not a folder"):
        check_folders(str(dest), str(staging))
    staging.mkdir()
    assert check_folders(str(dest), str(staging)) == (str(dest), str(staging))
    (dest / "in").mkdir()
    with pytest.raises(ValueError, match="not inside it"):
        check_folders(str(dest), str(dest / "in"))
    with pytest.raises(ValueError, match="not inside it"):
        check_folders(str(dest / "in"), str(dest))


def test_folders_on_two_file_systems_cannot_hand_off_by_rename(tmp_path):
    other = "/dev/shm"
    if not os.path.isdir(other) or os.stat(other).st_dev == os.stat(str(tmp_path)).st_dev:
        pytest.skip("no second file system to try")
    staging = os.path.join(other, "servarr-test-%d" % os.getpid())
    os.mkdir(staging)
    try:
        with pytest.raises(ValueError, match="different file systems"):
            check_folders(str(tmp_path), staging)
    finally:
        os.rmdir(staging)


@pytest.mark.parametrize("text, expected", [("0", 0), ("500K", 512000), ("1.5M", 1572864), ("2048", 2048)])
def test_bandwidth_limits(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["fast", "-1M", "1G"])
def test_bad_bandwidth_limits(text):
    with pytest.raises(ValueError):
        parse_rate(text)


def test_a_staged_item_counts_symlinks_as_foreign_and_is_complete_only_with_every_size(tmp_path):
    release = tmp_path / "Dune (2021)"
    (release / "Subs").mkdir(parents=True)
    (release / "Dune.mkv").write_bytes(b"x" * 10)
    (release / "Subs" / "en.srt").write_bytes(b"y" * 3)
    os.symlink("/etc", str(release / "Subs" / "escape"))
    assert local_files(str(release), True) == {"Dune.mkv": 10, "Subs/en.srt": 3, "Subs/escape": -1}
    single = tmp_path / "Movie.mkv"
    single.write_bytes(b"z" * 5)
    assert local_files(str(single), False) == {"": 5}
    os.symlink(str(single), str(tmp_path / "link.mkv"))
    assert local_files(str(tmp_path / "link.mkv"), False) == {}

    item = Item("Dune (2021)", True, {"Dune.mkv": (10, 1), "Subs/en.srt": (3, 1)}, 1)
    assert not already_in(str(tmp_path), item)   # the symlink is not on the seedbox
    os.unlink(str(release / "Subs" / "escape"))
    assert already_in(str(tmp_path), item)
    (release / "Dune.mkv").write_bytes(b"x" * 9)
    assert not already_in(str(tmp_path), item)


def test_was_staged_knows_lftp_temporary_and_status_names():
    item = Item("R", True, {"a/b.mkv": (1, 1), "c.mkv": (1, 1)}, 1)
    assert was_staged(item, "a/b.mkv", {"a/.in.b.mkv": 0})
    assert was_staged(item, "a/b.mkv", {"a/b.mkv.lftp-pget-status": 0})
    assert was_staged(item, "c.mkv", {"c.mkv": 1})
    assert not was_staged(item, "c.mkv", {"a/b.mkv": 1})
    single = Item("M.mkv", False, {"": (1, 1)}, 1)
    assert was_staged(single, "", {".in.": 0}) and not was_staged(single, "", {})


@pytest.mark.parametrize("is_dir", [True, False])
def test_the_hand_off_never_replaces_what_is_in_dest(tmp_path, is_dir, monkeypatch):
    def make(path, text):
        if is_dir:
            path.mkdir()
            (path / "a.mkv").write_text(text)
        else:
            path.write_text(text)

    def content(path):
        return (path / "a.mkv").read_text() if is_dir else path.read_text()

    staged, final = tmp_path / "staged", tmp_path / "final"
    make(staged, "new")
    make(final, "radarr's")
    with pytest.raises(FileExistsError):
        rename_noreplace(str(staged), str(final))
    assert content(final) == "radarr's" and content(staged) == "new"
    free = tmp_path / "free"
    rename_noreplace(str(staged), str(free))
    assert content(free) == "new" and not staged.exists()

    # a file system without renameat2 (NFS, CIFS): the check-first fallback refuses too
    import ctypes

    class NoRenameat2:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            raise AttributeError(name)

    monkeypatch.setattr(ctypes, "CDLL", NoRenameat2)
    with pytest.raises(FileExistsError):
        rename_noreplace(str(free), str(final))
    assert content(final) == "radarr's"
    rename_noreplace(str(free), str(staged))
    assert content(staged) == "new"
