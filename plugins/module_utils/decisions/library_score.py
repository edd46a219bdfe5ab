# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The library score: pure, points-based and explainable.

Each rule is a pure function ``rule(item, now, options)`` that returns ``(points, reason)`` or ``None`` when it
has nothing to say. Protections (a keep tag, a favourite, a recent addition, a download in a queue) always win:
a protected item scores 0 and its reason lists the protections. A date before 1900, in the future or that
cannot be read is *unknown*, and unknown never adds points.

``item`` is a dict built by library_run: ``kind`` (movie|series), ``added`` (text), ``tags``, ``keep``,
``in_queue``, ``rating``/``rating_source``, ``resolution``, ``ended``, ``seasons_on_disk``, and the watch data
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
    "unavailable_points": -20,
    "deletion_score_threshold": 80,
    "keep_tag": "keep",
    "protect_favourites": True,
    "min_age_days": 30,
    "protect_queued": True,
}

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
                   r"(Z|[+-]\d{2}:?\d{2})?$")
MONTH_DAYS = 30.4375


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


def months_since(when, now):
    return (now - when).total_seconds() / 86400.0 / MONTH_DAYS


def ago(when, now):
    """``3 days ago``, ``14 months ago``, ``3 years ago``."""
    days = (now - when).total_seconds() / 86400.0
    if days < 1:
        return "today"
    if days < 61:
        return "%d day%s ago" % (days, "" if int(days) == 1 else "s")
    months = days / MONTH_DAYS
    if months < 24:
        return "%d months ago" % months
    return "%d years ago" % (days / 365.25)


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
    return points, "%s copy %s (%s)" % (label, idle, _fmt(points))


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


RULES = (rule_never_watched, rule_last_watched, rule_low_rating, rule_quality, rule_ended_series, rule_unavailable)


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
        return "added %s (< %d days)" % (ago(added, now), opts["min_age_days"])
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
