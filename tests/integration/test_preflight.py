"""servarr_preflight against the lab: a correct setup passes with no warning, and each misconfiguration gives
its own diagnosis and nothing else. Read only, a fixed number of requests per service."""
import json
import os
import subprocess

import pytest

import scenario
from conftest import run_playbook

TASK = "Check every service and folder of each seedbox's chain"


def _write_state(path, update):
    with open(path) as handle:
        state = json.load(handle)
    state.update(update)
    tmp = path + ".new"
    with open(tmp, "w") as handle:
        json.dump(state, handle)
    os.replace(tmp, path)   # a new inode: the double reloads it


@pytest.fixture
def good(lab):
    """The lab configured as it should be: download clients and remote path mappings pointing at the seedbox,
    root folders in Jellyfin's libraries."""
    nas = lab["nas"]
    for kind, root in (("radarr", "movies"), ("sonarr", "series")):
        _write_state(lab[kind]["state"], scenario.arr_settings(kind, "127.0.0.1", lab["download_root"],
                                                               os.path.join(nas, "_done"),
                                                               [os.path.join(nas, root)]))
    os.makedirs(os.path.join(lab["dir"], "state"), exist_ok=True)
    return lab


def preflight(lab, **overrides):
    overrides.setdefault("servarr_jellyfin_path_map", [{"from": lab["nas"], "to": "/media"}])
    result = run_playbook(lab, "playbooks/preflight.yml", **overrides)
    runs = result.task(TASK)["results"]
    checks = [c for run in runs for c in run.get("checks", [])]
    return result, checks


def bad(checks):
    return [(c["area"], c["check"]) for c in checks if c["status"] != "ok"]


def test_a_correct_lab_passes_with_no_warning(good):
    result, checks = preflight(good)
    assert result.rc == 0, result.stdout[-3000:]
    assert bad(checks) == []
    areas = set(c["area"] for c in checks)
    assert {"local", "rtorrent", "sftp", "radarr radarr", "sonarr sonarr", "jellyfin"} <= areas
    text = " ".join(c["message"] for c in checks)
    assert "Digest" in text and "rTorrent 0." in text
    assert good["rtorrent_password"] not in result.stdout and good["radarr"]["api_key"] not in result.stdout
    # one line per check in the playbook's output
    assert result.stdout.count("ok       ") >= len(checks)


def test_wrong_key(good):
    instances = [dict(i) for i in json.loads(json.dumps(
        [{"name": "radarr", "type": "radarr", "url": good["radarr"]["url"], "api_key": "0" * 32},
         {"name": "sonarr", "type": "sonarr", "url": good["sonarr"]["url"], "api_key": good["sonarr"]["api_key"]}]))]
    result, checks = preflight(good, servarr_arr_instances=instances)
    assert result.rc != 0
    assert bad(checks) == [("radarr radarr", "reachable")]
    assert "wrong API key" in [c for c in checks if c["status"] != "ok"][0]["message"]


def test_remote_path_mapping_pointing_elsewhere(good):
    _write_state(good["radarr"]["state"], {"remote_path_mappings": [
        {"id": 1, "host": "127.0.0.1", "remotePath": good["download_root"] + "/", "localPath": "/downloads/"}]})
    result, checks = preflight(good)
    assert result.rc != 0
    assert bad(checks) == [("radarr radarr", "remote path mapping")]
    message = [c for c in checks if c["status"] != "ok"][0]["message"]
    assert "/downloads" in message and os.path.join(good["nas"], "_done") in message


def test_no_remote_path_mapping_when_one_is_needed(good):
    _write_state(good["sonarr"]["state"], {"remote_path_mappings": []})
    result, checks = preflight(good)
    assert bad(checks) == [("sonarr sonarr", "remote path mapping")]
    assert "no remote path mapping" in [c for c in checks if c["status"] != "ok"][0]["message"]


def test_completed_download_handling_off_and_no_download_client(good):
    _write_state(good["radarr"]["state"], {"download_client_config": {"enableCompletedDownloadHandling": False},
                                           "download_clients": []})
    result, checks = preflight(good)
    assert sorted(bad(checks)) == [("radarr radarr", "Completed Download Handling"),
                                   ("radarr radarr", "download client")]


def test_root_folder_outside_every_jellyfin_library(good):
    elsewhere = os.path.join(good["dir"], "elsewhere")
    os.makedirs(elsewhere)
    _write_state(good["radarr"]["state"], {"root_folders": [{"id": 1, "path": elsewhere, "accessible": True,
                                                             "freeSpace": 1, "unmappedFolders": []}]})
    result, checks = preflight(good)
    assert bad(checks) == [("jellyfin", "covered by a library")]
    assert elsewhere in [c for c in checks if c["status"] != "ok"][0]["message"]


def test_non_admin_jellyfin_key(good):
    _write_state(good["jellyfin"]["state"], {"user_key": "f" * 32})
    result, checks = preflight(good, servarr_jellyfin_api_key="f" * 32)
    assert bad(checks) == [("jellyfin", "administrator key")]
    assert "administrator" in [c for c in checks if c["status"] != "ok"][0]["message"]


def test_download_root_that_is_not_where_rtorrent_keeps_the_data(good):
    other = os.path.join(good["dir"], "seedbox", "other")
    os.makedirs(other)
    result, checks = preflight(good, servarr_seedbox_download_root=other)
    found = bad(checks)
    assert ("rtorrent", "download_root holds the data") in found
    # the sync's folder is then outside download_root: said too, as a warning
    assert set(found) <= {("rtorrent", "download_root holds the data"), ("sftp", "remote_dir inside download_root")}


def test_host_key_that_changed(good, tmp_path):
    known = tmp_path / "known_hosts"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    with open(str(tmp_path / "other.pub")) as handle:
        kind, key = handle.read().split()[:2]
    known.write_text("[127.0.0.1]:%d %s %s\n" % (good["sftp"]["port"], kind, key))
    result, checks = preflight(good, servarr_sftp_known_hosts=str(known))
    assert bad(checks) == [("sftp", "login")]
    assert "host key" in [c for c in checks if c["status"] != "ok"][0]["message"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_staging_on_another_file_system(good):
    staging = os.path.join(good["nas"], "_staging")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", staging], check=True)
    try:
        result, checks = preflight(good)
    finally:
        subprocess.run(["umount", staging], check=True)
    assert bad(checks) == [("local", "staging and import folder on one file system")]
