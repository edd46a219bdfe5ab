# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure logic: which torrents may leave the seedbox, in which order, and whether their data goes too.

Input is the list ``RTorrentClient.list_torrents()`` returns; nothing here talks to a service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

from ansible_collections.mediaops.servarr.plugins.module_utils.text import human_bytes

GB = 1000 ** 3
# Why a torrent stays, as counted in rtorrent_purge's kept_counts.
KEEP_CODES = ("protected_hash", "protected_label", "label_not_selected", "queued", "regrabbed", "not_imported",
              "incomplete", "outside_root", "invalid_path", "min_seed_time", "policy_not_met", "max_removals")
DAY = 86400.0


def _fmt(value):
    return ("%.2f" % value).rstrip("0").rstrip(".") if value != int(value) else "%d" % value


def under_root(path, root):
    """True if ``path`` is strictly inside ``root`` (both absolute, POSIX, normalised first)."""
    if not root or not path or not path.startswith("/"):
        return False
    root = posixpath.normpath(root)
    path = posixpath.normpath(path)
    if root == "/":
        return path != "/"
    return path.startswith(root + "/")


def overlap_neighbours(torrents):
    """{hash: set(hashes whose data is the same path, inside it, or around it)} in O(n * depth)."""
    by_path = {}
    for torrent in torrents:
        by_path.setdefault(posixpath.normpath(torrent["data_path"]), []).append(torrent["hash"])
    neighbours = dict((t["hash"], set()) for t in torrents)
    for path, hashes in by_path.items():
        for h in hashes:
            neighbours[h].update(x for x in hashes if x != h)
        parent = posixpath.dirname(path)
        while parent and parent != path:
            for ancestor in by_path.get(parent, ()):
                for h in hashes:
                    neighbours[h].add(ancestor)
                    neighbours[ancestor].add(h)
            path, parent = parent, posixpath.dirname(parent)
    return neighbours


def _outside(files, root):
    """The first of a torrent's file paths that is not strictly inside ``root``, else None."""
    for path in files or ():
        if not under_root(path, root):
            return path
    return None


def seed_age(torrent, now):
    """Seconds seeded since the download finished, or None when the finish time is unknown."""
    finished = torrent.get("finished") or 0
    if finished <= 0:
        try:
            finished = int(str(torrent.get("seedingtime") or "0").strip() or 0)
        except ValueError:
            finished = 0
    if finished <= 0 or finished > now + 300:
        return None
    return max(0.0, now - finished)


def used_bytes(torrents):
    """Space the torrents occupy, data shared by several torrents (cross-seeds) counted once."""
    by_path = {}
    for torrent in torrents:
        path = posixpath.normpath(torrent["data_path"])
        by_path[path] = max(by_path.get(path, 0), torrent["size_bytes"])
    total = 0
    paths = sorted(by_path)
    last_top = None
    for path in paths:
        if last_top is not None and path.startswith(last_top.rstrip("/") + "/"):
            continue  # inside a folder already counted
        total += by_path[path]
        last_top = path
    return total


