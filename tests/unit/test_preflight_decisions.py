# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight's decisions on known facts, and its fixed request budget against the Radarr/Sonarr double."""
import hashlib
import json
import os
import threading

import pytest

import arr_double
import scenario
from ansible_collections.mediaops.servarr.plugins.module_utils.clients import rtorrent as rtorrent_client
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import preflight as decide
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import preflight as gather


def statuses(checks):
    return [(c["check"], c["status"]) for c in checks]


def test_every_rtorrent_command_the_collection_sends_is_checked():
    sent = set(cmd.split("=", maxsplit=1)[0] for _key, cmd in rtorrent_client.TORRENT_FIELDS)
    sent |= set(part.split("=", maxsplit=1)[0] for _key, cmd in rtorrent_client.TORRENT_FIELDS for part in cmd.split(",")[1:])
    sent |= {"d.multicall2", "d.erase", "system.multicall", "d.hash"}
    assert sent <= set(decide.RTORRENT_METHODS)
    # rTorrent 0.16 refuses these on an untrusted connection: the collection never needs them
    assert not {"d.timestamp.started", "d.timestamp.finished.or_zero", "execute.capture"} & set(decide.RTORRENT_METHODS)


def test_mapping_rules():
    facts = {"name": "radarr", "type": "radarr", "version": "5.0", "completed_download_handling": True,
             "download_clients": [{"implementation": "RTorrent", "enable": True, "name": "box",
                                   "fields": [{"name": "host", "value": "seedbox.example.com"}]}],
             "remote_path_mappings": [{"host": "seedbox.example.com", "remotePath": "/home/u/done/",
                                       "localPath": "/mnt/media/_done/"}],
             "root_folders": [{"path": "/mnt/media/movies", "accessible": True}]}
    url = "https://seedbox.example.com/rutorrent/plugins/httprpc/action.php"
    ok = decide.arr_checks(facts, rtorrent_url=url, remote_dir="/home/u/done", dest="/mnt/media/_done")
    assert all(c["status"] == "ok" for c in ok), ok
    # a mapping for another host does not count
    other = dict(facts, remote_path_mappings=[dict(facts["remote_path_mappings"][0], host="other")])
    assert ("remote path mapping", "failure") in statuses(decide.arr_checks(
        other, rtorrent_url=url, remote_dir="/home/u/done", dest="/mnt/media/_done"))
    # the same path on both sides needs no mapping
    same = dict(facts, remote_path_mappings=[])
    assert ("remote path mapping", "ok") in statuses(decide.arr_checks(
        same, rtorrent_url=url, remote_dir="/data/done", dest="/data/done"))
    # a disabled client is no client
    off = dict(facts, download_clients=[dict(facts["download_clients"][0], enable=False)])
    assert ("download client", "failure") in statuses(decide.arr_checks(off, rtorrent_url=url))


def test_jellyfin_coverage_through_the_path_map():
    checks = decide.jellyfin_checks({"locations": ["/media/movies"]}, [("radarr", "/mnt/media/movies/")],
                                    [{"from": "/mnt/media", "to": "/media"}], ["/mnt/media/moviesX"])
    assert statuses(checks) == [("administrator key", "ok"), ("covered by a library", "ok"),
                                ("covered by a library", "failure")]
    assert decide.map_path("/mnt/media2/x", [{"from": "/mnt/media", "to": "/media"}]) == "/mnt/media2/x"


def test_summary_names_each_failure():
    checks = [decide.check("local", "a", "ok", "fine"), decide.check("rtorrent", "b", "failure", "down")]
    assert decide.summary(checks) == "1 of 2 checks failed: rtorrent: down"


