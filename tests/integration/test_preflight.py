# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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
    # room for the sync's reserve (1 GB) and the largest torrent: only the file system differs (a tmpfs allocates
    # nothing up front)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2g", "tmpfs", staging], check=True)
    try:
        result, checks = preflight(good)
    finally:
        subprocess.run(["umount", staging], check=True)
    assert bad(checks) == [("local", "staging and import folder on one file system")]


# -- Prowlarr and ntfy, when configured --------------------------------------------------------------------------
PROWLARR_KEY = "a" * 32
NTFY_TOKEN = "tk_preflight0123456789"


@pytest.fixture
def extras(good, tmp_path):
    """The correct lab with Prowlarr and ntfy (the doubles, in this process so their requests can be counted)."""
    import threading

    import ntfy_double
    import prowlarr_double

    state = tmp_path / "prowlarr.json"
    state.write_text(json.dumps({"api_key": PROWLARR_KEY, "releases": {}}))
    prowlarr = prowlarr_double.serve(str(state), 0)
    threading.Thread(target=prowlarr.serve_forever, daemon=True).start()
    ntfy = ntfy_double.NtfyDouble(tokens={NTFY_TOKEN: "servarr"}, write_access={"servarr": ["servarr-alerts"]}).start()
    settings = {"servarr_prowlarr_url": "http://127.0.0.1:%d" % prowlarr.server_port,
                "servarr_prowlarr_api_key": PROWLARR_KEY,
                "servarr_ntfy_url": ntfy.topic_url("servarr-alerts"), "servarr_ntfy_token": NTFY_TOKEN}
    try:
        yield dict(good, prowlarr=prowlarr, ntfy=ntfy, settings=settings)
    finally:
        prowlarr.shutdown()
        prowlarr.server_close()
        ntfy.stop()


def test_a_correct_lab_with_prowlarr_and_ntfy_passes_with_no_warning_and_publishes_nothing(extras):
    result, checks = preflight(extras, **extras["settings"])
    assert result.rc == 0, result.stdout[-3000:]
    assert bad(checks) == []
    found = dict(((c["area"], c["check"]), c["message"]) for c in checks)
    assert "Prowlarr 1." in found[("prowlarr", "reachable")]
    assert "nothing was published" in found[("ntfy", "reachable and authorized")]
    assert ("local", "free space in staging") in found
    # one request each, and not a message: the topic's auth is read with GET /<topic>/auth
    assert extras["prowlarr"].counts == {"/api/v1/system/status": 1}
    assert [(r["method"], r["path"]) for r in extras["ntfy"].requests] == [("GET", "/servarr-alerts/auth")]
    assert extras["ntfy"].messages == []
    assert PROWLARR_KEY not in result.stdout and NTFY_TOKEN not in result.stdout


def test_prowlarr_wrong_key(extras):
    result, checks = preflight(extras, **dict(extras["settings"], servarr_prowlarr_api_key="b" * 32))
    assert result.rc != 0
    assert bad(checks) == [("prowlarr", "reachable")]
    message = [c for c in checks if c["status"] != "ok"][0]["message"]
    assert "wrong API key" in message and "prowlarr_api_key" in message


def test_ntfy_wrong_token(extras):
    result, checks = preflight(extras, **dict(extras["settings"], servarr_ntfy_token="tk_wrong000000000000"))
    assert result.rc != 0
    assert bad(checks) == [("ntfy", "reachable and authorized")]
    message = [c for c in checks if c["status"] != "ok"][0]["message"]
    assert "credentials" in message and "ntfy_token" in message
    assert extras["ntfy"].messages == []


def test_ntfy_topic_the_user_may_not_read_is_a_warning(extras):
    # a write-only user: ntfy's /auth refuses it (403) although it may publish; only a message would tell
    extras["ntfy"].read_access = {}
    result, checks = preflight(extras, **extras["settings"])
    assert result.rc == 0
    assert [(c["area"], c["check"], c["status"]) for c in checks if c["status"] != "ok"] == [
        ("ntfy", "reachable and authorized", "warning")]
    assert "ntfy_test_message" in [c for c in checks if c["status"] != "ok"][0]["message"]
    assert extras["ntfy"].messages == []


