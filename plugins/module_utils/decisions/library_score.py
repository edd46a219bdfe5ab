# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The library score: pure, points-based and explainable.

Each rule is a pure function ``rule(item, now, options)`` that returns ``(points, reason)`` or ``None`` when it
has nothing to say. Protections (a keep tag, a favourite, a recent addition, a download in a queue) always win:
a protected item scores 0 and its reason lists the protections. A date before 1900, in the future or that
cannot be read is *unknown*, and unknown never adds points.

``item`` is a dict built by library_run: ``kind`` (movie|series), ``added`` (text), ``tags``, ``keep``,
``in_queue``, ``rating``/``rating_source``, ``size`` (bytes), ``resolution`` (a movie's file; a series' quality
profile, see ``profile_resolution``), ``profile`` (a series' quality profile name), ``ended``,
``seasons_on_disk``, and the watch data
folded from every Jellyfin user: ``in_jellyfin``, ``watched`` (Played or a play count above zero, any user),
``last_played`` (datetime or None), ``played_dates_unknown`` (plays whose date was unknown), ``favourite_of``
(user names), ``max_season`` (highest season anyone played, series), ``indexer_releases`` (None = not asked).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

DEFAULTS = {
    "never_watched_months": 6,
    "never_watched_points": 50,
    "stale_watch_months": 24,
    "stale_watch_points": 30,
    "low_rating_threshold": 5.0,
    "low_rating_points": 20,
    "quality_weights": {"2160p": 1.0, "1080p": 0.8, "720p": 0.3, "480p": 0.1},
    "quality_points": 10,
    "ended_series_points": 20,
    "series_size_gb": 100,
    "series_size_points": 10,
    "unavailable_points": -20,
    "deletion_score_threshold": 80,
    "keep_tag": "keep",
    "protect_favourites": True,
    "min_age_days": 30,
    "protect_queued": True,
}

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
                   r"(Z|[+-]\d{2}:?\d{2})?$")
GB = 1024 ** 3


def parse_date(text, now):
    """A service's ISO-8601 date as an aware UTC datetime, or None when unknown: missing, unparsable
    (``-999999999-01-01``), before 1900 (``0001-01-01T00:00:00Z``, .NET's MinValue) or after ``now`` (a day's
    slack for clocks)."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if len(text) >= 20 and text[-1] == "Z" and text[4] == text[7] == "-" and text[10] == "T" \
            and text[13] == text[16] == ":" and text[:4].isdigit() and (len(text) == 20 or text[19] == "."):
        # the common shape (2024-01-02T03:04:05.1234567Z), without the regular expression
        try:
            value = datetime(int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]),
                             int(text[17:19]), tzinfo=UTC)
        except ValueError:
            return None
        if value.year < 1900 or value > now + timedelta(days=1):
            return None
        return value
    match = _DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        value = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0),
                         tzinfo=UTC)
    except ValueError:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        value -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    if value.year < 1900 or value > now + timedelta(days=1):
        return None
    return value


def _add_months(when, months):
    """``when`` moved by whole calendar months, the day clamped to the month's last (31 Jan + 1 = 28/29 Feb)."""
    index = when.year * 12 + when.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    following = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=when.tzinfo)
    last_day = (following - timedelta(days=1)).day
    return when.replace(year=year, month=month, day=min(when.day, last_day))


def months_since(when, now):
    """Whole calendar months from ``when`` to ``now``, as a person counts them: 25 Nov 2024 to 25 Nov 2026 is
    24 months (730 days), a day less is 23. The month rules compare this number and the reasons print it."""
    months = (now.year - when.year) * 12 + now.month - when.month
    if months > 0 and _add_months(when, months) > now:
        months -= 1
    return max(months, 0)


