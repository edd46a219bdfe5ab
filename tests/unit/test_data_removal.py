# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import os

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.data_removal import LocalRemover, RemovalError


@pytest.fixture
def root(tmp_path):
    r = tmp_path / "downloads"
    (r / "Pack" / "Subs").mkdir(parents=True)
    for rel in ("Pack/a.mkv", "Pack/Subs/en.srt", "single.mkv"):
        (r / rel).write_bytes(b"x" * 10)
    (r / "Pack" / "extra-by-user.txt").write_text("keep me")
    return r


def test_removes_listed_files_and_prunes_only_empty_folders(root):
    rm = LocalRemover(str(root))
    files = [str(root / "Pack/a.mkv"), str(root / "Pack/Subs/en.srt")]
    assert rm.remove(files, str(root / "Pack")) == 20
    assert rm.remaining(files) == []
    assert not (root / "Pack/Subs").exists()
    assert (root / "Pack/extra-by-user.txt").exists()  # not the torrent's: stays, and so does its folder


def test_single_file(root):
    rm = LocalRemover(str(root))
    rm.remove([str(root / "single.mkv")], str(root / "single.mkv"))
    assert not (root / "single.mkv").exists() and root.exists()


def test_refuses_paths_outside_root(root, tmp_path):
    outside = tmp_path / "precious.mkv"
    outside.write_text("x")
    rm = LocalRemover(str(root))
    with pytest.raises(RemovalError, match="not inside download_root"):
        rm.remove([str(outside)], str(outside))
    with pytest.raises(RemovalError, match="not inside download_root"):
        rm.remove([str(root) + "/../precious.mkv"], str(root / "x"))
    assert outside.exists()


def test_refuses_a_folder_that_is_a_symlink_out_of_root(root, tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    (library / "movie.mkv").write_text("precious")
    os.symlink(str(library), str(root / "Linked"))
    rm = LocalRemover(str(root))
    with pytest.raises(RemovalError, match="outside download_root"):
        rm.remove([str(root / "Linked/movie.mkv")], str(root / "Linked"))
    assert (library / "movie.mkv").read_text() == "precious"


def test_a_symlinked_file_is_unlinked_not_followed(root, tmp_path):
    target = tmp_path / "target.mkv"
    target.write_text("precious")
    os.symlink(str(target), str(root / "link.mkv"))
    LocalRemover(str(root)).remove([str(root / "link.mkv")], str(root / "link.mkv"))
    assert target.read_text() == "precious"


def test_missing_root_is_an_error(tmp_path):
    with pytest.raises(RemovalError, match="mounted"):
        LocalRemover(str(tmp_path / "nope")).realdir(str(tmp_path / "nope"))


def test_a_folder_swapped_for_a_symlink_after_the_checks_is_never_followed(root, tmp_path):
    """Check-then-delete by name: the remover's own unlink walks from download_root with O_NOFOLLOW, so a folder
    replaced by a symlink between the check and the deletion makes it fail instead of deleting outside."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.mkv").write_text("precious")
    rm = LocalRemover(str(root))
    import shutil
    shutil.rmtree(str(root / "Pack"))
    os.symlink(str(outside), str(root / "Pack"))   # the swap
    with pytest.raises(RemovalError, match="without following a link"):
        rm.unlink(str(root / "Pack" / "a.mkv"))
    assert (outside / "a.mkv").read_text() == "precious"
    assert rm.lstat(str(root / "Pack" / "a.mkv")) is None   # never looks through the link either
