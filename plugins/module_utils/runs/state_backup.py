# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups of the automation's own state folder, and their restore onto a fresh install.

An archive ``servarr-state-<UTC time>.tar.gz`` holds ``state/<path>`` for every regular file of the state folder
(checkpoints, history digests, journals, caches, metrics counters; never locks, symlinks or the backup folder),
optionally ``apps/<instance>/<zip>`` (an app's own backup, its ``<ApiKey>`` taken out of ``config.xml``), and
``MANIFEST.json`` last: each file's size, mode and SHA-256. It is written to a temporary file in the backup folder,
fsynced and renamed, so the folder only ever holds whole archives. A restore checks every member against the
manifest before it writes anything, refuses links, devices and paths outside ``state/``, and writes each file
atomically, owned like the folder it lands in.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import json
import os
import re
import stat
import tarfile
import tempfile
import time
import zipfile

from ansible_collections.mediaops.servarr.plugins.module_utils import state_file

ARCHIVE = re.compile(r"^servarr-state-(\d{8}T\d{6}Z)\.tar\.gz$")
TEMP_PREFIX = ".servarr-state-"
MANIFEST = "MANIFEST.json"
RESTORED = ".restored.json"
VERSION = 1
MAX_FILE = 1024 * 1024 * 1024


class BackupError(state_file.StateError):
    pass


def skipped_name(name):
    """Files that carry no state: locks (held by a running job), the restore record, temporary files of an atomic
    write a killed run left."""
    return name.endswith(".lock") or name == RESTORED or (name.startswith(".") and ".tmp" in name) \
        or re.match(r"^\..+\.[A-Za-z0-9_]{8}$", name) is not None


def collect(state_dir, exclude=()):
    """``(dirs, files, skipped)`` of ``state_dir``: relative folder paths, ``{rel: lstat}`` of regular files, and what
    was left out with why. Symlinks are never followed."""
    state_dir = os.path.abspath(state_dir)
    exclude = [os.path.abspath(path) for path in exclude if path]
    dirs, files, skipped = [], {}, []
    for root, subdirs, names in os.walk(state_dir, followlinks=False):
        kept = []
        for name in sorted(subdirs):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, state_dir)
            if os.path.islink(full):
                skipped.append({"path": rel, "reason": "a symlink"})
            elif any(full == e or full.startswith(e + os.sep) for e in exclude):
                skipped.append({"path": rel, "reason": "the backup folder"})
            else:
                kept.append(name)
                dirs.append(rel)
        subdirs[:] = kept
        for name in sorted(names):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, state_dir)
            info = os.lstat(full)
            if not stat.S_ISREG(info.st_mode):
                skipped.append({"path": rel, "reason": "not a regular file"})
            elif skipped_name(name):
                continue
            else:
                files[rel] = info
    return dirs, files, skipped


def read_file(path):
    """The bytes of ``path``, opened without following a symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise BackupError("%s is larger than %d MiB: not a state file" % (path, MAX_FILE // 1048576))
    return data


def strip_api_key(data):
    """An app's backup zip with the ``<ApiKey>`` element taken out of its ``config.xml`` (the app makes a new key
    when it restores one without): the collection never copies an app's API key out of it."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    found = False
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.lower() == "config.xml":
                content, count = re.subn(br"\s*<ApiKey>[^<]*</ApiKey>", b"", content, flags=re.I)
                found = found or count > 0
            target.writestr(info, content)
    return out.getvalue(), found


def archive_name(backup_dir, now):
    """``servarr-state-<UTC time>.tar.gz``, one second later while the name is taken (names sort by age)."""
    while True:
        name = "servarr-state-%s.tar.gz" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        if not os.path.exists(os.path.join(backup_dir, name)):
            return name
        now += 1


def archives(backup_dir):
    """Archive names in ``backup_dir``, oldest first."""
    try:
        return sorted(n for n in os.listdir(backup_dir) if ARCHIVE.match(n))
    except FileNotFoundError:
        return []


def remove_leftovers(backup_dir, older_than=3600):
    """Temporary archives a killed run left (an hour old: never a running one's)."""
    for name in os.listdir(backup_dir):
        if name.startswith(TEMP_PREFIX) and name.endswith(".tmp"):
            path = os.path.join(backup_dir, name)
            try:
                if time.time() - os.lstat(path).st_mtime > older_than:
                    os.unlink(path)
            except OSError:
                pass


