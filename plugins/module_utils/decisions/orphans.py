# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seedbox orphan sweep decisions (pure): what under the download root no loaded torrent lists, what of it may
move to the quarantine this run, and which quarantined batches have expired.

The listing is a flat list of :class:`Entry` (a path relative to the root, its type, size, mtime, ctime and file
system). A path is *owned* when a loaded torrent lists it (``d.directory`` + ``f.path``) or an unfinished purge
intent holds it; every folder on the way to an owned path is *blocked* (it holds something that must stay) and is
never moved as a whole; an *orphan unit* is a file, link or folder outside every blocked folder that is not owned:
a folder moves with everything in it, or not at all. Nothing here reads the seedbox or rTorrent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import posixpath

from ansible_collections.mediaops.servarr.plugins.module_utils.safe_fs import name_problem

# The quarantine's default name, a folder directly in the download root; never listed, never a torrent's.
QUARANTINE_NAME = ".servarr-quarantine"

KINDS = {"f": "file", "d": "folder", "l": "symlink"}


class Entry:
    """One listed path. ``kind``: ``f`` regular file, ``d`` folder, ``l`` symlink (never followed), anything else
    a special file (socket, fifo, device), which is never moved. ``ctime`` and ``dev`` are None where the listing
    cannot tell (SFTP)."""

    __slots__ = ("rel", "kind", "size", "mtime", "ctime", "dev")

    def __init__(self, rel, kind, size=0, mtime=0, ctime=None, dev=None):
        self.rel = rel
        self.kind = kind
        self.size = size
        self.mtime = mtime
        self.ctime = ctime
        self.dev = dev

    def __repr__(self):
        return "Entry(%r, %r, %r)" % (self.rel, self.kind, self.size)


def rel_problem(rel):
    """Why a listed relative path cannot be joined onto the root, or None: each component one plain name
    (safe_fs.name_problem: not empty, ``.``, ``..``, no ``/`` or NUL)."""
    if not isinstance(rel, str) or not rel or rel.startswith("/"):
        return "not a relative path"
    wrapped = "/" + rel + "/"
    if "\0" not in rel and "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped:
        return None   # the common case, in one pass: every component is a plain name
    for part in rel.split("/"):
        problem = name_problem(part)
        if problem:
            return problem
    return None


def join_beneath(root, rel):
    """``root/rel``, checked after joining to lie strictly beneath ``root``; raises ValueError otherwise."""
    problem = rel_problem(rel)
    if problem:
        raise ValueError("refused %r: %s" % (rel, problem))
    root = posixpath.normpath(root)
    path = posixpath.normpath(root.rstrip("/") + "/" + rel)
    if not path.startswith(root.rstrip("/") + "/") or path == root:
        raise ValueError("refused %r: %s is not beneath %s" % (rel, path, root))
    return path


def relative_to(path, root):
    """The path of ``path`` relative to ``root`` (both as the same machine sees them), or None when it is not
    strictly inside the root."""
    if not path or not str(path).startswith("/"):
        return None
    root = posixpath.normpath(root)
    prefix = root.rstrip("/") + "/"
    path = str(path)
    wrapped = path + "/"
    if path.startswith(prefix) and "//" not in wrapped and "/./" not in wrapped and "/../" not in wrapped:
        return path[len(prefix):]   # already normal: the common case, without normpath
    path = posixpath.normpath(path)
    if not path.startswith(prefix) or path == root:
        return None
    return path[len(prefix):]


def parse_find(data, max_entries):
    """Entries from the output of ``find . -mindepth 1 ... -printf '%y %s %T@ %C@ %D %P\\0'`` (bytes, one record
    per NUL). Returns (entries, problems, truncated): a record that does not parse or a name that is not a plain
    relative path goes to ``problems`` (never joined onto anything); ``truncated`` is True when there were more
    than ``max_entries`` records (the caller then treats the listing as partial). Names are decoded as UTF-8 with
    surrogateescape, so any byte string survives the round trip to the commands that move it."""
    entries, problems = [], []
    records = data.split(b"\0")
    tail = records.pop()   # after the last NUL: empty unless the output was cut
    if tail:
        problems.append("the listing ended in the middle of a record")
    for record in records:
        if len(entries) >= max_entries:
            return entries, problems, True
        fields = record.split(b" ", 5)
        if len(fields) != 6:
            problems.append("a listing record does not parse: %r" % record[:200])
            continue
        kind, size, mtime, ctime, dev, name = fields
        rel = name.decode("utf-8", "surrogateescape")
        try:
            entry = Entry(rel, kind.decode("ascii"), int(size), float(mtime), float(ctime), int(dev))
        except (ValueError, UnicodeDecodeError):
            problems.append("a listing record does not parse: %r" % record[:200])
            continue
        problem = rel_problem(rel)
        if problem:
            problems.append("refused listed name %r: %s" % (rel, problem))
            continue
        entries.append(entry)
    return entries, problems, False


