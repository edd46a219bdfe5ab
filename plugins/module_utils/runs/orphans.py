# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out the seedbox orphan sweep that decisions/orphans.py decides: list the download root over SSH (one
``find -printf``) or SFTP, move the orphans into the quarantine folder with renames, and delete quarantined
batches once their retention is over, every step announced in a local journal first.

The journal (JSON lines, each appended and fsynced before the step it announces) knows every batch this module
put in the quarantine: ``moving`` (the batch's items, before the first rename), ``moved`` (what really moved),
``expiring`` (before the batch's folder is deleted) and ``expired``. A run killed anywhere leaves a ``moving`` or
``expiring`` record without its closing one; the next run finishes it first: it looks where each item is now,
moves the ones still at their place that no loaded torrent lists, and deletes an announced batch. Only batches
the journal records are ever deleted, never anything else in the quarantine.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import errno
import os
import posixpath
import shlex
import stat as stat_mod
import threading
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError, connect
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import orphans as decide
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import Journal

# What one listing record costs at most (type, size, two times, device, the name) - used to bound the read.
_RECORD_MAX = 4096 + 64
# find's exit when the account has a shell but no find with -printf: the sweep then lists over SFTP
_NO_FIND = 97
_NO_ROOT = 96


class ListingError(Exception):
    """The listing is not complete (a cap, an error): nothing may move."""


class SweepError(Exception):
    pass


def quote(text):
    """A shell word for a name from the seedbox (surrogate-escaped bytes kept as they were)."""
    return shlex.quote(text)


def _glob_escape(rel):
    """``rel`` as a literal ``find -path`` pattern."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in rel)


def find_script(root, max_depth, prune_rels, quarantine):
    """The shell text that lists ``root`` in one round trip: a header record with the file system of the
    quarantine (or of its parent while it does not exist), one record per entry (type, size, mtime, ctime,
    device, path relative to root; NUL-terminated, so any name survives), and an end record with find's exit
    status. ``find`` never follows a symlink (-P); ``prune_rels`` are never descended into or listed; one level
    more than ``max_depth`` is listed so that a deeper tree is seen, not cut silently."""
    prune = "".join("-path %s -prune -o " % quote("./" + _glob_escape(rel)) for rel in sorted(prune_rels))
    q = quote(quarantine)
    parent = quote(posixpath.dirname(quarantine.rstrip("/")) or "/")
    return "\n".join([
        "cd -P -- %s 2>/dev/null || exit %d" % (quote(root), _NO_ROOT),
        "find . -maxdepth 0 -printf '' >/dev/null 2>&1 || exit %d" % _NO_FIND,
        "if [ -d %s ] && [ ! -L %s ]; then d=$(find %s -maxdepth 0 -printf %%D); else d=$(find %s -maxdepth 0 "
        "-printf %%D 2>/dev/null); fi" % (q, q, q, parent),
        "printf 'H %s\\0' \"$d\"",
        "find -P . -mindepth 1 -maxdepth %d %s-printf '%%y %%s %%T@ %%C@ %%D %%P\\0'" % (max_depth + 1, prune),
        "printf 'END %s\\0' \"$?\"",
        "",
    ])


class Seedbox:
    """The seedbox account over one SSH connection: a shell when it has one, SFTP always. ``round_trips``
    counts the commands and SFTP requests sent (each ``exec`` one, each SFTP call one)."""

    def __init__(self, timeout=60, **connect_args):
        self.client = connect(timeout=timeout, **connect_args)
        self.timeout = timeout
        self._sftp = None
        self.shell = None      # True when the listing ran over the shell; False when it fell back to SFTP
        self.round_trips = 0

    @property
    def sftp(self):
        if self._sftp is None:
            try:
                self._sftp = self.client.open_sftp()
            except Exception as exc:
                raise SshError("cannot open SFTP on the seedbox: %s" % exc)
        return self._sftp

    def close(self):
        if self._sftp is not None:
            self._sftp.close()
        self.client.close()

    def _exec(self, command, stdin=None, limit=None):
        """(exit status, stdout bytes, stderr text, truncated) of one command. ``stdin``: text for the shell
        (scripts go there, never on the command line). ``limit``: stop reading after so many bytes."""
        import socket
        self.round_trips += 1
        try:
            chan = self.client.get_transport().open_session(timeout=self.timeout)
            chan.settimeout(self.timeout)
            chan.exec_command(command)
            if stdin is not None:
                chan.sendall(stdin.encode("utf-8", "surrogateescape"))
            chan.shutdown_write()
            out, size, truncated, err = [], 0, False, b""
            while True:
                data = chan.recv(1 << 20)
                while chan.recv_stderr_ready():   # read stderr as it comes: its window must not fill up
                    more = chan.recv_stderr(65536)
                    err += more[:max(0, 65536 - len(err))]
                if not data:
                    break
                out.append(data)
                size += len(data)
                if limit is not None and size > limit:
                    truncated = True
                    break
            status = -1 if truncated else chan.recv_exit_status()
            while chan.recv_stderr_ready() and len(err) < 65536:
                err += chan.recv_stderr(65536)
            chan.close()
        except socket.timeout:
            raise SshError("the seedbox did not answer within %ds" % self.timeout)
        except Exception as exc:
            if isinstance(exc, SshError):
                raise
            raise SshError("SSH command failed on the seedbox: %s" % exc)
        return status, b"".join(out), err.decode("utf-8", "replace"), truncated

    # ---- listing -------------------------------------------------------------------------------------------

    def list_shell(self, root, max_depth, max_entries, prune_rels, quarantine):
        """(entries, quarantine_dev, problems) over the shell, or None when the account has no usable shell or
        find (then list_sftp). Raises ListingError for an incomplete listing."""
        script = find_script(root, max_depth, prune_rels, quarantine)
        try:
            status, out, err, truncated = self._exec("sh -s", stdin=script,
                                                     limit=(max_entries + 3) * _RECORD_MAX)
        except SshError:
            return None
        if status in (_NO_FIND, 126, 127) or (not out and status != _NO_ROOT):
            return None   # no shell (an SFTP-only account answers nothing), no find, or no -printf
        if status == _NO_ROOT:
            raise ListingError("the download root %s is not a folder the seedbox account can enter" % root)
        if not out.startswith(b"H "):
            return None
        head, _sep, rest = out.partition(b"\0")
        dev_text = head[2:].strip()
        quarantine_dev = int(dev_text) if dev_text.isdigit() else None
        end = rest.rfind(b"END ")
        if truncated:
            raise ListingError("the listing of %s has more than %d entries (max_entries)" % (root, max_entries))
        if end < 0 or not rest.endswith(b"\0") or (end > 0 and rest[end - 1:end] != b"\0"):
            raise ListingError("the listing of %s was cut short (no end record)" % root)
        code = rest[end + 4:-1].decode("ascii", "replace")
        entries, problems, cut = decide.parse_find(rest[:end], max_entries)
        if cut:
            raise ListingError("the listing of %s has more than %d entries (max_entries)" % (root, max_entries))
        if code != "0":
            first = (err.strip().splitlines() or ["no message"])[0][:300]
            raise ListingError("find over %s ended with status %s (%s)" % (root, code, first))
        deep = [e for e in entries if e.rel.count("/") + 1 > max_depth]
        if deep:
            raise ListingError("%s is deeper than max_depth %d" % (deep[0].rel, max_depth))
        self.shell = True
        return entries, quarantine_dev, problems

    def list_sftp(self, root, max_depth, max_entries, prune_rels):
        """(entries, None, problems) over SFTP: one listdir per folder, symlinks never followed (READDIR
        answers lstat attributes). SFTP gives no ctime nor file system. Raises ListingError."""
        self.shell = False
        entries, problems = [], []
        stack = [("", 1)]
        while stack:
            rel, depth = stack.pop()
            path = root.rstrip("/") + ("/" + rel if rel else "")
            self.round_trips += 1
            try:
                attrs = self.sftp.listdir_attr(path)
            except (IOError, OSError, UnicodeDecodeError) as exc:
                raise ListingError("SFTP cannot list %s: %s" % (path, getattr(exc, "strerror", None) or exc))
            for attr in attrs:
                name = attr.filename
                problem = decide.rel_problem(name)
                sub = rel + "/" + name if rel else name
                if problem:
                    problems.append("refused listed name %r in %s: %s" % (name, rel or ".", problem))
                    continue
                if sub in prune_rels:
                    continue
                mode = attr.st_mode or 0
                if stat_mod.S_ISLNK(mode):
                    kind = "l"
                elif stat_mod.S_ISDIR(mode):
                    kind = "d"
                elif stat_mod.S_ISREG(mode):
                    kind = "f"
                else:
                    kind = "o"
                entries.append(decide.Entry(sub, kind, attr.st_size or 0, attr.st_mtime or 0))
                if len(entries) > max_entries:
                    raise ListingError("the listing of %s has more than %d entries (max_entries)"
                                       % (root, max_entries))
                if kind == "d":
                    if depth >= max_depth:
                        raise ListingError("%s is deeper than max_depth %d" % (sub, max_depth))
                    stack.append((sub, depth + 1))
        return entries, None, problems

    def list(self, root, max_depth, max_entries, prune_rels, quarantine, method="auto"):
        if method in ("auto", "ssh"):
            got = self.list_shell(root, max_depth, max_entries, prune_rels, quarantine)
            if got is not None:
                return got
            if method == "ssh":
                raise ListingError("the seedbox account has no shell with GNU find (listing: ssh); use listing: "
                                   "auto or sftp")
        return self.list_sftp(root, max_depth, max_entries, prune_rels)

    # ---- where things are ----------------------------------------------------------------------------------

    def exists_many(self, paths):
        """[True/False] for each path (lstat: a dangling link exists)."""
        if not paths:
            return []
        if self.shell:
            lines = ["e() { if [ -e \"$1\" ] || [ -L \"$1\" ]; then echo 1; else echo 0; fi; }"]
            lines += ["e %s" % quote(p) for p in paths] + ["echo END", ""]
            status, out, err, _t = self._exec("sh -s", stdin="\n".join(lines))
            answers = out.decode("ascii", "replace").split()
            if status != 0 or answers[-1:] != ["END"] or len(answers) != len(paths) + 1:
                raise SshError("cannot check paths on the seedbox (status %s): %s" % (status, err.strip()[:200]))
            return [a == "1" for a in answers[:-1]]
        out = []
        for path in paths:
            out.append(self.lstat(path) is not None)
        return out

    def lstat(self, path):
        self.round_trips += 1
        try:
            return self.sftp.lstat(path)
        except (IOError, OSError) as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise SshError("SFTP cannot stat %s: %s" % (path, getattr(exc, "strerror", None) or exc))

    # ---- moves and deletions -------------------------------------------------------------------------------

    def move_many(self, pairs):
        """Rename each (src, dst) without replacing anything; returns {index: 'moved'|'failed'|'exists'}.
        Over the shell all renames go in one script (``mv -n -T``: never into a folder, never over a file; the
        file systems were compared before, so it never falls back to a copy); over SFTP one rename each (the
        SFTP rename refuses an existing target)."""
        if not pairs:
            return {}
        if self.shell:
            folders = sorted(set(posixpath.dirname(dst) for _src, dst in pairs))
            lines = ["m() { if [ -e \"$2\" ] || [ -L \"$2\" ]; then echo \"E $3\"; return; fi",
                     "  if mv -n -T -- \"$1\" \"$2\" 2>/dev/null && { [ -e \"$2\" ] || [ -L \"$2\" ]; } && "
                     "! { [ -e \"$1\" ] || [ -L \"$1\" ]; }; then echo \"M $3\"; else echo \"F $3\"; fi; }"]
            for start in range(0, len(folders), 200):
                lines.append("mkdir -p -- %s || { echo 'X mkdir'; exit 3; }"
                             % " ".join(quote(f) for f in folders[start:start + 200]))
            lines += ["m %s %s %d" % (quote(src), quote(dst), i) for i, (src, dst) in enumerate(pairs)]
            lines += ["echo END", ""]
            status, out, err, _t = self._exec("sh -s", stdin="\n".join(lines))
            words = out.decode("ascii", "replace").split("\n")
            outcome = {}
            for line in words:
                parts = line.split()
                if len(parts) == 2 and parts[0] in ("M", "F", "E") and parts[1].isdigit():
                    outcome[int(parts[1])] = {"M": "moved", "F": "failed", "E": "exists"}[parts[0]]
            if "X mkdir" in words:
                raise SshError("cannot create the quarantine's folders: %s" % err.strip()[:300])
            return outcome
        outcome = {}
        for i, (src, dst) in enumerate(pairs):
            try:
                self.makedirs(posixpath.dirname(dst))
                if self.lstat(dst) is not None:
                    outcome[i] = "exists"
                    continue
                self.round_trips += 1
                self.sftp.rename(src, dst)
                outcome[i] = "moved" if self.lstat(src) is None and self.lstat(dst) is not None else "failed"
            except (IOError, OSError, SshError):
                outcome[i] = "failed"
        return outcome

    def makedirs(self, path):
        missing = []
        while path and path != "/":
            st = self.lstat(path)
            if st is not None:
                if not stat_mod.S_ISDIR(st.st_mode):
                    raise SshError("%s is in the way of the quarantine (not a folder)" % path)
                break
            missing.append(path)
            path = posixpath.dirname(path)
        for folder in reversed(missing):
            self.round_trips += 1
            try:
                self.sftp.mkdir(folder, 0o700)
            except (IOError, OSError) as exc:
                raise SshError("cannot create %s on the seedbox: %s"
                               % (folder, getattr(exc, "strerror", None) or exc))

    def remove_tree(self, path):
        """Delete ``path`` and everything in it, never following a link (a link is removed as a link); then
        check it is gone. True when it was there."""
        if self.shell:
            script = "\n".join([
                "p=%s" % quote(path),
                "if [ -e \"$p\" ] || [ -L \"$p\" ]; then w=1; else w=0; fi",
                "rm -rf -- \"$p\" 2>&1 | head -c 300",
                "if [ -e \"$p\" ] || [ -L \"$p\" ]; then echo \"LEFT $w\"; else echo \"GONE $w\"; fi", ""])
            status, out, err, _t = self._exec("sh -s", stdin=script)
            text = out.decode("utf-8", "replace").strip().splitlines()
            last = text[-1] if text else ""
            if not last.startswith("GONE"):
                raise SshError("could not delete %s on the seedbox: %s" % (path, " ".join(text)[:300] or err[:300]))
            return last.endswith("1")
        st = self.lstat(path)
        if st is None:
            return False
        self._remove_sftp(path, st)
        if self.lstat(path) is not None:
            raise SshError("%s is still there after deleting it" % path)
        return True

    def _remove_sftp(self, path, st):
        try:
            if stat_mod.S_ISDIR(st.st_mode):
                self.round_trips += 1
                for attr in self.sftp.listdir_attr(path):
                    self._remove_sftp(path + "/" + attr.filename, attr)
                self.round_trips += 1
                self.sftp.rmdir(path)
            else:
                self.round_trips += 1
                self.sftp.remove(path)
        except (IOError, OSError) as exc:
            raise SshError("could not delete %s on the seedbox: %s" % (path, getattr(exc, "strerror", None) or exc))


class SweepJournal(Journal):
    """The sweep's journal: the purge's Journal (append, fsync, a cut last line ignored, atomic compaction) with
    records keyed by ``batch`` instead of ``hash``."""

    KEY = "batch"
    NAME = "orphan journal"

    def write(self, record):
        Journal.write(self, dict(record, epoch=int(self.clock())))

    def live(self, records):
        """The records of every batch not expired (what compaction keeps)."""
        states = decide.batch_states(records)
        return [r for r in records if r.get("batch") in states and states[r["batch"]]["state"] != "expired"]


def new_batch_id(now):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)) + "-" + binascii.hexlify(os.urandom(3)).decode("ascii")


def read_intents(paths):
    """The unfinished purge intents (runs/purge_run Journal.pending) of every purge journal in ``paths`` that
    exists; raises JournalError when one cannot be read (then nothing moves)."""
    intents = []
    for path in paths or ():
        journal = Journal(path)
        intents.extend(journal.pending())
    return intents


def torrent_hashes(client):
    rows = client.call("d.multicall2", "", "main", "d.hash=")
    return set(str(row[0]).upper() for row in rows or ())


def session_path(client):
    """rTorrent's session folder (``session.path``), or None when rTorrent will not say."""
    try:
        path = client.call("session.path")
    except Exception:
        return None
    return str(path) if path else None


class Sweep:
    """One run against one seedbox. ``options``: download_root, remote_root, quarantine, method, max_depth,
    max_entries, min_age_seconds, max_files, max_bytes, patterns, dotfiles, exclude_paths (absolute, as the
    SSH account sees them), retention_seconds, seedbox (a label for the journal)."""

    def __init__(self, client, seedbox, journal, options, check_mode=False, now=None, intents=()):
        self.client = client
        self.box = seedbox
        self.journal = journal
        self.o = options
        self.check_mode = check_mode
        self.now = time.time() if now is None else now
        self.intents = list(intents)
        self.result = {"changed": False, "orphans": [], "moved": [], "expired": [], "resumed": [],
                       "skipped": [], "partial": [], "orphaned_bytes": 0, "orphaned_files": 0, "moved_bytes": 0,
                       "expired_bytes": 0, "quarantine_bytes": 0, "torrents_total": 0,
                       "listing": {"method": None, "entries": 0, "round_trips": 0, "rtorrent_requests": 0}}

    # the remote path of a path relative to the root
    def remote(self, rel):
        return decide.join_beneath(self.o["remote_root"], rel)

    def batch_path(self, batch, rel=None):
        base = decide.join_beneath(self.o["quarantine"], batch)
        return base if rel is None else decide.join_beneath(base, rel)

    def _listing(self, excluded, holder):
        o = self.o
        try:
            holder["got"] = self.box.list(o["remote_root"], o["max_depth"], o["max_entries"], set(excluded),
                                          o["quarantine"], o["method"])
        except ListingError as exc:
            holder["partial"] = str(exc)
        except Exception as exc:  # pylint: disable=broad-except
            holder["error"] = exc   # raised again in the run's thread

    def run(self):
        o, r = self.o, self.result
        records = self.journal.read()
        batches = decide.batch_states(records)
        if not self.check_mode and len(self.journal.live(records)) != len(records):
            self.journal.compact(self.journal.live(records))
        mine = dict((b, s) for b, s in batches.items()
                    if s.get("quarantine") == o["quarantine"] and s.get("remote_root") == o["remote_root"])
        for batch, state in batches.items():
            if batch not in mine and state["state"] != "expired":
                why = "journalled against quarantine %s and root %s; this run is %s, %s" % (
                    state.get("quarantine"), state.get("remote_root"), o["quarantine"], o["remote_root"])
                r["resumed"].append({"batch": batch, "outcome": "left", "why": why})
        quarantine_rel = decide.relative_to(o["quarantine"], o["remote_root"])
        excluded = {}
        if quarantine_rel:
            excluded[quarantine_rel] = "the quarantine folder"
        session = session_path(self.client)
        session_rel = decide.relative_to(session, o["download_root"]) if session else None
        if session_rel:
            excluded.setdefault(session_rel, "rTorrent's session folder")
        for path in o.get("exclude_paths") or ():
            rel = decide.relative_to(path, o["remote_root"])
            if rel:
                excluded.setdefault(rel, "exclude %s" % path)
        # The listing runs while rTorrent answers, unless an unfinished move must be finished first (it changes
        # what the listing sees); the quarantine, where deletions happen, is never listed.
        holder = {}
        unfinished = any(s["state"] == "moving" for s in mine.values())
        lister = None
        if not unfinished:
            lister = threading.Thread(target=self._listing, args=(excluded, holder))
            lister.daemon = True
            lister.start()
        try:
            torrents = self.client.list_torrents()
        finally:
            if lister is not None:
                lister.join()
        r["torrents_total"] = len(torrents)
        owned, protected, problems = decide.owned_paths(torrents, self.intents, o["download_root"])
        # 1. finish what a killed run left: moves first (their items are still at their place), then deletions
        pending_rels = {}
        for batch, state in sorted(mine.items()):
            if state["state"] == "moving":
                if problems or self.check_mode:
                    for item in state.get("items") or ():
                        pending_rels[item["path"]] = batch
                    r["resumed"].append({"batch": batch, "outcome": "would finish" if self.check_mode else "left",
                                         "why": "moves announced and not finished" + (
                                             "" if self.check_mode else "; the torrent list is incomplete: %s"
                                             % problems[0])})
                    continue
                self._finish_moves(batch, state, owned, protected)
        if lister is None:
            self._listing(excluded, holder)
        if "error" in holder:
            raise holder["error"]
        for batch, state in sorted(mine.items()):
            if state["state"] == "expiring":
                self._expire(batch, state, why="deletion announced by an earlier run")
        # 2. expire what is due
        for state in decide.due_for_expiry(mine, self.now, o["retention_seconds"]):
            self._expire(state["batch"], state, why="in the quarantine %.1f days, retention %.1f days" % (
                (self.now - state["moved_at"]) / 86400.0, o["retention_seconds"] / 86400.0))
        # 3. decide, move
        partial = list(problems) + ([holder["partial"]] if "partial" in holder else [])
        entries, quarantine_dev, listing_problems = holder.get("got") or ([], None, [])
        r["listing"].update(method="ssh" if self.box.shell else "sftp", entries=len(entries))
        for problem in listing_problems:
            r["skipped"].append({"path": None, "why": problem})
        if listing_problems:
            partial.append("the listing holds names that cannot be addressed safely (%s)" % listing_problems[0])
        # rTorrent and the SSH account must see the same tree: a torrent's files that exist must be listed
        listed = set(e.rel for e in entries)
        if owned and entries and not partial and not (set(owned) & listed):
            partial.append("none of the %d files the loaded torrents list under %s is in the listing of %s: "
                           "rTorrent and the SSH account see different folders (set remote_root)"
                           % (len(owned), o["download_root"], o["remote_root"]))
        decision = decide.plan(entries, owned, protected, self.now, o["min_age_seconds"], o["max_files"],
                               o["max_bytes"], o["patterns"], o["dotfiles"], excluded, pending_rels,
                               quarantine_rel, quarantine_dev, partial)
        r["partial"] = decision["partial"]
        r["orphans"] = decision["units"]
        r["orphaned_bytes"] = decision["orphaned_bytes"]
        r["orphaned_files"] = decision["orphaned_files"]
        r["skipped"].extend(decision["skipped"])
        move = decision["move"]
        if move and not self.check_mode:
            # the torrent list must not have changed since it was read (a torrent added for this very data)
            if torrent_hashes(self.client) != set(t["hash"] for t in torrents):
                r["partial"].append("the loaded torrents changed during the run; nothing moved, the next run "
                                    "decides again")
                for unit in move:
                    unit.update(outcome="held", why=r["partial"][-1])
                move = []
        if move:
            self._move(move)
        self._totals(mine)
        r["listing"]["round_trips"] = self.box.round_trips
        r["listing"]["rtorrent_requests"] = getattr(self.client, "request_count", 0)
        return r

    def _totals(self, batches):
        states = decide.batch_states(self.journal.read()) if not self.check_mode else batches
        self.result["quarantine_bytes"] = sum(s.get("size_bytes") or 0 for s in states.values()
                                              if s["state"] in ("held", "expiring")
                                              and s.get("quarantine") == self.o["quarantine"])
        if self.check_mode:
            moved = sum(u["size_bytes"] for u in self.result["moved"])
            expired = sum(e["size_bytes"] for e in self.result["expired"])
            self.result["quarantine_bytes"] += moved - expired

    def _move(self, units):
        o, r = self.o, self.result
        batch = new_batch_id(self.now)
        items = [dict(path=u["path"], kind=u["kind"], files=u["files"], size_bytes=u["size_bytes"],
                      newest=u["newest"]) for u in units]
        for unit in units:
            entry = {"path": unit["path"], "kind": unit["kind"], "files": unit["files"],
                     "size_bytes": unit["size_bytes"], "age_hours": unit["age_hours"], "batch": batch,
                     "quarantine_path": self.batch_path(batch, unit["path"])}
            r["moved"].append(entry)
        r["changed"] = True
        if self.check_mode:
            for entry in r["moved"]:
                entry["outcome"] = "would move"
            r["moved_bytes"] = sum(e["size_bytes"] for e in r["moved"])
            return
        self.journal.write({"event": "moving", "batch": batch, "items": items, "quarantine": o["quarantine"],
                            "remote_root": o["remote_root"], "download_root": o["download_root"],
                            "seedbox": o["seedbox"]})
        pairs = [(self.remote(i["path"]), self.batch_path(batch, i["path"])) for i in items]
        outcome = self.box.move_many(pairs)
        done = [i for n, i in enumerate(items) if outcome.get(n) == "moved"]
        self.journal.write({"event": "moved", "batch": batch, "moved": [i["path"] for i in done],
                            "size_bytes": sum(i["size_bytes"] for i in done)})
        for n, entry in enumerate(r["moved"]):
            entry["outcome"] = outcome.get(n, "failed")
        r["moved_bytes"] = sum(i["size_bytes"] for i in done)
        failed = [e for e in r["moved"] if e["outcome"] != "moved"]
        if failed:
            raise SweepError("%d of %d moves to the quarantine failed, e.g. %s (%s)" % (
                len(failed), len(items), failed[0]["path"], failed[0]["outcome"]))

    def _finish_moves(self, batch, state, owned, protected):
        """A batch whose moves a killed run announced: each item at its place (and still no torrent's) moves,
        one already in the quarantine counts as moved, one in neither place is lost."""
        items = state.get("items") or []
        srcs = [self.remote(i["path"]) for i in items]
        dsts = [self.batch_path(batch, i["path"]) for i in items]
        here = self.box.exists_many(srcs + dsts)
        at_src, at_dst = here[:len(items)], here[len(items):]
        todo, done, lost, kept = [], [], [], []
        holding = set()   # every path a torrent or an intent uses, and every folder on the way to one
        for rel in list(owned) + list(protected):
            holding.add(rel)
            holding.update(decide.ancestors(rel))
        for n, item in enumerate(items):
            rel = item["path"]
            used = rel in holding or any(a in protected or a in owned for a in decide.ancestors(rel))
            if at_dst[n] and not at_src[n]:
                done.append(item)
            elif at_src[n] and not at_dst[n]:
                if used:
                    kept.append(item)
                else:
                    todo.append(n)
            elif not at_src[n] and not at_dst[n]:
                lost.append(item)
            else:
                kept.append(item)
        outcome = self.box.move_many([(srcs[n], dsts[n]) for n in todo])
        for k, n in enumerate(todo):
            if outcome.get(k) == "moved":
                done.append(items[n])
            else:
                kept.append(items[n])
        self.journal.write({"event": "moved", "batch": batch, "moved": [i["path"] for i in done],
                            "lost": [i["path"] for i in lost], "size_bytes": sum(i["size_bytes"] for i in done)})
        self.result["changed"] = self.result["changed"] or bool(todo)
        now_moved = len([k for k in range(len(todo)) if outcome.get(k) == "moved"])
        why = ("%d moved now, %d were already in the quarantine, %d left at their place (a torrent lists them now, "
               "or the move failed), %d gone from both" % (now_moved, len(done) - now_moved, len(kept), len(lost)))
        self.result["resumed"].append({"batch": batch, "outcome": "finished", "why": why})
        state.update(state="held", moved=[i["path"] for i in done], moved_at=self.now,
                     size_bytes=sum(i["size_bytes"] for i in done))

    def _expire(self, batch, state, why):
        path = self.batch_path(batch)
        entry = {"batch": batch, "quarantine_path": path, "size_bytes": state.get("size_bytes") or 0,
                 "files": sum(i.get("files", 0) for i in state.get("items") or ()
                              if i["path"] in (state.get("moved") or ())),
                 "moved": state.get("time"), "why": why}
        self.result["changed"] = True
        if self.check_mode:
            entry["outcome"] = "would expire"
            self.result["expired"].append(entry)
            return
        if state["state"] != "expiring":
            self.journal.write({"event": "expiring", "batch": batch})
        self.box.remove_tree(path)
        self.journal.write({"event": "expired", "batch": batch, "size_bytes": entry["size_bytes"]})
        state["state"] = "expired"
        entry["outcome"] = "expired"
        self.result["expired"].append(entry)
        self.result["expired_bytes"] += entry["size_bytes"]
