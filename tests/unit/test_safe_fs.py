# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import os

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils import safe_fs


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "../x", "/abs", "a\0b"])
def test_names_that_are_not_one_component_are_refused(name):
    assert safe_fs.name_problem(name)


@pytest.mark.parametrize("name", ["Movie (2020)", "-rf", "$(id)", ".hidden", "..hidden", "a\\b", "名前"])
def test_odd_but_single_names_pass(name):
    assert safe_fs.name_problem(name) is None


def test_overlap_both_ways_and_through_links(tmp_path):
    (tmp_path / "media" / "movies").mkdir(parents=True)
    (tmp_path / "other").mkdir()
    os.symlink(str(tmp_path / "media"), str(tmp_path / "link"))
    media, movies = str(tmp_path / "media"), str(tmp_path / "media" / "movies")
    assert safe_fs.overlap(movies, media) == "a_in_b"
    assert safe_fs.overlap(media, movies) == "b_in_a"
    assert safe_fs.overlap(media, media + "/") == "same"
    assert safe_fs.overlap(str(tmp_path / "link"), media) == "same"
    assert safe_fs.overlap(str(tmp_path / "other"), media) is None
    assert safe_fs.overlap(str(tmp_path / "media2"), media) is None  # a prefix of the name is not inside
    problems = safe_fs.overlap_problems([("recycle_dir", media), ("roots", movies)])
    assert problems == ["roots %s is inside recycle_dir %s; they must not overlap" % (movies, media)]
    assert safe_fs.overlap_problems([("staging_dir", movies), ("dest", media)],
                                    allowed=[("staging_dir", "dest")]) == []


def test_unlink_beneath_never_follows_a_link_in_the_path(tmp_path):
    root, victim = tmp_path / "root", tmp_path / "victim"
    root.mkdir()
    victim.mkdir()
    (victim / "precious").write_text("x")
    os.symlink(str(victim), str(root / "dir"))
    with pytest.raises(OSError):
        safe_fs.unlink_beneath(str(root), "dir/precious")
    assert (victim / "precious").exists()
    with pytest.raises(safe_fs.UnsafePath):
        safe_fs.unlink_beneath(str(root), "../victim/precious")
    # the link itself is an entry of root: removed as a link, the target stays
    assert safe_fs.unlink_beneath(str(root), "dir") is not None
    assert (victim / "precious").exists()


def test_rmtree_beneath_removes_links_not_targets(tmp_path):
    root, victim = tmp_path / "root", tmp_path / "victim"
    (root / "item" / "sub").mkdir(parents=True)
    victim.mkdir()
    (victim / "precious").write_text("x")
    (root / "item" / "sub" / "f").write_bytes(b"12345")
    os.symlink(str(victim), str(root / "item" / "link"))
    assert safe_fs.rmtree_beneath(str(root), "item") == 5
    assert not (root / "item").exists()
    assert (victim / "precious").exists()
    assert safe_fs.rmtree_beneath(str(root), "item") == 0


def test_unlink_beneath_expect_and_folders(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_bytes(b"abc")
    with pytest.raises(safe_fs.UnsafePath):
        safe_fs.unlink_beneath(str(tmp_path), "d")
    assert safe_fs.unlink_beneath(str(tmp_path), "f", expect=lambda st: st.st_size == 4) is None
    assert (tmp_path / "f").exists()
    assert safe_fs.unlink_beneath(str(tmp_path), "f", expect=lambda st: st.st_size == 3).st_size == 3
    assert safe_fs.unlink_beneath(str(tmp_path), "f") is None
    assert safe_fs.rmdir_if_empty_beneath(str(tmp_path), "d") is True
