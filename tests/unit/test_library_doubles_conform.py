# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The doubles library_analyze and arr_tag talk to answer as the real services do: Radarr/Sonarr answers and the
requests the collection sends are validated against the official OpenAPI documents; Jellyfin and Prowlarr
answers have their real shapes."""
import json
import os
import threading

import pytest
from openapi_schema_validator import OAS30Validator

import arr_double
import jellyfin_double
import library_corpus
import prowlarr_double
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient, ArrError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinClient
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.prowlarr import ProwlarrClient, ProwlarrError

# the official OpenAPI documents (tests/specs/README.md)
SPECS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "specs")

FILES = {"radarr": "radarr-v3-openapi.json", "sonarr": "sonarr-v4-openapi.json"}
KEYS = {"radarr": library_corpus.RADARR_KEY, "sonarr": library_corpus.SONARR_KEY}


def validator(kind, ref):
    with open(os.path.join(SPECS, FILES[kind])) as handle:
        spec = json.load(handle)
    return OAS30Validator({"$ref": ref, "components": spec["components"]})


def serve(module, state, tmp_path, name):
    path = tmp_path / ("%s.json" % name)
    path.write_text(json.dumps(state))
    server = module.serve(str(path), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_port, path


@pytest.fixture(params=["radarr", "sonarr"])
def arr(request, tmp_path):
    arr_double._cache.update(mtime=None, state=None)
    state = library_corpus.build()[request.param]
    server, url, path = serve(arr_double, state, tmp_path, request.param)
    client = ArrClient(request.param, request.param, url, KEYS[request.param])
    yield request.param, client, server, path
    client.close()
    server.shutdown()


def test_library_tags_queue_and_profiles_conform(arr):
    kind, client, server, path = arr
    resource = "#/components/schemas/MovieResource" if kind == "radarr" else "#/components/schemas/SeriesResource"
    records = client.library()
    assert records and all(validator(kind, resource).validate(r) is None for r in records)
    raw = client.get("/api/v3/tag")
    for tag in raw:
        validator(kind, "#/components/schemas/TagResource").validate(tag)
    validator(kind, "#/components/schemas/QueueResourcePagingResource").validate(
        client.get("/api/v3/queue", {"page": 1, "pageSize": 100}))
    if kind == "sonarr":
        # the corpus' own profiles, and Sonarr's six defaults the double answers when a state names none
        profiles = client.quality_profiles()
        arr_double._cache.update(mtime=None, state=None)
        state = json.loads(path.read_text())
        state.pop("quality_profiles")
        path.write_text(json.dumps(state))
        defaults = client.quality_profiles()
        assert [p["name"] for p in defaults] == ["Any", "SD", "HD-720p", "HD-1080p", "Ultra-HD", "HD - 720p/1080p"]
        for profile in profiles + defaults:
            validator(kind, "#/components/schemas/QualityProfileResource").validate(profile)
        assert all("id" not in item for p in defaults for item in p["items"] if not item["items"])


def test_tag_creation_answers_201_and_never_doubles_a_label(arr):
    kind, client, server, dummy = arr
    first = client.create_tag("deletion-candidate-80")
    assert client.create_tag("deletion-candidate-80") == first
    assert list(client.tags()).count("deletion-candidate-80") == 1
    validator(kind, "#/components/schemas/TagResource").validate({"id": first, "label": "deletion-candidate-80"})
    with pytest.raises(ArrError, match="HTTP 400"):
        client.create_tag("Deletion Candidate")


def test_editor_requests_conform_and_change_only_tags(arr):
    kind, client, server, path = arr
    before = json.loads(path.read_text())
    key = "movies" if kind == "radarr" else "series"
    ids = [r["id"] for r in before[key]][:2]
    client.edit_tags(ids, 5, "add")
    client.edit_tags(ids[:1], 5, "remove")
    editor = "#/components/schemas/MovieEditorResource" if kind == "radarr" else "#/components/schemas/SeriesEditorResource"
    assert len(server.writes) == 2
    for write in server.writes:
        validator(kind, editor).validate(write["body"])
        assert set(write["body"]) == {"movieIds" if kind == "radarr" else "seriesIds", "tags", "applyTags"}
    after = json.loads(path.read_text())
    for old, new in zip(before[key], after[key]):
        assert dict(old, tags=None) == dict(new, tags=None)
    tags = dict((r["id"], r["tags"]) for r in after[key])
    assert 5 not in tags[ids[0]] and 5 in tags[ids[1]]


def test_wrong_key_is_401(arr):
    kind, client, server, dummy = arr
    other = ArrClient(kind, kind, client.http.describe(), "wrong")
    with pytest.raises(ArrError, match="wrong API key"):
        other.library()
    other.close()


@pytest.fixture
def jellyfin(tmp_path):
    jellyfin_double._library_cache.update(mtime=None, state=None, types={})
    state = library_corpus.build()["jellyfin"]
    server, url, dummy = serve(jellyfin_double, state, tmp_path, "jellyfin")
    client = JellyfinClient(url, library_corpus.JELLYFIN_KEY)
    yield client, state
    client.close()
    server.shutdown()


def test_jellyfin_users_and_paged_items_have_jellyfins_shapes(jellyfin):
    client, state = jellyfin
    users = client.users()
    assert [name for dummy, name in users] == ["alice", "bob"]
    assert all(len(uid) == 32 and uid == uid.lower() for uid, dummy in users)
    pages = list(client.items(None, ("Movie", "Series"), page_size=5))
    assert [len(p) for p in pages] == [5, 5, 5, 1]   # 10 movies, 6 series
    for item in (i for p in pages for i in p):
        assert "UserData" not in item and isinstance(item["ProviderIds"], dict)
        assert set(item) >= {"Name", "Id", "Type", "ServerId"}
    alice = library_corpus.ALICE
    played = [i for p in client.items(alice, ("Movie", "Episode"), page_size=2, fields=(), filters="IsPlayed")
              for i in p]
    assert len(played) == 5 and all(i["UserData"]["Played"] for i in played)
    assert all("ProviderIds" not in i for i in played)
    data = played[0]["UserData"]
    assert set(data) >= {"PlaybackPositionTicks", "PlayCount", "IsFavorite", "Played", "Key", "ItemId"}
    unplayed = client._json("/Items", {"userId": alice, "IncludeItemTypes": "Movie", "Recursive": "true"}, "x")
    assert set(unplayed) == {"Items", "TotalRecordCount", "StartIndex"}
    assert all("LastPlayedDate" not in i["UserData"] for i in unplayed["Items"] if not i["UserData"]["Played"])


def test_prowlarr_search_shapes_and_pacing(tmp_path):
    state = library_corpus.build()["prowlarr"]
    server, url, dummy = serve(prowlarr_double, state, tmp_path, "prowlarr")
    sleeps = []
    clock = [100.0]
    client = ProwlarrClient(url, library_corpus.PROWLARR_KEY, min_interval=2.0, clock=lambda: clock[0],
                            sleep=sleeps.append)
    try:
        releases = client.search("movie", {"imdb": "tt0087182", "tmdb": "841"})
        assert len(releases) == 3
        for release in releases:
            assert set(release) >= {"guid", "age", "size", "indexerId", "indexer", "title", "imdbId",
                                    "publishDate", "categories", "protocol", "fileName"}
            assert release["protocol"] in ("torrent", "usenet")
        clock[0] += 0.5
        assert client.search("series", {"tvdb": "73739"}) == []
        assert sleeps == [1.5]
        bad = ProwlarrClient(url, "wrong")
        with pytest.raises(ProwlarrError, match="wrong API key"):
            bad.search("movie", {"imdb": "tt1"})
        with open(os.path.join(str(tmp_path), "prowlarr.requests.jsonl")) as handle:
            log = [json.loads(line) for line in handle]
        expected = [("movie", {"imdbid": "tt0087182"}), ("tvsearch", {"tvdbid": "73739"})]
        assert [(e["type"], e["ids"]) for e in log[:2]] == expected
    finally:
        client.close()
        server.shutdown()