class Policy:
    """The purge's rules in one object: what makes a torrent removable, and the caps (capacity, free space).

    ``labels`` None selects every label. ``max_total_gb`` caps the data of the loaded torrents; ``min_free_gb``
    and ``min_free_percent`` make a floor under the free space (both given: the higher floor holds), the percent of
    the seedbox's size: ``quota_gb`` when given, else what rTorrent can tell (the loaded torrents' data plus the
    free space). ``quota_gb`` also makes the free space what is left of the quota (never more than the disk has).
    """

    def __init__(self, min_ratio=1.5, min_seed_days=2.0, min_seed_hours=0.0, labels=None, protect_labels=(),
                 protect_hashes=(), max_total_gb=None, max_removals=None, download_root=None, require_root=True,
                 min_free_gb=None, min_free_percent=None, quota_gb=None):
        self.min_ratio = min_ratio
        self.min_seed_days = min_seed_days
        self.min_seed_hours = min_seed_hours
        self.labels = set(labels) if labels else None
        self.protect_labels = set(protect_labels or ())
        self.protect_hashes = set(h.upper() for h in protect_hashes or ())
        self.max_total_gb = max_total_gb
        self.max_removals = max_removals
        self.download_root = download_root
        self.require_root = require_root
        self.min_free_gb = min_free_gb
        self.min_free_percent = min_free_percent
        self.quota_gb = quota_gb

    @property
    def cap_bytes(self):
        return int(self.max_total_gb * GB) if self.max_total_gb is not None else None

    @property
    def quota_bytes(self):
        return int(self.quota_gb * GB) if self.quota_gb else None

    @property
    def has_floor(self):
        return bool(self.min_free_gb) or bool(self.min_free_percent)

    def floor_bytes(self, size_bytes):
        """The free space the seedbox must keep, in bytes; None without a floor, or when only a percentage is
        given and the size is unknown."""
        floors = []
        if self.min_free_gb:
            floors.append(int(self.min_free_gb * GB))
        if self.min_free_percent and size_bytes is not None:
            floors.append(int(size_bytes * self.min_free_percent / 100.0))
        return max(floors) if floors else None

    def describe_floor(self, size_bytes):
        words = []
        if self.min_free_gb:
            words.append("min_free_gb %s" % _fmt(self.min_free_gb))
        if self.min_free_percent:
            of = " of %s" % human_bytes(size_bytes) if size_bytes is not None else " (size unknown)"
            words.append("min_free_percent %s%s" % (_fmt(self.min_free_percent), of))
        return " and ".join(words)


def disk_free(torrents):
    """The least free space a started torrent reports (``d.free_diskspace``), None when none is started: a
    torrent rTorrent has not opened since it started reports 0, and only open ones tell the disk's free space."""
    reports = [t["free_diskspace"] for t in torrents if t.get("state")]
    return min(reports) if reports else None


def space(torrents, quota_bytes=None):
    """The seedbox's space, as ``seedbox_status`` reports it: ``used`` (the loaded torrents' data, shared data
    counted once), ``disk_free`` (rTorrent's), ``free`` (with a quota what is left of it, at most the disk's free
    space; else the disk's), ``size`` (the quota, else used plus free) and ``source`` (``quota`` or ``rtorrent``)."""
    used = used_bytes(torrents)
    disk = disk_free(torrents)
    if quota_bytes:
        free = max(0, int(quota_bytes) - used)
        if disk is not None:
            free = min(free, disk)
        return {"used": used, "disk_free": disk, "free": free, "size": int(quota_bytes), "source": "quota"}
    return {"used": used, "disk_free": disk, "free": disk, "size": used + disk if disk is not None else None,
            "source": "rtorrent"}


def free_after(before, freed):
    """The free space ``space()`` would report once ``freed`` bytes of the torrents' data are gone (over a quota,
    what is freed counts only once back under it)."""
    if before["free"] is None:
        return None
    disk = before["disk_free"] + freed if before["disk_free"] is not None else None
    if before["source"] == "quota":
        free = max(0, before["size"] - (before["used"] - freed))
        return min(free, disk) if disk is not None else free
    return disk


def clusters(torrents, neighbours):
    """{hash: frozenset(hashes whose data overlaps, directly or through others)}: the torrents whose data is
    freed only when every one of them is gone."""
    parent = dict((t["hash"], t["hash"]) for t in torrents)

    def find(h):
        while parent[h] != h:
            parent[h] = parent[parent[h]]
            h = parent[h]
        return h
    for h, others in neighbours.items():
        for o in others:
            a, b = find(h), find(o)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups = {}
    for h in parent:
        groups.setdefault(find(h), set()).add(h)
    return dict((h, frozenset(groups[find(h)])) for h in parent)