def test_ntfy_test_message_only_when_asked_and_never_in_check_mode(extras):
    settings = dict(extras["settings"], servarr_preflight_ntfy_test_message=True)
    result, checks = preflight(extras, check=True, **settings)
    assert result.rc == 0 and bad(checks) == []
    assert extras["ntfy"].messages == []
    result, checks = preflight(extras, **settings)
    assert result.rc == 0 and bad(checks) == []
    assert len(extras["ntfy"].messages) == 1 and extras["ntfy"].messages[0]["topic"] == "servarr-alerts"
    assert "preflight" in extras["ntfy"].messages[0]["message"]
    assert ("ntfy", "test message") in [(c["area"], c["check"]) for c in checks]


def test_ntfy_unreachable(extras):
    port = extras["ntfy"].port
    extras["ntfy"].stop()
    result, checks = preflight(extras, **dict(extras["settings"], servarr_ntfy_url="http://127.0.0.1:%d/t" % port))
    assert result.rc != 0
    assert bad(checks) == [("ntfy", "reachable and authorized")]


# -- free space against the largest item on the seedbox ----------------------------------------------------------
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_staging_without_room_for_the_largest_finished_torrent(good):
    # staging and import folder on one small tmpfs (a bind mount of a folder in it: one file system), room for
    # the sync's free_space_reserve_gb (1 GB) but not for that plus the largest finished torrent (~300 kB)
    nas = good["nas"]
    staging, done = os.path.join(nas, "_staging"), os.path.join(nas, "_done")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % (10 ** 9 + 100000), "tmpfs", staging], check=True)
    try:
        os.makedirs(os.path.join(staging, "done"))
        subprocess.run(["mount", "--bind", os.path.join(staging, "done"), done], check=True)
        try:
            result, checks = preflight(good)
        finally:
            subprocess.run(["umount", done], check=True)
    finally:
        subprocess.run(["umount", staging], check=True)
    assert result.rc == 0   # a warning: that torrent may have been fetched already
    assert [(c["area"], c["check"], c["status"]) for c in checks if c["status"] != "ok"] == [
        ("local", "free space in staging", "warning")]
    message = [c for c in checks if c["status"] != "ok"][0]["message"]
    assert "Movie.A.2020.1080p" in message and "free_space_reserve_gb" in message


# -- several seedboxes and instances: each checked and named -----------------------------------------------------
def test_several_seedboxes_each_checked_and_named(good):
    seedboxes = [{"name": "alpha"}, {"name": "beta"}]
    result, checks = preflight(good, servarr_seedboxes=seedboxes)
    assert result.rc == 0, result.stdout[-3000:]
    assert bad(checks) == []
    pairs = [(c["area"], c["check"]) for c in checks]
    for box in ("alpha", "beta"):
        assert ("rtorrent " + box, "reachable") in pairs and ("sftp " + box, "login") in pairs
        assert ("local", "free space in staging (seedbox %s)" % box) in pairs
        for instance in ("radarr radarr", "sonarr sonarr"):
            assert (instance, "download client (seedbox %s)" % box) in pairs
            assert (instance, "remote path mapping (seedbox %s)" % box) in pairs
    # what the seedboxes share is checked once
    assert pairs.count(("jellyfin", "administrator key")) == 1
    assert pairs.count(("radarr radarr", "Completed Download Handling")) == 1
    assert pairs.count(("local", "state folder")) == 1
    # every line names its seedbox
    assert "rtorrent beta - reachable" in result.stdout


def test_several_seedboxes_a_wrong_one_is_named(good):
    # beta is reached by another name (localhost) than the download clients and mappings use (127.0.0.1)
    seedboxes = [{"name": "alpha"}, {"name": "beta", "rtorrent_url": good["rpc2_url"]}]
    result, checks = preflight(good, servarr_seedboxes=seedboxes)
    assert result.rc != 0
    assert sorted(bad(checks)) == [("radarr radarr", "download client (seedbox beta)"),
                                   ("radarr radarr", "remote path mapping (seedbox beta)"),
                                   ("sonarr sonarr", "download client (seedbox beta)"),
                                   ("sonarr sonarr", "remote path mapping (seedbox beta)")]
    assert "localhost" in [c for c in checks if c["status"] != "ok"][0]["message"]


def test_rtorrent_credentials_refused_name_the_scheme_the_server_asks_for(good):
    # the seedbox asks for HTTP Digest; a wrong password is refused, and the diagnosis names the scheme
    result, checks = preflight(good, servarr_rtorrent_password="wrong-password")
    assert result.rc != 0
    assert bad(checks) == [("rtorrent", "reachable")]
    message = [c for c in checks if c["status"] != "ok"][0]["message"]
    assert "Digest" in message and "wrong-password" not in result.stdout
