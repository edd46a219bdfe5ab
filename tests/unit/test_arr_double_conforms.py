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
