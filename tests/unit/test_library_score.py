"""The library score: pure rules, unknown dates, protections (no services)."""
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import library_run
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import library_score as ls

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
OPTS = ls.options()


def item(**kw):
    base = {"kind": "movie", "in_jellyfin": True, "added": "2025-09-01T00:00:00Z", "tags": [], "keep": False,
            "in_queue": False, "rating": None, "rating_source": None, "resolution": None}
    base.update(kw)
    return base


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00.0000000Z", "-999999999-01-01T00:00:00Z", "1899-12-31T00:00:00Z",
                                  "2099-01-01T00:00:00Z", "yesterday", "", None, 20240101, "2024-13-40T00:00:00Z"])
def test_unknown_dates(text):
    assert ls.parse_date(text, NOW) is None


def test_dates_that_are_known():
    assert ls.parse_date("2024-01-02T03:04:05.1234567Z", NOW) == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert ls.parse_date("2024-01-02T03:04:05+02:00", NOW) == datetime(2024, 1, 2, 1, 4, 5, tzinfo=timezone.utc)
    assert ls.parse_date("1900-01-01", NOW).year == 1900


def test_never_watched_needs_a_known_old_added_date():
    assert ls.rule_never_watched(item(), NOW, OPTS) == (50, "never watched by anyone, added 14 months ago (+50)")
    assert ls.rule_never_watched(item(added="0001-01-01T00:00:00Z"), NOW, OPTS) == \
        (0, "never watched by anyone, added date unknown (+0)")
    assert ls.rule_never_watched(item(added="2026-10-01T00:00:00Z"), NOW, OPTS)[0] == 0
    assert ls.rule_never_watched(item(in_jellyfin=False), NOW, OPTS) == (0, "not in Jellyfin, watch data unknown (+0)")
    assert ls.rule_never_watched(item(watched=True, played_dates_unknown=1), NOW, OPTS) is None


def test_last_watched_and_unknown_play_dates():
    old = item(watched=True, last_played=NOW - timedelta(days=3 * 365 + 10))
    assert ls.rule_last_watched(old, NOW, OPTS) == (30, "last watched 3 years ago (+30)")
    recent = item(watched=True, last_played=NOW - timedelta(days=60))
    assert ls.rule_last_watched(recent, NOW, OPTS)[0] == 0
    # a sentinel play date: watched, but when is unknown - no points, and certainly not "never watched"
    sentinel = item(watched=True, played_dates_unknown=1, last_played=None)
    assert ls.score(sentinel, NOW, OPTS) == (0, False, "watched, date unknown (+0)")


def test_rating_and_quality_rules():
    assert ls.rule_low_rating(item(rating=4.1, rating_source="IMDb"), NOW, OPTS) == (20, "IMDb 4.1 < 5.0 (+20)")
    assert ls.rule_low_rating(item(rating=0.0), NOW, OPTS) is None
    assert ls.rule_low_rating(item(rating=None), NOW, OPTS) is None
    assert ls.rule_quality(item(resolution=2160), NOW, OPTS) == (10, "2160p copy never watched (+10)")
    assert ls.rule_quality(item(resolution=1080), NOW, OPTS)[0] == 8
    assert ls.rule_quality(item(resolution=576), NOW, OPTS) is None   # no weight for it
    assert ls.rule_quality(item(resolution=2160, watched=True, last_played=NOW - timedelta(days=9)), NOW, OPTS) is None


def test_ended_series_watched_only_in_season_one():
    show = item(kind="series", ended=True, seasons_on_disk=4, watched=True, max_season=1,
                last_played=NOW - timedelta(days=90))
    assert ls.rule_ended_series(show, NOW, OPTS) == (20, "ended series, nobody watched past S01 (+20)")
    assert ls.rule_ended_series(dict(show, max_season=2), NOW, OPTS) is None
    assert ls.rule_ended_series(dict(show, ended=False), NOW, OPTS) is None
    assert ls.rule_ended_series(dict(show, seasons_on_disk=1), NOW, OPTS) is None


