# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The library analysis run: one bulk read per source, a join by provider ids, the score, the optional
indexer check and the CSV report.

* Radarr ``GET /api/v3/movie``, Sonarr ``GET /api/v3/series`` and ``GET /api/v3/qualityprofile``,
  ``GET /api/v3/tag`` and every queue page, per instance: a number of requests that does not grow with the
  library.
* Jellyfin ``GET /Users``, then per user the paged ``/Items`` (movies and series, then episodes) with that
  user's ``UserData``. Pages are folded into the items as they arrive, so no page is kept.
* Items are joined by provider ids only (TMDb/IMDb for movies, TVDB/IMDb for series), never by title.
* Any failed instance, user or page raises: a report without watch data would make every film look unwatched.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import gc
import io
import os
import time

from ansible_collections.mediaops.servarr.plugins.module_utils import state_file
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import library_score
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import missing_keep_tag
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.prowlarr import usable_releases

# "Rating" and its "Rating Source": IMDb (else TMDb) for a movie, Sonarr's own rating for a series. The plan's
# "IMDB Rating" column held Sonarr's rating for series under IMDb's name; arr_tag never reads either column.
CSV_COLUMNS = ("Title", "Type", "Quality", "Size (GB)", "Score", "Reason", "Last Watched", "Rating",
               "Rating Source", "Available on Indexers", "Instance", "Id", "TMDb", "TVDB", "IMDb")
GB = 1024 ** 3


class AnalysisError(ServiceError):
    pass


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _imdb(value):
    if isinstance(value, str) and value.strip().lower().startswith("tt"):
        return value.strip().lower()
    return None


def _positive_id(value):
    value = _int(value)
    return str(value) if value and value > 0 else None


def item_from_movie(instance, record, keep_id, queued):
    movie_file = record.get("movieFile") or {}
    quality = ((movie_file.get("quality") or {}).get("quality") or {})
    ratings = record.get("ratings") or {}
    rating = source = None
    for key, label in (("imdb", "IMDb"), ("tmdb", "TMDb")):
        child = ratings.get(key) or {}
        if isinstance(child.get("value"), (int, float)) and child["value"] > 0:
            rating, source = float(child["value"]), label
            break
    size = _int(record.get("sizeOnDisk")) or _int(movie_file.get("size")) or 0
    tags = [t for t in record.get("tags") or [] if isinstance(t, int)]
    return {
        "instance": instance, "kind": "movie", "id": record.get("id"), "title": str(record.get("title") or ""),
        "year": _int(record.get("year")), "tmdb": _positive_id(record.get("tmdbId")), "tvdb": None,
        "imdb": _imdb(record.get("imdbId")), "size": size, "quality": quality.get("name") or "",
        "resolution": _int(quality.get("resolution")), "added": record.get("added"), "tags": tags,
        "keep": keep_id is not None and keep_id in tags, "in_queue": record.get("id") in queued,
        "rating": rating, "rating_source": source, "ended": None, "seasons_on_disk": None,
    }


def item_from_series(instance, record, keep_id, queued, profiles=None):
    """``profiles``: {quality profile id: (name, resolution it settles for)} from the instance."""
    stats = record.get("statistics") or {}
    ratings = record.get("ratings") or {}
    rating = float(ratings["value"]) if isinstance(ratings.get("value"), (int, float)) and ratings["value"] > 0 \
        else None
    seasons = 0
    for season in record.get("seasons") or []:
        if (_int(season.get("seasonNumber")) or 0) > 0 and \
                (_int((season.get("statistics") or {}).get("episodeFileCount")) or 0) > 0:
            seasons += 1
    tags = [t for t in record.get("tags") or [] if isinstance(t, int)]
    ended = bool(record.get("ended")) or record.get("status") == "ended"
    profile_name, resolution = (profiles or {}).get(_int(record.get("qualityProfileId")), (None, None))
    return {
        "instance": instance, "kind": "series", "id": record.get("id"), "title": str(record.get("title") or ""),
        "year": _int(record.get("year")), "tmdb": _positive_id(record.get("tmdbId")),
        "tvdb": _positive_id(record.get("tvdbId")), "imdb": _imdb(record.get("imdbId")),
        "size": _int(stats.get("sizeOnDisk")) or 0,
        "quality": "quality profile %s" % profile_name if profile_name is not None else "",
        "resolution": resolution, "profile": profile_name,
        "added": record.get("added"), "tags": tags, "keep": keep_id is not None and keep_id in tags,
        "in_queue": record.get("id") in queued, "rating": rating, "rating_source": "Sonarr" if rating else None,
        "ended": ended, "seasons_on_disk": seasons,
    }


