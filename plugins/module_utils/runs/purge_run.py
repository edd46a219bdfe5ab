# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out a purge that purge_policy planned: journalled, each step verified.

For each torrent: a journal line before anything happens; then either d.erase (checked with the torrent gone)
followed by deleting its data through a data_removal remover (checked with every path gone), or ruTorrent's
removewithdata, asked for several torrents one after the other and then waited for together (until each
torrent and every one of its paths are gone: ruTorrent deletes the data in a periodic clean-up job); a journal
line after each verified removal. The first step that fails stops the run; what was done until then is
reported with the error, and removals asked and not verified are named and left to the journal.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import posixpath
import signal
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.data_removal import RemovalError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import (
    measured_after, space, under_root)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import fsync_folder, write_atomic


class JournalError(Exception):
    pass


class Journal:
    """The purge's intent journal: JSON lines, appended and fsynced line by line (``path`` None: no journal).

    Before a torrent is erased a ``removing`` line records what the removal will do (hash, name, captured file
    paths, data path, download root, data removal method, seedbox); a ``removed`` line follows once the torrent
    and (when it goes) its data are verified gone. A ``removing`` line that no later line of the same hash
    closes is an unfinished removal: the next run completes it (``resume``) and closes it with ``resumed`` or
    ``abandoned``. Each real run first compacts the file to its unfinished lines, so it holds the last run's
    records plus whatever is still unfinished.
    """

    KEY = "hash"            # the field every record of this journal carries
    NAME = "purge journal"  # in messages

    TERMINAL = ("removed", "resumed", "abandoned")

    def __init__(self, path, clock=time.time):
        self.path = path
        self.clock = clock

    def read(self):
        """Every record, oldest first. A last line cut short (a kill while it was written, so before the erase
        it announced) is ignored; any other unreadable line raises JournalError: guessing could lose data."""
        if not self.path:
            return []
        try:
            with open(self.path) as handle:
                content = handle.read()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise JournalError("%s %s cannot be read: %s" % (self.NAME, self.path, exc))
        lines = content.split("\n")
        torn = lines.pop()   # the text after the last newline: a line a killed run did not finish
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            record = _parse(line, self.KEY)
            if record is None:
                raise JournalError("%s %s line %d is not a journal record; fix or remove it"
                                   % (self.NAME, self.path, number))
            records.append(record)
        if torn.strip() and _parse(torn, self.KEY) is not None:
            records.append(_parse(torn, self.KEY))
        return records

    def pending(self, records=None):
        """The ``removing`` records no later record of the same hash closes, oldest first."""
        last = {}
        for record in self.read() if records is None else records:
            if record["event"] == "removing":
                last.pop(record["hash"], None)
                last[record["hash"]] = record
            elif record["event"] in self.TERMINAL:
                last.pop(record["hash"], None)
        return list(last.values())

    def compact(self, keep):
        """Rewrite the journal atomically with only the records ``keep`` (the unfinished ones)."""
        if not self.path:
            return
        write_atomic(self.path, "".join(json.dumps(record, sort_keys=True) + "\n" for record in keep))

    def write(self, record):
        if not self.path:
            return
        record = dict(record, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock())))
        new = not os.path.exists(self.path)
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        with open(self.path, "ab+") as handle:
            end = handle.seek(0, os.SEEK_END)
            if end > 0:
                handle.seek(end - 1)
                if handle.read(1) != b"\n":
                    # a line a killed run left unfinished (it announced no erase: that follows the fsync) goes,
                    # so that no record is glued onto it
                    handle.seek(0)
                    handle.truncate(handle.read().rfind(b"\n") + 1)
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        if new:   # the file's name must survive a crash too
            fsync_folder(os.path.dirname(os.path.abspath(self.path)))


def _parse(line, key="hash"):
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get(key), str) or "event" not in record:
        return None
    return record


