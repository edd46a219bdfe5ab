# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the library analysis at real size, against the plan's way (a lookup per title), in the same run.

10,000 movies in Radarr, 2,000 series in Sonarr, Jellyfin with those plus 80,000 episodes and 5 users, each
with their own play state, and a proxy that adds 25 ms to every HTTP request in front of each double (the
doubles run in their own processes). Measures:
  * ours: library_run.analyze - tags, queue and library per instance, /Users, then every user's paged /Items
    (movies and series, then episodes), the join by provider ids and the score - counting HTTP requests;
    its peak memory (tracemalloc, a second run) and the process' maximum resident size;
  * baseline, as the plan's draft does it: the movie and series lists, then for every title and every user a
    Jellyfin search by title (and for a series its episodes). Measured on a sample of titles
    (--baseline-sample, default 100 movies and 20 series) and extrapolated to the whole library;
  * tagging 1,000 items with arr_tag (ansible-playbook): requests per instance;
  * the Jellyfin collection sync (runs/collection_run.py) of 1,000 items: created, unchanged, half replaced -
    requests per run (reads do not grow with the items beyond paging, writes beyond batching of 100).

    <venv>/bin/python scripts/bench_library.py [--movies 10000] [--series 2000] [--episodes 40] [--users 5]
                                               [--latency-ms 25] [--baseline-sample 100] [--repeat 3]