@pytest.mark.parametrize("extra,why", [({"keep": True}, "keep tag 'keep'"),
                                       ({"favourite_of": {"bob"}}, "favourite of bob"),
                                       ({"added": "2026-11-24T12:00:00Z"}, "added 1 day ago (< 30 days)"),
                                       ({"in_queue": True}, "in the download queue")])
def test_protections_win(extra, why):
    worst = item(rating=1.0, rating_source="IMDb", resolution=2160, **extra)
    assert ls.score(worst, NOW, OPTS) == (0, True, "protected: " + why)


def test_score_sums_and_caps():
    assert ls.score(item(rating=4.1, rating_source="IMDb", resolution=2160), NOW, OPTS)[0] == 80
    assert ls.score(item(), NOW, ls.options({"never_watched_points": 150}))[0] == 100
    assert ls.score(item(indexer_releases=0), NOW, OPTS)[0] == 30


class FakeArr:
    def __init__(self, name, kind, records, tags=None, queue=()):
        self.name, self.kind, self.records, self._tags, self._queue = name, kind, records, tags or {}, list(queue)

    def tags(self):
        return self._tags

    def queue(self):
        return self._queue, 1

    def library(self):
        return self.records


def test_join_is_by_provider_ids_never_by_title():
    radarr = FakeArr("radarr", "radarr", [
        {"id": 1, "title": "Dune", "year": 1984, "tmdbId": 841, "imdbId": "tt0087182", "sizeOnDisk": 5},
        {"id": 2, "title": "Dune", "year": 2021, "tmdbId": 438631, "imdbId": "tt1160419", "sizeOnDisk": 5},
        {"id": 3, "title": "Gigli", "tmdbId": 8046, "imdbId": "tt0299930", "sizeOnDisk": 5},
        {"id": 4, "title": "Empty", "tmdbId": 9, "sizeOnDisk": 0}], tags={"keep": 9})
    items, index, stats = library_run.read_arr([radarr], "keep")
    assert stats["without_file"] == 1 and len(items) == 3
    fold = library_run.WatchFold(items, index, NOW)
    fold.titles([{"Type": "Movie", "Id": "a", "Name": "Dune", "ProviderIds": {"Tmdb": "438631"}},
                 {"Type": "Movie", "Id": "b", "Name": "Dune", "ProviderIds": {"Tmdb": "841"}},
                 {"Type": "Movie", "Id": "c", "Name": "Gigli", "ProviderIds": {"imdb": "TT0299930"}},
                 {"Type": "Movie", "Id": "d", "Name": "Dune", "ProviderIds": {}}])
    fold.played([{"Type": "Movie", "Id": "a", "UserData": {"Played": True, "LastPlayedDate": "2026-10-01T00:00:00Z"}},
                 {"Type": "Movie", "Id": "zz", "UserData": {"Played": True}}], "alice")
    by_year = dict((it["year"], it) for it in items if it["title"] == "Dune")
    assert by_year[2021]["watchers"] == {"alice"} and "watchers" not in by_year[1984]
    assert by_year[1984]["in_jellyfin"] and items[2]["in_jellyfin"]
    assert fold.stats["unmatched"] == 1 and fold.stats["unmatched_user_items"] == 1


def test_a_keep_tag_that_exists_in_no_instance_stops_the_analysis():
    """keep_tag 'kept' (meant: keep) would protect nothing: the analysis fails and names the instances' tags."""
    radarr = FakeArr("radarr", "radarr", [], tags={"keep": 1})
    with pytest.raises(library_run.AnalysisError, match="keep_tag 'kept' exists in no instance"):
        library_run.read_arr([radarr], "kept")
    assert library_run.read_arr([radarr], "KEEP")[2]["instances"]["radarr"]["items"] == 0
