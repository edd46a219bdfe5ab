# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure logic: which torrents may leave the seedbox, in which order, and whether their data goes too.

Input is the list ``RTorrentClient.list_torrents()`` returns; nothing here talks to a service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath

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


def plan(torrents, imported, queued=(), min_ratio=1.5, min_seed_days=2.0, min_seed_hours=0.0, labels=None,
         protect_labels=(), protect_hashes=(), max_total_gb=None, max_removals=None, download_root=None,
         require_root=True, now=0.0, regrabbed=()):
    """Decide. Returns dict(remove=[...], keep=[...], used_before, used_after, cap_bytes).

    Each entry of ``remove`` is ``{torrent, reason, trigger, keep_data, shared_with}``; entries come in the
    order they are to be executed. ``keep`` entries are ``{torrent, reason, code}``; ``code`` is one of KEEP_CODES.
    ``regrabbed``: hashes imported once and grabbed again since (arr_history_hashes), said so when kept.
    """
    imported = set(h.upper() for h in imported)
    queued = set(h.upper() for h in queued)
    protect_hashes = set(h.upper() for h in protect_hashes)
    protect_labels = set(protect_labels or ())
    labels = set(labels) if labels else None
    regrabbed = set(h.upper() for h in regrabbed)
    keep, safe = [], []
    for torrent in torrents:
        h = torrent["hash"]
        age = seed_age(torrent, now)
        why = code = None
        if torrent.get("invalid_path"):
            why, code = ("invalid file path %r (rTorrent refuses such names; the endpoint is lying or compromised)"
                         % torrent["invalid_path"], "invalid_path")
        elif h in protect_hashes:
            why, code = "protected hash", "protected_hash"
        elif torrent.get("label") in protect_labels:
            why, code = "protected label %r" % torrent.get("label"), "protected_label"
        elif labels is not None and torrent.get("label") not in labels:
            why, code = "label %r not selected" % torrent.get("label"), "label_not_selected"
        elif h in queued:
            why, code = "still in a Radarr/Sonarr queue", "queued"
        elif h in regrabbed and h not in imported:
            why, code = "grabbed again after its import and not imported again yet", "regrabbed"
        elif h not in imported:
            why, code = "not imported by Radarr/Sonarr", "not_imported"
        elif not torrent.get("complete"):
            why, code = "download incomplete", "incomplete"
        elif require_root and not under_root(torrent["data_path"], download_root):
            why, code = "data %s is outside download_root %s" % (torrent["data_path"], download_root), "outside_root"
        elif require_root and _outside(torrent.get("files"), download_root):
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

    policy = sorted([s for s in safe if s[2] == "policy"], key=oldest_first)
    others = sorted([s for s in safe if s[2] is None], key=oldest_first)

    neighbours = overlap_neighbours(torrents)
    names = dict((t["hash"], t["name"]) for t in torrents)
    gone = set()
    used_before = used_bytes(torrents)
    used = [used_before]
    cap = int(max_total_gb * GB) if max_total_gb is not None else None
    remove = []

    def take(torrent, reason, trigger):
        # siblings still loaded when this one goes keep the shared data; the last of them takes it
        gone.add(torrent["hash"])
        siblings = sorted(h for h in neighbours[torrent["hash"]] if h not in gone)
        if not siblings:
            used[0] = max(0, used[0] - torrent["size_bytes"])
        remove.append({"torrent": torrent, "reason": reason, "trigger": trigger, "keep_data": bool(siblings),
                       "shared_with": siblings, "shared_with_names": [names[h] for h in siblings]})

    for torrent, reason, _trigger in policy:
        if max_removals is not None and len(remove) >= max_removals:
            keep.append({"torrent": torrent, "reason": "%s, but max_removals %d reached" % (reason, max_removals),
                         "code": "max_removals"})
            continue
        take(torrent, reason, "policy")
    for torrent, reason, _trigger in others:
        if cap is not None and used[0] > cap and (max_removals is None or len(remove) < max_removals):
            take(torrent, "capacity: %.1f GB used > max_total_gb %s (%s)"
                 % (used[0] / GB, _fmt(max_total_gb), reason), "capacity")
        else:
            keep.append({"torrent": torrent, "reason": reason, "code": "policy_not_met"})
    used_after = used_bytes([t for t in torrents if t["hash"] not in gone])
    return {"remove": remove, "keep": keep, "used_before": used_before, "used_after": used_after, "cap_bytes": cap}


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
