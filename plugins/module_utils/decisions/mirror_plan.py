# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seedbox sync decisions (pure): which remote items to fetch, and whether a staged copy is complete.

An *item* is one top-level entry of the remote folder: a release folder or a single file. Its files are
listed over SFTP before the transfer; that listing is the evidence a staged copy is checked against.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import hashlib
import posixpath

from ansible_collections.mediaops.servarr.plugins.module_utils.safe_fs import name_problem as _component_problem

# The module's own entries in staging_dir (its lock, and the markers of the item folders it created): no
# seedbox item may take their place.
OWN_NAMES = (".lftp_mirror.lock", ".servarr-items")

# lftp's own temporary names: the temp file of xfer:use-temp-file and the status file of a segmented get
LFTP_TEMP_PREFIX = ".in."
LFTP_STATUS_SUFFIX = ".lftp-pget-status"


class Item:
    """A remote item: ``files`` maps a relative path ('' for a single-file item) to (size, mtime)."""

    def __init__(self, name, is_dir, files, newest, skipped_links=0, problem=None):
        self.name = name
        self.is_dir = is_dir
        self.files = files
        self.newest = newest
        self.skipped_links = skipped_links
        self.problem = problem   # why the listing refused it (a hostile name inside, say); never fetched

    @property
    def size(self):
        return sum(size for size, _mtime in self.files.values())

    def signature(self):
        """Changes when any file is added, removed, resized or rewritten."""
        digest = hashlib.sha256()
        for rel in sorted(self.files):
            size, mtime = self.files[rel]
            digest.update(("%s\0%d\0%d\n" % (rel, size, int(mtime))).encode("utf-8", "surrogateescape"))
        return digest.hexdigest()


def name_problem(name):
    """Why a name from the seedbox cannot be a file or folder name here, or None. The seedbox is someone
    else's machine: a name that is empty, ``.``, ``..``, or holds ``/`` or NUL would lead outside the folder
    it is joined onto; a line break cannot be addressed in an lftp command."""
    problem = _component_problem(name)
    if problem:
        return "refused: %s" % problem
    if "\n" in name or "\r" in name:
        return "its name holds a line break, which lftp commands cannot address"
    if name in OWN_NAMES:
        return "refused: %s is the name of this module's own file in staging_dir" % name
    return None


def _parts(path):
    return [part for part in posixpath.normpath(path or "/").split("/") if part]


def _overlaps(item_parts, data_parts):
    """Does the item's path, as SFTP shows it, hold or lie inside the torrent's data path, as rTorrent shows
    it? rTorrent may see the same folders under a longer path (an SFTP chroot such as /home/user), so the
    item's path is looked for at every position of the data path."""
    for start in range(len(data_parts)):
        common = min(len(item_parts), len(data_parts) - start)
        if data_parts[start:start + common] == item_parts[:common]:
            return True
    return False


def waiting_for_rtorrent(items, remote_dir, torrents):
    """{item name: reason} for the items that hold, or lie inside, the data of a torrent rTorrent has not
    finished (``torrents`` as RTorrentClient.list_torrents returns them). min_age cannot tell a stalled
    download from a finished one; rTorrent can."""
    unfinished = [t for t in torrents if not t.get("complete")]
    waiting = {}
    for item in items:
        item_parts = _parts(posixpath.join(remote_dir, item.name))
        for torrent in unfinished:
            if _overlaps(item_parts, _parts(torrent.get("data_path"))):
                size = torrent.get("size_bytes") or 0
                waiting[item.name] = "rTorrent has not finished downloading %s (%d%%)" % (
                    torrent.get("name"), 100 * (torrent.get("completed_bytes") or 0) // size if size else 0)
                break
    return waiting


def select(items, include=(), exclude=(), min_age_seconds=0, now=0, handed_off=None, present=None, waiting=None):
    """Split ``items`` into (to_fetch, skipped) where skipped is a list of (name, reason).

    ``handed_off``: {name: signature} of items a previous run already handed off; ``present``: a function
    telling whether a name already exists in the import folder with the same sizes (None: unknown);
    ``waiting``: {name: reason} of items an unfinished download still writes to (waiting_for_rtorrent)."""
    fetch, skipped = [], []
    for item in sorted(items, key=lambda i: i.name):
        problem = name_problem(item.name) or getattr(item, "problem", None)
        if problem:
            skipped.append((item.name, problem))
        elif include and not any(fnmatch.fnmatchcase(item.name, pattern) for pattern in include):
            skipped.append((item.name, "not matched by include"))
        elif any(fnmatch.fnmatchcase(item.name, pattern) for pattern in exclude):
            skipped.append((item.name, "matched by exclude"))
        elif not item.files:
            skipped.append((item.name, "holds no files"))
        elif waiting and item.name in waiting:
            skipped.append((item.name, waiting[item.name]))
        elif min_age_seconds and item.newest > now - min_age_seconds:
            skipped.append((item.name, "changed %d s ago, less than min_age: may still be being written"
                            % max(0, now - item.newest)))
        elif handed_off and handed_off.get(item.name) == item.signature():
            skipped.append((item.name, "already handed off by an earlier run"))
        elif present is not None and present(item):
            skipped.append((item.name, "already in the import folder"))
        else:
            fetch.append(item)
    return fetch, skipped


def check_staged(item, local_files):
    """Is the staged copy complete? ``local_files`` maps relative path -> size of every regular file under
    the staged item (a single-file item: {'': size}). Returns a list of problems; empty means complete."""
    problems = []
    for rel, (size, _mtime) in sorted(item.files.items()):
        if rel not in local_files:
            problems.append("%s is missing" % (rel or item.name))
        elif local_files[rel] != size:
            problems.append("%s has %d of %d bytes" % (rel or item.name, local_files[rel], size))
    for rel in sorted(local_files):
        if rel not in item.files:
            base = rel.rsplit("/", 1)[-1]
            if base.startswith(LFTP_TEMP_PREFIX) or base.endswith(LFTP_STATUS_SUFFIX):
                problems.append("lftp left %s (an unfinished transfer)" % rel)
            else:
                problems.append("%s is not on the seedbox" % rel)
    return problems


def connection_plan(max_connections, parallel_items, parallel_files, segments, items):
    """Split a budget of SSH logins between items, files and segments.

    One login is the module's own SFTP session (listing, checksums, removal); the rest is shared by the items
    fetched at once. An lftp ``mirror -P files --use-pget-n=segments`` opens at most files x segments logins
    (its listing reuses one of them), a ``pget -n segments`` at most segments. Returns a list with one
    ``(share, files, segments)`` per item slot: the number of slots is the number of items fetched at once
    (at most ``parallel_items``, never more than there are items or logins); the first slots get one more
    login when the budget does not divide evenly. Segments come first (a release is mostly one big video,
    which only segments speed up), the files at once take what is left. Raises ValueError when the budget
    leaves no login for lftp."""
    budget = max_connections - 1
    if budget < 1:
        raise ValueError("max_connections must be at least 2: one for the module's own SFTP session and one "
                         "for lftp")
    slots = max(1, min(parallel_items, budget, items or 1))
    plan = []
    for slot in range(slots):
        share = budget // slots + (1 if slot < budget % slots else 0)
        n = max(1, min(segments, share))
        files = max(1, min(parallel_files, share // n))
        plan.append((share, files, n))
    return plan