def _keys(item):
    if item["kind"] == "movie":
        return [k for k in (("movie", "tmdb", item["tmdb"]), ("movie", "imdb", item["imdb"])) if k[2]]
    return [k for k in (("series", "tvdb", item["tvdb"]), ("series", "imdb", item["imdb"])) if k[2]]


def read_profiles(client):
    """{quality profile id: (name, resolution it settles for)} of a Sonarr instance: one request."""
    found = {}
    for profile in client.quality_profiles():
        if isinstance(profile.get("id"), int):
            found[profile["id"]] = (str(profile.get("name") or profile["id"]),
                                    library_score.profile_resolution(profile))
    return found


def read_arr(clients, keep_tag, progress=None):
    """``clients``: list of ArrClient. Returns (items, index, stats). Items without a file on disk are left out
    (they hold no space) and counted."""
    items, index = [], {}
    stats = {"instances": {}, "without_file": 0}
    keep_tag = (keep_tag or "").strip().lower()   # the apps' own rule: labels are lower-case
    seen_tags = {}
    for client in clients:
        tags = client.tags()
        seen_tags[client.name] = tags
        keep_id = tags.get(keep_tag)
        records, pages = client.queue()
        key = "movieId" if client.kind == "radarr" else "seriesId"
        queued = set(r.get(key) for r in records if isinstance(r.get(key), int))
        library = client.library()
        profiles = read_profiles(client) if client.kind == "sonarr" else None
        count = 0
        for record in library:
            if not isinstance(record.get("id"), int):
                raise AnalysisError("%s: a %s without an id in the library answer"
                                    % (client.name, "movie" if client.kind == "radarr" else "series"))
            if client.kind == "radarr":
                item = item_from_movie(client.name, record, keep_id, queued)
            else:
                item = item_from_series(client.name, record, keep_id, queued, profiles)
            if item["size"] <= 0:
                stats["without_file"] += 1
                continue
            position = len(items)
            items.append(item)
            count += 1
            for k in _keys(item):
                index.setdefault(k, []).append(position)
        stats["instances"][client.name] = {"type": client.kind, "items": count, "queue_pages": pages}
        if progress:
            what = "movies" if client.kind == "radarr" else "series"
            progress("%s: %d %s with files, %d queued" % (client.name, count, what, len(queued)))
    missing = missing_keep_tag(keep_tag, seen_tags)
    if missing:
        raise AnalysisError(missing)
    return items, index, stats


def _provider_keys(kind, provider_ids):
    found = []
    if not isinstance(provider_ids, dict):
        return found
    for name, value in provider_ids.items():
        if not isinstance(value, str) or not value.strip():
            continue
        name = name.lower()
        value = value.strip()
        if kind == "movie" and name == "tmdb" and value.isdigit():
            found.append(("movie", "tmdb", str(int(value))))
        elif kind == "series" and name == "tvdb" and value.isdigit():
            found.append(("series", "tvdb", str(int(value))))
        elif name == "imdb" and _imdb(value):
            found.append((kind, "imdb", _imdb(value)))
    return found


def _targets(index, keys):
    if len(keys) == 1:
        return index.get(keys[0], ())
    found = []
    for key in keys:
        for position in index.get(key, ()):
            if position not in found:
                found.append(position)
    return found


