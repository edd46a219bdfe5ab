# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A media library with real-world names for the extras tests: Jellyfin's own extras examples, and
legitimate files the plan's draft (size < 500 MB, ``trailer\\.``, ``making.of``) would have deleted.

Videos are sparse files of their nominal size, so a 2 GB feature costs nothing on disk.
``build(root)`` returns ``(extras, kept)``: paths relative to ``root`` of every file the cleaner must remove
(with the rule it must give) and of every file it must leave.
"""
import os

MB = 1024 * 1024

# (relative path, size in MiB, rule or None)
MOVIES = [
    # Jellyfin's documented layout: extras folders beside the feature
    ("Best_Movie_Ever (2019)/Best_Movie_Ever (2019).mp4", 2000, None),
    ("Best_Movie_Ever (2019)/behind the scenes/Finding the right score.mp4", 150, "folder behind the scenes"),
    ("Best_Movie_Ever (2019)/extras/Home recreation.mp4", 90, "folder extras"),
    ("Best_Movie_Ever (2019)/Featurettes/Making of.mkv", 700, "folder Featurettes"),
    ("Best_Movie_Ever (2019)/Featurettes/Making of.nfo", 0, "sidecar"),
    # Jellyfin's naming tests (Jellyfin.Naming.Tests ExtraTests)
    ("300 (2006)/300 (2006).mkv", 2500, None),
    ("300 (2006)/300-trailer.mp4", 60, "suffix -trailer"),
    ("300 (2006)/300-trailer.nfo", 0, "sidecar"),
    ("300 (2006)/300-scene2.mp4", 40, "suffix -scene"),
    ("300 (2006)/300-clip.mp4", 30, "suffix -clip"),
    ("300 (2006)/300-deleted.mp4", 30, "suffix -deleted"),
    ("300 (2006)/300-deletedscene.mp4", 30, "suffix -deletedscene"),
    ("300 (2006)/300-interview.mp4", 30, "suffix -interview"),
    ("300 (2006)/300-behindthescenes.mp4", 30, "suffix -behindthescenes"),
    ("300 (2006)/300-sample.mp4", 30, "suffix -sample"),
    ("300 (2006)/trailer.mp4", 30, "name trailer"),
    ("300 (2006)/300 (2006).nfo", 0, None),
    ("300 (2006)/poster.jpg", 0, None),
    ("300 (2006)/theme.mp3", 3, None),
    # a name Jellyfin does not take for an extra, large enough not to be a sample beside the feature
    ("Stuff (2001)/Stuff (2001).mkv", 1800, None),
    ("Stuff (2001)/stuff trailerthings.mkv", 900, None),
    # titles the draft's patterns and size threshold would have deleted
    ("The Big Short (2015)/The Big Short (2015).mkv", 2200, None),
    ("The Big Short (2015)/The Big Short (2015) - Trailer.mkv", 45, "suffix - trailer"),
    # Jellyfin 10.11's token is "- trailer", no space needed before it
    ("Collateral (2004)/Collateral (2004).mkv", 2100, None),
    ("Collateral (2004)/Collateral- trailer.mkv", 40, "suffix - trailer"),
    ("The Making of a Legend (2020)/The Making of a Legend (2020).mkv", 350, None),
    ("Trailer (2023)/Trailer (2023).mkv", 480, None),
    ("Casablanca (1942)/Casablanca (1942).avi", 300, None),
    ("Casablanca (1942)/Casablanca (1942).en.srt", 0, None),
    # a sample with a name no rule knows, beside its feature: the size guard
    ("Dune (2021)/Dune (2021).mkv", 3000, None),
    ("Dune (2021)/rarbg.com.mp4", 12, "sample beside larger feature"),
    # two versions of one movie, and a folder of short films: no feature to be a sample of
    ("Heat (1995)/Heat (1995) - 1080p.mkv", 2000, None),
    ("Heat (1995)/Heat (1995) - 2160p.mkv", 3000, None),
    ("Pixar Shorts (2007)/For the Birds (2000).mkv", 90, None),
    ("Pixar Shorts (2007)/Lifted (2006).mkv", 120, None),
    # a sample alone in its folder is the largest video there: kept
    ("Lonely (2018)/sample.mkv", 40, None),
    # a movie filed flat in the library root next to its trailer
    ("Flat Movie (1999).mkv", 1500, None),
    ("Flat Movie (1999)-trailer.mkv", 50, "suffix -trailer"),
    ("Flat Short (1960).mkv", 200, None),
]

SERIES = [
    ("Trailer Park Boys (2001)/Season 01/Trailer Park Boys S01E01.mkv", 230, None),
    ("Trailer Park Boys (2001)/Season 01/Trailer Park Boys S01E02.mkv", 210, None),
    ("Trailer Park Boys (2001)/Season 01/Trailer Park Boys S01E03 - The Trailer.mkv", 200, None),
    ("Trailer Park Boys (2001)/Season 01/Trailer Park Boys S01E03 - The Trailer.nfo", 0, None),
    ("Awesome TV Show (2024)/Season 1/Awesome TV Show (2024) S01E01 episode name.mp4", 400, None),
    ("Awesome TV Show (2024)/Season 1/Awesome TV Show (2024) S01E02 episode name.mp4", 380, None),
    ("Awesome TV Show (2024)/Season 1/trailers/trailer1.mp4", 20, "folder trailers"),
    ("Awesome TV Show (2024)/Season 1/backdrops/S1Intro.mkv", 10, "folder backdrops"),
    ("Awesome TV Show (2024)/Season 1/theme-music/Season 01 OP.mp3", 4, None),
    ("Awesome TV Show (2024)/interviews/Interview with the Director.mp4", 80, "folder interviews"),
    ("Old Show (1990)/Season 1/Old Show 1x01.avi", 170, None),
    ("Old Show (1990)/Season 1/Old Show 1x02-sample.avi", 10, None),
    ("Old Show (1990)/Season 1/Old Show 1x03.avi", 175, None),
    ("Anime (2010)/Season 01/Anime - S01E01 - Opening-clip.mkv", 8, None),
    ("Anime (2010)/Season 01/Anime - S01E01.mkv", 300, None),
]


def _write(path, size_mb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(os.path.basename(path).encode("utf-8"))   # a few real bytes to compare afterwards
        if size_mb:
            handle.truncate(size_mb * MB)


def build(root, layout):
    extras, kept = {}, []
    for rel, size_mb, rule in layout:
        _write(os.path.join(root, rel), size_mb)
        if rule is None:
            kept.append(rel)
        else:
            extras[rel] = rule
    return extras, kept


def snapshot(root):
    """Every path under root (files, folders, links) with its type and size: compare before and after."""
    seen = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            seen[os.path.relpath(path, root)] = (st.st_mode >> 12, st.st_size)
    return seen