def ancestors(rel):
    """Every folder above ``rel`` (relative), nearest first, without the root ('')."""
    out = []
    while "/" in rel:
        rel = rel.rsplit("/", 1)[0]
        out.append(rel)
    return out


def exclude_reason(rel, patterns, dotfiles, excluded_rels):
    """Why ``rel`` is excluded by the user (itself or a folder above it), or None. ``patterns``: globs; one with a
    ``/`` is matched against the whole relative path, one without against each name on the way. ``dotfiles``:
    any name starting with ``.``. ``excluded_rels``: relative paths excluded with everything in them (the
    quarantine, rTorrent's session folder, absolute excludes)."""
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        head = "/".join(parts[:i])
        if head in excluded_rels:
            return "excluded (%s)" % excluded_rels[head]
    if dotfiles:
        for part in parts:
            if part.startswith("."):
                return "excluded (a dot-file: %s)" % part
    for pattern in patterns:
        if "/" in pattern:
            pattern = pattern.strip("/")
            for i in range(1, len(parts) + 1):
                if fnmatch.fnmatchcase("/".join(parts[:i]), pattern):
                    return "excluded (matches %s)" % pattern
        elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
            return "excluded (matches %s)" % pattern
    return None


def owned_paths(torrents, intents, download_root):
    """What must stay, relative to ``download_root`` (rTorrent's view): (owned, protected, problems).

    ``owned``: {rel: torrent name} of every file path a loaded torrent lists; ``protected``: {rel: why} of every
    path (with everything beneath it) an unfinished purge intent holds; ``problems``: why the torrent list cannot
    be trusted to be complete (a torrent with no file list, or an impossible path) - any problem stops every move.
    Paths outside the root do not matter here."""
    owned, protected, problems = {}, {}, []
    for torrent in torrents or ():
        files = torrent.get("files") or []
        if torrent.get("invalid_path"):
            problems.append("the torrent %s lists an impossible file path %r"
                            % (torrent.get("name"), torrent.get("invalid_path")))
            continue
        if not files:
            problems.append("the files of the torrent %s (%s) could not be read"
                            % (torrent.get("name"), torrent.get("hash")))
            continue
        for path in files:
            rel = relative_to(path, download_root)
            if rel is not None:
                owned.setdefault(rel, torrent.get("name"))
        rel = relative_to(torrent.get("data_path"), download_root)
        if rel is not None and not torrent.get("is_multi_file"):
            owned.setdefault(rel, torrent.get("name"))
    for intent in intents or ():
        why = "an unfinished purge of %s holds it" % intent.get("name")
        for path in list(intent.get("paths") or ()) + [intent.get("data_path")]:
            rel = relative_to(path, download_root)
            if rel is not None:
                protected.setdefault(rel, why)
    return owned, protected, problems


