# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which videos are extras: Jellyfin's own naming rules, decided one folder at a time (pure, no I/O).

Jellyfin 10.11 treats a video as an extra when (first match wins)
  * its immediate parent folder is one of ``EXTRA_FOLDERS`` (not the library root itself),
  * its whole name without extension is ``trailer`` or ``sample``,
  * its name without extension, trailing digits trimmed, ends in one of ``EXTRA_SUFFIXES`` (case-insensitive).
Users organise their libraries by these rules, so they are the default here. On top of them:
  * user patterns (regular expressions searched in the file name) and extra folder names;
  * ``min_video_size``: a video under this size that is *not* the largest in its folder, beside exactly one
    feature (a video of at least this size), in a folder that is neither a library root nor holds episodes,
    is a sample. Size alone never makes an extra.
Two protections win over every rule except the extras-folder rule: the largest video directly inside a
folder, and any file whose name parses as an episode (``S01E02``, ``1x02``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

EXTRA_FOLDERS = ("trailers", "backdrops", "behind the scenes", "deleted scenes", "interviews", "scenes",
                 "samples", "shorts", "featurettes", "extras", "extra", "other", "clips")
EXTRA_NAMES = ("trailer", "sample")
# Spelled exactly as Jellyfin's NamingOptions (10.11) spells them: "- trailer" has no leading space, so
# "Collateral- trailer.mkv" is a trailer as well as "Collateral - trailer.mkv".
EXTRA_SUFFIXES = ("-trailer", ".trailer", "_trailer", "- trailer",
                  "-sample", ".sample", "_sample", "- sample",
                  "-scene", "-clip", "-interview", "-behindthescenes", "-deleted", "-deletedscene",
                  "-featurette", "-short", "-extra", "-other")
# Jellyfin's video extensions, less disc-image and pointer types (.bin, .img, .ifo, .nrg, .strm) whose
# deletion is never a clean-up.
VIDEO_EXTENSIONS = (".3g2", ".3gp", ".3gp2", ".3gpp", ".amv", ".asf", ".avi", ".divx", ".dv", ".dvr-ms",
                    ".f4v", ".flv", ".iso", ".m2t", ".m2ts", ".m2v", ".m4v", ".mk3d", ".mkv", ".mov", ".mp2",
                    ".mp4", ".mpe", ".mpeg", ".mpg", ".mts", ".mxf", ".nsv", ".nuv", ".ogm", ".ogv", ".pva",
                    ".qt", ".rec", ".rm", ".rmvb", ".svq3", ".tp", ".ts", ".ty", ".viv", ".vob", ".vp3", ".webm",
                    ".wm", ".wmv", ".wtv", ".xvid")
EPISODE_RE = re.compile(r"(?i)(?<![a-z0-9])(?:s\d{1,4}[ ._-]?e\d{1,4}(?!\d)|\d{1,2}x\d{2,3}(?![0-9p]))")
RULE_SAMPLE_SIZE = "sample beside larger feature"


class RulesError(ValueError):
    pass


def split_ext(name):
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:].lower()


def is_episode(name):
    return EPISODE_RE.search(name) is not None


