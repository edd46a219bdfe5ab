#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: library_analyze
short_description: Explain which films and series cost space for nothing, with a score and its reasons
version_added: 0.3.0
description:
  - Reads every movie (Radarr C(GET /api/v3/movie)) and series (Sonarr C(GET /api/v3/series) and its quality
    profiles, C(GET /api/v3/qualityprofile)) of every instance, their tags and queues, and the play state of
    B(every) Jellyfin user - C(GET /Users), the library's movies and series once (paged C(/Items) with
    C(ProviderIds)), then per user the paged C(/Items) that Jellyfin narrows to played, resumed and favourite
    movies, episodes and series (C(Filters=IsPlayed), C(IsResumable), C(IsFavorite)), each judged by its own
    C(UserData). One bulk read per source; the number of requests does not grow with the number of titles (paging
    aside).
  - Joins Jellyfin to Radarr/Sonarr by provider ids only (TMDb/IMDb for movies, TVDB/IMDb for series), never
    by title. Watched means C(Played) or a play count above zero for any user; a series' last watched date is
    the latest of its episodes'. A date before 1900, in the future or unparsable (C(0001-01-01...)) is unknown,
    and unknown never adds points. A title Jellyfin does not have gets no watch points at all.
  - Scores each item 0-100 with rules that each give points and a reason. Films and series alike - never
    watched by anyone for O(never_watched_months) (O(never_watched_points)), last watched O(stale_watch_months)
    or more ago (O(stale_watch_points)), a rating below O(low_rating_threshold) (O(low_rating_points)), an idle
    copy weighted by its quality (O(quality_points) times O(quality_weights)), no release on the indexers
    (O(unavailable_points)). Series also - an idle series holding O(series_size_gb) or more
    (O(series_size_points)), and an ended series someone started but nobody watched past season 1
    (O(ended_series_points)). Idle means never watched for O(never_watched_months), or not watched for
    O(stale_watch_months).
  - A film's quality is its file's resolution. A series' is the resolution its Sonarr quality profile settles
    for - the cutoff when the profile allows upgrades, else the lowest quality it allows (Sonarr's default
    profiles - HD-1080p is 1080p, Ultra-HD 2160p, Any 480p), never more than its files can be expected to
    hold. Sonarr tells an episode file's own quality only one series per request, so it is not asked.
  - So at the defaults a never watched, badly rated film is a candidate (80) when its copy is 2160p, and a
    never watched, badly rated series when it holds 100 GB or more (80, plus its profile's quality points) or
    settles for 2160p.
  - Months are whole calendar months, compared and printed alike (730 days before 25 November 2026 is 24
    months, C(2 years ago)); days likewise for O(min_age_days).
  - Protections always win and are the reason given - the keep tag, a favourite of any user (the movie or the
    series), added less than O(min_age_days) ago, in a download queue.
  - Optionally asks Prowlarr whether the items already over O(deletion_score_threshold) can be fetched again,
    at most O(max_indexer_queries) searches per run, spaced O(indexer_query_interval) apart, with answers cached
    for O(indexer_cache_days) in O(indexer_cache).
  - Writes the report C(library_analysis_YYYY-MM-DD.csv) in O(report_dir) (sorted by score then size, with the
    ids C(arr_tag) needs) atomically, and returns the same rows. Its columns - C(Title, Type, Quality, Size (GB),
    Score, Reason, Last Watched, Rating, Rating Source, Available on Indexers, Instance, Id, TMDb, TVDB, IMDb);
    C(Rating Source) is C(IMDb) or C(TMDb) for a movie, C(Sonarr) for a series. It never changes anything in Radarr, Sonarr,
    Jellyfin or Prowlarr.
  - Fails, and writes no report, if any instance, Jellyfin user or page cannot be read (naming the Jellyfin user
    by name). A report without watch data would make every watched film look unwatched.
  - Checks before reading anything, in check mode too - the labels (O(keep_tag), O(review_tag)) and every place
    the run will write (O(report_dir), the folder of O(indexer_cache) when Prowlarr is asked, O(log_file)). A
    folder that is missing without a parent to create it in, or is not writable, fails at once.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.arr
  - mediaops.servarr.jellyfin
  - mediaops.servarr.prowlarr
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Reads and scores everything (Prowlarr included) and returns the rows; writes no report, no cache
      and creates no folder. Fails, before reading anything, on what the real run would fail on - an invalid
      label, a report, cache or log folder that is missing or not writable.
  diff_mode:
    support: none
  action_group:
    description: Use C(group/mediaops.servarr.arr), C(group/mediaops.servarr.jellyfin) and
      C(group/mediaops.servarr.prowlarr) in C(module_defaults).
    support: full
    membership:
      - mediaops.servarr.arr
      - mediaops.servarr.jellyfin
      - mediaops.servarr.prowlarr
options:
  jellyfin_page_size:
    description:
      - Items per C(/Items) page.
    type: int
    default: 5000
  deletion_score_threshold:
    description:
      - An item that scores at least this and is not protected is a candidate.
    type: int
    default: 80
  never_watched_months:
    description:
      - Nobody watched it, and it was added at least this many months ago.
    type: int
    default: 6
  never_watched_points:
    description: Points for O(never_watched_months).
    type: int
    default: 50
  stale_watch_months:
    description:
      - The last time anyone watched it is at least this many months ago.
    type: int
    default: 24
  stale_watch_points:
    description: Points for O(stale_watch_months).
    type: int
    default: 30
  low_rating_threshold:
    description:
      - A rating below this adds O(low_rating_points). Movies use IMDb, else TMDb; series use Sonarr's own
        rating (C(ratings.value) of the series; the report names the source). No rating adds nothing.
    type: float
    default: 5.0
  low_rating_points:
    description: Points for a rating below O(low_rating_threshold).
    type: int
    default: 20
  quality_weights:
    description:
      - Weight of a resolution when the copy sits idle (never watched or not watched for O(stale_watch_months));
        the points are O(quality_points) times the weight. A movie's resolution is its file's; a series' is the
        one its Sonarr quality profile settles for (its cutoff when it allows upgrades, else its lowest allowed
        quality). A resolution without a weight adds nothing.
    type: dict
    default: {"2160p": 1.0, "1080p": 0.8, "720p": 0.3, "480p": 0.1}
  quality_points:
    description: Points for an idle copy of weight 1.0.
    type: int
    default: 10
  series_size_gb:
    description:
      - An idle series (never watched or not watched for O(stale_watch_months)) holding at least this many GB
        (GiB, as the report's C(Size (GB)) column) adds O(series_size_points). A film's size follows from its
        quality, which O(quality_weights) scores; a series' grows with its episodes too.
    type: float
    default: 100
  series_size_points:
    description: Points for O(series_size_gb). V(0) turns the rule off.
    type: int
    default: 10
  ended_series_points:
    description:
      - Points for an ended series with at least two seasons on disk that someone started but nobody watched
        past season 1 (a series nobody watched at all gets O(never_watched_points) instead).
    type: int
    default: 20
  unavailable_points:
    description:
      - Points when Prowlarr was asked and found no release that can still be fetched (negative keeps what is
        hard to get back). Prowlarr answers an empty list for some internal failures too, so this should not be
        positive.
    type: int
    default: -20
  keep_tag:
    description:
      - Label of the Radarr/Sonarr tag that protects an item, matched as the apps match labels (lower-case, so
        V(KEEP) is V(keep)).
      - It must exist in at least one instance; a label no instance has (a typo) fails the run and names every
        instance's tags, as it would protect nothing.
    type: str
    default: keep
  review_tag:
    description:
      - The label the review will tag the candidates with (M(mediaops.servarr.arr_tag)'s O(mediaops.servarr.arr_tag#module:tag)).
        Only checked here, by the same rule and before anything is read, so that a label arr_tag would refuse
        fails at once instead of after the analysis. It must differ from O(keep_tag).
    type: str
  protect_favourites:
    description:
      - A favourite of any Jellyfin user (the movie or the series) is protected.
    type: bool
    default: true
  min_age_days:
    description:
      - An item added less than this many days ago is protected. V(0) turns this off.
    type: int
    default: 30
  protect_queued:
    description:
      - An item with a download in its instance's queue is protected.
    type: bool
    default: true
  max_indexer_queries:
    description:
      - Most Prowlarr searches per run (cached answers do not count). Candidates are searched best first; the
        others keep an empty C(available_on_indexers) until a later run.
    type: int
    default: 20
  indexer_query_interval:
    description:
      - Seconds between two Prowlarr searches. Every search goes to every indexer, and indexers rate-limit
        (Prowlarr's default is one request per indexer every 2 seconds).
    type: float
    default: 2.0
  indexer_cache:
    description:
      - JSON file that keeps Prowlarr's answers. Defaults to C(library_indexers.json) in
        C(/var/lib/servarr).
    type: path
  indexer_cache_days:
    description:
      - Age after which a cached answer is asked again.
    type: int
    default: 7
  report_dir:
    description:
      - Folder for C(library_analysis_YYYY-MM-DD.csv). Created (0750) when its parent exists.
    type: path
    default: /var/lib/servarr/reports
  report:
    description:
      - Write the CSV report.
    type: bool
    default: true
  result_rows:
    description:
      - Which rows the result holds. V(candidates) (the rows C(arr_tag) needs) or V(all).
    type: str
    choices: [candidates, all]
    default: candidates
  log_file:
    description:
      - File that gets a line per step (each instance, each Jellyfin user, each Prowlarr search), to follow a
        long run with C(tail -f). The lines also go to the module's log.
    type: path
notes:
  - The score is a sum of the rule points, capped to 0-100. A protected item scores 0.
  - Jellyfin keeps a play date for an item that was only opened (no position kept, not played); such an item is
    not read, so it does not count as watched - as Jellyfin itself does not.
  - A title Jellyfin does not have, or has under other provider ids, gets no watch points (C(not in Jellyfin)).
  - Prowlarr answers an empty list when something fails inside it, so "no release" only ever lowers a score
    (O(unavailable_points)). When every indexer fails it answers HTTP 400 and the module fails.
seealso:
  - module: mediaops.servarr.arr_tag
"""

EXAMPLES = r"""
- name: Analyse the library
  mediaops.servarr.library_analyze:
    instances:
      - {name: radarr, type: radarr, url: "http://127.0.0.1:7878", api_key_file: /opt/arr-stack/radarr/config.xml}
      - {name: sonarr, type: sonarr, url: "http://127.0.0.1:8989", api_key_file: /opt/arr-stack/sonarr/config.xml}
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    prowlarr_url: http://127.0.0.1:9696
    prowlarr_api_key_file: /opt/arr-stack/prowlarr/config.xml
    max_indexer_queries: 30
  register: analysis

- name: Show the candidates
  ansible.builtin.debug:
    msg: "{{ analysis.totals.candidates }} candidates hold {{ (analysis.totals.candidate_bytes / 1024**3) | round(1) }} GiB"
"""

RETURN = r"""
rows:
  description:
    - The items (candidates only, or all with O(result_rows=all)), sorted by score then size, largest first.
  returned: always
  type: list
  elements: dict
  sample:
    - {title: Dune, type: movie, year: 1984, quality: Bluray-2160p, size_bytes: 64424509440, size_gb: 60.0,
       score: 80, protected: false, last_watched: never, watched_by: [], rating: 4.1, rating_source: IMDb,
       available_on_indexers: 2, instance: radarr, id: 1, tmdb_id: "841", tvdb_id: null, imdb_id: tt0087182,
       reason: "never watched by anyone, added 14 months ago (+50); IMDb 4.1 < 5.0 (+20); 2160p copy never watched (+10)"}
  contains:
    title:
      description: Title in Radarr/Sonarr.
      type: str
      sample: Dune
    type:
      description: V(movie) or V(series).
      type: str
      sample: movie
    year:
      description: Year.
      type: int
      sample: 1984
    quality:
      description: Quality of the movie file; for a series, its Sonarr quality profile (C(quality profile
        HD-1080p)), or empty when unknown.
      type: str
      sample: Bluray-2160p
    size_bytes:
      description: Bytes on disk.
      type: int
      sample: 64424509440
    size_gb:
      description: GiB on disk.
      type: float
      sample: 60.0
    score:
      description: Score 0-100.
      type: int
      sample: 80
    protected:
      description: A protection applies (the score is 0 and the reason says which).
      type: bool
      sample: false
    reason:
      description: Every rule that spoke, with its points, or the protections.
      type: str
      sample: "never watched by anyone, added 14 months ago (+50); IMDb 4.1 < 5.0 (+20); 2160p copy never watched (+10)"
    last_watched:
      description: Date (YYYY-MM-DD) of the latest play by anyone, or V(never), V(unknown) (played, no valid
        date) or V(not in Jellyfin).
      type: str
      sample: never
    watched_by:
      description: Jellyfin users who watched it.
      type: list
      elements: str
      sample: [alice]
    rating:
      description: The rating used, or null.
      type: float
      sample: 4.1
    rating_source:
      description: V(IMDb), V(TMDb) (movies) or V(Sonarr) (Sonarr's own rating of a series), or null.
      type: str
      sample: IMDb
    available_on_indexers:
      description: Releases Prowlarr found that can still be fetched, or null when not asked.
      type: int
      sample: 3
    instance:
      description: The instance (O(instances[].name)).
      type: str
      sample: radarr
    id:
      description: Radarr movie id or Sonarr series id.
      type: int
      sample: 12
    tmdb_id:
      description: TMDb id, or null.
      type: str
      sample: "841"
    tvdb_id:
      description: TVDB id (series), or null.
      type: str
      sample: null
    imdb_id:
      description: IMDb id, or null.
      type: str
      sample: tt0087182
totals:
  description: Counts for the whole library.
  returned: always
  type: dict
  sample:
    items: 12000
    bytes: 98956046499840
    candidates: 310
    candidate_bytes: 2199023255552
    protected: 420
    not_in_jellyfin: 12
    per_instance:
      radarr: {items: 10000, bytes: 65970697666560, candidates: 250, candidate_bytes: 1649267441664}
      sonarr: {items: 2000, bytes: 32985348833280, candidates: 60, candidate_bytes: 549755813888}
jellyfin:
  description: What was read from Jellyfin.
  returned: always
  type: dict
  sample:
    users: 5
    user_names: [alice, bob, carol, dave, erin]
    jellyfin_items: 12000
    matched: 11990
    unmatched: 10
    user_items: 75000
    unmatched_user_items: 0
    unknown_dates: 3
indexers:
  description: The Prowlarr step, when O(prowlarr_url) is set.
  returned: when O(prowlarr_url) is set
  type: dict
  sample: {candidates: 310, from_cache: 290, queries: 20, not_checked: 0}
report:
  description: Path of the CSV report (in check mode, the path it would have).
  returned: when O(report) is true
  type: str
  sample: /var/lib/servarr/reports/library_analysis_2026-11-25.csv
requests:
  description: HTTP requests sent, per service.
  returned: always
  type: dict
  sample: {radarr: 3, sonarr: 3, jellyfin: 31, prowlarr: 20}
seconds:
  description: Duration of the analysis.
  returned: always
  type: float
  sample: 6.2
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import TagPlanError, check_label
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import library_score
from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    arr_client, arr_instances_spec, jellyfin_argument_spec, jellyfin_client, prowlarr_argument_spec,
    prowlarr_client)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.library_run import (
    analyze, csv_text, report_path, row, totals, write_atomic)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, StateError, check_writable, ensure_folder, load, save)

SCORE_OPTIONS = ("deletion_score_threshold", "never_watched_months", "never_watched_points", "stale_watch_months",
                 "stale_watch_points", "low_rating_threshold", "low_rating_points", "quality_weights",
                 "quality_points", "series_size_gb", "series_size_points", "ended_series_points",
                 "unavailable_points", "keep_tag", "protect_favourites", "min_age_days", "protect_queued")


def main():
    argument_spec = arr_instances_spec(required=True)
    argument_spec.update(jellyfin_argument_spec())
    argument_spec.update(prowlarr_argument_spec())
    argument_spec.update(
        jellyfin_page_size=dict(type="int", default=5000),
        deletion_score_threshold=dict(type="int", default=80),
        never_watched_months=dict(type="int", default=6),
        never_watched_points=dict(type="int", default=50),
        stale_watch_months=dict(type="int", default=24),
        stale_watch_points=dict(type="int", default=30),
        low_rating_threshold=dict(type="float", default=5.0),
        low_rating_points=dict(type="int", default=20),
        quality_weights=dict(type="dict", default={"2160p": 1.0, "1080p": 0.8, "720p": 0.3, "480p": 0.1}),
        quality_points=dict(type="int", default=10),
        series_size_gb=dict(type="float", default=100),
        series_size_points=dict(type="int", default=10),
        ended_series_points=dict(type="int", default=20),
        unavailable_points=dict(type="int", default=-20),
        keep_tag=dict(type="str", default="keep"),
        review_tag=dict(type="str"),
        protect_favourites=dict(type="bool", default=True),
        min_age_days=dict(type="int", default=30),
        protect_queued=dict(type="bool", default=True),
        max_indexer_queries=dict(type="int", default=20),
        indexer_query_interval=dict(type="float", default=2.0),
        indexer_cache=dict(type="path"),
        indexer_cache_days=dict(type="int", default=7),
        report_dir=dict(type="path", default=os.path.join(DEFAULT_STATE_DIR, "reports")),
        report=dict(type="bool", default=True),
        result_rows=dict(type="str", choices=["candidates", "all"], default="candidates"),
        log_file=dict(type="path"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False, rows=[], totals={}, jellyfin={}, requests={})
    opts = library_score.options(dict((key, p[key]) for key in SCORE_OPTIONS))
    try:
        opts["quality_weights"] = dict((str(k), float(v)) for k, v in (p["quality_weights"] or {}).items())
    except (TypeError, ValueError):
        module.fail_json(msg="quality_weights must map a resolution (2160p) to a number", **result)
    if p["jellyfin_page_size"] < 1 or p["max_indexer_queries"] < 0 or p["indexer_query_interval"] < 0:
        module.fail_json(msg="jellyfin_page_size must be positive, max_indexer_queries and indexer_query_interval "
                         "not negative", **result)
    names = [i["name"] for i in p["instances"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="instance names must be distinct: %s" % ", ".join(names), **result)
    if p["series_size_gb"] < 0:
        module.fail_json(msg="series_size_gb must not be negative", **result)
    try:
        # one rule for labels in every module, the apps' own (lower-case), checked before anything is read
        opts["keep_tag"] = check_label(p["keep_tag"], "keep_tag")
        if p["review_tag"] is not None and check_label(p["review_tag"], "review_tag") == opts["keep_tag"]:
            raise TagPlanError("review_tag and keep_tag must differ")
    except TagPlanError as exc:
        module.fail_json(msg=str(exc), **result)
    cache_path = p["indexer_cache"] or os.path.join(DEFAULT_STATE_DIR, "library_indexers.json")
    try:
        # every place the run writes, checked before any service is read (in check mode too: it then says
        # what the real run would fail on, instead of failing that run after the whole analysis)
        if p["report"]:
            check_writable(p["report_dir"], "report_dir")
        if p["prowlarr_url"]:
            check_writable(os.path.dirname(os.path.abspath(cache_path)), "the folder of indexer_cache")
            if os.path.isdir(cache_path):
                raise StateError("indexer_cache %s is a folder" % cache_path)
        if p["log_file"]:
            check_writable(p["log_file"], "log_file", folder=False)
    except StateError as exc:
        module.fail_json(msg="%s; nothing was read" % exc, **result)

    log_handle = None
    if p["log_file"] and not module.check_mode:
        try:
            log_handle = open(p["log_file"], "a")
        except OSError as exc:
            module.fail_json(msg="cannot open log_file %s: %s" % (p["log_file"], exc), **result)

    def progress(line):
        module.log(line)
        if log_handle:
            log_handle.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), line))
            log_handle.flush()

    clients, jellyfin, prowlarr, cache = [], None, None, {}
    started = time.time()
    try:
        try:
            for instance in p["instances"]:
                clients.append(arr_client(instance))
            jellyfin = jellyfin_client(module)
            prowlarr = prowlarr_client(module, min_interval=p["indexer_query_interval"])
            if prowlarr is not None:
                cache = (load(cache_path, default={}) or {}).get("entries") or {}
            items, stats = analyze(clients, jellyfin, opts, prowlarr=prowlarr, indexer_cache=cache,
                                   max_indexer_queries=p["max_indexer_queries"],
                                   indexer_cache_days=p["indexer_cache_days"], page_size=p["jellyfin_page_size"],
                                   progress=progress)
        except (ServiceError, StateError) as exc:
            if prowlarr is not None and prowlarr.queries and not module.check_mode:
                try:
                    _save_cache(cache_path, cache)   # keep what was learned: the indexers' rate limits
                except (OSError, StateError):
                    pass
            module.fail_json(msg="%s; no report was written" % exc, **result)
        finally:
            result["requests"] = dict((c.name, c.http.request_count) for c in clients)
            if jellyfin is not None:
                result["requests"][jellyfin.name] = jellyfin.http.request_count
            if prowlarr is not None:
                result["requests"][prowlarr.name] = prowlarr.http.request_count
            for client in clients + [c for c in (jellyfin, prowlarr) if c is not None]:
                client.close()

        threshold = opts["deletion_score_threshold"]
        result["totals"] = totals(items, opts, stats)
        result["jellyfin"] = stats["jellyfin"]
        if "indexers" in stats:
            result["indexers"] = stats["indexers"]
        result["rows"] = [row(it) for it in items
                          if p["result_rows"] == "all" or (not it["protected"] and it["score"] >= threshold)]
        result["seconds"] = round(time.time() - started, 2)
        if p["report"]:
            result["report"] = report_path(p["report_dir"])
        if module.check_mode:
            module.exit_json(**result)
        try:
            if prowlarr is not None and stats["indexers"]["queries"]:
                _save_cache(cache_path, cache)
            if p["report"]:
                ensure_folder(p["report_dir"], mode=0o750)
                result["changed"] = write_atomic(result["report"], csv_text(items))
        except (OSError, StateError) as exc:
            module.fail_json(msg="the analysis ran but the report or cache could not be written: %s" % exc, **result)
    finally:
        if log_handle:
            log_handle.close()
    module.exit_json(**result)


def _save_cache(path, cache):
    ensure_folder(os.path.dirname(os.path.abspath(path)))
    save(path, {"version": 1, "entries": cache})


if __name__ == "__main__":
    main()
