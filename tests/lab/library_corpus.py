# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A library whose right answer is known, for library_analyze and arr_tag (Radarr, Sonarr, Jellyfin, Prowlarr).

Two Jellyfin users, alice and bob. What each movie is there for (EXPECTED holds the scores with the default
options; dates are relative to the moment the corpus is built):

  Dune (1984)        never watched, 14 months, 2160p, IMDb 4.1         -> 80: never (+50), rating (+20), 2160p (+10)
  Dune (2021)        same title, alice watched it 2 months ago          -> 0   (joined by TMDb id, never by title)
  Waterworld         only bob watched it, last month; IMDb 4.5, 2160p   -> 20  (alice's "unwatched" does not count)
  Battlefield Earth  alice Played with LastPlayedDate 0001-01-01 (sentinel), bob in 2099 (future) -> 20 (unknown
                     dates never add points: not "never watched", not "last watched 2025 years ago")
  Plan 9             never added to Jellyfin                            -> 20  (watch data unknown: +0)
  Gigli              Jellyfin has only its IMDb id (Radarr has TMDb + IMDb) -> 80, joined by IMDb; no release
                     on the indexers -> 60 with Prowlarr
  Heat               would be 80, has the keep tag                      -> protected
  Hook               would be 80, bob's favourite                       -> protected
  The Nun II         would be 80, added yesterday                       -> protected
  Morbius            would be 80, in Radarr's queue                     -> protected
  Missing Film       no file                                            -> not in the analysis

Series (Sonarr's rating; quality from the series' quality profile, see arr_double's default profiles):

  Night Shift Zero   ended, never watched, 30 months, 200 GB, rating 4.2, HD-1080p -> 88: never (+50),
                     rating (+20), 1080p profile (+8), >= 100 GB (+10): a candidate
  The Event          ended, never watched, 2 years, 20 GB, rating 4.5, HD-1080p  -> 78: the same but small,
                     just under the threshold
  Quiet Acres        continuing, never watched, 150 GB, rating 7.9, its own profile that upgrades to the
                     WEB 1080p group (it allows 720p)                            -> 68: never, 1080p, size
  Lost               ended, six seasons, 120 GB, alice watched only S01 three years ago -> 68: last watched
                     (+30), nobody past S01 (+20), 1080p (+8), size (+10)
  Andor              bob watched S02 last month                                  -> 0
  Harbour Lights     would be 90 (never watched, 250 GB, rating 4.0, Ultra-HD), alice's favourite series
                                                                                 -> protected
Jellyfin also has a home video with no provider ids (unmatched). Dates are whole calendar months back, as the
score counts them.
"""
import datetime
import hashlib

import arr_double

GIB = 1024 ** 3
RADARR_KEY = "a" * 32
SONARR_KEY = "b" * 32
JELLYFIN_KEY = hashlib.md5(b"jellyfin-library").hexdigest()
PROWLARR_KEY = "c" * 32
USERS = [{"Name": "alice", "Id": "1a2b3c4d5e6f40718293a4b5c6d7e8f9"},
         {"Name": "bob", "Id": "9f8e7d6c5b4a43218079f6e5d4c3b2a1"}]
ALICE, BOB = USERS[0]["Id"], USERS[1]["Id"]

EXPECTED = {"Dune (1984)": 80, "Dune (2021)": 0, "Waterworld": 20, "Battlefield Earth": 20, "Plan 9": 20,
            "Gigli": 80, "Heat": 0, "Hook": 0, "The Nun II": 0, "Morbius": 0, "Lost": 68, "Andor": 0,
            "The Event": 78, "Night Shift Zero": 88, "Quiet Acres": 68, "Harbour Lights": 0}
PROTECTED = {"Heat": "keep tag 'keep'", "Hook": "favourite of bob", "The Nun II": "added 1 day ago",
             "Morbius": "in the download queue", "Harbour Lights": "favourite of alice"}
# Sonarr's quality profiles: its six defaults (ids 1-6; 4 is HD-1080p, 5 Ultra-HD) and one that upgrades
HD_1080P, ULTRA_HD, UPGRADES = 4, 5, 7
QUALITY_PROFILES = arr_double.default_quality_profiles() + [
    arr_double.quality_profile(UPGRADES, "HD upgrades", 3, (4, 14, 5, 6, 15, 3, 7), upgrade_allowed=True)]


def months_before(moment, months):
    """``moment`` whole calendar months back (the day clamped to the month's last), as the score counts."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    following = datetime.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=moment.tzinfo)
    return moment.replace(year=year, month=month,
                          day=min(moment.day, (following - datetime.timedelta(days=1)).day))


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def jf_date(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def quality(name, resolution, source="bluray"):
    return {"quality": {"id": 19 if resolution == 2160 else 7, "name": name, "source": source,
                        "resolution": resolution, "modifier": "none"},
            "revision": {"version": 1, "real": 0, "isRepack": False}}


def movie(mid, title, year, tmdb, imdb, added, size_gb, resolution, rating, tags=(), has_file=True):
    size = int(size_gb * GIB) if has_file else 0
    record = {"id": mid, "title": title, "originalTitle": title, "sortTitle": title.lower(), "year": year,
              "tmdbId": tmdb, "imdbId": imdb, "added": iso(added), "tags": list(tags), "hasFile": has_file,
              "sizeOnDisk": size, "monitored": True, "status": "released", "isAvailable": True,
              "path": "/mnt/media/movies/%s (%d)" % (title, year), "qualityProfileId": 1, "runtime": 120,
              "titleSlug": "%s-%d" % (title.lower().replace(" ", "-"), tmdb), "genres": [],
              "ratings": {"imdb": {"votes": 1000, "value": rating, "type": "user"},
                          "tmdb": {"votes": 500, "value": rating + 0.5, "type": "user"}}}
    if has_file:
        name = "Bluray-%dp" % resolution
        record["movieFileId"] = mid + 100
        record["movieFile"] = {"id": mid + 100, "movieId": mid, "relativePath": "%s (%d) %s.mkv" % (title, year, name),
                               "path": "/mnt/media/movies/%s (%d)/%s (%d) %s.mkv" % (title, year, title, year, name),
                               "size": size, "dateAdded": iso(added), "quality": quality(name, resolution),
                               "languages": [{"id": 1, "name": "English"}]}
    return record


def series(sid, title, year, tvdb, imdb, added, seasons, size_gb, rating, status="ended", tags=(), profile=1):
    per = int(size_gb * GIB / max(1, seasons))
    return {"id": sid, "title": title, "sortTitle": title.lower(), "status": status, "ended": status == "ended",
            "year": year, "tvdbId": tvdb, "imdbId": imdb, "tmdbId": 0, "added": iso(added), "tags": list(tags),
            "monitored": True, "qualityProfileId": profile, "seasonFolder": True, "seriesType": "standard",
            "path": "/mnt/media/series/%s (%d)" % (title, year), "titleSlug": title.lower().replace(" ", "-"),
            "ratings": {"votes": 900, "value": rating},
            "seasons": [{"seasonNumber": n, "monitored": True, "statistics": {
                "episodeFileCount": 10 if n else 0, "episodeCount": 10 if n else 0, "totalEpisodeCount": 10,
                "sizeOnDisk": per if n else 0, "releaseGroups": [], "percentOfEpisodes": 100.0}}
                for n in range(0, seasons + 1)],
            "statistics": {"seasonCount": seasons, "episodeFileCount": 10 * seasons, "episodeCount": 10 * seasons,
                           "totalEpisodeCount": 10 * seasons, "sizeOnDisk": per * seasons, "releaseGroups": [],
                           "percentOfEpisodes": 100.0}}


def _id(text):
    return hashlib.md5(text.encode()).hexdigest()


def jf_movie(title, year, providers):
    return {"Name": title, "Id": _id("movie:%s:%d" % (title, year)), "Type": "Movie", "IsFolder": False,
            "ProductionYear": year, "MediaType": "Video", "LocationType": "FileSystem", "ProviderIds": providers}


def jf_series(title, year, providers):
    return {"Name": title, "Id": _id("series:%s" % title), "Type": "Series", "IsFolder": True,
            "ProductionYear": year, "LocationType": "FileSystem", "ProviderIds": providers}


def jf_episode(show, season, number):
    return {"Name": "Episode %d" % number, "Id": _id("ep:%s:%d:%d" % (show["Name"], season, number)),
            "Type": "Episode", "IsFolder": False, "MediaType": "Video", "LocationType": "FileSystem",
            "SeriesId": show["Id"], "SeriesName": show["Name"], "SeasonId": _id("season:%s:%d" % (show["Name"], season)),
            "ParentIndexNumber": season, "IndexNumber": number, "ProviderIds": {"Tvdb": str(1000 * season + number)}}


def played(moment, count=1, played_flag=True):
    data = {"Played": played_flag, "PlayCount": count}
    if moment is not None:
        data["LastPlayedDate"] = moment if isinstance(moment, str) else jf_date(moment)
    return data


def build(now=None):
    """States for the four doubles: {"radarr", "sonarr", "jellyfin", "prowlarr"}."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    days = datetime.timedelta(days=1)
    month = days * 30.44

    def ago(months):
        return months_before(now, months)
    movies = [
        movie(1, "Dune", 1984, 841, "tt0087182", ago(14), 60, 2160, 4.1),
        movie(2, "Dune", 2021, 438631, "tt1160419", ago(14), 70, 2160, 8.0),
        movie(3, "Waterworld", 1995, 9804, "tt0114898", ago(20), 50, 2160, 4.5),
        movie(4, "Battlefield Earth", 2000, 5491, "tt0185183", ago(24), 40, 2160, 2.5),
        movie(5, "Plan 9 from Outer Space", 1957, 10513, "tt0052077", ago(36), 8, 1080, 3.9),
        movie(6, "Gigli", 2003, 8046, "tt0299930", ago(24), 45, 2160, 2.6),
        movie(7, "Heat", 1995, 949, "tt0113277", ago(24), 65, 2160, 4.0, tags=[1]),
        movie(8, "Hook", 1991, 879, "tt0102057", ago(24), 55, 2160, 3.0),
        movie(9, "The Nun II", 2023, 968051, "tt10160976", now - days, 30, 2160, 3.0),
        movie(10, "Morbius", 2022, 526896, "tt5108870", ago(12), 35, 2160, 4.0),
        movie(11, "Missing Film", 2020, 1, "tt0000001", ago(12), 0, 1080, 3.0, has_file=False),
    ]
    shows = [
        series(1, "Lost", 2004, 73739, "tt0411008", ago(40), 6, 120, 8.3, profile=HD_1080P),
        series(2, "Andor", 2022, 393189, "tt9253284", ago(20), 2, 60, 8.4, status="ended", profile=HD_1080P),
        series(3, "The Event", 2010, 154021, "tt1582459", ago(24), 1, 20, 4.5, profile=HD_1080P),
        # made-up titles and ids from here on
        series(4, "Night Shift Zero", 2015, 900004, "tt9900004", ago(30), 3, 200, 4.2, profile=HD_1080P),
        series(5, "Quiet Acres", 2021, 900005, "tt9900005", ago(18), 2, 150, 7.9, status="continuing",
               profile=UPGRADES),
        series(6, "Harbour Lights", 2012, 900006, "tt9900006", ago(30), 4, 250, 4.0, profile=ULTRA_HD),
    ]
    queue = [{"id": 5001, "movieId": 10, "title": "Morbius.2022.2160p.REPACK", "status": "downloading",
              "trackedDownloadStatus": "ok", "trackedDownloadState": "downloading", "statusMessages": [],
              "downloadId": "AB" * 20, "protocol": "torrent", "downloadClient": "rTorrent", "indexer": "Lab",
              "size": 35.0 * GIB, "sizeleft": 10.0 * GIB, "added": iso(now - days), "languages": [],
              "customFormats": [], "customFormatScore": 0, "downloadClientHasPostImportCategory": False,
              "quality": quality("Bluray-2160p", 2160)}]

    jf_items = [
        jf_movie("Dune", 1984, {"Tmdb": "841", "Imdb": "tt0087182"}),
        jf_movie("Dune", 2021, {"Tmdb": "438631", "Imdb": "tt1160419"}),
        jf_movie("Waterworld", 1995, {"Tmdb": "9804", "Imdb": "tt0114898"}),
        jf_movie("Battlefield Earth", 2000, {"Tmdb": "5491", "Imdb": "tt0185183"}),
        jf_movie("Gigli", 2003, {"Imdb": "tt0299930"}),
        jf_movie("Heat", 1995, {"Tmdb": "949", "Imdb": "tt0113277"}),
        jf_movie("Hook", 1991, {"Tmdb": "879"}),
        jf_movie("The Nun II", 2023, {"Tmdb": "968051"}),
        jf_movie("Morbius", 2022, {"Tmdb": "526896"}),
        jf_movie("Home Video", 2019, {}),
    ]
    lost = jf_series("Lost", 2004, {"Tvdb": "73739", "Imdb": "tt0411008"})
    andor = jf_series("Andor", 2022, {"Tvdb": "393189"})
    event = jf_series("The Event", 2010, {"Tvdb": "154021", "Imdb": "tt1582459"})
    night = jf_series("Night Shift Zero", 2015, {"Tvdb": "900004", "Imdb": "tt9900004"})
    quiet = jf_series("Quiet Acres", 2021, {"Tvdb": "900005"})
    harbour = jf_series("Harbour Lights", 2012, {"Tvdb": "900006", "Imdb": "tt9900006"})
    jf_items += [lost, andor, event, night, quiet, harbour]
    episodes = {}
    for show, seasons in ((lost, 6), (andor, 2), (event, 1), (night, 3), (quiet, 2), (harbour, 4)):
        for season in range(1, seasons + 1):
            for number in range(1, 4):
                episode = jf_episode(show, season, number)
                episodes[(show["Name"], season, number)] = episode
                jf_items.append(episode)
    ids = dict(((i["Name"], i.get("ProductionYear")), i["Id"]) for i in jf_items if i["Type"] == "Movie")
    user_data = {ALICE: {}, BOB: {}}
    user_data[ALICE][ids[("Dune", 2021)]] = played(now - 2 * month)
    user_data[BOB][ids[("Waterworld", 1995)]] = played(now - month)
    user_data[ALICE][ids[("Battlefield Earth", 2000)]] = played("0001-01-01T00:00:00.0000000Z")
    user_data[BOB][ids[("Battlefield Earth", 2000)]] = played("2099-01-01T00:00:00.0000000Z")
    user_data[BOB][ids[("Hook", 1991)]] = {"IsFavorite": True}
    user_data[ALICE][harbour["Id"]] = {"IsFavorite": True}
    for number in (1, 2, 3):
        user_data[ALICE][episodes[("Lost", 1, number)]["Id"]] = played(ago(36))
        user_data[BOB][episodes[("Andor", 2, number)]["Id"]] = played(now - month)

    releases = {"imdb:tt0087182": [{"title": "Dune.1984.2160p.UHD.BluRay.x265", "seeders": 12},
                                   {"title": "Dune.1984.1080p.BluRay.x264", "seeders": 0},
                                   {"title": "Dune.1984.1080p.BluRay.nzb", "protocol": "usenet"}],
                "imdb:tt0299930": [{"title": "Gigli.2003.DVDRip", "seeders": 0}],
                "tvdb:900004": [{"title": "Night.Shift.Zero.S01-S03.1080p.WEB-DL", "seeders": 4}]}
    return {
        "radarr": {"kind": "radarr", "api_key": RADARR_KEY, "history": [], "queue": queue, "movies": movies,
                   "tags": [{"id": 1, "label": "keep"}, {"id": 2, "label": "4k"}], "faults": {}},
        "sonarr": {"kind": "sonarr", "api_key": SONARR_KEY, "history": [], "queue": [], "series": shows,
                   "quality_profiles": QUALITY_PROFILES, "tags": [{"id": 1, "label": "anime"}], "faults": {}},
        "jellyfin": {"api_key": JELLYFIN_KEY, "libraries": [], "users": USERS, "items": jf_items,
                     "user_data": user_data, "faults": {}},
        "prowlarr": {"api_key": PROWLARR_KEY, "releases": releases, "faults": {}},
    }
