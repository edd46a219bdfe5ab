# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seedbox capacity and torrent counts from one rTorrent ``d.multicall2`` (read only).

rTorrent knows the size of each loaded torrent (``d.size_bytes``) and the free space of the file system each one's
folder is on (``d.free_diskspace``); it does not know a seedbox's quota. A rented seedbox (the plan's 750 GB) is
often a share of a larger disk, so ``d.free_diskspace`` says how full the *disk* is, not the plan: where the user
gives a quota, the size is the quota and the free space what is left of it (never more than the disk has).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentError

FIELDS = (("hash", "d.hash="), ("name", "d.name="), ("directory", "d.directory="),
          ("is_multi_file", "d.is_multi_file="), ("size_bytes", "d.size_bytes="), ("complete", "d.complete="),
          ("state", "d.state="), ("is_active", "d.is_active="), ("hashing", "d.hashing="),
          ("free_diskspace", "d.free_diskspace="))
STATES = ("seeding", "downloading", "paused", "stopped", "checking")


def read_torrents(client, view="main"):
    rows = client.call("d.multicall2", "", view, *[command for _key, command in FIELDS])
    if not isinstance(rows, list):
        raise RTorrentError("rTorrent: d.multicall2 did not answer a list")
    torrents = []
    for row in rows:
        if not isinstance(row, list) or len(row) != len(FIELDS):
            raise RTorrentError("rTorrent: d.multicall2 answered a row of unexpected shape")
        torrent = dict(zip([key for key, _command in FIELDS], row))
        for key in ("is_multi_file", "size_bytes", "complete", "state", "is_active", "hashing", "free_diskspace"):
            torrent[key] = int(torrent[key] or 0)
        torrents.append(torrent)
    return torrents


def torrent_state(torrent):
    if torrent["hashing"]:
        return "checking"
    if not torrent["state"]:
        return "stopped"
    if not torrent["is_active"]:
        return "paused"
    return "seeding" if torrent["complete"] else "downloading"


def data_key(torrent):
    directory = str(torrent["directory"]).rstrip("/") or "/"
    return directory if torrent["is_multi_file"] else directory.rstrip("/") + "/" + str(torrent["name"])


def summarize(torrents, quota_bytes=None):
    """Capacity and counts. ``used_bytes``: the loaded torrents' sizes, data shared by cross-seeded torrents
    counted once. ``free_bytes``: with a quota, what is left of it (at most the disk's free space); else rTorrent's
    ``d.free_diskspace`` (the least an open torrent reports; None when no torrent is open, since a closed one
    reports 0). ``size_bytes``: the quota, else used
    plus free."""
    counts = dict((state, 0) for state in STATES)
    sizes = {}
    for torrent in torrents:
        counts[torrent_state(torrent)] += 1
        key = data_key(torrent)
        sizes[key] = max(sizes.get(key, 0), torrent["size_bytes"])
    # A torrent rTorrent has not opened (stopped since loading) reports 0: only open ones tell the disk's free space.
    reports = [t["free_diskspace"] for t in torrents if t["state"] and not t["hashing"]]
    free_disk = min(reports) if reports else None
    counts["total"] = len(torrents)
    used = sum(sizes.values())
    if quota_bytes:
        size = int(quota_bytes)
        free = max(0, size - used)
        if free_disk is not None:
            free = min(free, free_disk)
    else:
        free = free_disk
        size = used + free if free is not None else None
    result = {"used_bytes": used, "free_bytes": free, "size_bytes": size, "quota_bytes": int(quota_bytes) if quota_bytes else None,
              "disk_free_bytes": free_disk, "torrents": counts,
              "used_ratio": round(float(used) / size, 4) if size else None}
    return result
