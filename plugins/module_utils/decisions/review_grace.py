# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The grace period of what is up for removal, and the weekly digest: pure decisions for library_grace.

An item's countdown starts the first day a run sees it carry the review tag, and it is remembered by instance and
Radarr/Sonarr id (with its provider ids, so an id that now names another title starts again). An item that no
longer carries the tag - a person favourited it, gave it the keep tag, or deleted it - is forgotten, so that if it
comes back its countdown starts again. Nothing is ever deleted here: past the grace period an item is only listed
as one a person may now delete in Radarr/Sonarr.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

GIB = 1024 ** 3
# ntfy keeps a message as text only below 4,096 bytes (see clients/ntfy.py): at most 4,095 are sent
DIGEST_LIMIT = 4095


def item_key(item):
    return "%s:%s" % (item["instance"], item["id"])


def _ids(item):
    return ",".join("%s=%s" % (k, item[k]) for k in ("tmdb_id", "tvdb_id", "imdb_id") if item.get(k))


def _date(text):
    try:
        return datetime.datetime.strptime(str(text), "%Y-%m-%d").date()
    except ValueError:
        return None


def update(previous, tagged, today, grace_days):
    """``previous``: the state file's ``items`` ({key: {first_tagged, title, ids}}); ``tagged``: arr_tag's
    ``tagged``. Returns (new ``items``, rows): each row is the tagged item with ``first_tagged``, ``days_left``
    (0 once the period is over), ``past_grace`` and ``deletable_from`` (ISO dates)."""
    state, rows = {}, []
    for item in tagged:
        key = item_key(item)
        known = (previous or {}).get(key) or {}
        first = _date(known.get("first_tagged")) if known.get("ids", _ids(item)) == _ids(item) else None
        if first is None or first > today:
            first = today
        state[key] = {"first_tagged": first.isoformat(), "title": item.get("title") or "", "ids": _ids(item)}
        ends = first + datetime.timedelta(days=grace_days)
        left = (ends - today).days
        rows.append(dict(item, first_tagged=first.isoformat(), deletable_from=ends.isoformat(),
                         days_left=max(0, left), past_grace=left <= 0))
    rows.sort(key=lambda r: (r["days_left"], -(r.get("size_bytes") or 0), r["title"].lower(), item_key(r)))
    return state, rows


def totals(rows):
    past = [r for r in rows if r["past_grace"]]
    return {"items": len(rows), "bytes": sum(r.get("size_bytes") or 0 for r in rows), "past_grace": len(past),
            "past_grace_bytes": sum(r.get("size_bytes") or 0 for r in past)}


def _size(size):
    return "%.1f GB" % (size / float(GIB)) if size >= GIB / 10 else "%d MB" % (size // (1024 * 1024))


def _name(row):
    return "%s (%s)" % (row["title"], row["year"]) if row.get("year") else row["title"]


def _line(row):
    if row["past_grace"]:
        when = "grace period over since %s" % row["deletable_from"]
    else:
        when = "%d day%s left" % (row["days_left"], "" if row["days_left"] == 1 else "s")
    return u"- %s, %s, %s" % (_name(row), _size(row.get("size_bytes") or 0), when)


def digest(rows, collection_name, keep_tag="keep", limit=DIGEST_LIMIT):
    """The weekly message: {title, body, empty}. How to keep an item comes first, so it is never cut; the list
    (what is past its grace period first) is cut whole lines at a time to ``limit`` bytes of UTF-8, naming how
    many more the collection shows."""
    count = totals(rows)
    if not rows:
        return {"title": "Nothing is up for removal", "body": "No film or series carries the review tag.",
                "empty": True}
    title = "Up for removal: %d item%s, %s" % (count["items"], "" if count["items"] == 1 else "s",
                                               _size(count["bytes"]))
    if count["past_grace"]:
        title += " (%d past the grace period)" % count["past_grace"]
    head = (u"To keep one, mark it a favourite in Jellyfin (or give it the tag '%s' in Radarr/Sonarr): the next "
            u"review drops it. The collection '%s' in Jellyfin lists them all. Nothing is deleted automatically."
            % (keep_tag, collection_name))
    sections = []
    past = [r for r in rows if r["past_grace"]]
    waiting = [r for r in rows if not r["past_grace"]]
    if past:
        sections.append((u"Past the grace period (a person may delete these in Radarr/Sonarr):", past))
    if waiting:
        sections.append((u"Up for removal:", waiting))
    lines = [head]
    used = len(head.encode("utf-8"))
    shown = 0
    for header, section in sections:
        for number, row in enumerate(section):
            text = (u"\n\n" + header + u"\n" if number == 0 else u"\n") + _line(row)
            rest = len(rows) - shown - 1
            # room for this line and, unless it is the last, the "and N more" line that may have to follow
            tail = len((u"\n... and %d more in the collection '%s'" % (rest, collection_name)).encode("utf-8")) \
                if rest else 0
            if used + len(text.encode("utf-8")) + tail > limit:
                more = u"\n... and %d more in the collection '%s'" % (len(rows) - shown, collection_name)
                lines.append(more)
                return {"title": title, "body": u"".join(lines), "empty": False}
            lines.append(text)
            used += len(text.encode("utf-8"))
            shown += 1
    return {"title": title, "body": u"".join(lines), "empty": False}