class StopRequest:
    """SIGTERM, SIGINT or SIGHUP during the removals ask the run to stop after the torrent in hand (its erase,
    deletion and verification finish, so nothing is left half done); a second signal ends the process at once
    (the journal then lets the next run finish). Use as a context manager around ``execute``."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

    def __init__(self):
        self.signum = None
        self._saved = {}

    def _handler(self, signum, frame):
        if self.signum is not None:   # asked twice: stop now
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = signum

    def __enter__(self):
        for signum in self.SIGNALS:
            self._saved[signum] = signal.signal(signum, self._handler)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        return False

    def describe(self):
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return "signal %s" % self.signum


class Stopped(Exception):
    pass


class PurgeStopped(Exception):
    """A removal failed: ``done`` holds the entries completed before it, ``cause`` the error, ``pending`` the
    entries ruTorrent was asked to remove and that were not verified (their intents stay in the journal)."""

    def __init__(self, done, cause, pending=()):
        Exception.__init__(self, str(cause))
        self.done = done
        self.cause = cause
        self.pending = list(pending)


# An unfinished intent older than this is not finished by a later run: what sits at its paths today may be
# anything (its data stays; the run warns).
INTENT_MAX_AGE_DAYS = 30


def users_of(torrents, exclude=()):
    """A function telling which loaded torrent (other than the hashes in ``exclude``) lists ``path`` or holds
    the folder it is in; None when none does."""
    owner, holders = {}, {}
    for torrent in torrents or ():
        if torrent["hash"] in exclude:
            continue
        for path in torrent.get("files") or ():
            owner.setdefault(posixpath.normpath(path), torrent["name"])
        holders.setdefault(posixpath.normpath(torrent["data_path"]), torrent["name"])

    def user_of(path):
        path = posixpath.normpath(path)
        if path in owner:
            return owner[path]
        folder = path
        while folder and folder != "/":
            if folder in holders:
                return holders[folder]
            folder = posixpath.dirname(folder)
        return None
    return user_of


def execute(client, remover, planned, files, data_removal, verify_timeout, journal, clock=time.time,
            sleep=time.sleep, context=None, stop=None, loaded=None, batch_size=1, keeper=None):
    """Remove each entry of ``planned`` (purge_policy.result_entry, in plan order; ``files``: hash -> paths);
    returns the entries done, each with ``data_verified`` set when its data was deleted and checked gone.
    ``context`` (seedbox, download_root) goes into every intent record, so that ``resume`` finishes it only
    against the same seedbox. ``stop`` (a StopRequest): no torrent is started after a stop was asked for.

    With ``data_removal`` rutorrent, up to ``batch_size`` removals with data are asked of ruTorrent one after
    the other (each intent written and fsynced before its own request) and then verified together, so that
    they share one wait for ruTorrent's periodic clean-up job; each is finished in the journal as soon as its
    torrent and every one of its paths are verified gone. Whatever happens, the removals already asked are
    verified before the run stops; those that could not be are in PurgeStopped.pending, left to the journal.
    ``keeper`` (purge_metainfo.Keeper): before its intent is written, each torrent's .torrent and file list are
    saved, and the intent (and the entry) name the saved file (``metainfo``) or why it was not kept
    (``metainfo_not_kept``); a metainfo that cannot be kept never stops the removal.
    Raises PurgeStopped."""
    done = []
    gone = set()
    asked = []   # (entry, paths) asked of ruTorrent, not verified yet
    context = dict(context or {}, data_removal=data_removal)
    batch_size = max(1, int(batch_size or 1))

    def verify_asked():
        _verify_batch(client, remover, asked, verify_timeout, journal, clock, sleep, done, gone)

    try:
        try:
            for entry in planned:
                if stop is not None and stop.signum is not None:
                    raise Stopped("%s received; stopped before the next removal, nothing is half done"
                                  % stop.describe())
                h = entry["hash"]
                paths = files[h]
                identity = {}
                if entry["data"] == "removed" and remover is not None:
                    # nothing another loaded torrent lists or holds is deleted, whatever the policy concluded (a
                    # torrent asked of ruTorrent and not verified gone yet still counts as loaded)
                    user_of = users_of(loaded, exclude=gone | {h})
                    used = [(p, user_of(p)) for p in list(paths) + [entry["data_path"]] if user_of(p)]
                    if used:
                        raise RemovalError("%s: %s is also used by the loaded torrent %s; nothing of it was "
                                           "removed" % (entry["name"], used[0][0], used[0][1]))
                    remover.check_parents(paths, entry["data_path"])
                    identity = remover.identity(paths)
                if keeper is not None:
                    keeper.keep(entry, paths, context)
                journal.write(dict(entry, event="removing", paths=paths, identity=identity, **context))
                if data_removal == "rutorrent" and entry["data"] == "removed":
                    client.rutorrent_remove_with_data(h)
                    asked.append((entry, paths))
                    if len(asked) >= batch_size:
                        verify_asked()
                    continue
                client.erase(h)
                if client.exists(h):
                    raise RemovalError("rTorrent still has %s after d.erase" % entry["name"])
                if entry["data"] == "removed":
                    remover.remove(paths, entry["data_path"])
                    left = remover.remaining(paths)
                    if left:
                        raise RemovalError("%s: %d paths still exist after deleting, e.g. %s"
                                           % (entry["name"], len(left), left[0]))
                    entry["data_verified"] = True
                journal.write(dict(entry, event="removed"))
                gone.add(h)
                done.append(entry)
            verify_asked()
        except (ServiceError, RemovalError, OSError, IOError, Stopped) as exc:
            if not asked or isinstance(exc, BatchUnverified):
                raise
            # removals asked before the failure: verify (and finish) them before reporting
            try:
                verify_asked()
            except (ServiceError, RemovalError, OSError, IOError) as second:
                raise RemovalError("%s; and of the removals asked before it: %s" % (exc, second))
            raise
    except (ServiceError, RemovalError, OSError, IOError, Stopped) as exc:
        raise PurgeStopped(done, exc, pending=[entry for entry, _paths in asked])
    return done


def measure_after(client, done, report, quota_bytes=None):
    """Ask rTorrent again, once the removals in ``done`` are verified: every one of them must be gone, and the
    free space the floor compares is measured, not computed (``report``: plan()['free_space'], completed with
    purge_policy.measured_after). Returns the new listing. Raises RemovalError when rTorrent still lists a
    removed torrent; ServiceError when it cannot be read."""
    after = client.list_torrents()
    still = set(e["hash"] for e in done) & set(t["hash"] for t in after)
    if still:
        raise RemovalError("rTorrent still lists %s after the erase" % ", ".join(sorted(still)))
    measured_after(report, space(after, quota_bytes))
    return after


class BatchUnverified(RemovalError):
    """Removals asked of ruTorrent that were not verified gone by the deadline."""


def _verify_batch(client, remover, asked, verify_timeout, journal, clock, sleep, done, gone):
    """Wait until the torrent and every path of each removal in ``asked`` are gone, finishing each in the journal
    (and moving it to ``done``) as soon as it is; ``asked`` keeps what is not verified by the deadline, and
    BatchUnverified names each of those and each finished one."""
    if not asked:
        return
    deadline = clock() + verify_timeout
    erased = set()
    left = dict((entry["hash"], list(paths)) for entry, paths in asked)
    finished = []
    while True:
        for entry, paths in list(asked):
            h = entry["hash"]
            if h not in erased:
                if client.exists(h):
                    continue
                erased.add(h)
            # ruTorrent's clean-up deletes all of a torrent's files at once: one look per poll until the first
            # is gone, then every path is checked
            if remover.remaining(left[h][:1]):
                continue
            left[h] = remover.remaining(paths)
            if left[h]:
                continue
            entry["data_verified"] = True
            journal.write(dict(entry, event="removed"))
            gone.add(h)
            done.append(entry)
            finished.append(entry["name"])
            asked.remove((entry, paths))
        if not asked:
            return
        if clock() > deadline:
            break
        sleep(1)
    # the final word on each: what is still there now
    words = []
    for entry, paths in asked:
        h = entry["hash"]
        left[h] = remover.remaining(paths)
        words.append("%s: %d paths still there%s" % (entry["name"], len(left[h]),
                                                     "" if h in erased else " (rTorrent still lists it)"))
    message = "ruTorrent removewithdata of %s after %ds" % ("; of ".join(words), verify_timeout)
    if any(entry["hash"] in erased for entry, _paths in asked):
        message += (" (ruTorrent erased the torrent; its erasedata clean-up deletes the data only once "
                    "ruTorrent's web UI was opened since rTorrent started: open it, or use data_removal "
                    "sftp; the next run finishes this removal from the journal)")
    if finished:
        message += "; verified gone and finished in the same batch: %s" % ", ".join(finished)
    if len(asked) > 1 or finished:
        message += "; not verified, left to the journal (the next run finishes them): %s" % ", ".join(
            entry["name"] for entry, _paths in asked)
    raise BatchUnverified(message)


def _age_days(record, now):
    try:
        started = time.mktime(time.strptime(record.get("time") or "", "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (TypeError, ValueError, OverflowError):
        return None
    return (now - started) / 86400.0


def _changed(remover, identity, paths):
    """The first of ``paths`` that exists now but is not the file the intent recorded, as text; else None."""
    for path in paths:
        st = remover.lstat(path)
        if st is None:
            continue
        recorded = identity.get(path)
        if recorded is None:
            return "%s was not there when the removal was decided" % path
        size, mtime, ino = recorded
        if st.st_size != size or int(st.st_mtime or 0) != mtime or \
                (ino is not None and getattr(st, "st_ino", None) not in (None, ino)):
            return "%s is not the file the removal was decided for (size, time or inode changed)" % path
    return None


def resume(journal, pending, torrents, remover, seedbox, download_root, check_mode=False, now=None):
    """Finish what an earlier run started: the ``pending`` intents (Journal.pending) of this seedbox and
    download root. ``torrents`` is the current d.multicall2 listing (with file paths).

    * still loaded (the run stopped before its erase): ``abandoned``, the policy decides about it afresh;
    * erased, data meant to stay (a cross-seed sibling, torrent_only): ``finished``;
    * erased, data to delete: its captured paths are deleted when every one is inside ``download_root`` and no
      loaded torrent lists it or holds the folder it is in (else ``abandoned``, data kept), then verified gone.
    Intents of another seedbox or download root, or with data to delete and no ``remover``, stay pending
    (``left``). Returns the report entries. In check mode nothing is deleted or written; entries say
    ``would finish``. Raises RemovalError when a deletion fails or cannot be verified.
    """
    loaded = dict((t["hash"], t) for t in torrents)
    user_of = users_of(torrents)
    now = time.time() if now is None else now

    report = []
    for record in pending:
        entry = {"hash": record["hash"], "name": record.get("name"), "data_path": record.get("data_path"),
                 "files": len(record.get("paths") or ()), "size_bytes": record.get("size_bytes") or 0,
                 "started": record.get("time"), "data_verified": None}
        event = None
        if record.get("seedbox") != seedbox or posixpath.normpath(record.get("download_root") or "/") != \
                posixpath.normpath(download_root or "/"):
            entry.update(outcome="left", why="journalled against %s, download_root %s; this run is %s, %s"
                         % (record.get("seedbox"), record.get("download_root"), seedbox, download_root))
        elif record["hash"] in loaded:
            entry.update(outcome="abandoned", why="still loaded in rTorrent (the run stopped before its erase); "
                                                  "the policy decides about it again")
            event = "abandoned"
        elif record.get("data") != "removed":
            entry.update(outcome="finished", why="torrent erased; its data stays (%s)" % (
                "shared with " + ", ".join(record.get("shared_with_names") or record.get("shared_with") or ())
                if record.get("shared_with")
                else "data_removal %s" % record.get("data_removal")))
            event = "resumed"
        elif remover is None:
            entry.update(outcome="left", why="its data is still to be deleted and data_removal is torrent_only")
        else:
            paths = [posixpath.normpath(p) for p in record.get("paths") or ()]
            outside = [p for p in paths + [record.get("data_path") or ""]
                       if not under_root(p, download_root)]
            used = [(p, user_of(p)) for p in paths if user_of(p)]
            age = _age_days(record, now)
            identity = record.get("identity")
            if outside:
                entry.update(outcome="abandoned", why="%s is not inside download_root %s; nothing deleted"
                             % (outside[0], download_root))
                event = "abandoned"
            elif used:
                entry.update(outcome="abandoned", why="%s is used by the loaded torrent %s now; data kept"
                             % (used[0][0], used[0][1]))
                event = "abandoned"
            elif not isinstance(identity, dict):
                entry.update(outcome="abandoned", why="recorded without the identity of its files (an older "
                             "version); nothing deleted: remove its data by hand if it is still there")
                event = "abandoned"
            elif age is None or age > INTENT_MAX_AGE_DAYS:
                entry.update(outcome="abandoned", why="started %s, more than %d days ago: what sits at its paths "
                             "now may be anything; nothing deleted" % (record.get("time"), INTENT_MAX_AGE_DAYS))
                event = "abandoned"
            elif _changed(remover, dict((posixpath.normpath(k), v) for k, v in identity.items()), paths):
                entry.update(outcome="abandoned", why="%s; nothing deleted" % _changed(
                    remover, dict((posixpath.normpath(k), v) for k, v in identity.items()), paths))
                event = "abandoned"
            elif check_mode:
                left = remover.remaining(paths)
                entry.update(outcome="would finish", why="delete the %d of its %d files still there"
                             % (len(left), len(paths)), paths_left=len(left))
            else:
                left = remover.remaining(paths)
                if left:
                    remover.remove(paths, record["data_path"])
                    still = remover.remaining(paths)
                    if still:
                        raise RemovalError("%s (removal interrupted in an earlier run): %d paths still exist "
                                           "after deleting, e.g. %s" % (record.get("name"), len(still), still[0]))
                entry.update(outcome="finished", why="deleted the %d of its %d files still there"
                             % (len(left), len(paths)), paths_left=len(left), data_verified=True)
                event = "resumed"
        if event and check_mode:
            entry["outcome"] = "would finish" if event == "resumed" else "would abandon"
        if event and not check_mode:
            journal.write({"hash": record["hash"], "name": record.get("name"), "event": event,
                           "outcome": entry["why"], "data_verified": entry["data_verified"]})
        report.append(entry)
    return report
