# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the extras scan on a 100,000-file library against `find ROOT -type f`, in the same run.

Builds a library of empty and sparse files shaped like a real one (movie folders with a feature, .nfo, artwork,
subtitles, some trailers and Featurettes folders; series with seasons of episodes, .nfo and thumbnails),
warms the page cache, then times, alternately and --repeat times each:
  * baseline: `find ROOT -type f > /dev/null` (a new process, as a shell would run it);
  * ours: video_extras_clean's scan (module_utils.runs.extras_clean.scan with Jellyfin's rules), in-process, with
    the module's default number of scan workers (and, for information, with one process).
Prints the medians and the ratio ours / baseline (the target is at most 1.5).

    <venv>/bin/python scripts/bench_extras.py [--files 100000] [--repeat 7] [--dir DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import lab  # noqa: E402

sys.path.insert(0, lab.collection_path(tempfile.mkdtemp(prefix="bench-extras-coll-")))
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.extras_clean import (  # noqa: E402
    check_roots, default_workers, scan)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.extras_rules import ExtrasRules  # noqa: E402


MB = 1024 * 1024


def touch(path, size=0):
    """An empty file, or a sparse one of ``size`` bytes (videos: the rules compare their sizes)."""
    with open(path, "wb") as handle:
        if size:
            handle.truncate(size)


def build(root, target):
    """Movies and series until about ``target`` files exist. Returns the number of files."""
    count = 0
    movies, series = os.path.join(root, "movies"), os.path.join(root, "series")
    n = 0
    while count < target * 0.4:
        folder = os.path.join(movies, "Movie Number %05d (%d)" % (n, 1950 + n % 75))
        os.makedirs(folder)
        base = os.path.basename(folder)
        names = [(base + ".mkv", 2000 * MB), (base + ".nfo", 0), ("poster.jpg", 0), ("fanart.jpg", 0),
                 (base + ".en.srt", 0)]
        if n % 4 == 0:
            names.append((base + "-trailer.mkv", 50 * MB))
        if n % 20 == 0:
            os.makedirs(os.path.join(folder, "Featurettes"))
            names += [("Featurettes/Making of.mkv", 300 * MB), ("Featurettes/Making of.nfo", 0)]
        for name, size in names:
            touch(os.path.join(folder, name), size)
        count += len(names)
        n += 1
    s = 0
    while count < target:
        show = os.path.join(series, "Show Number %04d (%d)" % (s, 1990 + s % 35))
        os.makedirs(show)
        for name in ("tvshow.nfo", "poster.jpg", "fanart.jpg"):
            touch(os.path.join(show, name))
        count += 3
        for season in range(1, 6):
            folder = os.path.join(show, "Season %02d" % season)
            os.makedirs(folder)
            touch(os.path.join(folder, "season.nfo"))
            count += 1
            for ep in range(1, 13):
                stem = "Show Number %04d S%02dE%02d" % (s, season, ep)
                touch(os.path.join(folder, stem + ".mkv"), 300 * MB)
                for ext in (".nfo", "-thumb.jpg"):
                    touch(os.path.join(folder, stem + ext))
                count += 3
        s += 1
    return count


def time_find(root):
    start = time.perf_counter()
    subprocess.run(["find", root, "-type", "f"], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def time_scan(roots, rules, workers):
    start = time.perf_counter()
    result = scan(roots, rules, workers=workers)
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dir")
    args = parser.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="bench-extras-")
    root = os.path.join(base, "media")
    try:
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.perf_counter()
        files = build(root, args.files)
        print("library: %d files built in %.1f s under %s" % (files, time.perf_counter() - t0, root))
        rules = ExtrasRules(min_video_size=500 * 1024 * 1024)
        roots = check_roots([os.path.join(root, "movies"), os.path.join(root, "series")])
        workers = default_workers()
        time_find(root)   # warm the caches for both
        dummy, result = time_scan(roots, rules, 1)
        assert result.files == files, (result.files, files)
        dummy, parallel = time_scan(roots, rules, workers)
        assert [c.path for c in parallel.candidates] == [c.path for c in result.candidates]
        finds, singles, scans = [], [], []
        for dummy in range(args.repeat):
            finds.append(time_find(root))
            singles.append(time_scan(roots, rules, 1)[0])
            scans.append(time_scan(roots, rules, workers)[0])
        f, one, o = statistics.median(finds), statistics.median(singles), statistics.median(scans)
        print("extras found: %d (of %d files, %d folders); %d CPUs" % (
            len(result.candidates), result.files, result.folders, os.cpu_count()))
        print("baseline  find ROOT -type f          : median %.3f s over %d runs (min %.3f)" % (f, args.repeat, min(finds)))
        print("ours      scan, 1 process            : median %.3f s (ratio %.2f)" % (one, one / f))
        print("ours      scan, %d workers (default)  : median %.3f s over %d runs (min %.3f)" % (
            workers, o, args.repeat, min(scans)))
        print("ratio ours/baseline: %.2f (target <= 1.5)" % (o / f))
        return 0 if o / f <= 1.5 else 1
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