def plan(torrents, imported, queued=(), policy=None, now=0.0, regrabbed=(), **rules):
    """Decide. Returns dict(remove=[...], keep=[...], used_before, used_after, cap_bytes, free_space).

    ``policy`` is a Policy; without one, ``rules`` are its fields (min_ratio=..., max_total_gb=...).
    Each entry of ``remove`` is ``{torrent, reason, trigger, keep_data, shared_with}``; entries come in the
    order they are to be executed. ``trigger``: ``policy`` (ratio or age met), ``capacity`` (over max_total_gb)
    or ``free_space`` (under the free-space floor). ``keep`` entries are ``{torrent, reason, code}``; ``code`` is one
    of KEEP_CODES. ``regrabbed``: hashes imported once and grabbed again since (arr_history_hashes), said so when
    kept. ``free_space``: see ``free_space_report``.

    Order: the policy's removals first, then the capacity cap's, then the floor's, each oldest first (the longest
    seeded since it finished: rTorrent's ``d.timestamp.finished``, else ruTorrent's ``seedingtime``; unknown last).
    The floor removes whole groups of torrents sharing data (cross-seeds, a pack and a file inside it): a group
    with a member that must stay frees nothing, so none of it goes for the floor.
    """
    policy = policy or Policy(**rules)
    imported = set(h.upper() for h in imported)
    queued = set(h.upper() for h in queued)
    regrabbed = set(h.upper() for h in regrabbed)
    download_root = policy.download_root
    min_seed_hours, min_ratio, min_seed_days = policy.min_seed_hours, policy.min_ratio, policy.min_seed_days
    max_removals = policy.max_removals
    keep, safe = [], []
    for torrent in torrents:
        h = torrent["hash"]
        age = seed_age(torrent, now)
        why = code = None
        if torrent.get("invalid_path"):
            why, code = ("invalid file path %r (rTorrent refuses such names; the endpoint is lying or compromised)"
                         % torrent["invalid_path"], "invalid_path")
        elif h in policy.protect_hashes:
            why, code = "protected hash", "protected_hash"
        elif torrent.get("label") in policy.protect_labels:
            why, code = "protected label %r" % torrent.get("label"), "protected_label"
        elif policy.labels is not None and torrent.get("label") not in policy.labels:
            why, code = "label %r not selected" % torrent.get("label"), "label_not_selected"
        elif h in queued:
            why, code = "still in a Radarr/Sonarr queue", "queued"
        elif h in regrabbed and h not in imported:
            why, code = "grabbed again after its import and not imported again yet", "regrabbed"
        elif h not in imported:
            why, code = "not imported by Radarr/Sonarr", "not_imported"
        elif not torrent.get("complete"):
            why, code = "download incomplete", "incomplete"
        elif policy.require_root and not under_root(torrent["data_path"], download_root):
            why, code = "data %s is outside download_root %s" % (torrent["data_path"], download_root), "outside_root"
        elif policy.require_root and _outside(torrent.get("files"), download_root):
            why, code = ("file %s is outside download_root" % _outside(torrent.get("files"), download_root),
                         "outside_root")
        elif min_seed_hours and (age is None or age < min_seed_hours * 3600):
            why, code = "minimum seed time %sh not reached (%s)" % (
                _fmt(min_seed_hours), "finish time unknown" if age is None else "%.1fh" % (age / 3600)), "min_seed_time"
        if why:
            keep.append({"torrent": torrent, "reason": why, "code": code})
            continue
        ratio = torrent["ratio"]
        if ratio >= min_ratio:
            safe.append((torrent, "ratio %.2f >= %s" % (ratio, _fmt(min_ratio)), "policy"))
        elif age is not None and age >= min_seed_days * DAY:
            safe.append((torrent, "seeded %.1f days >= %s" % (age / DAY, _fmt(min_seed_days)), "policy"))
        else:
            safe.append((torrent, "ratio %.2f < %s and %s" % (
                ratio, _fmt(min_ratio),
                "finish time unknown" if age is None else "seeded %.1f days < %s" % (age / DAY, _fmt(min_seed_days))),
                None))

    def oldest_first(item):
        age = seed_age(item[0], now)
        return (age is None, -(age or 0), item[0]["hash"])

    policy_items = sorted([s for s in safe if s[2] == "policy"], key=oldest_first)
    others = sorted([s for s in safe if s[2] is None], key=oldest_first)

    neighbours = overlap_neighbours(torrents)
    groups = clusters(torrents, neighbours)
    by_hash = dict((t["hash"], t) for t in torrents)
    names = dict((t["hash"], t["name"]) for t in torrents)
    gone = set()
    space_before = space(torrents, policy.quota_bytes)
    used_before = space_before["used"]
    used = [used_before]
    cap = policy.cap_bytes
    remove = []

    def take(torrent, reason, trigger):
        # siblings still loaded when this one goes keep the shared data; the last of them takes it
        group_before = used_bytes([by_hash[x] for x in groups[torrent["hash"]] if x not in gone])
        gone.add(torrent["hash"])
        siblings = sorted(h for h in neighbours[torrent["hash"]] if h not in gone)
        used[0] -= group_before - used_bytes([by_hash[x] for x in groups[torrent["hash"]] if x not in gone])
        remove.append({"torrent": torrent, "reason": reason, "trigger": trigger, "keep_data": bool(siblings),
                       "shared_with": siblings, "shared_with_names": [names[h] for h in siblings]})

    def room():
        return max_removals is None or len(remove) < max_removals

    for torrent, reason, _trigger in policy_items:
        if not room():
            keep.append({"torrent": torrent, "reason": "%s, but max_removals %d reached" % (reason, max_removals),
                         "code": "max_removals"})
            continue
        take(torrent, reason, "policy")
    rest = []
    for torrent, reason, _trigger in others:
        if cap is not None and used[0] > cap and room():
            take(torrent, "capacity: %.1f GB used > max_total_gb %s (%s)"
                 % (used[0] / GB, _fmt(policy.max_total_gb), reason), "capacity")
        else:
            rest.append((torrent, reason))

    floor = policy.floor_bytes(space_before["size"])
    free_before = space_before["free"]

    def free_now():
        return free_after(space_before, used_before - used[0])

    rest_reasons = dict((torrent["hash"], reason) for torrent, reason in rest)
    candidates = set(rest_reasons)
    for torrent, reason in rest:
        h = torrent["hash"]
        if h in gone:
            continue   # taken with the group of an older one
        if floor is None or free_before is None or free_now() >= floor:
            keep.append({"torrent": torrent, "reason": reason, "code": "policy_not_met"})
            continue
        group = [x for x in groups[h] if x not in gone]
        staying = sorted(names[x] for x in group if x not in candidates)
        if staying:
            keep.append({"torrent": torrent, "reason": "%s; removing it would free no space: its data is shared with "
                         "%s, which stays" % (reason, ", ".join(staying)), "code": "policy_not_met"})
            continue
        if max_removals is not None and len(remove) + len(group) > max_removals:
            keep.append({"torrent": torrent, "reason": "%s, free space under the floor, but max_removals %d reached"
                         % (reason, max_removals), "code": "max_removals"})
            continue
        words = "free space: %s free < floor %s (%s)" % (human_bytes(free_now()), human_bytes(floor), reason)
        take(torrent, words, "free_space")
        for other in sorted(group, key=lambda x: oldest_first((by_hash[x],))):
            if other != h:
                take(by_hash[other], "free space: shares its data with %s, removed with it (%s)"
                     % (torrent["name"], rest_reasons[other]), "free_space")
    used_after = used_bytes([t for t in torrents if t["hash"] not in gone])
    report = free_space_report(policy, space_before, used_before - used_after, keep, floor)
    return {"remove": remove, "keep": keep, "used_before": used_before, "used_after": used_after, "cap_bytes": cap,
            "free_space": report}