class WatchFold:
    """Folds the library's titles, then every user's play state, into the items, page by page."""

    def __init__(self, items, index, now):
        self.items = items
        self.index = index
        self.now = now
        self.by_jellyfin_id = {}   # Jellyfin item id -> (kind, [positions]) for movies and series
        self.stats = {"users": 0, "jellyfin_items": 0, "matched": 0, "unmatched": 0, "user_items": 0,
                      "unmatched_user_items": 0, "unknown_dates": 0}

    def _apply(self, item, data, user, season=None):
        if not isinstance(data, dict):
            return
        played = data.get("Played") is True or (_int(data.get("PlayCount")) or 0) > 0
        raw = data.get("LastPlayedDate")
        date = library_score.parse_date(raw, self.now) if raw else None
        if raw and date is None:
            self.stats["unknown_dates"] += 1
        if played:
            item["watched"] = True
            item.setdefault("watchers", set()).add(user)
            if date is None:
                item["played_dates_unknown"] = item.get("played_dates_unknown", 0) + 1
        if date is not None and (item.get("last_played") is None or date > item["last_played"]):
            item["last_played"] = date
        if season is not None and (played or date is not None):
            if item.get("max_season") is None or season > item["max_season"]:
                item["max_season"] = season
        if data.get("IsFavorite") is True:
            item.setdefault("favourite_of", set()).add(user)

    def titles(self, page):
        """A page of the library's Movie and Series items (no user): joined by provider ids."""
        items, index = self.items, self.index
        for entry in page:
            self.stats["jellyfin_items"] += 1
            kind = {"Movie": "movie", "Series": "series"}.get(entry.get("Type"))
            if kind is None:
                continue
            targets = _targets(index, _provider_keys(kind, entry.get("ProviderIds")))
            if not targets:
                self.stats["unmatched"] += 1
                continue
            self.stats["matched"] += 1
            if entry.get("Id"):
                self.by_jellyfin_id[entry["Id"]] = (kind, targets)
            for position in targets:
                items[position]["in_jellyfin"] = True

    def played(self, page, user):
        """A page of one user's movies, series and episodes with their ``UserData``."""
        items, known = self.items, self.by_jellyfin_id
        for entry in page:
            self.stats["user_items"] += 1
            data = entry.get("UserData")
            kind = entry.get("Type")
            if kind == "Episode":
                found = known.get(entry.get("SeriesId"))
                season = _int(entry.get("ParentIndexNumber"))
                # an episode's favourite flag does not protect the whole series
                data = dict(data, IsFavorite=False) if isinstance(data, dict) else data
            else:
                found = known.get(entry.get("Id"))
                season = None
                if kind == "Series":
                    # a series' own UserData is not a roll-up of its episodes: only its favourite flag counts
                    data = {"IsFavorite": (data or {}).get("IsFavorite")}
            if found is None:
                self.stats["unmatched_user_items"] += 1
                continue
            for position in found[1]:
                self._apply(items[position], data, user, season)


# Jellyfin filters out what nobody could call watched on its side: played, resumed (a position kept) or a
# favourite. Every item that comes back is still judged by its own UserData, so a Jellyfin that ignored the
# filter would cost time, never correctness.
USER_READS = (("IsPlayed", ("Movie", "Episode")), ("IsResumable", ("Movie", "Episode")),
              ("IsFavorite", ("Movie", "Series")))


def read_jellyfin(client, items, index, now, page_size=5000, progress=None):
    fold = WatchFold(items, index, now)
    users = client.users()
    if not users:
        raise AnalysisError("%s: GET /Users answered no user, so nothing can be known about watching"
                            % client.name)
    for page in client.items(None, ("Movie", "Series"), page_size=page_size):
        fold.titles(page)
    if progress:
        progress("jellyfin: %d titles read, %d matched" % (fold.stats["jellyfin_items"], fold.stats["matched"]))
    for user_id, user_name in users:
        fold.stats["users"] += 1
        for filters, types in USER_READS:
            for page in client.items(user_id, types, page_size=page_size, fields=(), filters=filters,
                                     user_name=user_name):
                fold.played(page, user_name)
        if progress:
            progress("jellyfin: user %s read (%d played, resumed or favourite items so far)"
                     % (user_name, fold.stats["user_items"]))
    fold.stats["user_names"] = [name for _id, name in users]
    return fold.stats


