# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Who gains and who loses a review tag in Radarr/Sonarr: pure decisions for arr_tag.

Rows come from library_analyze's result or from its CSV after a person reviewed it; they name each item by
instance and Radarr/Sonarr id (with its TMDb/TVDB/IMDb ids as a check), never by title.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import csv
import re

LABEL = re.compile(r"^[a-z0-9-]+$")

# CSV header -> row key (the CSV library_analyze writes); result rows already use the keys.
CSV_KEYS = {"Title": "title", "Type": "type", "Score": "score", "Instance": "instance", "Id": "id",
            "TMDb": "tmdb_id", "TVDB": "tvdb_id", "IMDb": "imdb_id"}


class TagPlanError(ValueError):
    pass


def missing_keep_tag(keep_tag, tags_by_instance):
    """The failure message when ``keep_tag`` exists in no instance (a typo would protect nothing), else None.
    ``tags_by_instance``: {instance name: {label: id}}."""
    if any(keep_tag in tags for tags in tags_by_instance.values()):
        return None
    return ("keep_tag %r exists in no instance (%s): nothing would be protected. Create the tag in Radarr/Sonarr "
            "(Settings > Tags) or set keep_tag to one of these; nothing was changed"
            % (keep_tag, "; ".join("%s: %s" % (name, ", ".join(sorted(tags)) or "no tags")
                                   for name, tags in sorted(tags_by_instance.items()))))


def check_label(label, what="tag"):
    """A label as the apps match it (lower-case), or TagPlanError naming the option."""
    if isinstance(label, str):
        label = label.strip().lower()
    if not isinstance(label, str) or not LABEL.match(label):
        raise TagPlanError("%s %r is not a valid Radarr/Sonarr tag label: use lower-case letters, digits and '-' "
                           "only (for example deletion-candidate-80)" % (what, label))
    return label


