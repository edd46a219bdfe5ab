# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
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
        self.profiles, self.profile_reads = [], 0

    def quality_profiles(self):
        self.profile_reads += 1
        return self.profiles

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


# -- ages: the months compared are the months printed ----------------------------------------------------------
def test_730_days_before_is_24_months_and_reads_so():
    """25 Nov 2024 to 25 Nov 2026 is 730 days: 24 calendar months, printed as such next to the 24-month rule (it
    read '23 months ago (+0)' when days / 30.4375 was compared and printed rounded down)."""
    two_years = NOW - timedelta(days=730)
    assert ls.months_since(two_years, NOW) == 24 and ls.ago(two_years, NOW) == "2 years ago"
    watched = item(watched=True, last_played=two_years)
    assert ls.rule_last_watched(watched, NOW, OPTS) == (30, "last watched 2 years ago (+30)")
    day_less = item(watched=True, last_played=NOW - timedelta(days=729))
    assert ls.rule_last_watched(day_less, NOW, OPTS) == (0, "last watched 23 months ago (+0)")
    # the never-watched rule likewise: 6 months to the day, and a day short of it
    assert ls.rule_never_watched(item(added="2026-05-25T12:00:00Z"), NOW, OPTS) == \
        (50, "never watched by anyone, added 6 months ago (+50)")
    assert ls.rule_never_watched(item(added="2026-05-26T12:00:00Z"), NOW, OPTS) == \
        (0, "never watched by anyone, added 5 months ago (+0)")


@pytest.mark.parametrize("when,now,months", [
    ((2026, 1, 31), (2026, 2, 28), 1), ((2026, 1, 31), (2026, 2, 27), 0), ((2024, 2, 29), (2025, 2, 28), 12),
    ((2026, 11, 25), (2026, 11, 25), 0), ((2023, 12, 1), (2026, 11, 30), 35)])
def test_calendar_months(when, now, months):
    assert ls.months_since(datetime(*when, tzinfo=timezone.utc), datetime(*now, tzinfo=timezone.utc)) == months


@pytest.mark.parametrize("days,text", [(0.5, "today"), (1, "1 day ago"), (29, "29 days ago"), (45, "1 month ago"),
                                       (400, "13 months ago"), (3 * 365 + 40, "3 years 1 month ago")])
def test_ages_as_printed(days, text):
    assert ls.ago(NOW - timedelta(days=days), NOW) == text


