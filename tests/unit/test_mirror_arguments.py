# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lftp_mirror's argument checks: bad values fail at once with a message naming the option, before any
connection, lock or file is touched."""
import io
import json
import os
import sys

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.mediaops.servarr.plugins.modules import lftp_mirror


@pytest.fixture
def folders(tmp_path):
    nas = tmp_path / "nas"
    for sub in ("_done", "_staging"):
        (nas / sub).mkdir(parents=True)
    key = tmp_path / "id_ed25519"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot a real key\n-----END OPENSSH PRIVATE KEY-----\n")
    return {"dest": str(nas / "_done"), "staging_dir": str(nas / "_staging"), "key": str(key), "tmp": tmp_path}


def args(folders, **extra):
    values = {"sftp_host": "seedbox.invalid", "sftp_username": "seeduser", "sftp_key_file": folders["key"],
              "remote_dir": "/downloads/completed", "dest": folders["dest"], "staging_dir": folders["staging_dir"],
              "_ansible_check_mode": False}
    values.update(extra)
    return values


def run_module(values, monkeypatch):
    """Run lftp_mirror.main(); returns its JSON result (it must end before any network use)."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    import ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh as ssh_mod

    def no_network(*a, **k):
        raise AssertionError("the arguments should have been refused before connecting")
    monkeypatch.setattr(lftp_mirror, "connect", no_network)
    monkeypatch.setattr(ssh_mod, "connect", no_network)
    with patch_module_args(values):
        with pytest.raises(SystemExit):
            lftp_mirror.main()
    return json.loads(out.getvalue())


@pytest.mark.parametrize("extra, message", [
    ({"min_age": -1}, "min_age must not be negative (-1)"),
    ({"max_retries": -2}, "max_retries must not be negative (-2)"),
    ({"reconnect_interval_base": -5}, "reconnect_interval_base must not be negative (-5)"),
    ({"reconnect_interval_multiplier": 0.5}, "reconnect_interval_multiplier must be at least 1"),
    ({"parallel_files": 0}, "parallel_files must be at least 1, not 0"),
    ({"segments": -1}, "segments must be at least 1, not -1"),
    ({"parallel_items": 0}, "parallel_items must be at least 1, not 0"),
    ({"timeout": 0}, "timeout must be at least 1, not 0"),
    ({"progress_interval": 0}, "progress_interval must be at least 1, not 0"),
    ({"transfer_timeout": 0}, "transfer_timeout must be at least 1 second, not 0"),
    ({"max_connections": 1}, "max_connections must be at least 2"),
    ({"sftp_port": 0}, "sftp_port must be between 1 and 65535, not 0"),
    ({"sftp_port": 70000}, "sftp_port must be between 1 and 65535, not 70000"),
    ({"bandwidth_limit": "-1M"}, "bandwidth_limit must not be negative"),
    ({"bandwidth_limit": "fast"}, "bandwidth_limit 'FAST' is not a number with an optional K or M"),
    ({"min_chunk_size": "1 MB"}, "min_chunk_size must be a number of bytes with an optional K or M"),
    ({"remote_dir": "downloads/completed"}, "remote_dir must be an absolute path on the seedbox"),
    ({"dest": "nas/_done"}, "dest must be an absolute path, not 'nas/_done'"),
    ({"staging_dir": "_staging"}, "staging_dir must be an absolute path, not '_staging'"),
    ({"state_file": "sync.json"}, "state_file must be an absolute path"),
    ({"lock_file": "sync.lock"}, "lock_file must be an absolute path"),
    ({"log_file": "sync.log"}, "log_file must be an absolute path"),
])
def test_bad_values_are_refused_with_the_option_named(folders, monkeypatch, extra, message):
    result = run_module(args(folders, **extra), monkeypatch)
    assert result["failed"] is True and message in result["msg"], result["msg"]
    assert result["fetched"] == [] and result["changed"] is False
    assert os.listdir(folders["staging_dir"]) == []   # no lock file, nothing written


def test_dest_inside_staging_and_staging_inside_dest_are_refused(folders, monkeypatch):
    inner = os.path.join(folders["staging_dir"], "import")
    os.mkdir(inner)
    result = run_module(args(folders, dest=inner), monkeypatch)
    assert result["failed"] and "staging_dir must be beside dest, not inside it" in result["msg"]
    result = run_module(args(folders, staging_dir=os.path.join(folders["dest"])), monkeypatch)
    assert result["failed"] and "staging_dir must be beside dest" in result["msg"]


def test_missing_folders_are_named(folders, monkeypatch):
    result = run_module(args(folders, dest=os.path.join(str(folders["tmp"]), "not-mounted")), monkeypatch)
    assert result["failed"] and "not-mounted is not a folder on this host (NAS not mounted?)" in result["msg"]


@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist (sftp_key_file)"),
    ("folder", "is a folder, not a private key file"),
    ("public key", "does not hold a private key"),
])
def test_a_bad_key_file_is_named_before_any_connection(folders, monkeypatch, case, message):
    path = os.path.join(str(folders["tmp"]), "bad_key")
    if case == "folder":
        os.mkdir(path)
    elif case == "public key":
        with open(path, "w") as handle:
            handle.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA user@host\n")
    result = run_module(args(folders, sftp_key_file=path), monkeypatch)
    assert result["failed"] and path in result["msg"] and message in result["msg"]
    assert "reach" not in result["msg"] and "[Errno" not in result["msg"]


@pytest.mark.parametrize("missing", ["sftp_host", "sftp_username", "remote_dir", "dest", "staging_dir"])
def test_options_the_module_cannot_work_without_are_required(folders, monkeypatch, missing):
    values = args(folders)
    del values[missing]
    result = run_module(values, monkeypatch)
    assert result["failed"] and "missing required arguments: %s" % missing in result["msg"]


def test_a_key_or_a_password_is_required(folders, monkeypatch):
    values = args(folders)
    del values["sftp_key_file"]
    result = run_module(values, monkeypatch)
    assert result["failed"] and "one of the following is required: sftp_key_file, sftp_password" in result["msg"]
