# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The places library_analyze writes are checked before any service is read (issue 21 #4): check_writable
creates and writes nothing, and names the option."""
import os

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils import state_file
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError, check_writable


def snapshot(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, dirs, files in os.walk(root) for n in dirs + files)


def test_a_folder_that_exists_or_can_be_created_passes_and_nothing_is_created(tmp_path):
    (tmp_path / "state").mkdir()
    check_writable(str(tmp_path / "state"), "report_dir")
    check_writable(str(tmp_path / "state" / "reports"), "report_dir")   # the run creates it
    (tmp_path / "state" / "run.log").write_text("")
    check_writable(str(tmp_path / "state" / "run.log"), "log_file", folder=False)
    check_writable(str(tmp_path / "state" / "new.log"), "log_file", folder=False)
    assert snapshot(str(tmp_path)) == ["state", "state/run.log"]


def test_a_missing_state_folder_is_named_with_the_option(tmp_path):
    missing = tmp_path / "var" / "lib" / "servarr" / "reports"
    with pytest.raises(StateError, match="report_dir %s cannot be created: its parent %s does not exist"
                       % (missing, missing.parent)):
        check_writable(str(missing), "report_dir")
    with pytest.raises(StateError, match="log_file .* its folder .* does not exist"):
        check_writable(str(missing / "x.log"), "log_file", folder=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(StateError, match="exists but is not a folder"):
        check_writable(str(tmp_path / "file"), "report_dir")
    with pytest.raises(StateError, match="is a folder"):
        check_writable(str(tmp_path), "log_file", folder=False)
    assert snapshot(str(tmp_path)) == ["file"]


def test_an_unwritable_folder_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "reports"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            with pytest.raises(StateError, match="not writable by uid"):
                check_writable(str(folder), "report_dir")
        finally:
            folder.chmod(0o700)
    # root may write anywhere but on a read-only file system, where access(2) answers EROFS: as seen from here
    denied = str(folder)
    real = os.access
    monkeypatch.setattr(state_file.os, "access", lambda path, mode, **kw: path != denied and real(path, mode))
    with pytest.raises(StateError, match="report_dir %s: the folder %s is not writable" % (denied, denied)):
        check_writable(denied, "report_dir")
    with pytest.raises(StateError, match="not writable"):
        check_writable(os.path.join(denied, "sub"), "report_dir")
    with pytest.raises(StateError, match="log_file .* not writable"):
        check_writable(os.path.join(denied, "x.log"), "log_file", folder=False)
