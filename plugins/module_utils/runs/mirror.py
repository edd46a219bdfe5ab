# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The seedbox sync's work, for lftp_mirror: fetch an item into staging with lftp, check it against the SFTP
listing (and SHA-256 where a transfer may have been interrupted), hand it off with a rename, and only then
remove the seedbox copy. The decisions it rests on (what to fetch, what complete means) are in mirror_plan.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import os
import stat
import threading
import time

try:
    import queue
except ImportError:  # pragma: no cover (Python 2 is not supported by the module; keeps the import harmless)
    import Queue as queue

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.lftp import LftpError, LftpSession
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import Stopped
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import (
    LFTP_STATUS_SUFFIX, LFTP_TEMP_PREFIX, OWN_NAMES, check_staged)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError, remote_sha256
from ansible_collections.mediaops.servarr.plugins.module_utils import safe_fs
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError, save


def check_folders(dest, staging):
    """Resolve dest and staging_dir and check the hand-off can be a rename; returns (dest, staging) real
    paths or raises ValueError."""
    dest, staging = os.path.realpath(dest), os.path.realpath(staging)
    for label, path in (("dest", dest), ("staging_dir", staging)):
        if not os.path.isdir(path):
            raise ValueError("%s %s is not a folder on this host (NAS not mounted?); nothing was fetched"
                             % (label, path))
    if staging == dest or staging.startswith(dest.rstrip("/") + "/") or dest.startswith(staging.rstrip("/") + "/"):
        raise ValueError("staging_dir must be beside dest, not inside it (or it inside staging_dir)")
    if os.stat(staging).st_dev != os.stat(dest).st_dev:
        raise ValueError("staging_dir and dest are on different file systems; the hand-off must be a rename")
    return dest, staging


class UnsafeItem(Exception):
    """An item whose local path would not be exactly one entry of its folder."""


def item_path(folder, name):
    """``folder/name`` for an item the seedbox listed, after checking that it is exactly one entry of
    ``folder``: ``name`` is one plain component and the real parent of the joined path is ``folder``'s real
    path. Raises UnsafeItem otherwise (nothing is read or written there)."""
    problem = safe_fs.name_problem(name)
    if problem:
        raise UnsafeItem("refused item %r: %s" % (name, problem))
    path = os.path.join(folder, name)
    if os.path.realpath(os.path.dirname(path)) != os.path.realpath(folder):
        raise UnsafeItem("refused item %r: %s does not lie directly in %s" % (name, path, folder))
    return path


def already_in(dest, item):
    """Is ``item`` already in ``dest`` with every listed file at its listed size?"""
    try:
        path = item_path(dest, item.name)
    except UnsafeItem:
        return False
    return os.path.lexists(path) and check_staged(item, local_files(path, item.is_dir)) == []


# Items whose staging folder this module created (not a folder someone or something else put there): a file
# named by the SHA-1 of the item's name in this folder of staging_dir. Only inside such a folder may files the
# listing does not name be removed before a resumed fetch.
MARKER_DIR = OWN_NAMES[1]


def marker_name(name):
    return hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100


def rename_noreplace(src, dst):
    """Rename ``src`` to ``dst`` but never replace an existing ``dst``: raises FileExistsError.

    Atomic with renameat2(RENAME_NOREPLACE) where the kernel and file system have it (local file systems);
    on the others (NFS, CIFS, old kernels) it checks first, which leaves a moment in which a folder that
    appears in dest at the same instant could be replaced."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, ImportError):
        renameat2 = None
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code == errno.EEXIST:
            raise FileExistsError(code, os.strerror(code), dst)
        if code not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), src)
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), dst)
    os.rename(src, dst)


def parse_rate(text):
    text = str(text).strip().upper()
    factor = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in ("K", "M") else text
    try:
        value = float(number) * factor
    except ValueError:
        raise ValueError("bandwidth_limit %r is not a number with an optional K or M" % text)
    if value < 0:
        raise ValueError("bandwidth_limit must not be negative")
    return int(value)


def local_files(path, is_dir):
    """Relative path -> size of every regular file under a staged item; symlinks and others count as extra."""
    if not is_dir:
        return {"": os.lstat(path).st_size} if os.path.isfile(path) and not os.path.islink(path) else {}
    found = {}
    for folder, dirs, files in os.walk(path):
        rel_folder = os.path.relpath(folder, path)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = os.path.join(folder, name)
            rel = name if rel_folder == "." else rel_folder + "/" + name
            found[rel] = os.lstat(full).st_size if os.path.isfile(full) and not os.path.islink(full) else -1
    return found


def lftp_leftovers(path):
    """lftp's temporary and segment-status files for the file at ``path`` that exist."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, LFTP_TEMP_PREFIX + name)
    return [c for c in (temp, temp + LFTP_STATUS_SUFFIX, path + LFTP_STATUS_SUFFIX) if os.path.lexists(c)]