def test_the_recent_protection_compares_and_prints_days():
    opts = ls.options({"min_age_days": 90})
    added = (NOW - timedelta(days=70)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ls.protect_recent(item(added=added), NOW, opts) == "added 70 days ago (< 90 days)"
    almost = (NOW - timedelta(days=29, hours=23)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ls.protect_recent(item(added=almost), NOW, OPTS) == "added 29 days ago (< 30 days)"
    assert ls.protect_recent(item(added=(NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")), NOW, OPTS) is None


# -- series ----------------------------------------------------------------------------------------------------
GIB = 1024 ** 3


def series(**kw):
    base = item(kind="series", added="2023-05-01T00:00:00Z", size=200 * GIB, rating=4.2, rating_source="Sonarr",
                ended=True, seasons_on_disk=3, resolution=1080, profile="HD-1080p")
    base.update(kw)
    return base


def test_a_never_watched_ended_badly_rated_200_gb_series_is_a_candidate():
    """The issue's series: at the plan's defaults every series used to top out at 70."""
    assert ls.score(series(), NOW, OPTS) == (88, False, (
        "never watched by anyone, added 3 years 6 months ago (+50); Sonarr 4.2 < 5.0 (+20); "
        "1080p series (quality profile HD-1080p) never watched (+8); 200.0 GB on disk (>= 100 GB) never watched (+10)"))
    # without a quality profile the size alone reaches the threshold, as a 2160p copy does for a film
    assert ls.score(series(resolution=None, profile=None), NOW, OPTS)[0] == 80
    # a small series that settles for 2160p does too
    assert ls.score(series(size=20 * GIB, resolution=2160, profile="Ultra-HD"), NOW, OPTS)[0] == 80


@pytest.mark.parametrize("change,expected", [
    ({"size": 20 * GIB}, 78),                                   # small: just under
    ({"size": 100 * GIB - 1}, 78),                              # a byte under 100 GB
    ({"size": 100 * GIB}, 88),
    ({"rating": 7.9}, 68),                                      # well rated
    ({"resolution": 480, "profile": "Any"}, 81),                # Sonarr's "Any" settles for 480p: +1
    ({"watched": True, "last_played": NOW - timedelta(days=30), "max_season": 3}, 20),   # someone watches it
    ({"watched": True, "last_played": NOW - timedelta(days=3 * 365 + 10), "max_season": 1},
     30 + 20 + 8 + 10 + 20),                                    # stale, nobody past S01, bad: capped below 100
    ({"in_jellyfin": False}, 20),                               # no watch data: only the rating speaks
    ({"keep": True}, 0), ({"favourite_of": {"alice"}}, 0), ({"in_queue": True}, 0),
])
def test_series_known_answers(change, expected):
    assert ls.score(series(**change), NOW, OPTS)[0] == expected


def test_series_rules_are_options():
    assert ls.score(series(), NOW, ls.options({"series_size_points": 0}))[0] == 78
    assert ls.score(series(size=150 * GIB), NOW, ls.options({"series_size_gb": 160}))[0] == 78
    assert ls.rule_series_size(series(size=150 * GIB), NOW, ls.options({"series_size_gb": 99.5})) == \
        (10, "150.0 GB on disk (>= 99.5 GB) never watched (+10)")
    # the size rule is the series': a film's size follows from its quality
    assert ls.rule_series_size(item(size=200 * GIB), NOW, OPTS) is None
    stale = series(watched=True, last_played=NOW - timedelta(days=3 * 365 + 10), max_season=4)
    assert ls.rule_series_size(stale, NOW, OPTS) == (10, "200.0 GB on disk (>= 100 GB) not watched since 3 years ago (+10)")


def test_what_a_quality_profile_settles_for():
    import arr_double
    defaults = dict((p["name"], p) for p in arr_double.default_quality_profiles())
    assert dict((name, ls.profile_resolution(p)) for name, p in defaults.items()) == {
        "Any": 480, "SD": 480, "HD-720p": 720, "HD-1080p": 1080, "Ultra-HD": 2160, "HD - 720p/1080p": 720}
    # upgrades on: the cutoff, a quality (Bluray-2160p, 19) or a group (WEB 1080p holds WEBDL-1080p, 3)
    upgrades = arr_double.quality_profile(7, "x", 19, (4, 9, 19), upgrade_allowed=True)
    assert ls.profile_resolution(upgrades) == 2160
    group = arr_double.quality_profile(8, "y", 3, (4, 14, 5, 15, 3, 7), upgrade_allowed=True)
    assert group["cutoff"] >= 1000 and ls.profile_resolution(group) == 1080
    assert ls.profile_resolution(dict(group, upgradeAllowed=False)) == 720   # the lowest it allows
    assert ls.profile_resolution(dict(group, cutoff=555)) is None
    assert ls.profile_resolution({"items": [], "upgradeAllowed": False}) is None
    assert ls.profile_resolution(None) is None


def test_series_items_from_sonarr_records_and_their_profiles():
    import arr_double
    import library_corpus
    state = library_corpus.build(NOW)["sonarr"]
    sonarr = FakeArr("sonarr", "sonarr", state["series"], tags={"anime": 1})
    sonarr.profiles = state["quality_profiles"]
    items, dummy, stats = library_run.read_arr([sonarr, FakeArr("radarr", "radarr", [], tags={"keep": 1})], "keep")
    assert sonarr.profile_reads == 1   # one request, whatever the number of series
    by_title = dict((it["title"], it) for it in items)
    night = by_title["Night Shift Zero"]
    assert (night["resolution"], night["profile"], night["quality"]) == (1080, "HD-1080p", "quality profile HD-1080p")
    assert (night["rating"], night["rating_source"], round(night["size"] / GIB, 2)) == (4.2, "Sonarr", 200.0)
    assert night["size"] == state["series"][3]["statistics"]["sizeOnDisk"]
    assert by_title["Quiet Acres"]["resolution"] == 1080 and by_title["Harbour Lights"]["resolution"] == 2160
    row = library_run.row(dict(night, score=88, protected=False, reason="x"))
    assert row["rating_source"] == "Sonarr" and row["quality"] == "quality profile HD-1080p"
    assert len(arr_double.default_quality_profiles()) == 6


def test_the_report_names_the_rating_and_its_source_and_reads_back(tmp_path):
    """'IMDB Rating' held Sonarr's rating for series: the columns are now Rating and Rating Source; arr_tag
    reads the new report back by instance and id (older reports, with 'IMDB Rating', in test_tag_plan)."""
    import csv
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import normalise, read_csv
    show = series(instance="sonarr", id=4, title="Night Shift Zero", year=2015, tmdb=None, tvdb="900004",
                  imdb="tt9900004", quality="quality profile HD-1080p", score=88, protected=False, reason="r")
    film = item(instance="radarr", id=1, title="Dune", year=1984, tmdb="841", tvdb=None, imdb="tt0087182",
                quality="Bluray-2160p", size=60 * GIB, rating=4.1, rating_source="IMDb", score=80, protected=False,
                reason="r")
    text = library_run.csv_text([show, film])
    lines = list(csv.DictReader(text.splitlines()))
    assert "IMDB Rating" not in lines[0] and [(l["Rating"], l["Rating Source"]) for l in lines] == \
        [("4.2", "Sonarr"), ("4.1", "IMDb")]
    path = tmp_path / "report.csv"
    path.write_text(text)
    back = normalise(read_csv(str(path)), str(path))
    assert [(r["instance"], r["id"], r["score"], r["tvdb_id"], r["tmdb_id"]) for r in back] == \
        [("sonarr", 4, 88.0, "900004", None), ("radarr", 1, 80.0, None, "841")]