"""
import argparse
import csv
import datetime
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, os.path.join(REPO, "tests"))
import conftest  # noqa: E402
import lab  # noqa: E402
import library_corpus as corpus  # noqa: E402
from bench_purge import DelayProxy  # noqa: E402

COLLECTIONS = conftest.COLLECTIONS   # conftest points ansible_collections.mediaops.servarr at this checkout

GIB = 1024 ** 3


def build(n_movies, n_series, episodes_per_series, n_users, seed=7):
    rnd = random.Random(seed)
    now = datetime.datetime.now(datetime.timezone.utc)
    month = datetime.timedelta(days=30.44)
    movies, shows, items = [], [], []
    users = [{"Name": "user%d" % n, "Id": "%032x" % (0xABC000 + n)} for n in range(n_users)]
    user_data = dict((u["Id"], {}) for u in users)

    def maybe_watch(item_id, share, season=None):
        for user in users:
            if rnd.random() < share:
                when = now - month * rnd.uniform(0, 60)
                data = corpus.played(when)
                if rnd.random() < 0.01:
                    data["LastPlayedDate"] = "0001-01-01T00:00:00.0000000Z"
                user_data[user["Id"]][item_id] = data
            elif rnd.random() < 0.005:
                user_data[user["Id"]][item_id] = {"IsFavorite": True}

    for n in range(1, n_movies + 1):
        title = "Movie %05d" % n
        res = rnd.choice((2160, 1080, 1080, 720))
        movies.append(corpus.movie(n, title, 1950 + n % 75, 100000 + n, "tt%07d" % (1000000 + n),
                                   now - month * rnd.uniform(0, 60), rnd.uniform(2, 70), res, rnd.uniform(2, 9),
                                   tags=[1] if n % 97 == 0 else []))
        jf = corpus.jf_movie(title, 1950 + n % 75, {"Tmdb": str(100000 + n), "Imdb": "tt%07d" % (1000000 + n)})
        items.append(jf)
        maybe_watch(jf["Id"], 0.3)
    for n in range(1, n_series + 1):
        title = "Series %04d" % n
        seasons = 1 + n % 4
        shows.append(corpus.series(n, title, 1990 + n % 30, 300000 + n, "tt%07d" % (5000000 + n),
                                   now - month * rnd.uniform(0, 60), seasons, rnd.uniform(5, 200), rnd.uniform(3, 9),
                                   status="ended" if n % 3 else "continuing"))
        jf = corpus.jf_series(title, 1990 + n % 30, {"Tvdb": str(300000 + n), "Imdb": "tt%07d" % (5000000 + n)})
        items.append(jf)
        for e in range(episodes_per_series):
            episode = corpus.jf_episode(jf, 1 + e * seasons // episodes_per_series, e + 1)
            items.append(episode)
            maybe_watch(episode["Id"], 0.15)
    states = {
        "radarr": {"kind": "radarr", "api_key": corpus.RADARR_KEY, "history": [], "queue": [], "movies": movies,
                   "tags": [{"id": 1, "label": "keep"}], "faults": {}},
        "sonarr": {"kind": "sonarr", "api_key": corpus.SONARR_KEY, "history": [], "queue": [], "series": shows,
                   "tags": [{"id": 1, "label": "keep"}], "faults": {}},
        "jellyfin": {"api_key": corpus.JELLYFIN_KEY, "libraries": [], "users": users, "items": items,
                     "user_data": user_data, "faults": {}},
    }
    return states


def clients(urls):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinClient
    arr = [ArrClient("radarr", "radarr", urls["radarr"], corpus.RADARR_KEY),
           ArrClient("sonarr", "sonarr", urls["sonarr"], corpus.SONARR_KEY)]
    return arr, JellyfinClient(urls["jellyfin"], corpus.JELLYFIN_KEY)


def run_ours(urls, trace=False):
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs import library_run
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import library_score
    arr, jellyfin = clients(urls)
    opts = library_score.options()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    items, stats = library_run.analyze(arr, jellyfin, opts)
    seconds = time.perf_counter() - started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    requests = dict((c.name, c.http.request_count) for c in arr)
    requests["jellyfin"] = jellyfin.http.request_count
    for client in arr + [jellyfin]:
        client.close()
    return seconds, items, stats, requests, peak


class Baseline:
    """The plan's draft: requests (one connection each, as ``requests.get`` without a session) per title."""

    def __init__(self, urls):
        self.urls = urls
        self.requests = 0

    def get(self, service, path, query=None, key=None):
        url = self.urls[service] + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"X-Api-Key": key} if service != "jellyfin" else \
            {"Authorization": 'MediaBrowser Token="%s"' % corpus.JELLYFIN_KEY}
        self.requests += 1
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as resp:
            return json.loads(resp.read())

    def lists(self):
        movies = self.get("radarr", "/api/v3/movie", key=corpus.RADARR_KEY)
        shows = self.get("sonarr", "/api/v3/series", key=corpus.SONARR_KEY)
        users = self.get("jellyfin", "/Users")
        return movies, shows, users

    def movie(self, movie, users):
        watched, last = False, None
        for user in users:
            found = self.get("jellyfin", "/Items", {"userId": user["Id"], "searchTerm": movie["title"],
                                                    "IncludeItemTypes": "Movie", "Recursive": "true"})
            for item in found["Items"]:
                if item["Name"] == movie["title"]:   # matched by title, as the draft does
                    data = item.get("UserData") or {}
                    watched = watched or data.get("Played")
                    last = max(filter(None, (last, data.get("LastPlayedDate")))) if data.get("LastPlayedDate") else last
        return watched, last

    def show(self, show, users):
        last = None
        for user in users:
            found = self.get("jellyfin", "/Items", {"userId": user["Id"], "searchTerm": show["title"],
                                                    "IncludeItemTypes": "Series", "Recursive": "true"})
            for item in found["Items"]:
                if item["Name"] == show["title"]:
                    episodes = self.get("jellyfin", "/Items", {"userId": user["Id"], "ParentId": item["Id"],
                                                               "IncludeItemTypes": "Episode", "Recursive": "true"})
                    for episode in episodes["Items"]:
                        date = (episode.get("UserData") or {}).get("LastPlayedDate")
                        last = max(filter(None, (last, date))) if date else last
        return last