def was_staged(item, rel, before):
    """Did an earlier run leave this file, or lftp's temporary or status file for it, in staging?"""
    name = rel.rsplit("/", 1)[-1] if rel else item.name
    folder = rel[:-len(name)] if rel else ""
    temp = folder + LFTP_TEMP_PREFIX + name
    candidates = (rel, temp, rel + LFTP_STATUS_SUFFIX, temp + LFTP_STATUS_SUFFIX)
    if not item.is_dir:   # a single-file item: the staged names sit beside it, keyed by their own names
        return bool(before)
    return any(c in before for c in candidates)


def local_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _received(path):
    st = os.lstat(path)
    return min(st.st_blocks * 512, st.st_size) if stat.S_ISREG(st.st_mode) else 0


def disk_bytes(path):
    """Bytes really received under path: the allocated blocks of each file, at most its size (a segmented
    get writes into a sparse file, and lftp is told not to preallocate: file:use-fallocate no)."""
    total = 0
    if not os.path.lexists(path):
        return 0
    if not os.path.isdir(path) or os.path.islink(path):
        try:
            return _received(path)
        except OSError:
            return 0
    for folder, dirs, files in os.walk(path):
        for name in files:
            try:
                total += _received(os.path.join(folder, name))
            except OSError:
                pass
    return total


