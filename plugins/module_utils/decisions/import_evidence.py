# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic: which info-hashes have Radarr/Sonarr really imported?

Evidence required (UPSTREAM.md): an import recorded *after the latest grab* of that hash in the same
instance, and the hash absent from every instance's queue (a season pack stays queued until every
episode is imported). Download ids that are not BitTorrent v1 info-hashes (usenet, blackhole) are ignored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from datetime import datetime, timedelta

HASH_RE = re.compile(r"^[0-9A-Fa-f]{40}$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")
GRAB_EVENTS = ("grabbed",)
IMPORT_EVENTS = ("downloadFolderImported",)
# Why a hash of the history is or is not safe to purge (arr_history_hashes' counts).
REASONS = ("imported", "queued", "regrabbed", "undated_import", "not_imported")


def normalize_hash(download_id):
    """Upper-case info-hash, or None for an id that is not a v1 info-hash."""
    if not isinstance(download_id, str):
        return None
    value = download_id.strip()
    if HASH_RE.match(value):
        return value.upper()
    return None


def parse_date(text):
    """Sortable UTC tuple for the ISO-8601 dates .NET writes (7 fractional digits, Z or offset)."""
    match = _DATE_RE.match(text or "")
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:   # 2026-13-40T25:00:00Z: not a date
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset_minutes = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        stamp = stamp - timedelta(minutes=offset_minutes)
    return stamp


def _event_key(record):
    return (parse_date(record.get("date")) or datetime.min, record.get("id") or 0)


def _mini(record):
    """The part of a history record the decision uses (what the incremental cache keeps)."""
    return {"id": record.get("id"), "date": record.get("date"), "sourceTitle": record.get("sourceTitle"),
            "importedPath": (record.get("data") or {}).get("importedPath")}


def new_digest():
    return {"hashes": {}, "counts": {"history_records": 0, "grabs": 0, "imports": 0, "ignored_ids": 0,
                                     "undated": 0}}


def digest(records, into=None):
    """Fold history records into ``into`` (or a new digest): per hash the latest grab and the latest import
    (``{hash: {"grab": mini, "import": mini}}``) and counts. Folding the records of two reads one after the
    other gives the digest of all of them together, which is what lets a run read only the new records."""
    result = into if into is not None else new_digest()
    hashes, counts = result["hashes"], result["counts"]
    for record in records:
        counts["history_records"] += 1
        event = record.get("eventType")
        if event not in GRAB_EVENTS and event not in IMPORT_EVENTS:
            continue
        torrent_hash = normalize_hash(record.get("downloadId"))
        if torrent_hash is None:
            if record.get("downloadId"):
                counts["ignored_ids"] += 1
            continue
        if parse_date(record.get("date")) is None:
            counts["undated"] += 1
        slot = hashes.setdefault(torrent_hash, {"grab": None, "import": None})
        kind = "grab" if event in GRAB_EVENTS else "import"
        counts["grabs" if kind == "grab" else "imports"] += 1
        if slot[kind] is None or _event_key(record) > _event_key(slot[kind]):
            slot[kind] = _mini(record)
    return result


def evaluate(instances):
    """Decide from the records of every instance.

    ``instances``: list of dicts ``{name, history: [records], queue: [records]}``, or ``{name, digest, queue}``
    with a digest (``digest()``) in place of the history.
    Returns a dict with ``imported`` (sorted hashes), ``queued``, ``regrabbed`` (imported once, grabbed again
    since), ``evidence`` {hash: {...}} and per-instance ``stats``.
    """
    per_hash = {}  # hash -> instance name -> {"grab": mini record, "import": mini record}
    queued = {}
    stats = []
    for inst in instances:
        name = inst["name"]
        folded = inst["digest"] if "digest" in inst else digest(inst["history"])
        counts = dict(folded["counts"], name=name, queue_records=len(inst["queue"]))
        for torrent_hash, slot in folded["hashes"].items():
            per_hash.setdefault(torrent_hash, {})[name] = slot
        for record in inst["queue"]:
            torrent_hash = normalize_hash(record.get("downloadId"))
            if torrent_hash is not None:
                queued.setdefault(torrent_hash, set()).add(name)
        stats.append(counts)

    imported, regrabbed, evidence, held_back = [], [], {}, []
    counts = dict((reason, 0) for reason in REASONS)
    for torrent_hash, by_instance in per_hash.items():
        proof = None
        why = None   # the first reason this hash is not safe
        for name, slot in sorted(by_instance.items()):
            grab, imp = slot["grab"], slot["import"]
            if imp is None:
                continue
            if parse_date(imp.get("date")) is None:
                why = why or ("undated_import", name, imp, grab)   # an import we cannot place in time proves nothing
                continue
            if grab is not None and _event_key(grab) >= _event_key(imp):
                why = why or ("regrabbed", name, imp, grab)
                regrabbed.append(torrent_hash)
                continue
            proof = {"instance": name, "imported_at": imp.get("date"), "source_title": imp.get("sourceTitle"),
                     "imported_path": imp.get("importedPath"),
                     "last_grab_at": grab.get("date") if grab else None}
        # every instance that grabbed this hash must have imported it after the grab
        for name, slot in sorted(by_instance.items()):
            if slot["grab"] is not None and slot["import"] is None:
                why = why or ("not_imported", name, None, slot["grab"])
        if why is None and torrent_hash in queued:
            why = ("queued", ",".join(sorted(queued[torrent_hash])), None, None)
        if proof and why is None:
            imported.append(torrent_hash)
            evidence[torrent_hash] = proof
            counts["imported"] += 1
            continue
        reason, name, imp, grab = why or ("not_imported", None, None, None)
        counts[reason] += 1
        if proof or reason in ("regrabbed", "undated_import"):
            # imported somewhere and still not safe: the entries a user may wonder about
            imp = imp or {"date": proof["imported_at"], "sourceTitle": proof["source_title"]}
            held_back.append({"hash": torrent_hash, "reason": reason, "instance": name,
                              "imported_at": imp.get("date"), "last_grab_at": (grab or {}).get("date"),
                              "source_title": imp.get("sourceTitle")})
    counts["queued"] = len(queued)   # every queued hash, with or without history
    return {
        "imported": sorted(imported),
        "queued": sorted(queued),
        "queued_by": dict((h, sorted(names)) for h, names in queued.items()),
        "regrabbed": sorted(set(regrabbed)),
        "evidence": evidence,
        "held_back": sorted(held_back, key=lambda e: e["hash"]),
        "counts": counts,
        "stats": stats,
    }
