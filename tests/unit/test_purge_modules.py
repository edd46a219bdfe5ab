# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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


H = "0123456789ABCDEF0123456789ABCDEF01234567"


@pytest.mark.parametrize("extra, message", [
    ({"min_ratio": -1}, "min_ratio must not be negative (got -1.0)"),
    ({"min_seed_days": -0.5}, "min_seed_days must not be negative"),
    ({"min_seed_hours": -2}, "min_seed_hours must not be negative"),
    ({"max_total_gb": -700}, "max_total_gb must not be negative"),
    ({"max_removals": -1}, "max_removals must not be negative"),
    ({"min_free_gb": -1}, "min_free_gb must not be negative (got -1.0)"),
    ({"min_free_percent": -5}, "min_free_percent must not be negative"),
    ({"min_free_percent": 100}, "min_free_percent must be under 100 (got 100.0)"),
    ({"quota_gb": -750}, "quota_gb must not be negative"),
    ({"quota_gb": 750, "min_free_gb": 800}, "min_free_gb 800.0 must be under quota_gb 750.0"),
    ({"verify_timeout": 0}, "verify_timeout must be at least 1 second (got 0)"),
    ({"rutorrent_batch_size": 0}, "rutorrent_batch_size must be at least 1 (got 0)"),
    ({"rtorrent_timeout": -5}, "rtorrent_timeout must be at least 1 second"),
    ({"sftp_port": 70000}, "sftp_port must be a TCP port, 1 to 65535 (got 70000)"),
    ({"data_removal": "local", "download_root": "/"}, "download_root must not be / (name the folder"),
    ({"data_removal": "local", "download_root": "//"}, "download_root must not be /"),
    ({"data_removal": "local", "download_root": "downloads"}, "download_root must be an absolute path, not 'downloads'"),
    ({"data_removal": "local"}, "data_removal is local but all of the following are missing: download_root"),
    ({"data_removal": "sftp", "download_root": "/dl"}, "missing: sftp_host, sftp_username"),
    ({"state_dir": "state"}, "state_dir must be an absolute path, not 'state'"),
    ({"journal": "purge.jsonl"}, "journal must be an absolute path, not 'purge.jsonl'"),
    ({"lock_file": "./purge.lock"}, "lock_file must be an absolute path"),
    ({"imported_hashes": [H, "Movie.2020"]}, "imported_hashes: 'Movie.2020' is not an info-hash"),
    ({"queued_hashes": ["abc"]}, "queued_hashes: 'abc' is not an info-hash"),
    ({"data_removal": "everything"}, "value of data_removal must be one of: sftp, local, rutorrent, torrent_only"),
])
def test_purge_arguments_are_checked_with_a_clear_message_and_nothing_done(tmp_path, capsys, extra, message):
    result = run(rtorrent_purge, purge_args(tmp_path, **extra), capsys)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert result.get("removed", []) == [] and not (tmp_path / "state").exists()


def test_purge_needs_the_options_it_cannot_work_without(tmp_path, capsys):
    args = purge_args(tmp_path)
    for name in ("imported_hashes", "data_removal"):
        result = run(rtorrent_purge, dict((k, v) for k, v in args.items() if k != name), capsys)
        assert result["failed"] is True and "missing required arguments: %s" % name in result["msg"]


def instances(*names, **extra):
    out = []
    for name in names:
        instance = {"name": name, "type": "radarr", "url": "http://127.0.0.1:1", "api_key": "k"}
        instance.update(extra)
        out.append(instance)
    return out


@pytest.mark.parametrize("args, message", [
    ({"instances": instances("radarr", "radarr")}, "instance names must be unique: 'radarr' is given twice"),
    ({"instances": instances("radarr"), "page_size": 0}, "page_size must be at least 1 (got 0)"),
    ({"instances": instances("radarr", timeout=-1)}, "instance radarr: timeout must be at least 1 second"),
    ({"instances": instances("radarr"), "state_dir": "relative/state"},
     "state_dir must be an absolute path, not 'relative/state'"),
    ({"instances": instances("radarr", type="lidarr")}, "value of type must be one of: radarr, sonarr"),
    ({"instances": [{"name": "radarr", "type": "radarr", "url": "http://x"}]},
     "one of the following is required: api_key, api_key_file"),
    ({}, "missing required arguments: instances"),
])
def test_history_arguments_are_checked_with_a_clear_message(tmp_path, capsys, args, message):
    result = run(arr_history_hashes, dict({"state_dir": str(tmp_path / "state")}, **args), capsys)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert not (tmp_path / "state").exists()


def test_history_check_mode_writes_no_state(tmp_path, capsys):
    result = run(arr_history_hashes, {"instances": instances("radarr", url="ftp://radarr"),
                                      "state_dir": str(tmp_path / "state")}, capsys, check_mode=True)
    assert "is not an http:// or https:// URL" in result["msg"] and not (tmp_path / "state").exists()


def test_history_state_that_cannot_be_kept_is_a_warning_not_a_failure(tmp_path, capsys, monkeypatch):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients import arr
    monkeypatch.setattr(arr.ArrClient, "history", lambda self, page_size=1000: ([], 1))
    monkeypatch.setattr(arr.ArrClient, "queue", lambda self, page_size=1000: ([], 1))
    result = run(arr_history_hashes, {"instances": instances("radarr"),
                                      "state_dir": str(tmp_path / "missing-parent" / "state")}, capsys)
    assert result.get("failed") is not True and result["imported_hashes"] == []
    warning = json.dumps(result["warnings"])
    assert "its parent" in warning and "read in full" in warning


@pytest.mark.parametrize("check_mode", [False, True])
def test_every_purge_exit_counts_the_journals_unfinished_removals(tmp_path, capsys, check_mode):
    """unfinished_intents is read from the journal as the run ends, a failed run included (rTorrent is
    unreachable here): the metrics callback writes it as servarr_purge_unfinished_intents."""
    result = run(rtorrent_purge, purge_args(tmp_path), capsys)
    assert "cannot reach" in result["msg"] and result["unfinished_intents"] == 0
    other = "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
    records = [{"hash": H, "event": "removing", "name": "a"}, {"hash": other, "event": "removing", "name": "b"},
               {"hash": other, "event": "removed", "name": "b"}]
    (tmp_path / "state" / "purge-journal.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    result = run(rtorrent_purge, purge_args(tmp_path), capsys, check_mode=check_mode)
    assert result["failed"] is True and "cannot reach" in result["msg"]
    assert result["unfinished_intents"] == 1