def _group_bytes(entries):
    return used_bytes([e["torrent"] for e in entries])


def free_space_report(policy, space_before, freed, keep, floor):
    """What the plan does for the free-space floor. ``before``/``planned_after``: free space (see ``space``) before
    and as the planned removals leave it; ``short``: how far under the floor that still is; ``blocked``: what
    stays that may not be removed, ``{code: {torrents, bytes}}`` (only when short); ``message`` in words."""
    before = space_before["free"]
    report = {"floor_bytes": floor, "min_free_gb": policy.min_free_gb, "min_free_percent": policy.min_free_percent,
              "quota_bytes": policy.quota_bytes, "size_bytes": space_before["size"], "source": space_before["source"],
              "before_bytes": before, "disk_free_before_bytes": space_before["disk_free"],
              "planned_after_bytes": free_after(space_before, freed), "after_bytes": None,
              "disk_free_after_bytes": None,
              "met": None, "short_bytes": 0, "blocked": {}, "message": ""}
    if not policy.has_floor:
        return report
    if floor is None or before is None:
        report["message"] = ("free space unknown (no started torrent reports it and no quota_gb is given): the "
                             "floor %s was not applied" % policy.describe_floor(space_before["size"]))
        return report
    after = free_after(space_before, freed)
    report["met"] = after >= floor
    if report["met"]:
        report["message"] = "free space %s%s, floor %s (%s): met" % (
            human_bytes(before), (" -> %s" % human_bytes(after)) if after != before else "", human_bytes(floor),
            policy.describe_floor(space_before["size"]))
        return report
    report["short_bytes"] = floor - after
    blocked = {}
    for k in keep:
        blocked.setdefault(k["code"], []).append(k)
    report["blocked"] = dict((code, {"torrents": len(entries), "bytes": _group_bytes(entries)})
                             for code, entries in blocked.items())
    held = ", ".join("%s %s (%s)" % (len(entries), code, human_bytes(_group_bytes(entries)))
                     for code, entries in sorted(blocked.items(), key=lambda item: -_group_bytes(item[1])))
    report["message"] = ("free space %s%s is %s short of the floor %s (%s): nothing else may be removed; "
                         "what stays: %s" % (
                             human_bytes(before), (" -> %s" % human_bytes(after)) if after != before else "",
                             human_bytes(report["short_bytes"]), human_bytes(floor),
                             policy.describe_floor(space_before["size"]), held or "nothing"))
    return report