def run_tagging(d, urls, items, n_items):
    """arr_tag through ansible-playbook on reviewed CSVs of ``n_items`` rows: requests per instance for a first
    run (creates the tag), the same again (nothing to change) and another ``n_items`` (the tag exists)."""
    from conftest import run_with_vars
    movies = [it for it in items if it["kind"] == "movie" and not it["protected"] and not it.get("keep")]
    results = []
    for number, (chunk, exclusive) in enumerate(((movies[:n_items], True), (movies[:n_items], True),
                                                 (movies[n_items:2 * n_items], False))):
        path = os.path.join(d, "reviewed-%d.csv" % number)
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Title", "Score", "Instance", "Id", "TMDb"])
            for it in chunk:
                writer.writerow([it["title"], 100, it["instance"], it["id"], it["tmdb"]])
        host_vars = {"servarr_arr_instances": [
            {"name": "radarr", "type": "radarr", "url": urls["radarr"], "api_key": corpus.RADARR_KEY},
            {"name": "sonarr", "type": "sonarr", "url": urls["sonarr"], "api_key": corpus.SONARR_KEY}],
            "servarr_jellyfin_url": urls["jellyfin"], "servarr_jellyfin_api_key": corpus.JELLYFIN_KEY,
            "servarr_reduce_csv": path, "servarr_reduce_exclusive": exclusive}
        started = time.perf_counter()
        res = run_with_vars(d, "playbooks/library_reduce.yml", host_vars)
        task = res.task("Tag the candidates for review")
        if res.rc != 0:
            raise SystemExit("arr_tag failed: %s" % task.get("msg"))
        results.append((time.perf_counter() - started, task, len(chunk)))
    return results