def cache_key(item):
    if item["kind"] == "movie":
        return "movie:tmdb:%s" % item["tmdb"] if item["tmdb"] else ("movie:imdb:%s" % item["imdb"] if item["imdb"] else None)
    return "series:tvdb:%s" % item["tvdb"] if item["tvdb"] else ("series:imdb:%s" % item["imdb"] if item["imdb"] else None)


def check_indexers(prowlarr, items, opts, cache, max_queries, ttl_days, now_epoch, progress=None):
    """Availability on the indexers for the items already over the threshold, best candidates first. Answers
    from ``cache`` (``{key: {"checked": epoch, "releases": n}}``) younger than ``ttl_days`` are used as they are;
    at most ``max_queries`` searches are sent. Returns stats; ``cache`` is updated in place."""
    threshold = opts["deletion_score_threshold"]
    wanted = [it for it in items if not it["protected"] and it["score"] >= threshold and cache_key(it)]
    wanted.sort(key=lambda it: (-it["score"], -it["size"]))
    stats = {"candidates": len(wanted), "from_cache": 0, "queries": 0, "not_checked": 0}
    ttl = ttl_days * 86400
    todo = []
    for item in wanted:
        entry = cache.get(cache_key(item))
        if isinstance(entry, dict) and isinstance(entry.get("releases"), int) \
                and now_epoch - float(entry.get("checked") or 0) < ttl:
            item["indexer_releases"] = entry["releases"]
            stats["from_cache"] += 1
        else:
            todo.append(item)
    for number, item in enumerate(todo):
        if number >= max_queries:
            stats["not_checked"] = len(todo) - number
            break
        if progress:
            progress("prowlarr: %d/%d %s (%s)" % (number + 1, min(len(todo), max_queries), item["title"],
                                                  cache_key(item)))
        releases = prowlarr.search(item["kind"], {"imdb": item["imdb"], "tmdb": item["tmdb"], "tvdb": item["tvdb"]})
        stats["queries"] += 1
        item["indexer_releases"] = usable_releases(releases)
        cache[cache_key(item)] = {"checked": now_epoch, "releases": item["indexer_releases"]}
    return stats


def score_items(items, now, opts):
    for item in items:
        item["score"], item["protected"], item["reason"] = library_score.score(item, now, opts)


def last_watched_text(item):
    state = library_score.watch_state(item, None, None)
    if state == "unknown":
        return "not in Jellyfin"
    if state == "never":
        return "never"
    if state == "undated":
        return "unknown"
    return item["last_played"].strftime("%Y-%m-%d")


def row(item):
    return {
        "title": item["title"], "type": item["kind"], "year": item["year"], "quality": item["quality"],
        "size_bytes": item["size"], "size_gb": round(item["size"] / float(GB), 2), "score": item["score"],
        "protected": item["protected"], "reason": item["reason"], "last_watched": last_watched_text(item),
        "watched_by": sorted(item.get("watchers") or []), "rating": item["rating"],
        "rating_source": item["rating_source"], "available_on_indexers": item.get("indexer_releases"),
        "instance": item["instance"], "id": item["id"], "tmdb_id": item["tmdb"], "tvdb_id": item["tvdb"],
        "imdb_id": item["imdb"],
    }


def sort_items(items):
    items.sort(key=lambda it: (-it["score"], -it["size"], it["instance"], it["id"]))