def measured_after(report, after):
    """Complete a ``free_space_report`` with the free space measured after the run (``after``: ``space()`` of
    rTorrent's listing then): ``after_bytes``, ``disk_free_after_bytes``, and ``met``, ``short_bytes`` and
    ``message`` as measured (the plan's figures stay in ``planned_after_bytes``). ``after`` None: nothing was
    removed, the listing the plan read is the measure."""
    if after is None:
        report.update(after_bytes=report["before_bytes"], disk_free_after_bytes=report["disk_free_before_bytes"])
    else:
        report.update(after_bytes=after["free"], disk_free_after_bytes=after["disk_free"])
    floor = report["floor_bytes"]
    if floor is None or report["after_bytes"] is None or report["before_bytes"] is None:
        return report
    measured = report["after_bytes"]
    report["met"] = measured >= floor
    report["short_bytes"] = max(0, floor - measured)
    if report["met"]:
        report["message"] = "free space %s%s (measured), floor %s: met" % (
            human_bytes(report["before_bytes"]), (" -> %s" % human_bytes(measured))
            if measured != report["before_bytes"] else "", human_bytes(floor))
    elif report["planned_after_bytes"] is not None and report["planned_after_bytes"] >= floor:
        report["message"] = ("free space %s -> %s measured after the run, %s short of the floor %s although the "
                             "removals were to free %s (data rTorrent does not count, like hard links, or something "
                             "else writing): the next run removes more" % (
                                 human_bytes(report["before_bytes"]), human_bytes(measured),
                                 human_bytes(report["short_bytes"]), human_bytes(floor),
                                 human_bytes(report["planned_after_bytes"] - report["before_bytes"])))
    elif measured != report["planned_after_bytes"]:
        report["message"] = "%s (measured after the run: %s free, %s short)" % (
            report["message"], human_bytes(measured), human_bytes(report["short_bytes"]))
    return report


def result_entry(item, files, data_removal):
    """What the module reports for one planned removal (``item`` from ``plan()['remove']``)."""
    torrent = item["torrent"]
    data = "kept" if item["keep_data"] or data_removal == "torrent_only" else "removed"
    return {
        "hash": torrent["hash"], "name": torrent["name"], "label": torrent["label"],
        "size_bytes": torrent["size_bytes"], "ratio": torrent["ratio"], "reason": item["reason"],
        "trigger": item["trigger"], "data_path": torrent["data_path"], "data": data,
        "shared_with": item["shared_with"], "shared_with_names": item.get("shared_with_names", []),
        "data_verified": None, "files": len(files),
    }
