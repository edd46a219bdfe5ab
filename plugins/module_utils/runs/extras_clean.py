# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find extras in library roots (one ``os.scandir`` pass) and remove or recycle them, failing closed.

Safety, in order:
  * every root must exist, be a folder, hold something, and hold the anchor file when one is configured;
    one bad root stops the whole run before anything is touched (an unmounted NAS looks "clean");
  * symbolic links are never followed and never deleted: they are counted and left alone;
  * a folder that cannot be read stops the run (a path it cannot see is not evidence);
  * before each removal the file is looked at again: still a regular file, same device, inode and size, and
    its folder still resolves inside the root; otherwise it is left and reported;
  * after each removal the path is checked to be gone;
  * an extra and its sidecars are one group: before the first file of a group with sidecars goes, the group
    (paths with device, inode and size) is written to a journal, so a run cut short between the video and
    its sidecars is finished by the next run (``finish_interrupted``) - only files still the very ones
    recorded, in the folder recorded, and owned by no video now in that folder.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import pickle
import shutil
import signal
import stat
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.extras_rules import split_ext
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError, load, save
from ansible_collections.mediaops.servarr.plugins.module_utils import safe_fs


class CleanError(Exception):
    pass


def _inside(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def check_roots(roots, anchor_file=None):
    """Resolve and check every root; raise on the first that does not look like a mounted library."""
    checked = []
    for root in roots:
        if not os.path.isabs(root):
            raise CleanError("library root %r must be an absolute path" % root)
        if not os.path.isdir(root):
            raise CleanError("library root %s does not exist or is not a folder (NAS not mounted?); "
                             "nothing was removed" % root)
        real = os.path.realpath(root)
        try:
            with os.scandir(real) as entries:
                empty = next(iter(entries), None) is None
        except OSError as exc:
            raise CleanError("library root %s cannot be read: %s; nothing was removed" % (root, exc.strerror))
        if empty:
            raise CleanError("library root %s is empty (NAS not mounted?); nothing was removed" % root)
        if anchor_file and not os.path.lexists(os.path.join(real, anchor_file)):
            raise CleanError("library root %s has no anchor file %s (NAS not mounted?); nothing was removed"
                             % (root, anchor_file))
        checked.append(real)
    for i, one in enumerate(checked):
        for other in checked[i + 1:]:
            if _inside(one, other) or _inside(other, one):
                raise CleanError("library roots %s and %s overlap; list each folder once" % (one, other))
    return checked


def check_recycle_dir(recycle_dir, roots):
    """The recycle folder's real path; it must lie outside every (checked) root, and the roots need distinct
    names because each keeps its files under its own name there."""
    recycle = os.path.realpath(recycle_dir)
    for root in roots:
        how = safe_fs.overlap(recycle_dir, root)
        if how == "same":
            raise CleanError("recycle_dir %s is the library root %s itself; nothing was removed: give recycle_dir a "
                             "folder of its own outside the library (e.g. %s)"
                             % (recycle_dir, root, os.path.join(os.path.dirname(root), ".recycle")))
        if how == "a_in_b":
            raise CleanError("recycle_dir %s is inside library root %s; nothing was removed: put it outside the "
                             "library" % (recycle_dir, root))
        if how == "b_in_a":
            raise CleanError("recycle_dir %s holds library root %s (a typo for a folder of its own, such as "
                             "%s?); nothing was removed: the recycle folder must not contain the library, or its "
                             "retention would expire the library itself"
                             % (recycle_dir, root, os.path.join(recycle_dir.rstrip("/"), ".recycle")))
    names = [os.path.basename(root) for root in roots]
    if len(set(names)) != len(names):
        raise CleanError("with recycle_dir, the roots need distinct folder names (%s)" % ", ".join(names))
    return recycle


class Candidate:
    __slots__ = ("root", "path", "rule", "size", "dev", "ino", "sidecars")

    def __init__(self, root, path, rule, st):
        self.root = root
        self.path = path
        self.rule = rule
        self.size = st.st_size
        self.dev = st.st_dev
        self.ino = st.st_ino
        self.sidecars = []   # (path, dev, ino, size) of files with the same stem (.nfo, .srt, -thumb.jpg)

    def as_dict(self):
        return {"path": self.path, "root": self.root, "relative_path": os.path.relpath(self.path, self.root),
                "rule": self.rule, "size": self.size,
                "sidecars": [item[0] for item in self.sidecars]}


class ScanResult:
    def __init__(self):
        self.candidates = []
        self.protected = []
        self.folders_to_remove = []
        self.files = 0
        self.folders = 0
        self.symlinks = []


def _sidecar_of(stem, name):
    """``X-trailer.nfo``, ``X-trailer.en.srt`` and ``X-trailer-thumb.jpg`` belong to ``X-trailer.mkv``."""
    return name.startswith(stem + ".") or name.startswith(stem + "-thumb.")


def _owner(name, stems):
    """The longest of ``stems`` (video names without extension) whose sidecar ``name`` is, or None: in a
    folder with ``Movie.mkv`` and ``Movie.1080p.mkv``, ``Movie.1080p.nfo`` belongs to the second one only."""
    best = None
    for stem in stems:
        if (best is None or len(stem) > len(best)) and _sidecar_of(stem, name):
            best = stem
    return best


def _decide_folder(result, rules, root, folder, name, is_root, files, videos, subdirs):
    stats = {}
    prefix = folder if folder.endswith("/") else folder + "/"   # joins without posixpath.join's overhead

    def stat_of(filename):
        st = stats.get(filename)
        if st is None:
            st = stats[filename] = os.lstat(prefix + filename)
        return st

    extras, protected = rules.decide(name, is_root, videos, lambda video: stat_of(video).st_size)
    for video, rule, reason in protected:
        result.protected.append({"path": prefix + video, "rule": rule, "kept_because": reason})
    claimed = set()
    others = sorted(set(files) - set(videos)) if extras else ()
    stems = [split_ext(video)[0] for video in videos]
    for video, rule in extras:
        cand = Candidate(root, prefix + video, rule, stat_of(video))
        stem = split_ext(video)[0]
        for other in others:
            # a sidecar goes with the video it belongs to, never with one whose name is merely a prefix of
            # that video's (the sidecars of a kept video stay)
            if other not in claimed and _owner(other, stems) == stem:
                claimed.add(other)
                st = stat_of(other)
                cand.sidecars.append((prefix + other, st.st_dev, st.st_ino, st.st_size))
        result.candidates.append(cand)
    if (extras and rules.folder_rule(name, is_root) and not subdirs and len(extras) == len(videos)
            and len(claimed) == len(others)):
        result.folders_to_remove.append(folder)


def _walk(result, rules, root, start, skip, descend=True):
    """Scan the folders in ``start`` (pairs of path and name) and, with ``descend``, everything below them.
    Returns the subfolders found but not entered (``descend=False``).

    This loop runs once per file of the library, so it does the least it can per file: one ``d_type`` test
    (no ``stat``), the name kept; each folder is settled by ExtrasRules.videos_to_look_at, and sizes are asked
    for only by folders whose decision needs them."""
    look = rules.videos_to_look_at
    stack = list(start)
    pending = []
    push = stack.append if descend else pending.append
    symlinks = result.symlinks
    folders = files_seen = 0
    while stack:
        folder, name = stack.pop()
        files = []
        keep = files.append
        subdirs = 0
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_file(follow_symlinks=False):
                        keep(entry.name)
                    elif entry.is_dir(follow_symlinks=False):
                        subdirs += 1
                        if entry.path not in skip:
                            push((entry.path, entry.name))
                    elif entry.is_symlink():
                        symlinks.append(entry.path)
        except OSError as exc:
            raise CleanError("cannot read folder %s: %s; nothing was removed" % (folder, exc.strerror))
        folders += 1
        files_seen += len(files)
        is_root = folder == root
        videos = look(name, is_root, files)
        if videos is None:
            continue
        try:
            _decide_folder(result, rules, root, folder, name, is_root, files, videos, subdirs)
        except OSError as exc:
            raise CleanError("cannot look at %s: %s; nothing was removed" % (exc.filename, exc.strerror))
    result.folders += folders
    result.files += files_seen
    return pending


def _forked_walk(rules, share, skip):
    """Fork a process that scans ``share`` (pairs of root and folders) and pickles its ScanResult, or the
    error that stopped it, into a pipe. Returns (pid, read end)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: never returns into the caller, whatever happens
        code = 1
        try:
            os.close(read_fd)
            part = ScanResult()
            try:
                for root, folders in share:
                    _walk(part, rules, root, folders, skip)
                payload = ("ok", part)
            except CleanError as exc:
                payload = ("error", str(exc))
            except Exception as exc:   # pylint: disable=broad-except
                payload = ("error", "scan worker failed: %r" % (exc,))
            with os.fdopen(write_fd, "wb") as out:
                out.write(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _quietly(call, *args):
    try:
        call(*args)
    except OSError:
        pass


def _collect(pid, read_fd):
    with os.fdopen(read_fd, "rb") as handle:
        data = handle.read()
    dummy, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        raise CleanError("a scan worker stopped unexpectedly (status %d); nothing was removed" % status)
    kind, value = pickle.loads(data)
    if kind != "ok":
        raise CleanError(value)
    return value


def default_workers():
    """The module's default: one scan process per CPU, at most 4 (more only adds NAS load)."""
    return max(1, min(4, os.cpu_count() or 1))


def scan(roots, rules, skip=(), workers=1):
    """One pass over every root. ``skip``: real paths of folders not to enter (the recycle folder).

    With ``workers`` > 1 the folders below each root (a movie, a show) are shared out between this process
    and ``workers`` - 1 forked children: the scan is CPU-bound on a warm cache and latency-bound on a NAS,
    and both shrink. Any error in any of them stops the scan, as it does in one process."""
    result = ScanResult()
    skip = set(skip)
    shares = [[] for dummy in range(max(1, workers))]
    for root in roots:
        top = [(root, os.path.basename(root))]
        if workers > 1:
            below = _walk(result, rules, root, top, skip, descend=False)
            for i, share in enumerate(shares):
                share.append((root, below[i::workers]))
        else:
            _walk(result, rules, root, top, skip)
    if workers > 1:
        # workers - 1 forked children and this process each scan one share (interleaved, so the shares are
        # alike); a pool's start-up and per-task pickling would cost more than the work they share out.
        children = []
        try:
            for share in shares[1:]:
                children.append(_forked_walk(rules, share, skip))
            for root, folders in shares[0]:
                _walk(result, rules, root, folders, skip)
            parts = []
            while children:
                parts.append(_collect(*children.pop(0)))
        finally:
            for pid, read_fd in children:   # only after an error: stop, close and reap the others
                _quietly(os.kill, pid, signal.SIGKILL)   # each step even if one before failed (already gone)
                _quietly(os.close, read_fd)
                _quietly(os.waitpid, pid, 0)
        for part in parts:
            result.candidates.extend(part.candidates)
            result.protected.extend(part.protected)
            result.folders_to_remove.extend(part.folders_to_remove)
            result.symlinks.extend(part.symlinks)
            result.files += part.files
            result.folders += part.folders
    result.candidates.sort(key=lambda cand: cand.path)
    result.protected.sort(key=lambda item: item["path"])
    result.folders_to_remove.sort()
    result.symlinks.sort()
    return result


def _same_file(path, dev, ino, size, real_folder):
    """The file at ``path`` is still the one scanned, a regular file, in the folder scanned."""
    try:
        st = os.lstat(path)
    except OSError:
        return "gone since the scan"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file"
    if (st.st_dev, st.st_ino, st.st_size) != (dev, ino, size):
        return "changed since the scan"
    if os.path.realpath(os.path.dirname(path)) != real_folder:
        return "its folder now resolves elsewhere"
    return None


def _recycle_target(recycle_dir, root, path):
    rel = os.path.relpath(path, root)
    target = os.path.join(recycle_dir, os.path.basename(root) or "root", rel)
    if os.path.lexists(target):
        base, ext = split_ext(target)
        n = 1
        while os.path.lexists("%s.%d%s" % (base, n, ext)):
            n += 1
        target = "%s.%d%s" % (base, n, ext)
    return target


def _move(path, target, size):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.rename(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        shutil.copy2(path, target)   # another file system: copy, check the size, then remove
        if os.path.getsize(target) != size:
            os.unlink(target)
            raise CleanError("copy of %s to %s is incomplete" % (path, target))
        os.unlink(path)
    now = time.time()
    os.utime(target, (now, now))   # retention counts from the day it was recycled


def new_report():
    return {"removed": [], "recycled": [], "not_removed": [], "bytes_freed": 0, "folders_removed": [],
            "resumed": []}


def _unlink_checked(path, root, identity):
    """Delete ``path`` walking from ``root`` without following a link (dir_fd, O_NOFOLLOW), and only while it is
    the regular file ``identity`` (device, inode, size) names; CleanError otherwise."""
    rel = os.path.relpath(path, root)
    try:
        gone = safe_fs.unlink_beneath(root, rel, expect=lambda st: stat.S_ISREG(st.st_mode) and (
            identity is None or (st.st_dev, st.st_ino, st.st_size) == identity))
    except (OSError, safe_fs.UnsafePath) as exc:
        raise CleanError("%s cannot be deleted from %s without following a link: %s" % (path, root, exc))
    if gone is None:
        raise CleanError("%s changed or went between its check and its deletion; kept" % path)


def _take(path, size, root, recycle_dir, report, identity=None):
    """Recycle or delete one file (already checked to be the one expected), record it, check it is gone."""
    if recycle_dir:
        target = _recycle_target(recycle_dir, root, path)
        _move(path, target, size)
        _record_recycled(recycle_dir, target)
        report["recycled"].append({"path": path, "to": target, "size": size})
    else:
        _unlink_checked(path, root, identity)
        report["removed"].append({"path": path, "size": size})
    if os.path.lexists(path):
        raise CleanError("%s is still there after removal" % path)
    report["bytes_freed"] += size


class Journal:
    """The group (an extra and its sidecars) being removed, in a JSON file: written durably before the group's
    first file goes, replaced by the next group's, removed when the run ends normally. A group without
    sidecars is one rename or unlink and needs no entry. ``path`` None: no journal (unit tests)."""

    VERSION = 1

    def __init__(self, path):
        self.path = path
        self.written = False

    def read(self):
        """The entry an interrupted run left, or None. A file that cannot be understood raises StateError."""
        if not self.path:
            return None
        data = load(self.path)
        if data is None:
            return None
        group = data.get("group")
        try:
            if data.get("version") != self.VERSION or not isinstance(group, dict):
                raise ValueError("unknown version or layout")
            entry = {"root": str(group["root"]), "recycle_dir": group.get("recycle_dir"),
                     "video": str(group["video"]),
                     "sidecars": [(str(p), int(d), int(i), int(s)) for p, d, i, s in group["sidecars"]]}
            if entry["recycle_dir"] is not None:
                entry["recycle_dir"] = str(entry["recycle_dir"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StateError("cleanup journal %s is not understood (%s); check it and remove it" % (self.path, exc))
        return entry

    def begin(self, cand, recycle_dir):
        if not self.path:
            return
        save(self.path, {"version": self.VERSION, "group": {
            "root": cand.root, "recycle_dir": recycle_dir, "video": cand.path,
            "sidecars": [list(item) for item in cand.sidecars]}})
        self.written = True

    def clear(self):
        if self.path and os.path.lexists(self.path):
            os.unlink(self.path)
        self.written = False


def remove(scan_result, report, recycle_dir=None, remove_folders=True, journal=None, after_video=None):
    """Remove (or move to ``recycle_dir``) each candidate and its sidecars, recording each step in ``report``
    (from ``new_report()``) as it happens, so a failure half-way still says what was done.

    ``journal`` (a Journal): each group with sidecars is recorded before its video goes; the record stays if
    the run stops before the group is complete (an error here, or the process killed), and is removed at the
    end. ``after_video(cand)``: called after a video that has sidecars is gone, before they go (tests)."""
    journal = journal or Journal(None)
    for cand in scan_result.candidates:
        real_folder = os.path.realpath(os.path.dirname(cand.path))
        if not _inside(real_folder, cand.root):
            report["not_removed"].append({"path": cand.path, "reason": "folder resolves outside %s" % cand.root})
            continue
        why = _same_file(cand.path, cand.dev, cand.ino, cand.size, real_folder)
        if why:
            report["not_removed"].append({"path": cand.path, "reason": why})
            continue   # keep the sidecars of a video that was kept
        if cand.sidecars:
            journal.begin(cand, recycle_dir)
        _take(cand.path, cand.size, cand.root, recycle_dir, report, identity=(cand.dev, cand.ino, cand.size))
        if cand.sidecars and after_video is not None:
            after_video(cand)
        for path, dev, ino, size in cand.sidecars:
            why = _same_file(path, dev, ino, size, real_folder)
            if why:
                report["not_removed"].append({"path": path, "reason": why})
                continue
            _take(path, size, cand.root, recycle_dir, report, identity=(dev, ino, size))
    if journal.written:
        journal.clear()
    if remove_folders:
        for folder in scan_result.folders_to_remove:
            try:
                os.rmdir(folder)
            except OSError:
                continue   # not empty after all (a file arrived, or a removal was skipped): keep it
            report["folders_removed"].append(folder)


def finish_interrupted(entry, roots, rules, report, check_mode=False):
    """Finish the group an interrupted run left in its journal (``Journal.read()``): when its video is gone,
    remove (or recycle, as that run would have) each recorded sidecar that is still the very file recorded
    (device, inode, size), in the folder recorded (no symbolic link on the way), under a root of this run, and
    that no video now in its folder claims as its own. A video still in place means the run stopped before
    the group began: the scan decides about it afresh. Returns the paths finished (in check mode: that would
    be); each is also in ``removed`` or ``recycled`` and in ``resumed``, and anything left in ``not_removed``."""
    root = entry["root"]
    video = entry["video"]
    done = []
    if os.path.lexists(video):
        return done
    if root not in roots:
        for path, _dev, _ino, _size in entry["sidecars"]:
            report["not_removed"].append({"path": path, "reason": "an interrupted run's sidecar under %s, which is "
                                          "not among this run's roots: left" % root})
        return done
    recycle_dir = entry["recycle_dir"]
    if recycle_dir and any(_inside(os.path.realpath(recycle_dir), one) for one in roots):
        raise CleanError("the interrupted run's recycle folder %s is inside a library root now; nothing was "
                         "removed" % recycle_dir)
    video_stem = split_ext(os.path.basename(video))[0]
    folder = os.path.dirname(video)
    for path, dev, ino, size in entry["sidecars"]:
        reason = None
        if os.path.dirname(path) != folder or not _inside(folder, root):
            reason = "not beside its video in the journal: left"
        elif os.path.realpath(folder) != folder:
            reason = "its folder now resolves elsewhere"
        else:
            reason = _same_file(path, dev, ino, size, folder)
        if reason is None:
            try:
                names = os.listdir(folder)
            except OSError as exc:
                raise CleanError("cannot read folder %s: %s" % (folder, exc.strerror))
            name = os.path.basename(path)
            stems = [split_ext(other)[0] for other in names if rules.is_video(other)]
            owner = _owner(name, stems)
            if owner is not None and len(owner) >= len(video_stem):
                reason = "belongs to a video now in its folder"
        if reason:
            if reason != "gone since the scan":   # already gone: nothing left to finish
                report["not_removed"].append({"path": path, "reason": reason})
            continue
        done.append(path)
        report["resumed"].append(path)
        if check_mode:
            if recycle_dir:
                report["recycled"].append({"path": path, "to": _recycle_target(recycle_dir, root, path),
                                           "size": size})
            else:
                report["removed"].append({"path": path, "size": size})
            report["bytes_freed"] += size
        else:
            _take(path, size, root, recycle_dir, report)
    if done and not check_mode and rules.folder_rule(os.path.basename(folder), folder == root):
        try:
            os.rmdir(folder)   # an extras folder this group has left empty
            report["folders_removed"].append(folder)
        except OSError:
            pass
    return done


# The recycle folder's manifest: every file this module moved there, by its path relative to the folder, with
# the identity it had when it arrived. Only these files ever expire, and only while they are still that file:
# the folder may hold other things (a typo'd recycle_dir, a person's own files, an older version's recycling).
MANIFEST = ".servarr-recycle.json"


def _manifest_path(recycle_dir):
    return os.path.join(recycle_dir, MANIFEST)


def _read_manifest(recycle_dir):
    data = load(_manifest_path(recycle_dir), default={}) or {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _record_recycled(recycle_dir, target):
    st = os.lstat(target)
    files = _read_manifest(recycle_dir)
    record = {"size": st.st_size, "dev": st.st_dev, "ino": st.st_ino, "recycled": st.st_mtime}
    files[os.path.relpath(target, recycle_dir)] = record
    save(_manifest_path(recycle_dir), {"version": 1, "files": files})


def expired_in_recycle(recycle_dir, retention_days, now=None):
    """Files this module recycled (its manifest) more than ``retention_days`` ago and still the very file it
    put there (device, inode, size; reached without following a link). Anything else in the folder never
    expires."""
    if not recycle_dir or not os.path.isdir(recycle_dir):
        return []
    limit = (now or time.time()) - retention_days * 86400
    expired = []
    for rel, info in sorted(_read_manifest(recycle_dir).items()):
        if not isinstance(info, dict) or info.get("recycled", limit) >= limit:
            continue
        try:
            st = safe_fs.lstat_beneath(recycle_dir, rel)
        except (OSError, safe_fs.UnsafePath):
            continue
        if st is None or not stat.S_ISREG(st.st_mode) or \
                (st.st_dev, st.st_ino, st.st_size) != (info.get("dev"), info.get("ino"), info.get("size")):
            continue
        expired.append({"path": os.path.join(recycle_dir, rel), "size": st.st_size, "rel": rel,
                        "dev": st.st_dev, "ino": st.st_ino})
    return expired


def purge_recycle(recycle_dir, expired):
    """Delete the expired files, each only while it is still the file recorded, walking from the recycle
    folder without following links; then the folders they leave empty (never the recycle folder itself)."""
    files = _read_manifest(recycle_dir)
    for item in expired:
        identity = (item["dev"], item["ino"], item["size"])
        safe_fs.unlink_beneath(recycle_dir, item["rel"], expect=lambda st, identity=identity: (
            stat.S_ISREG(st.st_mode) and (st.st_dev, st.st_ino, st.st_size) == identity))
        files.pop(item["rel"], None)
        save(_manifest_path(recycle_dir), {"version": 1, "files": files})
        folder = os.path.dirname(item["rel"])
        while folder:
            if not safe_fs.rmdir_if_empty_beneath(recycle_dir, folder):
                break
            folder = os.path.dirname(folder)