def _uncell(text):
    """A cell library_analyze neutralised for spreadsheets ('=..., '+..., '-..., '@...) read back as written."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def read_csv(path):
    """Rows of a (reviewed) library_analyze CSV. Missing columns or a row without instance or id is an error
    that names the line."""
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in ("Instance", "Id", "Score") if name not in header]
            if missing:
                raise TagPlanError("%s is not a library_analyze CSV: no column %s" % (path, ", ".join(missing)))
            rows = []
            for raw in reader:
                if not any((value or "").strip() for value in raw.values() if isinstance(value, str)):
                    continue
                line = reader.line_num
                row = dict((key, _uncell((raw.get(name) or "").strip())) for name, key in CSV_KEYS.items())
                row["line"] = line
                rows.append(row)
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TagPlanError("cannot read the CSV %s: %s" % (path, exc))


def normalise(rows, where="rows"):
    """Each row as {instance, id (int), score (float), title, type, tmdb_id, tvdb_id, imdb_id}."""
    result = []
    for number, row in enumerate(rows, 1):
        label = "%s line %s" % (where, row.get("line")) if row.get("line") else "%s item %d" % (where, number)
        if not isinstance(row, dict):
            raise TagPlanError("%s is not a mapping" % label)
        instance = row.get("instance")
        if not isinstance(instance, str) or not instance.strip():
            raise TagPlanError("%s has no instance" % label)
        try:
            item_id = int(row.get("id"))
            score = float(row.get("score")) if row.get("score") not in (None, "") else None
        except (TypeError, ValueError):
            raise TagPlanError("%s: id %r or score %r is not a number" % (label, row.get("id"), row.get("score")))
        ids = {}
        for key in ("tmdb_id", "tvdb_id", "imdb_id"):
            value = row.get(key)
            ids[key] = str(value).strip().lower() if value not in (None, "") else None
        result.append(dict(ids, instance=instance.strip(), id=item_id, score=score, title=str(row.get("title") or ""),
                           type=row.get("type"), protected=bool(row.get("protected"))))
    return result


def select(rows, threshold, ignore_threshold=False):
    """``{instance: {id: row}}`` of the rows at or above ``threshold`` (all rows with ``ignore_threshold``).
    Rows marked protected by the analysis are never selected for tagging."""
    chosen = {}
    for row in rows:
        if not ignore_threshold and (row["score"] is None or row["score"] < threshold or row["protected"]):
            continue
        chosen.setdefault(row["instance"], {})[row["id"]] = row
    return chosen


def _mismatch(row, record):
    """Why ``record`` (the app's item) is not the item ``row`` describes, or None."""
    for key, field in (("tmdb_id", "tmdbId"), ("tvdb_id", "tvdbId"), ("imdb_id", "imdbId")):
        expected = row.get(key)
        if not expected:
            continue
        actual = record.get(field)
        actual = str(actual).strip().lower() if actual not in (None, "", 0) else None
        if actual != expected:
            return "%s is %s in the app, %s in the row" % (field, actual, expected)
    return None


def plan(records, chosen, tag_id, keep_id, state="present", exclusive=False, everything=False):
    """Decide one instance. ``records``: the app's movies or series; ``chosen``: {id: row}; ``tag_id`` / ``keep_id``:
    ids of the review and keep tags (None when the app has no such tag yet). ``everything``: with
    ``state=absent``, remove the tag from every item that has it.

    Returns dict of lists of {id, title}: ``add``, ``remove``, ``unchanged`` (listed and already right), ``kept``
    (listed but holding the keep tag), ``missing`` (listed id not in the app) and ``mismatch`` (listed id whose
    provider ids differ: the CSV was made for another instance or the item was replaced)."""
    by_id = dict((r.get("id"), r) for r in records if isinstance(r.get("id"), int))
    out = {"add": [], "remove": [], "unchanged": [], "kept": [], "missing": [], "mismatch": []}

    def entry(record, row=None, reason=None):
        found = {"id": record.get("id") if record else row["id"],
                 "title": (record or {}).get("title") or (row or {}).get("title") or ""}
        if reason:
            found["reason"] = reason
        return found

    def has(record, tag):
        return tag is not None and tag in (record.get("tags") or [])

    targets = set()
    for item_id in sorted(chosen):
        row = chosen[item_id]
        record = by_id.get(item_id)
        if record is None:
            out["missing"].append(entry(None, row, "no such id in the app"))
            continue
        why = _mismatch(row, record)
        if why:
            out["mismatch"].append(entry(record, row, why))
            continue
        if state == "absent":
            (out["remove"] if has(record, tag_id) else out["unchanged"]).append(entry(record))
            continue
        if has(record, keep_id):
            out["kept"].append(entry(record, reason="has the keep tag"))
            if has(record, tag_id):   # never both: the keep tag wins
                out["remove"].append(entry(record))
            continue
        targets.add(item_id)
        (out["unchanged"] if has(record, tag_id) else out["add"]).append(entry(record))
    if tag_id is not None and ((state == "present" and exclusive) or (state == "absent" and everything)):
        listed = set(e["id"] for e in out["remove"])
        for item_id in sorted(by_id):
            record = by_id[item_id]
            if item_id not in targets and item_id not in listed and has(record, tag_id):
                out["remove"].append(entry(record))
    return out


def _size(record):
    for value in (record.get("sizeOnDisk"), (record.get("statistics") or {}).get("sizeOnDisk"),
                  (record.get("movieFile") or {}).get("size")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _provider(value, imdb=False):
    if value in (None, "", 0):
        return None
    text = str(value).strip().lower()
    if imdb:
        return text if text.startswith("tt") else None
    return text if text.isdigit() and int(text) > 0 else None


def tagged_after(records, decided, tag_id, instance, kind):
    """Every item of one instance that carries the tag once ``decided`` (plan's answer) is carried out: what a
    collection mirroring the tag lists. Each {instance, id, title, type (movie or series), year, tmdb_id, tvdb_id,
    imdb_id, size_bytes}, by id."""
    added = set(e["id"] for e in decided["add"])
    removed = set(e["id"] for e in decided["remove"])
    found = []
    for record in records:
        item_id = record.get("id")
        if not isinstance(item_id, int):
            continue
        has = tag_id is not None and tag_id in (record.get("tags") or [])
        if item_id in added or (has and item_id not in removed):
            found.append({"instance": instance, "id": item_id, "title": str(record.get("title") or ""),
                          "type": "movie" if kind == "radarr" else "series", "year": record.get("year"),
                          "tmdb_id": _provider(record.get("tmdbId")), "tvdb_id": _provider(record.get("tvdbId")),
                          "imdb_id": _provider(record.get("imdbId"), imdb=True), "size_bytes": _size(record)})
    found.sort(key=lambda e: e["id"])
    return found
