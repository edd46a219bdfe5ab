# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""New Radarr/Sonarr imports since a checkpoint (pure).

``/api/v3/history/since?date=D`` returns the records at or after D, so a checkpoint is the date of the newest
record seen plus the ids of the records at exactly that date: the next run asks from that date again and
drops those ids, missing nothing and repeating nothing. The checkpoint uses the apps' own dates, never this
host's clock.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import parse_date


def new_records(records, entry):
    """Records not covered by the checkpoint ``entry`` ({date, ids} or None), oldest first. Records with a
    date that cannot be read are kept (they are reported; dropping them could miss an import)."""
    since = parse_date(entry["date"]) if entry else None
    seen = set(entry.get("ids") or []) if entry else set()
    fresh = []
    for record in records:
        when = parse_date(record.get("date"))
        if since is not None and when is not None:
            if when < since or (when == since and record.get("id") in seen):
                continue
        fresh.append(record)
    fresh.sort(key=lambda r: (parse_date(r.get("date")) or parse_date("0001-01-01T00:00:00Z"), r.get("id") or 0))
    return fresh


def advance(entry, records):
    """The checkpoint after ``records`` (all the records the feed returned this run) were handled."""
    dated = [(parse_date(r.get("date")), r) for r in records]
    dated = [(when, r) for when, r in dated if when is not None]
    if not dated:
        return entry
    newest = max(when for when, _r in dated)
    if entry and parse_date(entry["date"]) is not None and parse_date(entry["date"]) > newest:
        return entry
    ids = sorted(r.get("id") for when, r in dated if when == newest and r.get("id") is not None)
    date = next(r.get("date") for when, r in dated if when == newest)
    if entry and parse_date(entry["date"]) == newest:
        ids = sorted(set(ids) | set(entry.get("ids") or []))
    return {"date": date, "ids": ids}
