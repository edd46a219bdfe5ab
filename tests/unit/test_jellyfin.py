# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jellyfin client against the double, path mapping, refresh planning and the import checkpoint."""
import json
import threading
import urllib.error
import urllib.request

import pytest

import jellyfin_double
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_feed import advance, new_records
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import (
    JellyfinClient, JellyfinError, import_folder, map_path, plan_refresh)

KEY = "0123456789abcdef0123456789abcdef"
LIBS = [("Movies", ["/media/movies"]), ("Shows", ["/media/series/"])]


@pytest.fixture
def jellyfin(tmp_path):
    state = tmp_path / "jellyfin.json"
    state.write_text(json.dumps({"api_key": KEY, "libraries": [
        {"Name": "Movies", "Locations": ["/media/movies"]}]}))
    server = jellyfin_double.serve(str(state), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_port, tmp_path / "jellyfin.requests.jsonl"
    server.shutdown()


def raw(url, headers=None, data=None):
    req = urllib.request.Request(url, headers=headers or {}, data=data, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_double_takes_the_mediabrowser_header_and_refuses_the_legacy_ones(jellyfin):
    base, dummy = jellyfin
    assert raw(base + "/Library/VirtualFolders", {"Authorization": 'MediaBrowser Token="%s"' % KEY}) == 200
    assert raw(base + "/Library/VirtualFolders", {"X-Emby-Token": KEY}) == 401
    assert raw(base + "/Library/VirtualFolders?api_key=" + KEY) == 401
    assert raw(base + "/Library/VirtualFolders?ApiKey=" + KEY) == 200
    assert raw(base + "/Library/Media/Updated", {"Authorization": 'MediaBrowser Token="%s"' % KEY},
               data=b'{"Updates": []}') == 415   # no JSON content type


def test_client_reads_libraries_and_sends_one_json_request(jellyfin):
    base, log = jellyfin
    client = JellyfinClient(base, KEY)
    assert client.libraries() == [("Movies", ["/media/movies"])]
    client.media_updated(["/media/movies/A (2000)", "/media/movies/B (2001)"])
    client.refresh_all()
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["path"] for r in sent] == ["/Library/VirtualFolders", "/Library/Media/Updated", "/Library/Refresh"]
    assert sent[1]["body"] == {"Updates": [{"Path": "/media/movies/A (2000)", "UpdateType": "Created"},
                                           {"Path": "/media/movies/B (2001)", "UpdateType": "Created"}]}
    with pytest.raises(JellyfinError, match="wrong API key for jellyfin"):
        JellyfinClient(base, "f" * 32).libraries()
    with pytest.raises(JellyfinError, match="quote"):
        JellyfinClient(base, 'abc" X-Injected: 1')


@pytest.mark.parametrize("path,expected", [
    ("/mnt/media/movies/X (2020)", "/media/movies/X (2020)"),
    ("/mnt/media/kids/Y", "/kids/Y"),            # the longer prefix wins
    ("/mnt/media", "/media"),
    ("/mnt/mediaX/Z", "/mnt/mediaX/Z"),          # whole path components only
    ("/srv/other/Z", "/srv/other/Z"),            # no mapping: unchanged
    ("/mnt/media/movies/../secret", "/media/secret"),
])
def test_map_path(path, expected):
    assert map_path(path, [{"from": "/mnt/media", "to": "/media"}, {"from": "/mnt/media/kids/", "to": "/kids"}]) == expected


def test_plan_refresh():
    assert plan_refresh([], LIBS)["mode"] == "none"
    plan = plan_refresh(["/media/movies/B", "/media/movies/A", "/media/movies/A", "/media/series/S/Season 1"], LIBS)
    assert plan == {"mode": "targeted", "paths": ["/media/movies/A", "/media/movies/B", "/media/series/S/Season 1"],
                    "outside": [], "reason": "3 folders"}
    plan = plan_refresh(["/media/movies/A", "/media/moviesX/B"], LIBS)
    assert plan["mode"] == "full" and plan["outside"] == ["/media/moviesX/B"]
    assert plan_refresh([], LIBS, unknown=1)["mode"] == "full"
    assert plan_refresh(["/media/movies/A"], LIBS, mode="full")["mode"] == "full"


def test_import_folder():
    assert import_folder({"data": {"importedPath": "/mnt/media/movies/X (2020)/X.mkv"}}) == "/mnt/media/movies/X (2020)"
    assert import_folder({"data": {}}) is None
    assert import_folder({}) is None
    assert import_folder({"data": {"importedPath": "relative/x.mkv"}}) is None


def rec(rec_id, date):
    return {"id": rec_id, "date": date}


def test_checkpoint_misses_nothing_and_repeats_nothing():
    first = [rec(1, "2026-11-23T10:00:00Z"), rec(2, "2026-11-23T11:00:00.1234567Z"), rec(3, "2026-11-23T11:00:00.1234567Z")]
    assert [r["id"] for r in new_records(first, None)] == [1, 2, 3]
    entry = advance(None, first)
    assert entry == {"date": "2026-11-23T11:00:00.1234567Z", "ids": [2, 3]}
    # the feed is inclusive: it returns 2 and 3 again, plus 4 at the same date and 5 later
    second = first[1:] + [rec(4, "2026-11-23T11:00:00.1234567Z"), rec(5, "2026-11-23T12:00:00Z")]
    assert [r["id"] for r in new_records(second, entry)] == [4, 5]
    entry = advance(entry, second)
    assert entry == {"date": "2026-11-23T12:00:00Z", "ids": [5]}
    assert new_records([rec(5, "2026-11-23T12:00:00Z")], entry) == []
    assert advance(entry, []) == entry