def plan(entries, owned, protected, now, min_age_seconds=86400, max_files=None, max_bytes=None, patterns=(),
         dotfiles=True, excluded_rels=None, pending=None, quarantine_rel=None, quarantine_dev=None, partial=()):
    """Decide the sweep. ``entries``: the listing (Entry); ``owned``/``protected``: from owned_paths;
    ``pending``: {rel: batch} of paths an unfinished move of an earlier run holds; ``quarantine_rel``: the
    quarantine's path relative to the root when it lies inside it; ``quarantine_dev``: its file system (a unit on
    another cannot be renamed there); ``partial``: reasons the listing or the torrent list is incomplete.

    Returns a dict: ``units`` (every orphan unit: rel, kind, files, size_bytes, newest, age_hours, outcome
    ``move``, ``young``, ``capped`` or ``held``, why), ``move`` (the units to move, oldest first), ``skipped``
    (listed paths that are not orphans but worth saying: refused names, special files, another file system),
    ``partial`` (reasons nothing moves), ``orphaned_bytes``/``orphaned_files`` (every unit, moving or not)."""
    excluded_rels = dict(excluded_rels or {})
    pending = pending or {}
    partial = list(partial)
    if quarantine_rel:
        excluded_rels.setdefault(quarantine_rel, "the quarantine folder")
        inside = [rel for rel in list(owned) + list(protected)
                  if rel == quarantine_rel or rel.startswith(quarantine_rel + "/")]
        if inside:
            partial.append("a loaded torrent lists %s, inside the quarantine folder: choose another quarantine_dir"
                           % inside[0])
    by_rel = dict((e.rel, e) for e in entries)
    blocked = set()      # folders holding something that stays: never moved as a whole
    stays = {}           # rel -> why, for listed paths that stay themselves
    skipped = []

    def block(rel):
        for folder in ancestors(rel):
            if folder in blocked:
                break
            blocked.add(folder)

    for rel in list(owned) + list(protected) + list(pending):
        block(rel)
    for rel, why in protected.items():
        stays[rel] = why
    for rel, batch in pending.items():
        stays.setdefault(rel, "an unfinished move of batch %s holds it" % batch)
    for entry in entries:
        why = exclude_reason(entry.rel, patterns, dotfiles, excluded_rels)
        if why is None and entry.kind not in KINDS:
            why = "a special file (type %s); never moved" % entry.kind
            skipped.append({"path": entry.rel, "why": why})
        if why is None and quarantine_dev is not None and entry.dev is not None and entry.dev != quarantine_dev:
            why = "on another file system than the quarantine folder; a rename cannot move it"
            skipped.append({"path": entry.rel, "why": why})
        if why is not None:
            stays.setdefault(entry.rel, why)
            block(entry.rel)

    def under_protected(rel):
        for folder in [rel] + ancestors(rel):
            if folder in protected or folder in pending:
                return True
        return False

    units = []
    children = {}
    for entry in entries:
        parent = entry.rel.rsplit("/", 1)[0] if "/" in entry.rel else ""
        children.setdefault(parent, []).append(entry)
    for entry in sorted(entries, key=lambda e: e.rel):
        parent = entry.rel.rsplit("/", 1)[0] if "/" in entry.rel else ""
        if parent and parent not in blocked:
            continue   # inside a unit (or inside something that stays whole)
        if parent and (parent in stays or under_protected(parent)):
            continue
        if entry.rel in owned or entry.rel in stays or entry.rel in blocked or under_protected(entry.rel):
            continue
        files = size = 0
        newest = max(entry.mtime or 0, entry.ctime or 0)
        stack = [entry]
        while stack:
            current = stack.pop()
            if current.kind == "f":
                files += 1
                size += current.size or 0
            newest = max(newest, current.mtime or 0, current.ctime or 0)
            if current.kind == "d":
                stack.extend(children.get(current.rel, ()))
        units.append({"path": entry.rel, "kind": KINDS.get(entry.kind, entry.kind), "files": files,
                      "size_bytes": size, "newest": newest, "age_hours": round(max(0.0, now - newest) / 3600.0, 1)})

    move, files_taken, bytes_taken = [], 0, 0
    for unit in sorted(units, key=lambda u: (u["newest"], u["path"])):
        if partial:
            unit.update(outcome="held", why="nothing moves: %s" % partial[0])
        elif now - unit["newest"] < min_age_seconds:
            unit.update(outcome="young", why="changed %.1f h ago, less than the minimum age of %.1f h"
                        % (max(0.0, now - unit["newest"]) / 3600.0, min_age_seconds / 3600.0))
        elif (max_files is not None and files_taken + max(1, unit["files"]) > max_files) or \
                (max_bytes is not None and bytes_taken + unit["size_bytes"] > max_bytes):
            unit.update(outcome="capped", why="over this run's cap (max_files %s, max_gb %s); a later run moves it"
                        % (max_files, None if max_bytes is None else max_bytes / 1e9))
        else:
            unit.update(outcome="move", why="no loaded torrent lists it")
            files_taken += max(1, unit["files"])
            bytes_taken += unit["size_bytes"]
            move.append(unit)
    units.sort(key=lambda u: u["path"])
    return {"units": units, "move": move, "skipped": skipped, "partial": partial,
            "orphaned_bytes": sum(u["size_bytes"] for u in units),
            "orphaned_files": sum(u["files"] for u in units)}


def batch_states(records):
    """Fold the sweep's journal records into {batch: state}, oldest first. A state holds the ``moving`` record's
    fields and ``state``: ``moving`` (a move was announced, not finished), ``held`` (moved, in the quarantine),
    ``expiring`` (a deletion was announced, not finished) or ``expired``; ``moved`` (rels moved), ``moved_at``
    (time stamp of the move), ``size_bytes`` (of what was moved)."""
    batches = {}
    for record in records:
        batch = record.get("batch")
        event = record.get("event")
        if not isinstance(batch, str):
            continue
        if event == "moving":
            batches[batch] = dict(record, state="moving", moved=[], moved_at=None)
            continue
        state = batches.get(batch)
        if state is None:
            continue
        if event == "moved":
            state.update(state="held", moved=list(record.get("moved") or ()), moved_at=record.get("epoch"),
                         size_bytes=record.get("size_bytes", 0), lost=list(record.get("lost") or ()))
        elif event == "expiring":
            state["state"] = "expiring"
        elif event == "expired":
            state["state"] = "expired"
    return batches


def due_for_expiry(batches, now, retention_seconds):
    """The held batches whose move is at least ``retention_seconds`` old, oldest first."""
    due = [b for b in batches.values() if b["state"] == "held" and b.get("moved_at") is not None
           and now - b["moved_at"] >= retention_seconds]
    return sorted(due, key=lambda b: b["moved_at"])