def totals(items, opts, stats):
    threshold = opts["deletion_score_threshold"]
    result = {"items": len(items), "bytes": 0, "candidates": 0, "candidate_bytes": 0, "protected": 0,
              "not_in_jellyfin": 0, "per_instance": {}}
    for name in stats["instances"]:
        result["per_instance"][name] = {"items": 0, "bytes": 0, "candidates": 0, "candidate_bytes": 0}
    for item in items:
        per = result["per_instance"][item["instance"]]
        per["items"] += 1
        per["bytes"] += item["size"]
        result["bytes"] += item["size"]
        if item["protected"]:
            result["protected"] += 1
        if not item.get("in_jellyfin"):
            result["not_in_jellyfin"] += 1
        if not item["protected"] and item["score"] >= threshold:
            result["candidates"] += 1
            result["candidate_bytes"] += item["size"]
            per["candidates"] += 1
            per["candidate_bytes"] += item["size"]
    return result


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP's CSV injection); titles and
# reasons come from TMDb/TVDB through Radarr/Sonarr, so such a cell gets a leading apostrophe, which the
# spreadsheet shows as text. arr_tag matches rows by instance and id, never by these cells.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(items):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        available = item.get("indexer_releases")
        writer.writerow([cell(value) for value in (
            item["title"], item["kind"], item["quality"], "%.2f" % (item["size"] / float(GB)), item["score"],
            item["reason"], last_watched_text(item), "" if item["rating"] is None else "%.1f" % item["rating"],
            item.get("rating_source") or "",
            "" if available is None else ("yes (%d)" % available if available else "no"),
            item["instance"], item["id"], item["tmdb"] or "", item["tvdb"] or "", item["imdb"] or "",
        )])
    return out.getvalue()


def report_path(report_dir, when=None):
    return os.path.join(report_dir, "library_analysis_%s.csv" % time.strftime("%Y-%m-%d", time.localtime(when)))


def remove_leftovers(folder, older_than=3600):
    """Temporary report files a run killed while writing left behind (an hour old: never a running one's)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".library_analysis_") and ".csv." in name:
            path = os.path.join(folder, name)
            try:
                if time.time() - os.lstat(path).st_mtime > older_than:
                    os.unlink(path)
            except OSError:
                pass


def write_atomic(path, text, mode=0o640):
    """Write ``text`` to ``path`` through a temporary file in the same folder, fsync, rename. Returns False when
    the file already holds exactly ``text`` (nothing written)."""
    try:
        with open(path) as handle:
            if handle.read() == text:
                return False
    except (OSError, UnicodeDecodeError):
        pass
    remove_leftovers(os.path.dirname(os.path.abspath(path)))
    state_file.write_atomic(path, text, mode)
    return True


def analyze(arr_clients, jellyfin, opts, now=None, prowlarr=None, indexer_cache=None, max_indexer_queries=20,
            indexer_cache_days=7, page_size=5000, progress=None):
    """The whole analysis, reads only. Returns (items sorted by score then size, stats)."""
    # The pages hold hundreds of thousands of small objects that never form cycles: the cyclic garbage
    # collector would walk every live one again and again while they are parsed (about a fifth of the CPU).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _analyze(arr_clients, jellyfin, opts, now, prowlarr, indexer_cache, max_indexer_queries,
                        indexer_cache_days, page_size, progress)
    finally:
        if collecting:
            gc.enable()


def _analyze(arr_clients, jellyfin, opts, now, prowlarr, indexer_cache, max_indexer_queries, indexer_cache_days,
             page_size, progress):
    now = now or library_score.now_utc()
    items, index, stats = read_arr(arr_clients, opts["keep_tag"], progress)
    stats["jellyfin"] = read_jellyfin(jellyfin, items, index, now, page_size=page_size, progress=progress)
    score_items(items, now, opts)
    if prowlarr is not None:
        stats["indexers"] = check_indexers(prowlarr, items, opts, indexer_cache if indexer_cache is not None else {},
                                           max_indexer_queries, indexer_cache_days, time.time(), progress)
        score_items(items, now, opts)
    sort_items(items)
    return items, stats
