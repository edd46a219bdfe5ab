# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The argument checks of video_extras_clean and jellyfin_refresh: each bad value fails with a message that names
it, before any folder is created or any service is asked."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.mediaops.servarr.plugins.modules import jellyfin_refresh, video_extras_clean


def run_module(module, args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def clean_args(tmp_path):
    return {"roots": [str(tmp_path / "movies")], "lock_file": str(tmp_path / "state" / "x.lock"),
            "journal": str(tmp_path / "state" / "x.json")}


@pytest.mark.parametrize("change,message", [
    ({"roots": []}, "roots must name at least one library folder"),
    ({"roots": ["movies"]}, "library root 'movies' must be an absolute path"),
    ({"roots": ["/mnt/media/movies", "/mnt/media/movies/"]}, "roots lists a folder twice"),
    ({"anchor_file": "sub/.anchor"}, "anchor_file must be a file name directly in each root, not a path"),
    ({"anchor_file": ".."}, "anchor_file must be a file name"),
    ({"min_video_size_mb": -1}, "min_video_size_mb must not be negative (-1)"),
    ({"recycle_retention_days": -3}, "recycle_retention_days must not be negative (-3)"),
    ({"max_removals": -1}, "max_removals must not be negative (-1)"),
    ({"scan_workers": 0}, "scan_workers must be at least 1 (0)"),
    ({"recycle_dir": "recycle"}, "recycle_dir must be an absolute path: 'recycle'"),
    ({"lock_file": "run.lock"}, "lock_file must be an absolute path: 'run.lock'"),
    ({"journal": "journal.json"}, "journal must be an absolute path: 'journal.json'"),
    ({"patterns": ["("]}, "pattern '(' is not a valid regular expression"),
    ({"extra_folder_names": ["a/b"]}, "extra folder name 'a/b' must be a single folder name"),
])
def test_video_extras_clean_refuses_bad_arguments(clean_args, tmp_path, capsys, change, message):
    result = run_module(video_extras_clean, dict(clean_args, **change), capsys)
    assert result["failed"] is True and message in result["msg"] and "nothing was removed" in result["msg"]
    assert not (tmp_path / "state").exists()   # refused before the state folder was made


def test_video_extras_clean_lock_and_journal_must_differ(clean_args, capsys):
    result = run_module(video_extras_clean, dict(clean_args, journal=clean_args["lock_file"]), capsys)
    assert "lock_file and journal must be two different files" in result["msg"]


def test_video_extras_clean_missing_parent_of_the_state_folder(clean_args, tmp_path, capsys):
    args = dict(clean_args, lock_file=str(tmp_path / "no" / "state" / "x.lock"))
    result = run_module(video_extras_clean, args, capsys)
    assert "its parent %s does not exist" % (tmp_path / "no") in result["msg"]


@pytest.fixture
def jf_args(tmp_path):
    return {"jellyfin_url": "http://127.0.0.1:9", "jellyfin_api_key": "0123456789abcdef",
            "checkpoint": str(tmp_path / "state" / "cp.json"),
            "instances": [{"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:9", "api_key": "k" * 32}]}


@pytest.mark.parametrize("change,message", [
    ({"path_map": [{"from": "mnt/media", "to": "/media"}]}, "path_map entries need absolute paths: mnt/media -> /media"),
    ({"path_map": [{"from": "/mnt/media", "to": "media"}]}, "path_map entries need absolute paths"),
    ({"path_map": [{"from": "/mnt/media", "to": "/a"}, {"from": "/mnt/media/", "to": "/b"}]},
     "path_map maps the same 'from' twice"),
    ({"paths": ["movies/Dune (2021)"]}, "paths must be absolute: 'movies/Dune (2021)'"),
    ({"initial_lookback_hours": -1}, "initial_lookback_hours must not be negative (-1)"),
    ({"jellyfin_timeout": 0}, "jellyfin_timeout must be at least 1 second (0)"),
    ({"checkpoint": "cp.json"}, "checkpoint must be an absolute path: 'cp.json'"),
    ({"instances": [{"name": "arr", "type": "radarr", "url": "http://127.0.0.1:9", "api_key": "k" * 32},
                    {"name": "arr", "type": "sonarr", "url": "http://127.0.0.1:8", "api_key": "k" * 32}]},
     "instance names must be unique (arr)"),
    ({"instances": [{"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:9", "api_key": "k" * 32,
                     "timeout": 0}]}, "instance radarr: timeout must be at least 1 second (0)"),
])
def test_jellyfin_refresh_refuses_bad_arguments(jf_args, tmp_path, capsys, change, message):
    result = run_module(jellyfin_refresh, dict(jf_args, **change), capsys)
    assert result["failed"] is True and message in result["msg"] and "nothing was sent" in result["msg"]
    assert not (tmp_path / "state").exists()


@pytest.mark.parametrize("change,message", [
    ({"jellyfin_url": None}, "missing required arguments: jellyfin_url"),
    ({"jellyfin_api_key": None}, "missing required arguments: jellyfin_api_key"),
    ({"mode": "everything"}, "value of mode must be one of: targeted, full"),
    ({"instances": [{"name": "x", "type": "lidarr", "url": "http://h", "api_key": "k"}]},
     "value of type must be one of: radarr, sonarr"),
    ({"instances": [{"name": "x", "type": "radarr", "url": "http://h"}]}, "one of the following is required: api_key, api_key_file"),
])
def test_jellyfin_refresh_required_and_choices(jf_args, capsys, monkeypatch, change, message):
    monkeypatch.delenv("JELLYFIN_URL", raising=False)
    monkeypatch.delenv("JELLYFIN_API_KEY", raising=False)
    args = dict((k, v) for k, v in dict(jf_args, **change).items() if v is not None)
    result = run_module(jellyfin_refresh, args, capsys)
    assert result["failed"] is True and message in result["msg"]


def test_video_extras_clean_roots_are_required(capsys):
    result = run_module(video_extras_clean, {}, capsys)
    assert "missing required arguments: roots" in result["msg"]