class ExtrasRules:
    """Decides, for one folder's videos, which are extras and by which rule."""

    def __init__(self, patterns=(), extra_folder_names=(), min_video_size=0, video_extensions=VIDEO_EXTENSIONS):
        self.folders = dict((name.lower(), name) for name in EXTRA_FOLDERS)
        for name in extra_folder_names or ():
            if not name or "/" in name:
                raise RulesError("extra folder name %r must be a single folder name" % (name,))
            self.folders[name.lower()] = name
        self.patterns = []
        for pattern in patterns or ():
            try:
                self.patterns.append((pattern, re.compile(pattern, re.IGNORECASE)))
            except re.error as exc:
                raise RulesError("pattern %r is not a valid regular expression: %s" % (pattern, exc))
        if min_video_size < 0:
            raise RulesError("min_video_size_mb must not be negative")
        self.min_video_size = min_video_size
        self.video_extensions = frozenset(ext.lower() if ext.startswith(".") else "." + ext.lower()
                                          for ext in video_extensions)
        # Prefilters for decide_files(): searches over a folder's lower-cased file names joined by NUL (which
        # no file name holds), each matching a superset of what the exact rules need.
        self._video_ends = re.compile("(?:%s)(?=\0|$)" % "|".join(
            re.escape(ext) for ext in sorted(self.video_extensions, key=len, reverse=True))).findall
        # ("- trailer" and "- sample" need no entry: any name holding "trailer" or "sample" is looked at)
        dashed = sorted(set(suffix[1:] for suffix in EXTRA_SUFFIXES if suffix.startswith("-") and " " not in suffix))
        self._dashed = re.compile("-(?:%s)" % "|".join(re.escape(word) for word in dashed)).search

    def _may_be_named(self, low):
        return "trailer" in low or "sample" in low or self._dashed(low) is not None

    def is_video(self, name):
        return split_ext(name)[1] in self.video_extensions

    def folder_rule(self, folder_name, is_root):
        if not is_root and folder_name.lower() in self.folders:
            return "folder %s" % folder_name
        return None

    def name_rule(self, name):
        stem = split_ext(name)[0]
        low = stem.lower()
        if low in EXTRA_NAMES:
            return "name %s" % low
        trimmed = low.rstrip("0123456789")
        if trimmed.endswith(EXTRA_SUFFIXES):
            for suffix in EXTRA_SUFFIXES:
                if trimmed.endswith(suffix):
                    return "suffix %s" % suffix.strip()
        for text, regex in self.patterns:
            if regex.search(name):
                return "pattern %s" % text
        return None

    def videos_to_look_at(self, folder_name, is_root, files):
        """The sorted videos among a folder's file names when ``decide()`` could find or protect anything
        there, else None. For the scan of a whole library: it settles most folders - a movie with its
        artwork, a season of episodes - with two or three searches over the joined names instead of Python
        work per file."""
        low = "\0".join(files).lower()
        # inlined folder_rule() and _may_be_named(): this runs for every folder of the library
        if not ((not is_root and folder_name.lower() in self.folders) or self.patterns
                or "trailer" in low or "sample" in low or self._dashed(low) is not None):
            # only the size rule is left: two videos or more, and no episode. Most files of a season folder
            # parse as episodes, so its first name usually settles it before the videos are counted.
            if not (self.min_video_size > 0 and not is_root and len(files) > 1
                    and EPISODE_RE.search(files[0]) is None and len(self._video_ends(low)) > 1
                    and EPISODE_RE.search(low) is None):
                return None
        exts = self.video_extensions
        videos = [name for name in files if name.rfind(".") > 0 and name[name.rfind("."):].lower() in exts]
        return sorted(videos) if videos else None

    def decide(self, folder_name, is_root, videos, size_of):
        """``videos``: names of the regular video files directly in the folder; ``size_of(name)`` returns a
        size and is called only when a decision needs it (the scan avoids a stat per file).

        Returns ``(extras, protected)``: ``extras`` is a list of ``(name, rule)``; ``protected`` a list of
        ``(name, rule, reason)`` for files a rule matched but a protection kept."""
        extras, protected = [], []
        if not videos:
            return extras, protected
        episodes = set(name for name in videos if EPISODE_RE.search(name))
        folder = self.folder_rule(folder_name, is_root)
        if folder:
            for name in videos:
                if name in episodes:
                    protected.append((name, folder, "parses as an episode"))
                else:
                    extras.append((name, folder))
            return extras, protected

        named = []
        for name in videos:
            rule = self.name_rule(name)
            if rule and name in episodes:
                protected.append((name, rule, "parses as an episode"))
            elif rule:
                named.append((name, rule))
        size_rule = self.min_video_size > 0 and not is_root and len(videos) > 1 and not episodes
        if not named and not size_rule:
            return extras, protected

        # The largest video in the folder (ties: the first name) is never an extra.
        if len(videos) > 1:
            sizes = dict((name, size_of(name)) for name in videos)
            largest = max(sorted(videos), key=sizes.__getitem__)
        else:
            largest = videos[0]
        largest_named = False
        for name, rule in named:
            if name == largest:
                protected.append((name, rule, "largest video in its folder"))
                largest_named = True
            else:
                extras.append((name, rule))
        if size_rule and not largest_named:   # a "feature" a rule calls a trailer is no feature
            minimum = self.min_video_size
            features = [name for name in videos if sizes[name] >= minimum]
            if len(features) == 1 and features[0] == largest:
                chosen = set(name for name, _rule in extras)
                for name in sorted(videos):
                    if name != largest and name not in chosen and sizes[name] < minimum:
                        extras.append((name, RULE_SAMPLE_SIZE))
        return extras, protected
