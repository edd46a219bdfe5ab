"""rtorrent_purge and arr_history_hashes as Ansible runs them, without services: argument checks, the run lock."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import RunLock
from ansible_collections.mediaops.servarr.plugins.modules import arr_history_hashes, rtorrent_purge


def run(module, args, capsys, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


def purge_args(tmp_path, **extra):
    args = dict(rtorrent_url="scgi://127.0.0.1:1", imported_hashes=[], data_removal="torrent_only",
                state_dir=str(tmp_path / "state"))
    args.update(extra)
    return args


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_locked_purge_does_nothing_and_says_so(tmp_path, capsys, check_mode):
    (tmp_path / "state").mkdir()
    lock = RunLock(str(tmp_path / "state" / "purge.lock"))
    assert lock.acquire()
    try:
        result = run(rtorrent_purge, purge_args(tmp_path), capsys, check_mode=check_mode)
    finally:
        lock.release()
    assert result.get("failed") is not True and result["locked"] is True and result["changed"] is False
    assert "another rtorrent_purge run is in progress" in result["msg"]


def test_the_state_folder_is_created_by_a_real_run_only(tmp_path, capsys):
    result = run(rtorrent_purge, purge_args(tmp_path), capsys, check_mode=True)
    assert "cannot reach" in result["msg"] and not (tmp_path / "state").exists()
    result = run(rtorrent_purge, purge_args(tmp_path), capsys)
    assert "cannot reach" in result["msg"] and (tmp_path / "state").is_dir()
