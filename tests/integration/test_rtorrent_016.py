# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The purge, the status and the sync against rTorrent 0.16.x from Debian sid (in its own root, scripts/sid_root.sh),
through the same lighttpd front, on the path whose SCGI requests carry UNTRUSTED_CONNECTION=1 as current ruTorrent
sends them. rTorrent 0.15+ answers an unknown info-hash with fault -503 (0.9.8: -501) and refuses some commands to
untrusted connections; the modules use none of those. tests/run.sh builds the root and sets SERVARR_SID_ROOT."""
import os
import re

import pytest

import lab as lab_mod
import scenario
from conftest import REPO, run_playbook

PURGE = "Remove imported torrents that met the seeding policy, with their data"
SID_ROOT = os.environ.get("SERVARR_SID_ROOT")
# rTorrent 0.16 refuses these to an untrusted connection (-507): no module may send them
UNTRUSTED_REFUSED = ("d.timestamp.started", "d.timestamp.finished.or_zero", "execute.capture")


@pytest.fixture
def lab016(tmp_path):
    if not SID_ROOT:
        if os.environ.get("SERVARR_REQUIRE_SID"):
            pytest.fail("SERVARR_SID_ROOT is not set (scripts/sid_root.sh builds it)")
        pytest.skip("no Debian sid root with rTorrent 0.16 (scripts/sid_root.sh; tests/run.sh sets SERVARR_SID_ROOT)")
    info = lab_mod.start(str(tmp_path / "lab"), rtorrent_root=SID_ROOT)
    try:
        assert info["rtorrent_version"].startswith("0.16"), info["rtorrent_version"]
        yield info
    finally:
        lab_mod.stop(info["dir"])


def test_no_module_sends_a_command_rtorrent_016_refuses_to_untrusted_connections():
    found = []
    for folder, _dirs, names in os.walk(os.path.join(REPO, "plugins")):
        for name in names:
            if name.endswith(".py"):
                with open(os.path.join(folder, name)) as handle:
                    text = handle.read()
                found += ["%s: %s" % (name, cmd) for cmd in UNTRUSTED_REFUSED if re.search(re.escape(cmd) + r"\b", text)]
    assert found == []


def test_the_untrusted_path_is_really_untrusted(lab016):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient, RTorrentFault
    client = RTorrentClient(lab016["untrusted_url"], username=lab016["rtorrent_username"],
                            password=lab016["rtorrent_password"], ca_path=lab016["ca_path"])
    torrents = client.list_torrents()   # d.multicall2 with every field the modules read
    assert client.call("system.client_version").startswith("0.16")
    with pytest.raises(RTorrentFault) as refused:
        client.call("d.timestamp.started", torrents[0]["hash"])
    assert refused.value.code == -507
    assert client.exists("0" * 40) is False   # -503 "info-hash not found": gone, by meaning


def test_purge_removes_every_imported_torrent_in_one_run_on_016(lab016):
    """0.9.8 answered an unknown hash with -501, 0.16 with -503: the purge used to erase one torrent per run and
    fail before deleting its data."""
    real = run_playbook(lab016, "playbooks/seedbox_purge.yml", servarr_rtorrent_url=lab016["untrusted_url"])
    assert real.rc == 0, real.stdout[-3000:]
    result = real.task(PURGE)
    names = dict((v["hash"], k) for k, v in lab016["torrents"].items())
    assert sorted(names[r["hash"]] for r in result["removed"]) == sorted(scenario.EXPECTED_PURGED)
    for entry in result["removed"]:
        path = lab016["torrents"][names[entry["hash"]]]["data_path"]
        if entry["data"] == "removed":
            assert entry["data_verified"] is True and not os.path.exists(path)
    again = run_playbook(lab016, "playbooks/seedbox_purge.yml", servarr_rtorrent_url=lab016["untrusted_url"])
    assert again.rc == 0 and again.task(PURGE)["changed"] is False


def test_status_on_016(lab016):
    res = run_playbook(lab016, "playbooks/seedbox_purge.yml", check=True, servarr_rtorrent_url=lab016["untrusted_url"])
    assert res.rc == 0, res.stdout[-3000:]
    status = res.task("Read the seedbox's capacity and torrents")
    assert status["torrents"]["total"] == len(lab016["torrents"]), status["torrents"]
    assert status["used_bytes"] > 0 and status["disk_free_bytes"] > 0


def test_sync_asks_016_which_downloads_are_finished(lab016):
    res = run_playbook(lab016, "playbooks/seedbox_sync.yml", check=True, servarr_rtorrent_url=lab016["untrusted_url"])
    assert res.rc == 0, res.stdout[-3000:]
    text = res.stdout
    assert "cannot ask rTorrent" not in text
