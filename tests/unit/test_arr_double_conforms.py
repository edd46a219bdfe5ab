# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Radarr/Sonarr doubles must answer as the real apps do: every answer validated against the official
OpenAPI documents in tests/specs (kept in the repository, so no clone skips these tests)."""
import hashlib
import json
import os
import threading
import time
import urllib.error
import urllib.request

import pytest
from openapi_schema_validator import OAS30Validator

import arr_double
import scenario

# the official OpenAPI documents (tests/specs/README.md)
SPECS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")


FILES = {"radarr": "radarr-v3-openapi.json", "sonarr": "sonarr-v4-openapi.json"}


def validator(kind, ref):
    with open(os.path.join(SPECS, FILES[kind])) as handle:
        spec = json.load(handle)
    return OAS30Validator({"$ref": ref, "components": spec["components"]})


def fake_torrents():
    keys = [t["key"] for t in scenario.TORRENTS]
    return dict((k, {"hash": hashlib.sha1(k.encode()).hexdigest().upper(), "name": k, "data_path": "/dl/" + k})
                for k in keys)


@pytest.fixture(params=["radarr", "sonarr"])
def double(request, tmp_path):
    state = scenario.arr_states(fake_torrents(), filler=40)[request.param]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    server = arr_double.serve(str(path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield request.param, "http://127.0.0.1:%d" % server.server_port, state, path
    server.shutdown()


def get(url, key):
    req = urllib.request.Request(url, headers={"X-Api-Key": key} if key else {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_history_pages_conform(double):
    kind, base, state, dummy = double
    check = validator(kind, "#/components/schemas/HistoryResourcePagingResource")
    seen = []
    for page in (1, 2, 3):
        status, body = get(base + "/api/v3/history?page=%d&pageSize=20&sortKey=date&sortDirection=descending"
                           "&eventType=1&eventType=3" % page, state["api_key"])
        assert status == 200
        data = json.loads(body)
        check.validate(data)
        seen.extend(data["records"])
    assert len(seen) == data["totalRecords"] <= 60
    assert all(r["eventType"] in ("grabbed", "downloadFolderImported") for r in seen)
    dates = [r["date"] for r in seen]
    assert dates == sorted(dates, reverse=True)


def test_history_default_page_size_is_ten(double):
    kind, base, state, dummy = double
    data = json.loads(get(base + "/api/v3/history", state["api_key"])[1])
    assert data["pageSize"] == 10 and len(data["records"]) == min(10, data["totalRecords"])


def test_null_download_id_is_left_out(double):
    kind, base, state, dummy = double
    for rec in state["history"]:
        assert rec.get("downloadId", "x") is not None
    if kind == "radarr":
        assert any("downloadId" not in r for r in state["history"])


def test_queue_conforms(double):
    kind, base, state, dummy = double
    status, body = get(base + "/api/v3/queue?page=1&pageSize=1000", state["api_key"])
    assert status == 200
    validator(kind, "#/components/schemas/QueueResourcePagingResource").validate(json.loads(body))


def test_wrong_or_missing_key_is_401_with_empty_body(double):
    kind, base, state, dummy = double
    assert get(base + "/api/v3/history", "wrong") == (401, b"")
    assert get(base + "/api/v3/queue", None) == (401, b"")
    assert get(base + "/ping", None)[0] == 200


def test_download_id_filter_is_exact_and_case_sensitive(double):
    kind, base, state, dummy = double
    some = next(r["downloadId"] for r in state["history"] if len(r.get("downloadId", "")) == 40)
    upper = json.loads(get(base + "/api/v3/history?pageSize=100&downloadId=" + some, state["api_key"])[1])
    lower = json.loads(get(base + "/api/v3/history?pageSize=100&downloadId=" + some.lower(), state["api_key"])[1])
    assert upper["totalRecords"] >= 1 and lower["totalRecords"] == 0


def test_injected_fault_on_page_two(double):
    kind, base, state, path = double
    state["faults"] = {"history_page_status": {"2": 500}}
    time.sleep(0.01)
    path.write_text(json.dumps(state))
    assert get(base + "/api/v3/history?page=1", state["api_key"])[0] == 200
    assert get(base + "/api/v3/history?page=2", state["api_key"])[0] == 500


def test_history_since_conforms_and_is_inclusive(double):
    kind, base, state, dummy = double
    imports = sorted((r for r in state["history"] if r["eventType"] == "downloadFolderImported"),
                     key=lambda r: r["date"])
    middle = imports[len(imports) // 2]
    status, body = get(base + "/api/v3/history/since?date=%s&eventType=downloadFolderImported" % middle["date"],
                       state["api_key"])
    assert status == 200
    data = json.loads(body)
    validator(kind, "#/components/schemas/HistoryResource").validate(data[0])
    for record in data:
        validator(kind, "#/components/schemas/HistoryResource").validate(record)
    assert middle["id"] in [r["id"] for r in data]   # at or after the date
    assert all(r["eventType"] == "downloadFolderImported" and r["date"] >= middle["date"] for r in data)
    assert get(base + "/api/v3/history/since?date=2020-01-01T00:00:00Z", "wrong") == (401, b"")


def test_preflight_settings_conform(double):
    kind, base, state, path = double
    state = dict(state, **scenario.arr_settings(kind, "127.0.0.1", "/home/seeduser/downloads", "/mnt/media/_done",
                                                ["/mnt/media/movies"]))
    path.write_text(json.dumps(state))
    time.sleep(0.01)
    for url, ref in (("/api/v3/downloadclient", "DownloadClientResource"),
                     ("/api/v3/remotepathmapping", "RemotePathMappingResource"),
                     ("/api/v3/rootfolder", "RootFolderResource")):
        status, body = get(base + url, state["api_key"])
        assert status == 200
        items = json.loads(body)
        assert items, url
        for item in items:
            validator(kind, "#/components/schemas/" + ref).validate(item)
    status, body = get(base + "/api/v3/config/downloadclient", state["api_key"])
    assert status == 200
    config = json.loads(body)
    validator(kind, "#/components/schemas/DownloadClientConfigResource").validate(config)
    assert config["enableCompletedDownloadHandling"] is True
    assert get(base + "/api/v3/rootfolder", "wrong")[0] == 401


def send(method, url, key, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"X-Api-Key": key}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def set_state(path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    time.sleep(0.01)
    path.write_text(json.dumps(data))


def wait_command(base, key, command_id, kind):
    check = validator(kind, "#/components/schemas/CommandResource")
    for dummy in range(100):
        status, body = get(base + "/api/v3/command/%d" % command_id, key)
        assert status == 200
        command = json.loads(body)
        check.validate(command)
        if command["status"] not in ("queued", "started"):
            return command
        time.sleep(0.05)
    raise AssertionError("the command never ended")


def test_backup_command_conforms_and_lists_the_new_backup(double):
    kind, base, state, path = double
    key = state["api_key"]
    assert json.loads(get(base + "/api/v3/system/backup", key)[1]) == []
    status, body = send("POST", base + "/api/v3/command", key, {"name": "backup"})
    assert status == 201   # Created(id), with the command as queued
    queued = json.loads(body)
    validator(kind, "#/components/schemas/CommandResource").validate(queued)
    assert queued["status"] == "queued" and queued["name"] == "Backup" and queued["trigger"] == "manual"
    assert ("isTypeExclusive" in queued["body"]) == (kind == "radarr")   # Sonarr's Command has no such field
    done = wait_command(base, key, queued["id"], kind)
    assert done["status"] == "completed" and done["result"] == "successful" and "exception" not in done
    assert done["ended"] >= done["started"]
    status, body = get(base + "/api/v3/system/backup", key)
    assert status == 200
    [backup] = json.loads(body)
    validator(kind, "#/components/schemas/BackupResource").validate(backup)
    assert backup["type"] == "manual" and backup["name"].startswith("%s_backup_v" % kind)
    assert backup["path"] == "/backup/manual/" + backup["name"]
    # BackupController.GetBackupId: HashConverter.GetHashInt31 of "backup-manual-<name>"
    digest = hashlib.sha1(("backup-manual-" + backup["name"]).encode()).digest()
    assert backup["id"] == int.from_bytes(digest[:4], "little") & 0x7fffffff
    # the zip is behind the UI's authentication: the API key alone gets the login redirect
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(base + backup["path"], headers={"X-Api-Key": key})
    with pytest.raises(urllib.error.HTTPError) as err:
        opener.open(req)
    assert err.value.code == 302 and err.value.headers["Location"].startswith("/login")
    set_state(path, authentication_required="disabledForLocalAddresses")
    status, body = get(base + backup["path"], key)
    assert status == 200 and body[:4] == b"PK\x03\x04" and len(body) == backup["size"]
    status, body = get(base + "/api/v3/command", key)
    assert status == 200 and [c["id"] for c in json.loads(body)] == [queued["id"]]


def test_failing_backup_fails_the_command_and_lists_nothing(double):
    kind, base, state, path = double
    key = state["api_key"]
    set_state(path, faults={"backup_fail": "System.UnauthorizedAccessException: Backup folder "
                                           "/config/Backups/manual is not writable"})
    status, body = send("POST", base + "/api/v3/command", key, {"name": "Backup"})
    assert status == 201
    failed = wait_command(base, key, json.loads(body)["id"], kind)
    assert failed["status"] == "failed" and failed["message"] == "Failed" and failed["result"] == "unknown"
    assert failed["exception"].startswith("System.UnauthorizedAccessException: Backup folder")
    assert json.loads(get(base + "/api/v3/system/backup", key)[1]) == []


def test_command_refusals_and_unknown_ids(double):
    kind, base, state, dummy = double
    key = state["api_key"]
    assert send("POST", base + "/api/v3/command", key, {"name": ""})[0] == 400
    assert send("POST", base + "/api/v3/command", key, {"name": "NoSuchThing"})[0] == 500
    assert get(base + "/api/v3/command/999", key)[0] == 404
    assert send("POST", base + "/api/v3/command", "wrong", {"name": "Backup"}) == (401, b"")
    assert get(base + "/api/v3/system/backup", "wrong") == (401, b"")


def test_tag_delete_refuses_a_tag_in_use(double):
    kind, base, state, path = double
    key = state["api_key"]
    records = "movies" if kind == "radarr" else "series"
    set_state(path, tags=[{"id": 1, "label": "used"}, {"id": 2, "label": "free"}],
              **{records: [{"id": 1, "title": "A", "tags": [1]}]})
    status, body = send("DELETE", base + "/api/v3/tag/1", key)
    assert status == 409 and "still in use" in json.loads(body)["message"]
    assert send("DELETE", base + "/api/v3/tag/2", key) == (200, b"")
    assert send("DELETE", base + "/api/v3/tag/2", key)[0] == 404
    assert [t["label"] for t in json.loads(get(base + "/api/v3/tag", key)[1])] == ["used"]
