"""The preflight's decisions on known facts, and its fixed request budget against the Radarr/Sonarr double."""
import hashlib
import json
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