def _add(tar, name, data, mode=0o600, mtime=None, kind=tarfile.REGTYPE):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = int(mtime if mtime is not None else time.time())
    info.uname = info.gname = ""
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def write_archive(backup_dir, state_dir, dirs, files, apps, now, host):
    """Write the archive atomically; returns ``(path, manifest)``."""
    manifest = {"version": VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                "created_epoch": now, "host": host, "state_dir": state_dir, "dirs": {}, "files": {}, "apps": {}}
    name = archive_name(backup_dir, now)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=backup_dir)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz") as tar:
                for rel in dirs:
                    mode = stat.S_IMODE(os.lstat(os.path.join(state_dir, rel)).st_mode)
                    manifest["dirs"][rel] = {"mode": mode}
                    _add(tar, "state/" + rel, None, mode, now, tarfile.DIRTYPE)
                for rel in sorted(files):
                    data = read_file(os.path.join(state_dir, rel))
                    info = files[rel]
                    manifest["files"][rel] = {"size": len(data), "mode": stat.S_IMODE(info.st_mode),
                                              "sha256": hashlib.sha256(data).hexdigest(), "mtime": info.st_mtime}
                    _add(tar, "state/" + rel, data, stat.S_IMODE(info.st_mode), info.st_mtime)
                for instance in sorted(apps):
                    entry = apps[instance]
                    member = "apps/%s/%s" % (instance, entry["name"])
                    _add(tar, member, entry.pop("data"), 0o600, now)
                    manifest["apps"][instance] = entry
                _add(tar, MANIFEST, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8"), 0o600, now)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)
        path = os.path.join(backup_dir, name)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    state_file.fsync_folder(backup_dir)
    return path, manifest


def rotate(backup_dir, keep, check_mode=False, adding=0):
    """Remove the oldest archives so that ``keep`` remain (``adding``: archives about to be written). Returns the
    names removed (would be, in check mode)."""
    names = archives(backup_dir)
    excess = len(names) + adding - keep
    gone = names[:excess] if excess > 0 else []
    if not check_mode:
        for name in gone:
            os.unlink(os.path.join(backup_dir, name))
        if gone:
            state_file.fsync_folder(backup_dir)
    return gone


# -- restore ---------------------------------------------------------------------------------------------------
def _safe_rel(name):
    if name.startswith("/") or "\\" in name:
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return name


def read_archive(path):
    """The manifest and ``{rel: bytes}`` / ``[rel dirs]`` of ``state/`` in the archive, every file checked against the
    manifest. Anything unexpected raises before anything is written."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            members = tar.getmembers()
            names = [m.name for m in members]
            if MANIFEST not in names:
                raise BackupError("%s has no %s: not a state_backup archive" % (path, MANIFEST))
            manifest = json.loads(tar.extractfile(MANIFEST).read().decode("utf-8"))
            if not isinstance(manifest, dict) or manifest.get("version") != VERSION:
                raise BackupError("%s: its manifest is not version %d" % (path, VERSION))
            files, dirs = {}, []
            for member in members:
                if member.name == MANIFEST or member.name.startswith("apps/"):
                    if not (member.isfile() or member.isdir()):
                        raise BackupError("%s: %s is not a regular file" % (path, member.name))
                    continue
                if not member.name.startswith("state/") or _safe_rel(member.name[6:]) is None:
                    raise BackupError("%s: refusing the member %r (outside state/)" % (path, member.name))
                rel = member.name[6:]
                if member.isdir():
                    dirs.append(rel)
                elif member.isfile():
                    data = tar.extractfile(member).read()
                    expected = manifest["files"].get(rel)
                    if expected is None or hashlib.sha256(data).hexdigest() != expected["sha256"]:
                        raise BackupError("%s: %s does not match the manifest (a damaged archive)" % (path, rel))
                    files[rel] = data
                else:
                    raise BackupError("%s: %s is a link or a device; refusing the archive" % (path, member.name))
            lost = sorted(set(manifest["files"]) - set(files))
            if lost:
                raise BackupError("%s: the manifest lists files the archive lacks: %s" % (path, ", ".join(lost[:5])))
            return manifest, dirs, files
    except (tarfile.TarError, EOFError, OSError, ValueError, KeyError) as exc:
        raise BackupError("cannot read the archive %s: %s" % (path, exc))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1048576), b""):
            digest.update(block)
    return digest.hexdigest()


def state_files(state_dir):
    """The files that make a state folder non-empty (locks and the restore record do not count)."""
    if not os.path.isdir(state_dir):
        return []
    return sorted(collect(state_dir)[1])


def owner_of(folder):
    info = os.stat(folder)
    return info.st_uid, info.st_gid


def restore(state_dir, manifest, dirs, files, check_mode=False):
    """Write the archive's folders and files into ``state_dir``. Each lands owned like the folder it lands in (when
    run as root) with its archived mode. Returns ``{"created": [...], "replaced": [...], "unchanged": [...]}``."""
    out = {"created": [], "replaced": [], "unchanged": []}
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    for rel in sorted(dirs, key=lambda r: r.count("/")):
        full = os.path.join(state_dir, rel)
        if os.path.islink(full) or (os.path.lexists(full) and not os.path.isdir(full)):
            raise BackupError("%s is in the way of the folder the archive restores" % full)
        if not os.path.isdir(full) and not check_mode:
            parent = os.path.dirname(full)
            os.mkdir(full, manifest["dirs"].get(rel, {}).get("mode", 0o750) & 0o777)
            if as_root:
                os.chown(full, *owner_of(parent))
    for rel in sorted(files):
        full = os.path.join(state_dir, rel)
        data = files[rel]
        if os.path.islink(full) or (os.path.lexists(full) and not os.path.isfile(full)):
            raise BackupError("%s is a link or not a file; refusing to write through it" % full)
        if os.path.exists(full):
            if read_file(full) == data:
                out["unchanged"].append(rel)
                continue
            out["replaced"].append(rel)
        else:
            out["created"].append(rel)
        if check_mode:
            continue
        folder = os.path.dirname(full)
        fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(full), dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, manifest["files"][rel].get("mode", 0o600) & 0o777)
            mtime = manifest["files"][rel].get("mtime")
            if isinstance(mtime, (int, float)):
                os.utime(tmp, (mtime, mtime))
            if as_root:
                os.chown(tmp, *owner_of(folder))
            os.replace(tmp, full)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        state_file.fsync_folder(folder)
    return out