@pytest.mark.parametrize("movies", [1, 2000])
def test_requests_per_instance_do_not_depend_on_library_size(tmp_path, movies):
    fake = dict((t["key"], {"hash": hashlib.sha1(t["key"].encode()).hexdigest().upper(), "name": t["key"],
                            "data_path": "/dl/" + t["key"]}) for t in scenario.TORRENTS)
    state = scenario.arr_states(fake, filler=10)["radarr"]
    state.update(scenario.arr_settings("radarr", "127.0.0.1", "/dl", "/mnt/_done", ["/mnt/movies"]))
    state["movies"] = [{"id": i, "title": "m%d" % i} for i in range(movies)]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    server = arr_double.serve(str(path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = ArrClient("radarr", "radarr", "http://127.0.0.1:%d" % server.server_port, state["api_key"])
        facts = gather.arr_facts({"name": "radarr", "type": "radarr"}, client)
        client.close()
    finally:
        server.shutdown()
    assert "error" not in facts
    assert sum(server.counts.values()) == 5


def test_the_role_layout_of_the_state_folder_is_judged_by_the_jobs_folders(tmp_path):
    # the role's layout: the state folder is root's, each job writes its own jobs/<job>
    state = tmp_path / "state"
    (state / "jobs" / "sync").mkdir(parents=True)
    (state / "jobs" / "purge").mkdir()
    facts = gather.local_facts(state_dir=str(state))
    assert facts["state_dir"]["writable"]
    facts["state_dir"].update(writable=False, jobs=[str(state / "jobs" / "purge")])
    facts["user"] = "servarr"
    [got] = [c for c in decide.local_checks(facts) if c["check"] == "state folder"]
    assert got["status"] == decide.FAILURE
    assert str(state / "jobs" / "purge") in got["message"] and "servarr" in got["message"]


class CountingRTorrent:
    """rTorrent's answers for the preflight's calls, counting them."""
    url = "scgi://127.0.0.1:1"
    transport = None

    def __init__(self, torrents):
        self.torrents = torrents
        self.calls = []

    def call(self, method, *args):
        self.calls.append(method)
        if method == "system.client_version":
            return "0.9.8"
        if method == "d.multicall2":
            return [[t["dir"], t["name"], t["size"], t["complete"]] for t in self.torrents]
        if method == "system.listMethods":
            return list(decide.RTORRENT_METHODS)
        raise AssertionError(method)


@pytest.mark.parametrize("count", [1, 3000])
def test_requests_to_rtorrent_do_not_depend_on_the_number_of_torrents(count):
    torrents = [{"dir": "/dl/t%d" % i, "name": "t%d" % i, "size": i, "complete": 1} for i in range(count)]
    client = CountingRTorrent(torrents)
    facts = gather.rtorrent_facts(client)
    assert len(client.calls) == 3
    assert max(t["size"] for t in facts["complete"]) == count - 1


def test_free_space_against_the_largest_finished_torrent():
    local = {"staging": {"path": "/staging", "exists": True, "free_bytes": 5 * 10 ** 9}}
    rtorrent = {"complete": [{"directory": "/dl/done/a", "name": "A", "size": 2 * 10 ** 9},
                             {"directory": "/dl/other/b", "name": "B", "size": 9 * 10 ** 9}]}
    # in remote_dir only A: it fits with the 1 GB reserve
    assert statuses(decide.free_space_checks(local, rtorrent, remote_dir="/dl/done")) == [
        ("free space in staging", "ok")]
    # no remote_dir: B, the largest finished one, does not fit: a warning naming it
    [got] = decide.free_space_checks(local, rtorrent)
    assert got["status"] == "warning" and "'B'" in got["message"] and "9.0 GB" in got["message"]
    # not even the reserve: the sync fetches nothing
    [got] = decide.free_space_checks(local, rtorrent, reserve_gb=6)
    assert got["status"] == "failure" and "free_space_reserve_gb" in got["message"]
    # an unfinished torrent does not count; nothing finished: ok, said
    assert statuses(decide.free_space_checks(local, {"complete": []})) == [("free space in staging", "ok")]
    # rTorrent unreadable or staging missing: no free-space check (their own checks fail)
    assert decide.free_space_checks(local, {"error": "down"}) == []
    assert decide.free_space_checks({"staging": {"path": "/s", "exists": False}}, rtorrent) == []


def test_several_seedboxes_name_only_their_own_checks():
    checks = [decide.check("rtorrent", "reachable", "ok", ""), decide.check("sftp", "login", "ok", ""),
              decide.check("radarr r", "reachable", "ok", ""), decide.check("radarr r", "download client", "ok", ""),
              decide.check("local", "free space in staging", "ok", ""), decide.check("local", "state folder", "ok", "")]
    named = [(c["area"], c["check"]) for c in decide.name_seedbox(checks, "beta")]
    assert named == [("rtorrent beta", "reachable"), ("sftp beta", "login"), ("radarr r", "reachable"),
                     ("radarr r", "download client (seedbox beta)"), ("local", "free space in staging (seedbox beta)"),
                     ("local", "state folder")]
    assert decide.name_seedbox(checks, None) == checks


def test_ntfy_auth_is_read_without_publishing():
    import ntfy_double
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import NtfyClient, NtfyError

    d = ntfy_double.NtfyDouble(users={"alice": "pw-alice"}, tokens={"tk_reader": "alice", "tk_writer": "bob"},
                               write_access={"alice": ["alerts"], "bob": ["alerts"]},
                               read_access={"alice": ["alerts"]}).start()
    try:
        def auth(**kw):
            client = NtfyClient(d.topic_url("alerts"), **kw)
            try:
                return client.check_auth()
            finally:
                client.close()
        assert auth(token="tk_reader") == "ok"
        assert auth(username="alice", password="pw-alice") == "ok"
        assert auth(token="tk_writer") == "no-read"   # may publish, may not read: ntfy's /auth says 403
        with pytest.raises(NtfyError) as err:
            auth(token="tk_unknown")
        assert err.value.status == 401 and "credentials" in str(err.value)
        assert auth() == "no-read"                     # anonymous, topic not open
        assert d.messages == [] and set(r["method"] for r in d.requests) == {"GET"}
    finally:
        d.stop()
    # ntfy without an auth-file reads no Authorization header: any token passes
    d = ntfy_double.NtfyDouble().start()
    try:
        client = NtfyClient(d.topic_url("alerts"), token="tk_anything")
        assert client.check_auth() == "ok"
        client.close()
    finally:
        d.stop()


def test_prowlarr_status_is_one_request_and_names_a_wrong_key(tmp_path):
    import prowlarr_double
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.prowlarr import ProwlarrClient

    path = tmp_path / "prowlarr.json"
    path.write_text(json.dumps({"api_key": "k" * 32, "version": "1.30.2.4939"}))
    server = prowlarr_double.serve(str(path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % server.server_port
    try:
        good = ProwlarrClient(url, "k" * 32)
        assert gather.prowlarr_facts(good) == {"version": "1.30.2.4939"}
        good.close()
        wrong = ProwlarrClient(url, "w" * 32)
        facts = gather.prowlarr_facts(wrong)
        wrong.close()
    finally:
        server.shutdown()
        server.server_close()
    assert "wrong API key" in facts["error"]
    assert server.counts == {"/api/v1/system/status": 2}
    assert statuses(decide.prowlarr_checks(facts, url)) == [("reachable", "failure")]


def test_a_folder_this_run_sees_read_only_is_judged_by_its_permissions(monkeypatch, tmp_path):
    # under the role the preflight's unit (or servarr-cron's namespace) shows the other jobs' folders read-only
    folder = tmp_path / "staging"
    folder.mkdir()
    owner = os.stat(str(folder)).st_uid
    monkeypatch.setattr(gather.os, "access", lambda path, mode: False)
    monkeypatch.setattr(gather.os, "geteuid", lambda: owner if owner else 4242)
    monkeypatch.setattr(gather.os, "getegid", lambda: 4242)
    monkeypatch.setattr(gather.os, "getgroups", lambda: [])
    monkeypatch.setattr(gather, "_read_only_here", lambda path: True)
    os.chmod(str(folder), 0o777)
    assert gather.writable(str(folder))
    os.chmod(str(folder), 0o755 if owner else 0o775)   # owner (or, as root, no one else) may not write
    if owner:
        assert gather.writable(str(folder))
    os.chmod(str(folder), 0o555)
    assert not gather.writable(str(folder))
    # not a read-only view: os.access decides
    os.chmod(str(folder), 0o777)
    monkeypatch.setattr(gather, "_read_only_here", lambda path: False)
    assert not gather.writable(str(folder))