def run_collection(urls, items, n_items, batch_size=100):
    """The collection sync at ``n_items``: a first run (creates and fills it), the same list again, then half the
    list replaced. Returns [(label, requests, added, removed, seconds)]."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs import collection_run
    movies = [{"type": "movie", "tmdb_id": it["tmdb"], "imdb_id": it["imdb"], "title": it["title"]}
              for it in items if it["kind"] == "movie"]
    first, other = movies[:n_items], movies[n_items // 2:n_items // 2 + n_items]
    results = []
    for label, wanted in (("first run, creates it", first), ("same list again", first),
                          ("half the list replaced", other)):
        client = JellyfinClient(urls["jellyfin"], corpus.JELLYFIN_KEY)
        started = time.perf_counter()
        work = collection_run.read(client, "Up for removal", wanted)
        if work["create"] or work["add"] or work["remove"]:
            collection_run.write(client, "Up for removal", work, batch_size=batch_size)
        results.append((label, len(wanted), client.http.request_count, len(work["add"]), len(work["remove"]),
                        time.perf_counter() - started))
        client.close()
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--movies", type=int, default=10000)
    parser.add_argument("--series", type=int, default=2000)
    parser.add_argument("--episodes", type=int, default=40, help="episodes per series")
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--baseline-sample", type=int, default=100, help="movies measured (a fifth as many series)")
    parser.add_argument("--tag-items", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours (the median is reported)")
    parser.add_argument("--dir")
    args = parser.parse_args()
    d = args.dir or tempfile.mkdtemp(prefix="bench-library-")
    os.makedirs(d, exist_ok=True)
    started = time.time()
    states = build(args.movies, args.series, args.episodes, args.users)
    n_items = len(states["jellyfin"]["items"])
    proxies, urls = [], {}
    scripts = {"radarr": "arr_double.py", "sonarr": "arr_double.py", "jellyfin": "jellyfin_double.py"}
    try:
        for name in ("radarr", "sonarr", "jellyfin"):
            with open(os.path.join(d, "%s.json" % name), "w") as handle:
                json.dump(states[name], handle)
            port = lab.free_port()
            lab.start_double(d, name, port, script=scripts[name])
            proxy = DelayProxy(port, args.latency_ms / 1000.0)
            proxy.start()
            proxy.ready.wait()
            proxies.append(proxy)
            urls[name] = "http://127.0.0.1:%d" % proxy.port
        del states
        print("library: %d movies, %d series, %d Jellyfin items (%d episodes), %d users; built in %.1fs; +%g ms per "
              "request" % (args.movies, args.series, n_items, args.series * args.episodes, args.users,
                           time.time() - started, args.latency_ms))
        run_ours(urls)   # warm the doubles' caches (they parse their state once)
        timings = []
        for dummy in range(args.repeat):
            seconds, items, stats, requests, dummy = run_ours(urls)
            timings.append(seconds)
        seconds = sorted(timings)[len(timings) // 2]
        dummy, dummy, dummy, dummy, peak = run_ours(urls, trace=True)
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        candidates = sum(1 for it in items if not it["protected"] and it["score"] >= 80)
        print("ours:     %.2fs  (%s HTTP requests; %d items scored, %d candidates; %d Jellyfin titles and %d played, "
              "resumed or favourite items of %d users read)"
              % (seconds, sum(requests.values()), len(items), candidates, stats["jellyfin"]["jellyfin_items"],
                 stats["jellyfin"]["user_items"], stats["jellyfin"]["users"]))
        print("          runs: %s s (median above); load average %.1f on %d CPUs"
              % (", ".join("%.2f" % t for t in timings), os.getloadavg()[0], os.cpu_count()))
        print("          requests: %s" % ", ".join("%s %d" % kv for kv in sorted(requests.items())))
        print("memory:   peak %.1f MiB traced by tracemalloc during the analysis; max RSS of the benchmark process "
              "%.0f MiB" % (peak / 1048576.0, maxrss))

        base = Baseline(urls)
        t0 = time.perf_counter()
        movies, shows, users = base.lists()
        list_seconds = time.perf_counter() - t0
        movie_sample = movies[:args.baseline_sample] if args.baseline_sample else movies
        show_sample = shows[:max(1, args.baseline_sample // 5)] if args.baseline_sample else shows
        t0 = time.perf_counter()
        for movie in movie_sample:
            base.movie(movie, users)
        movie_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        for show in show_sample:
            base.show(show, users)
        show_seconds = time.perf_counter() - t0
        per_movie = movie_seconds / len(movie_sample)
        per_show = show_seconds / len(show_sample)
        estimate = list_seconds + per_movie * len(movies) + per_show * len(shows)
        requests_total = 3 + len(movies) * len(users) + len(shows) * len(users) * 2
        print("baseline: %.1fs  (%d movies and %d series measured: %.0f ms per movie, %.0f ms per series, "
              "extrapolated; %d HTTP requests for the whole library)"
              % (estimate, len(movie_sample), len(show_sample), per_movie * 1000, per_show * 1000, requests_total))
        print("ratio:    %.0fx faster; ours %.2fs (target < 20 s, >= 50x)" % (estimate / seconds, seconds))

        runs = run_tagging(d, urls, items, args.tag_items)
        labels = ("first run, creates the tag", "same CSV again", "another %d, tag exists" % args.tag_items)
        for label, (secs, task, count) in zip(labels, runs):
            print("tagging:  %-28s %4d rows: radarr %d requests (+%d/-%d), sonarr %d; changed=%s (playbook %.1fs)"
                  % (label, count, task["instances"]["radarr"]["requests"], len(task["instances"]["radarr"]["add"]),
                     len(task["instances"]["radarr"]["remove"]), task["instances"]["sonarr"]["requests"],
                     task["changed"], secs))
        for label, count, requests, added, removed, secs in run_collection(urls, items, args.tag_items):
            print("collection: %-26s %4d items: %d Jellyfin requests (+%d/-%d in batches of 100; %.1fs)"
                  % (label, count, requests, added, removed, secs))
    finally:
        for name in ("radarr", "sonarr", "jellyfin"):
            lab._kill_pidfile(os.path.join(d, "%s.pid" % name))
        if not args.dir:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
