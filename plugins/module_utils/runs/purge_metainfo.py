# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keep a purged torrent's metainfo: before the purge erases a torrent, its ``.torrent`` (from rTorrent's session
folder, read over SFTP) and its file list are saved as ``<HASH>.torrent`` and ``<HASH>.json`` in a folder of the
state folder, so that a wrong removal can be added again and downloaded again; files older than the retention
period go at the start of each real run.

A hash becomes a file name only once it is 40 hexadecimal digits; the local folder is never a symlink and every
look, write and deletion in it goes through a descriptor of that folder, never following a link. The remote
session file is read only when it is a regular file (no symlink) of at most MAX_METAINFO_BYTES.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import hashlib
import json
import os
import posixpath
import re
import stat
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import write_atomic

FOLDER = "purged-metainfo"
MAX_METAINFO_BYTES = 10 * 1000 * 1000
DEFAULT_KEEP_DAYS = 30

_HASH = re.compile(r"\A[0-9A-Fa-f]{40}\Z")
_NAME = re.compile(r"\A[0-9A-F]{40}\.(torrent|json)\Z")


class MetainfoError(Exception):
    pass


def file_names(torrent_hash):
    """(``<HASH>.torrent``, ``<HASH>.json``) for an info-hash, upper case; MetainfoError when it is not one."""
    if not isinstance(torrent_hash, str) or not _HASH.match(torrent_hash):
        raise MetainfoError("%r is not an info-hash (40 hexadecimal digits); not used as a file name"
                            % (torrent_hash,))
    upper = torrent_hash.upper()
    return upper + ".torrent", upper + ".json"


def folder_of(state_dir):
    return os.path.join(state_dir, FOLDER)


def _open_folder(path):
    """A descriptor of the folder ``path``, which must be a real folder (O_NOFOLLOW: never a symlink)."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise MetainfoError("%s is not a folder (a symlink?); refusing to use it" % path)
        raise


def ensure_folder(path):
    """Create the metainfo folder (0700) unless it exists; it must be a folder, not a symlink."""
    try:
        os.mkdir(path, 0o700)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise MetainfoError("cannot create %s: %s" % (path, exc.strerror or exc))
    os.close(_open_folder(path))


def expire(path, keep_days, now=None, check_mode=False):
    """Delete the ``<HASH>.torrent`` and ``<HASH>.json`` files in ``path`` last changed more than ``keep_days``
    days ago; other names, folders and symlinks are left alone. Returns the names (sorted) deleted, or in check
    mode that would be. A folder that does not exist holds nothing to expire."""
    now = time.time() if now is None else now
    limit = now - float(keep_days) * 86400
    try:
        fd = _open_folder(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return []
        raise MetainfoError("cannot open %s: %s" % (path, exc.strerror or exc))
    expired = []
    try:
        for name in os.listdir(fd):
            if not _NAME.match(name):
                continue
            try:
                st = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except FileNotFoundError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_mtime >= limit:
                continue
            if not check_mode:
                try:
                    os.unlink(name, dir_fd=fd)
                except FileNotFoundError:
                    continue
            expired.append(name)
    finally:
        os.close(fd)
    return sorted(expired)


def read_remote(sftp, session_dir, torrent_hash, max_bytes=MAX_METAINFO_BYTES):
    """The bytes of ``<session_dir>/<HASH>.torrent`` on the seedbox (paramiko SFTPClient ``sftp``): a regular
    file, not a symlink, of at most ``max_bytes``, holding a bencoded dictionary. MetainfoError says why not."""
    name = file_names(torrent_hash)[0]
    if not session_dir or not session_dir.startswith("/") or "\0" in session_dir:
        raise MetainfoError("rTorrent has no usable session folder (session.path %r)" % (session_dir,))
    remote = posixpath.join(posixpath.normpath(session_dir), name)
    try:
        st = sftp.lstat(remote)
    except IOError as exc:
        raise MetainfoError("cannot find %s on the seedbox: %s" % (remote, getattr(exc, "strerror", None) or exc))
    if not stat.S_ISREG(st.st_mode or 0):
        raise MetainfoError("%s on the seedbox is not a regular file" % remote)
    if (st.st_size or 0) > max_bytes:
        raise MetainfoError("%s is %d bytes, more than the %d kept" % (remote, st.st_size, max_bytes))
    try:
        with sftp.open(remote, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except IOError as exc:
        raise MetainfoError("cannot read %s on the seedbox: %s" % (remote, getattr(exc, "strerror", None) or exc))
    if len(data) > max_bytes:
        raise MetainfoError("%s grew beyond the %d bytes kept while it was read" % (remote, max_bytes))
    if not data.startswith(b"d") or not data.endswith(b"e"):
        raise MetainfoError("%s is not a .torrent file (not a bencoded dictionary)" % remote)
    return data, remote


def save(path, torrent_hash, data, record):
    """Write ``<HASH>.torrent`` (``data``) and then ``<HASH>.json`` (``record``, with the .torrent's size and
    SHA-256) into the folder ``path``, each atomically. Returns the path of the saved .torrent."""
    torrent_name, json_name = file_names(torrent_hash)
    os.close(_open_folder(path))   # a folder, not a symlink, as it is written
    target = os.path.join(path, torrent_name)
    write_atomic(target, data)
    record = dict(record, hash=torrent_hash.upper(), torrent_file=torrent_name, torrent_bytes=len(data),
                  torrent_sha256=hashlib.sha256(data).hexdigest())
    write_atomic(os.path.join(path, json_name), json.dumps(record, indent=2, sort_keys=True) + "\n")
    return target


class Keeper:
    """Keeps each torrent's metainfo before its erase (``keep``); never raises: what could not be kept is said
    in the entry (``metainfo_not_kept``). ``sftp`` None: nothing can be read (``why`` says why)."""

    def __init__(self, folder, sftp=None, session_dir=None, why=None, clock=time.time):
        self.folder = folder
        self.sftp = sftp
        self.session_dir = session_dir
        self.why = why
        self.clock = clock
        self.not_kept = []

    def keep(self, entry, paths, context=None):
        """Save ``entry``'s metainfo and file list; sets ``entry['metainfo']`` (the saved .torrent) or
        ``entry['metainfo_not_kept']`` (why not). Returns the entry."""
        try:
            if self.sftp is None:
                raise MetainfoError(self.why or "no SFTP connection to the seedbox")
            data, remote = read_remote(self.sftp, self.session_dir, entry["hash"])
            record = {"name": entry.get("name"), "files": list(paths), "data_path": entry.get("data_path"),
                      "size_bytes": entry.get("size_bytes"), "label": entry.get("label"),
                      "session_file": remote,
                      "kept": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))}
            record.update(context or {})
            entry["metainfo"] = save(self.folder, entry["hash"], data, record)
        except (MetainfoError, OSError, IOError) as exc:
            entry["metainfo_not_kept"] = "metainfo not kept: %s" % exc
            self.not_kept.append(entry)
        return entry