def days_since(when, now):
    """Whole days from ``when`` to ``now``."""
    return max(int((now - when).total_seconds() // 86400), 0)


def _plural(number, unit):
    return "%d %s%s" % (number, unit, "" if number == 1 else "s")


def ago(when, now):
    """The age the month rules compare, printed: ``3 days ago`` (under a month), ``14 months ago``,
    ``2 years ago`` or ``2 years 5 months ago`` (from 24 months on): always the whole calendar months of
    ``months_since``, so 730 days never reads as 23 months next to a 24-month rule."""
    months = months_since(when, now)
    if months < 1:
        days = days_since(when, now)
        return "today" if days < 1 else "%s ago" % _plural(days, "day")
    if months < 24:
        return "%s ago" % _plural(months, "month")
    years, rest = divmod(months, 12)
    return "%s%s ago" % (_plural(years, "year"), " " + _plural(rest, "month") if rest else "")


def days_ago(when, now):
    """The age a rule in days compares, printed in whole days: ``today``, ``1 day ago``, ``45 days ago``."""
    days = days_since(when, now)
    return "today" if days < 1 else "%s ago" % _plural(days, "day")


def _fmt(points):
    return "%+d" % points


def watch_state(item, now, opts):
    """``unknown`` (not in Jellyfin), ``never`` (nobody played it), ``dated`` (plays with a known latest date)
    or ``undated`` (played, but no play date is known)."""
    if not item.get("in_jellyfin"):
        return "unknown"
    if item.get("last_played") is not None:
        return "dated"
    if item.get("watched") or item.get("played_dates_unknown"):
        return "undated"
    return "never"


# -- rules: each returns (points, reason) or None ---------------------------------------------------------
def rule_never_watched(item, now, opts):
    state = watch_state(item, now, opts)
    if state == "unknown":
        return 0, "not in Jellyfin, watch data unknown (+0)"
    if state != "never":
        return None
    added = parse_date(item.get("added"), now)
    if added is None:
        return 0, "never watched by anyone, added date unknown (+0)"
    if months_since(added, now) >= opts["never_watched_months"]:
        points = opts["never_watched_points"]
        return points, "never watched by anyone, added %s (%s)" % (ago(added, now), _fmt(points))
    return 0, "never watched by anyone, added %s (+0)" % ago(added, now)


def rule_last_watched(item, now, opts):
    state = watch_state(item, now, opts)
    if state == "undated":
        return 0, "watched, date unknown (+0)"
    if state != "dated":
        return None
    last = item["last_played"]
    if months_since(last, now) >= opts["stale_watch_months"]:
        points = opts["stale_watch_points"]
        return points, "last watched %s (%s)" % (ago(last, now), _fmt(points))
    return 0, "last watched %s (+0)" % ago(last, now)


def rule_low_rating(item, now, opts):
    rating = item.get("rating")
    if not isinstance(rating, (int, float)) or rating <= 0:
        return None
    if rating < opts["low_rating_threshold"]:
        points = opts["low_rating_points"]
        return points, "%s %.1f < %.1f (%s)" % (item.get("rating_source") or "rating", rating,
                                                opts["low_rating_threshold"], _fmt(points))
    return None


def _idle(item, now, opts):
    """Why the copy sits unused (``never watched``, ``not watched for 3 years``), or None."""
    state = watch_state(item, now, opts)
    if state == "never":
        added = parse_date(item.get("added"), now)
        if added is not None and months_since(added, now) >= opts["never_watched_months"]:
            return "never watched"
    if state == "dated" and months_since(item["last_played"], now) >= opts["stale_watch_months"]:
        return "not watched since %s" % ago(item["last_played"], now)
    return None


def rule_quality(item, now, opts):
    """An idle copy costs more the higher its resolution: ``quality_points`` times the plan's
    ``quality_weights``. A movie's resolution is its file's; a series' is the one its Sonarr quality profile
    settles for (``profile_resolution``), since Sonarr tells a file's quality only one series per request."""
    resolution = item.get("resolution")
    if not isinstance(resolution, int) or resolution <= 0:
        return None
    label = "%dp" % resolution
    weight = (opts.get("quality_weights") or {}).get(label)
    if not weight:
        return None
    idle = _idle(item, now, opts)
    if idle is None:
        return None
    points = int(round(opts["quality_points"] * float(weight)))
    if points <= 0:
        return None
    if item.get("kind") == "series":
        return points, "%s series (quality profile %s) %s (%s)" % (label, item.get("profile") or "?", idle,
                                                                   _fmt(points))
    return points, "%s copy %s (%s)" % (label, idle, _fmt(points))


def rule_series_size(item, now, opts):
    """An idle series holding at least ``series_size_gb`` GB (GiB, as the report's Size column) on disk. A
    film's size follows from its quality, which rule_quality already scores; a series' grows with its
    episodes too: one long series can hold what twenty films hold."""
    if item.get("kind") != "series" or not opts.get("series_size_points"):
        return None
    limit = opts.get("series_size_gb")
    size_gb = (item.get("size") or 0) / float(GB)
    if limit is None or size_gb < limit:
        return None
    idle = _idle(item, now, opts)
    if idle is None:
        return None
    points = opts["series_size_points"]
    return points, "%.1f GB on disk (>= %s GB) %s (%s)" % (size_gb, _number(limit), idle, _fmt(points))


def _number(value):
    return ("%d" % value) if float(value) == int(value) else ("%s" % value)


def rule_ended_series(item, now, opts):
    if item.get("kind") != "series" or not item.get("ended") or (item.get("seasons_on_disk") or 0) < 2:
        return None
    if watch_state(item, now, opts) not in ("dated", "undated"):
        return None
    highest = item.get("max_season")
    if highest is None or highest > 1:
        return None
    points = opts["ended_series_points"]
    return points, "ended series, nobody watched past S%02d (%s)" % (max(highest, 0), _fmt(points))


def rule_unavailable(item, now, opts):
    releases = item.get("indexer_releases")
    if releases is None:
        return None
    if releases == 0:
        points = opts["unavailable_points"]
        return points, "no indexer has a release, hard to get back (%s)" % _fmt(points)
    return 0, "%d releases on the indexers (+0)" % releases


RULES = (rule_never_watched, rule_last_watched, rule_low_rating, rule_quality, rule_series_size, rule_ended_series,
         rule_unavailable)


def _resolution(item):
    """The lowest known resolution of a profile entry: one quality, or a group (WEB 1080p) of several."""
    qualities = item.get("items") if item.get("items") else [item]
    found = [(q.get("quality") or {}).get("resolution") for q in qualities if isinstance(q, dict)]
    found = [r for r in found if isinstance(r, int) and not isinstance(r, bool) and r > 0]
    return min(found) if found else None


def profile_resolution(profile):
    """The resolution a Sonarr quality profile (``QualityProfileResource``) settles for, or None: with
    ``upgradeAllowed``, the resolution of its ``cutoff`` (a quality's id, or a group's id from 1000 on); without,
    the lowest resolution it allows. Sonarr upgrades a file until it meets the cutoff, and without upgrades
    takes the first allowed quality, so this is the least the series' files hold once Sonarr is done: the
    score never counts a higher quality than that. (Sonarr's default profiles do not upgrade and have their
    lowest quality as cutoff: HD-1080p settles for 1080p, Any for 480p.)"""
    if not isinstance(profile, dict):
        return None
    items = [i for i in profile.get("items") or [] if isinstance(i, dict)]
    if profile.get("upgradeAllowed") is True:
        cutoff = profile.get("cutoff")
        for item in items:
            own = item.get("id") if item.get("items") else (item.get("quality") or {}).get("id")
            if isinstance(own, int) and own == cutoff:
                return _resolution(item)
        return None
    found = [_resolution(item) for item in items if item.get("allowed") is True]
    found = [r for r in found if r]
    return min(found) if found else None


# -- protections: each returns a reason or None ----------------------------------------------------------
def protect_keep_tag(item, now, opts):
    if item.get("keep"):
        return "keep tag '%s'" % opts["keep_tag"]
    return None


def protect_favourite(item, now, opts):
    if opts["protect_favourites"] and item.get("favourite_of"):
        return "favourite of %s" % ", ".join(sorted(item["favourite_of"]))
    return None


def protect_recent(item, now, opts):
    added = parse_date(item.get("added"), now)
    if added is not None and opts["min_age_days"] and (now - added).total_seconds() < opts["min_age_days"] * 86400:
        # compared in days, printed in whole days: 29.9 days reads 29 < 30
        return "added %s (< %d days)" % (days_ago(added, now), opts["min_age_days"])
    return None


def protect_queued(item, now, opts):
    if opts["protect_queued"] and item.get("in_queue"):
        return "in the download queue"
    return None


PROTECTIONS = (protect_keep_tag, protect_favourite, protect_recent, protect_queued)


def score(item, now, opts):
    """``(score, protected, reason)``. Protections win: score 0 and the reason lists them."""
    protections = [p for p in (rule(item, now, opts) for rule in PROTECTIONS) if p]
    if protections:
        return 0, True, "protected: " + "; ".join(protections)
    total = 0
    reasons = []
    for rule in RULES:
        found = rule(item, now, opts)
        if found is None:
            continue
        points, reason = found
        total += points
        reasons.append(reason)
    return max(0, min(100, total)), False, "; ".join(reasons)


def options(overrides=None):
    opts = dict(DEFAULTS)
    for key, value in (overrides or {}).items():
        if value is not None:
            opts[key] = value
    return opts


def now_utc():
    return datetime.now(UTC)
