# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tag journal of arr_tag: what each run changed in Radarr/Sonarr, so that arr_tag_revert can put it back.

One JSON file per run in the journal folder, ``arr_tag-<run>.json`` (``<run>`` is the UTC start time, so the names
sort by age), written atomically before any item changes::

    {"version": 1, "run": "20261125T101500123456Z", "started": "2026-11-25T10:15:00Z", "tag": "deletion-candidate-80",
     "state": "planned" | "done" | "failed",
     "instances": {"radarr": {"type": "radarr", "tag_id": 7, "tag_created": false,
                              "backup": {"name": "radarr_backup_v5..._2026.11.25_10.15.00.zip", ...},
                              "items": {"12": {"title": "Dune", "before": [3], "after": [3, 7]}}}}}

``before`` is the exact tag set the item had when the run read it and ``after`` the set the run gives it. A revert
sets every item that still has its ``after`` back to ``before``; an item someone changed since is a conflict and
is left alone.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import time

from ansible_collections.mediaops.servarr.plugins.module_utils import state_file

PREFIX = "arr_tag-"
NAME = re.compile(r"^arr_tag-(\d{8}T\d{12}Z)\.json$")
VERSION = 1


class JournalError(state_file.StateError):
    pass


def new_run_id(now=None):
    now = time.time() if now is None else now
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + "%06dZ" % int((now % 1) * 1000000)


def path_of(folder, run):
    return os.path.join(folder, "%s%s.json" % (PREFIX, run))


def runs(folder):
    """The run ids in ``folder``, oldest first ([] when the folder does not exist)."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise JournalError("cannot read the journal folder %s: %s" % (folder, exc.strerror or exc))
    return sorted(m.group(1) for m in (NAME.match(n) for n in names) if m)


def load(folder, run):
    data = state_file.load(path_of(folder, run))
    if data is None:
        raise JournalError("no journal of run %s in %s (runs: %s)" % (run, folder, ", ".join(runs(folder)) or "none"))
    if data.get("version") != VERSION or not isinstance(data.get("instances"), dict):
        raise JournalError("%s is not a version %d arr_tag journal" % (path_of(folder, run), VERSION))
    return data


def save(folder, journal):
    """Written atomically (temporary file, fsync, rename, fsync of the folder) before anything it lists changes."""
    state_file.write_atomic(path_of(folder, journal["run"]), json.dumps(journal, indent=1, sort_keys=True) + "\n")


def prune(folder, keep):
    """Remove the oldest journals beyond ``keep``. Returns the run ids removed."""
    gone = []
    for run in runs(folder)[:-keep] if keep > 0 else []:
        try:
            os.unlink(path_of(folder, run))
            gone.append(run)
        except FileNotFoundError:
            pass
    return gone


def item_entry(record, tag_id, action):
    before = sorted(t for t in record.get("tags") or [] if isinstance(t, int))
    after = set(before)
    if action == "add":
        after.add(tag_id)
    else:
        after.discard(tag_id)
    return {"title": str(record.get("title") or ""), "before": before, "after": sorted(after)}


def select(folder, run="last"):
    """The runs a revert of ``run`` undoes, newest first: ``run`` and every later one (so that the items end as
    they were before ``run``). ``last``: the newest run only."""
    known = runs(folder)
    if not known:
        raise JournalError("no arr_tag journal in %s: nothing to revert" % folder)
    if run in (None, "", "last"):
        return [known[-1]]
    if run not in known:
        raise JournalError("no journal of run %s in %s (runs: %s)" % (run, folder, ", ".join(known)))
    return list(reversed(known[known.index(run):]))


def plan_revert(journals):
    """``journals``: the loaded journals, newest first. Returns ``{instance: {"type", "items": {id: {title, expect,
    target}}, "tags_created": [ids]}}``: ``expect`` is the set the newest of them left, ``target`` the set the
    oldest found."""
    out = {}
    for journal in journals:
        for name, inst in journal["instances"].items():
            entry = out.setdefault(name, {"type": inst.get("type"), "items": {}, "tags_created": []})
            if inst.get("tag_created") and isinstance(inst.get("tag_id"), int):
                entry["tags_created"].append(inst["tag_id"])
            for key, item in (inst.get("items") or {}).items():
                item_id = int(key)
                known = entry["items"].get(item_id)
                if known is None:
                    entry["items"][item_id] = {"title": item.get("title") or "", "expect": list(item["after"]),
                                               "target": list(item["before"])}
                else:   # an older run: its before is the earlier state
                    known["target"] = list(item["before"])
    return out


def decide(planned, records, force=False):
    """For one instance: which items change. ``records``: the app's items. Returns dict of lists of
    ``{id, title, tags, to}`` under ``revert`` (still as the run left them, or forced), ``unchanged`` (already as
    before the run), ``conflict`` (changed since by someone else, left alone) and ``missing`` (deleted since)."""
    by_id = dict((r.get("id"), r) for r in records if isinstance(r.get("id"), int))
    out = {"revert": [], "unchanged": [], "conflict": [], "missing": []}
    for item_id in sorted(planned["items"]):
        item = planned["items"][item_id]
        record = by_id.get(item_id)
        if record is None:
            out["missing"].append({"id": item_id, "title": item["title"], "reason": "no such id in the app"})
            continue
        current = sorted(t for t in record.get("tags") or [] if isinstance(t, int))
        found = {"id": item_id, "title": record.get("title") or item["title"], "tags": current,
                 "to": sorted(item["target"])}
        if current == found["to"]:
            out["unchanged"].append(found)
        elif current == sorted(item["expect"]) or force:
            out["revert"].append(found)
        else:
            found["reason"] = "its tags are %s, not %s as the run left them" % (current, sorted(item["expect"]))
            out["conflict"].append(found)
    return out