def append_log(path, text):
    """One line with a time stamp, in one write (O_APPEND): lines of threads and of a signal handler never mix."""
    line = ("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), text)).encode("utf-8", "replace")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def stop_message(reason, entry):
    if entry["handed_off"]:
        return "stopped (%s) after the hand-off: the seedbox copy was not removed" % reason
    return ("stopped (%s): not handed off and nothing removed from the seedbox; the staged copy stays for the "
            "next run to resume" % reason)


class RateShare:
    """``bandwidth_limit`` is the total for the run: each running lftp gets limit / (items running now), and
    every running lftp's share is rewritten when an item starts or finishes (lftp re-reads it every second)."""

    def __init__(self, total):
        self.total = total
        self.running = []
        self.lock = threading.Lock()

    def _apply(self):
        if self.running:
            share = max(1, self.total // len(self.running))
            for session in self.running:
                session.set_rate(share)

    def join(self, session):
        if self.total:
            with self.lock:
                self.running.append(session)
                self._apply()

    def leave(self, session):
        if self.total:
            with self.lock:
                if session in self.running:
                    self.running.remove(session)
                self._apply()


class Sync:
    """One run's transfers. ``params``: the lftp_mirror options; ``client``: a connected, host-key-checked
    paramiko SSHClient (ssh.connect); ``settings``: lftp tuning for LftpSession; ``log``: a function taking
    one line (the module's syslog); ``lifeline``: the run's Lifeline (children die with the run, and a run
    told to stop starts no fetch, hand-off or removal); ``slots``: connection_plan's (share, files, segments)
    per item fetched at once; ``rate``: the total bandwidth limit (bytes/s, 0: none), shared by the items
    running at each moment."""

    def __init__(self, params, client, settings, log=None, lifeline=None, slots=None, rate=0):
        self.log_to = log
        self.p = params
        self.client = client
        self.sftp = client.open_sftp()
        self.sftp_lock = threading.Lock()
        self.settings = settings
        self.log_lock = threading.Lock()
        self.state_lock = threading.Lock()
        self.lifeline = lifeline
        self.plan(slots, rate)

    def plan(self, slots=None, rate=0):
        """Set the connection plan (connection_plan's slots) and the run's total bandwidth limit."""
        self.slots = queue.Queue()
        for slot in slots or [(0, self.settings.get("parallel_files", 6), self.settings.get("segments", 8))]:
            self.slots.put(slot)
        self.rates = RateShare(rate)

    @property
    def stopped(self):
        return self.lifeline.stopped if self.lifeline is not None else None

    def log(self, text):
        if self.log_to:
            self.log_to("lftp_mirror: %s" % text)
        if self.p["log_file"]:
            with self.log_lock:
                append_log(self.p["log_file"], text)

    def session(self, **overrides):
        p = self.p
        settings = dict(self.settings, **overrides)
        if self.rates.total:
            settings["limit_rate"] = self.rates.total
        return LftpSession(p["sftp_host"], p["sftp_port"], p["sftp_username"], self.client.servarr_host_key,
                           password=p["sftp_password"], key_file=p["sftp_key_file"], settings=settings,
                           lifeline=self.lifeline)

    def dry_run(self, items):
        """lftp's own dry run over ``items``: (exit code, output). Nothing is written or removed."""
        if not items:
            return 0, ""
        session = self.session()
        try:
            staging = self.p["staging_dir"]
            commands = [session.mirror_command(self.remote_path(i), item_path(staging, i.name), i.is_dir,
                                               dry_run=True) for i in items]
            rc, out, err = session.run(commands)
        finally:
            session.close()
        if self.stopped:
            raise Stopped(self.stopped)
        return rc, out if rc == 0 else (err or out).strip()[-1500:]

    def remote_path(self, item):
        return self.p["remote_dir"].rstrip("/") + "/" + item.name

    def staged_bytes(self, item):
        """Bytes received so far for an item in staging (its temp and segment files included)."""
        staged = item_path(self.p["staging_dir"], item.name)
        if item.is_dir:
            return disk_bytes(staged)
        return sum(disk_bytes(path) for path in [staged] + lftp_leftovers(staged) if os.path.lexists(path))

    def fetch(self, item, session, fresh=()):
        """Run lftp for one item; returns (rc, message, bytes received by this fetch). ``fresh``: staged
        files to delete first."""
        staging = self.p["staging_dir"]
        staged = item_path(staging, item.name)
        for rel in fresh:
            target = staged if rel == "" else os.path.join(staged, rel)
            for path in [target] + lftp_leftovers(target):
                safe_fs.unlink_beneath(staging, os.path.relpath(path, staging))
        total = item.size
        started = time.time()
        before = self.staged_bytes(item)

        def progress():
            done = self.staged_bytes(item)
            rate = max(0, done - before) / max(time.time() - started, 0.001) / 1e6
            self.log("%s: %.1f of %.1f MB (%d%%), %.1f MB/s"
                     % (item.name, done / 1e6, total / 1e6, 100 * done // max(total, 1), rate))

        command = session.mirror_command(self.remote_path(item), staged, item.is_dir)
        try:
            rc, out, err = session.run([command], timeout=self.p["transfer_timeout"], progress=progress,
                                       progress_interval=self.p["progress_interval"])
        finally:
            received = max(0, self.staged_bytes(item) - before)
        message = " ".join(line.strip() for line in (err or out).splitlines() if line.strip())[-1500:]
        return rc, message, received

    @staticmethod
    def problems(item, staged):
        problems = check_staged(item, local_files(staged, item.is_dir))
        if not item.is_dir:
            problems += ["lftp left %s (an unfinished transfer)" % os.path.basename(path)
                         for path in lftp_leftovers(staged)]
        return problems

    def checksum_mismatches(self, item, rels):
        staged = item_path(self.p["staging_dir"], item.name)
        bad, unsupported = [], False
        for rel in rels:
            if self.stopped:
                raise Stopped(self.stopped)
            remote = self.remote_path(item) + ("/" + rel if rel else "")
            with self.sftp_lock:
                theirs = remote_sha256(self.client, remote)
            if theirs is None:
                unsupported = True
                break
            if local_sha256(staged if rel == "" else os.path.join(staged, rel)) != theirs:
                bad.append(rel)
        return bad, unsupported

    @staticmethod
    def new_entry(item, resumed):
        return {"name": item.name, "files": len(item.files), "bytes": item.size, "received_bytes": 0,
                "seconds": 0.0, "throughput_mb_s": 0.0, "resumed": resumed, "refetched_from_scratch": False,
                "refetched_files": 0, "verified": False, "checksummed": 0, "handed_off": None,
                "removed_remote": False, "error": None}

    def sync_item(self, item, handed_off):
        """Fetch, check, hand off and (with remove_source) remove one item; returns its result entry."""
        slot = self.slots.get()
        try:
            return self._sync_item(item, handed_off, slot)
        finally:
            self.slots.put(slot)

    def _marker(self, item):
        return os.path.join(MARKER_DIR, marker_name(item.name))

    def _mark(self, item):
        """Record that this module creates the item's staging folder (before lftp does)."""
        folder = os.path.join(self.p["staging_dir"], MARKER_DIR)
        with self.state_lock:   # items run in parallel: one creates the folder while another empties it
            try:
                os.mkdir(folder, 0o700)
            except FileExistsError:
                pass
            fd = os.open(os.path.join(folder, marker_name(item.name)),
                         os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, item.name.encode("utf-8", "surrogateescape"))
            finally:
                os.close(fd)

    def _unmark(self, item):
        """The item left staging: forget its marker, and the markers' folder once it is empty."""
        with self.state_lock:
            safe_fs.unlink_beneath(self.p["staging_dir"], self._marker(item))
            safe_fs.rmdir_if_empty_beneath(self.p["staging_dir"], MARKER_DIR)

    def _reserve(self, item, staged):
        """Free space in staging for what is still to come of ``item`` plus free_space_reserve_gb, counting
        what the items already running still need. Returns the bytes reserved; raises OSError when short."""
        reserve = int((self.p.get("free_space_reserve_gb") or 0) * 1e9)
        still = max(0, item.size - (self.staged_bytes(item) if os.path.lexists(staged) else 0))
        with self.state_lock:
            free = free_bytes(self.p["staging_dir"]) - getattr(self, "reserved", 0)
            if still + reserve > free:
                raise OSError(errno.ENOSPC, "not enough free space in staging_dir %s: %.1f GB free, the item needs "
                              "%.1f GB more and free_space_reserve_gb keeps %.1f GB; nothing was fetched"
                              % (self.p["staging_dir"], max(free, 0) / 1e9, still / 1e9, reserve / 1e9))
            self.reserved = getattr(self, "reserved", 0) + still
        return still

    def _sync_item(self, item, handed_off, slot):
        p = self.p
        started = time.time()
        entry = self.new_entry(item, False)
        try:
            staged = item_path(p["staging_dir"], item.name)
            final = item_path(p["dest"], item.name)
            if os.path.islink(staged) or os.path.islink(final):
                raise UnsafeItem("refused item %r: a symbolic link sits at its place in staging_dir or dest"
                                 % item.name)
        except UnsafeItem as exc:
            entry["error"] = str(exc)
            return entry
        leftovers = [] if item.is_dir else lftp_leftovers(staged)   # a single file's are beside it
        entry["resumed"] = os.path.lexists(staged) or bool(leftovers)
        if self.stopped:
            entry["error"] = "not started: the run was stopped (%s)" % self.stopped
            return entry
        before = local_files(staged, item.is_dir) if entry["resumed"] else {}
        if leftovers:
            before[LFTP_TEMP_PREFIX] = 0
        # files a previous run left that the listing does not know (and that are not lftp's): removed only from
        # a folder this module created itself, walking from staging_dir without following any link
        unknown = [r for r in before if r not in item.files and not r.rsplit("/", 1)[-1].startswith(LFTP_TEMP_PREFIX)
                   and not r.endswith(LFTP_STATUS_SUFFIX)]
        ours = safe_fs.lstat_beneath(p["staging_dir"], self._marker(item)) is not None
        if unknown and not (item.is_dir and ours):
            entry["error"] = ("staging_dir holds %s with %d files the seedbox does not list (e.g. %s), and this module "
                              "did not create it: move it out of staging_dir; nothing was removed"
                              % (item.name, len(unknown), sorted(unknown)[0]))
            return entry
        reserved = 0
        try:
            reserved = self._reserve(item, staged)
            if not entry["resumed"]:
                self._mark(item)
            for rel in unknown:
                safe_fs.unlink_beneath(p["staging_dir"], item.name + "/" + rel)
        except (OSError, safe_fs.UnsafePath) as exc:
            with self.state_lock:
                self.reserved = getattr(self, "reserved", 0) - reserved
            entry["error"] = str(exc.strerror if isinstance(exc, OSError) and exc.errno == errno.ENOSPC else exc)
            return entry
        try:
            return self._fetch_and_hand_off(item, handed_off, slot, entry, staged, final, before, started)
        finally:
            with self.state_lock:
                self.reserved = getattr(self, "reserved", 0) - reserved

    def _fetch_and_hand_off(self, item, handed_off, slot, entry, staged, final, before, started):
        p = self.p
        _share, files, segments = slot
        self.log("%s: fetching %d files, %.1f MB%s, %d files at once x %d segments" % (
            item.name, len(item.files), item.size / 1e6, " (resuming)" if entry["resumed"] else "",
            files if item.is_dir else 1, segments))
        session = None
        try:
            session = self.session(parallel_files=files, segments=segments)
            self.rates.join(session)
            rc, message, received = self.fetch(item, session)
            entry["received_bytes"] += received
            problems = self.problems(item, staged)
            # a file that was already staged may be a segmented get an abnormal stop left looking complete
            suspect = sorted(item.files) if p["verify_checksum"] else \
                sorted(rel for rel in item.files if was_staged(item, rel, before))
            if not problems and suspect:
                bad, unsupported = self.checksum_mismatches(item, suspect)
                if unsupported and p["verify_checksum"]:
                    problems = ["verify_checksum is set but the seedbox cannot run sha256sum over SSH"]
                elif unsupported or bad:
                    redo = suspect if unsupported else bad
                    self.log("%s: %s; fetching %d files again from scratch" % (
                        item.name, "no checksums on the seedbox" if unsupported else "checksum mismatch",
                        len(redo)))
                    if self.stopped:
                        raise Stopped(self.stopped)
                    entry["refetched_from_scratch"] = True
                    entry["refetched_files"] = len(redo)
                    rc, message, received = self.fetch(item, session, fresh=redo)
                    entry["received_bytes"] += received
                    problems = self.problems(item, staged)
                    if not problems and not unsupported:
                        bad, unsupported = self.checksum_mismatches(item, redo)
                        if bad:
                            problems = ["checksum of %s differs from the seedbox's twice" % ", ".join(bad)]
                        entry["checksummed"] = len(redo)
                else:
                    entry["checksummed"] = len(suspect)
            if self.stopped:
                raise Stopped(self.stopped)
            if problems:
                entry["error"] = "not complete after lftp (exit %s): %s%s" % (
                    rc, "; ".join(problems[:5]), ("; lftp: " + message) if message else "")
                self.log("%s: FAILED: %s" % (item.name, entry["error"]))
                return entry
            entry["verified"] = True
            if self.stopped:   # asked again just before the one step that cannot be taken back here
                raise Stopped(self.stopped)
            try:
                rename_noreplace(staged, final)
            except FileExistsError:
                entry["error"] = "%s already exists in dest; not overwritten" % item.name
                self.log("%s: FAILED: %s" % (item.name, entry["error"]))
                return entry
            entry["handed_off"] = final
            self._unmark(item)
            if p["state_file"]:
                with self.state_lock:
                    handed_off[item.name] = item.signature()
                    save(p["state_file"], {"version": 1, "handed_off": handed_off})
            if p["remove_source"]:
                if self.stopped:
                    raise Stopped(self.stopped)
                entry["removed_remote"] = self.remove_remote(item, entry)
        except Stopped as exc:
            entry["error"] = stop_message(exc, entry)
        except (OSError, LftpError, StateError, SshError) as exc:
            entry["error"] = entry["error"] or str(exc)
        finally:
            if session is not None:
                self.rates.leave(session)
                session.close()
            entry["seconds"] = round(time.time() - started, 3)
            entry["throughput_mb_s"] = round(entry["received_bytes"] / max(entry["seconds"], 0.001) / 1e6, 1)
        if self.stopped and not (entry["error"] or "").startswith("stopped"):
            entry["error"] = stop_message(self.stopped, entry) + ("; " + entry["error"] if entry["error"] else "")
        self.log("%s: %s in %.1f s (%.1f MB received, %.1f MB/s)%s" % (
            item.name, "handed off" if entry["handed_off"] else "failed", entry["seconds"],
            entry["received_bytes"] / 1e6, entry["throughput_mb_s"],
            ", removed from the seedbox" if entry["removed_remote"] else ""))
        return entry

    def remove_remote(self, item, entry):
        """Remove the listed files that have not changed since, then the folders left empty; verify."""
        base = self.remote_path(item)
        removed, kept = [], []
        with self.sftp_lock:
            for rel, (size, mtime) in sorted(item.files.items()):
                path = base + ("/" + rel if rel else "")
                try:
                    attr = self.sftp.lstat(path)
                except IOError:
                    continue
                if not stat.S_ISREG(attr.st_mode) or attr.st_size != size or int(attr.st_mtime or 0) != int(mtime):
                    kept.append(rel)
                    continue
                self.sftp.remove(path)
                removed.append(path)
            if item.is_dir:
                folders = set()
                for rel in item.files:
                    parts = rel.split("/")[:-1]
                    for depth in range(len(parts), 0, -1):
                        folders.add(base + "/" + "/".join(parts[:depth]))
                folders.add(base)
                for folder in sorted(folders, key=lambda f: -f.count("/")):
                    try:
                        if not self.sftp.listdir(folder):
                            self.sftp.rmdir(folder)
                    except IOError:
                        pass
            left = []
            for path in removed:
                try:
                    self.sftp.lstat(path)
                    left.append(path)
                except IOError:
                    pass
        if left:
            raise SshError("%d files are still on the seedbox after removal: %s" % (len(left), left[0]))
        if kept:
            self.log("%s: %d files changed on the seedbox since the listing and were kept" % (item.name, len(kept)))
        return not kept
