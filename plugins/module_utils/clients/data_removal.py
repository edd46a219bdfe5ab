# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Remove a torrent's data by a capability the seedbox really has, then prove it is gone.

rTorrent's ``d.erase`` deletes no data (UPSTREAM.md), so the file paths are captured before the erase and
removed here: on the local file system (rTorrent on this host, or its download folder mounted here) or over
SFTP with the seedbox account. Only the captured files are removed, then the folders they leave empty, up to
the torrent's own folder; nothing outside ``download_root`` is ever touched, and a path whose folder resolves
outside the root through a symlink is refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import posixpath
import stat

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import under_root
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError, connect
from ansible_collections.mediaops.servarr.plugins.module_utils import safe_fs


class RemovalError(Exception):
    pass


def _check_inside(path, root):
    if not under_root(path, root):
        raise RemovalError("refusing to delete %s: not inside download_root %s" % (path, root))


def _dirs_to_prune(files, data_path, root):
    """Folders between each file and the torrent's folder (inclusive), deepest first."""
    top = posixpath.normpath(data_path)
    dirs = set()
    for path in files:
        parent = posixpath.dirname(posixpath.normpath(path))
        while parent and under_root(parent, root) and (parent == top or parent.startswith(top + "/")):
            dirs.add(parent)
            if parent == top:
                break
            parent = posixpath.dirname(parent)
    return sorted(dirs, key=lambda d: (-d.count("/"), d))


class _Remover:
    """Shared algorithm; subclasses supply lstat / unlink / rmdir / realdir."""

    def __init__(self, root):
        if not root or not root.startswith("/"):
            raise RemovalError("download_root must be an absolute path")
        self.root = posixpath.normpath(root)

    def check_parents(self, files, data_path):
        """Every path inside download_root, and every folder holding one resolving inside it (no symlink in the
        way): what must hold before anything is deleted, by this remover or by ruTorrent."""
        files = [posixpath.normpath(p) for p in files]
        for path in files + [data_path]:
            _check_inside(path, self.root)
        real_root = self.realdir(self.root)
        for path in set(posixpath.dirname(p) for p in files):
            if self.lexists(path):
                real = self.realdir(path)
                if real != real_root and not real.startswith(real_root.rstrip("/") + "/"):
                    raise RemovalError("refusing to delete in %s: it resolves to %s, outside download_root"
                                       % (path, real))
        return files

    def identity(self, files):
        """{path: [size, mtime, inode or None]} of each of ``files`` that exists now (what an intent records,
        so that a later replay deletes only these very files)."""
        found = {}
        for path in files:
            st = self.lstat(posixpath.normpath(path))
            if st is not None:
                found[path] = [st.st_size, int(st.st_mtime or 0), getattr(st, "st_ino", None)]
        return found

    def remove(self, files, data_path):
        """Delete ``files`` (absolute), then prune emptied folders. Returns bytes removed."""
        files = [posixpath.normpath(p) for p in files]
        for path in files + [data_path]:
            _check_inside(path, self.root)
        real_root = self.realdir(self.root)
        for path in set(posixpath.dirname(p) for p in files):
            if self.lexists(path):
                real = self.realdir(path)
                if real != real_root and not real.startswith(real_root.rstrip("/") + "/"):
                    raise RemovalError("refusing to delete in %s: it resolves to %s, outside download_root"
                                       % (path, real))
        freed = 0
        for path in files:
            st = self.lstat(path)
            if st is None:
                continue
            if stat.S_ISDIR(st.st_mode):
                raise RemovalError("refusing to delete %s: rTorrent listed it as a file but it is a folder" % path)
            self.unlink(path)
            freed += st.st_size if stat.S_ISREG(st.st_mode) else 0
        for folder in _dirs_to_prune(files, data_path, self.root):
            self.rmdir_if_empty(folder)
        return freed

    def remaining(self, files):
        """Paths of ``files`` that still exist (the verification after deleting)."""
        return [p for p in files if self.lexists(p)]

    def lexists(self, path):
        return self.lstat(path) is not None


class LocalRemover(_Remover):
    """Every look and every deletion walks from download_root one folder at a time without following a link
    (dir_fd, O_NOFOLLOW): a folder swapped for a symlink after the checks makes it fail, never follow."""

    def _rel(self, path):
        _check_inside(path, self.root)
        return posixpath.relpath(posixpath.normpath(path), self.root)

    def lstat(self, path):
        if posixpath.normpath(path) == self.root:
            try:
                return os.lstat(self.root)
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                    return None
                raise RemovalError("cannot inspect %s: %s" % (path, exc))
        try:
            return safe_fs.lstat_beneath(self.root, self._rel(path))
        except OSError as exc:
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise RemovalError("cannot inspect %s: %s" % (path, exc))
        except safe_fs.UnsafePath as exc:
            raise RemovalError("cannot inspect %s: %s" % (path, exc))

    def realdir(self, path):
        if not os.path.isdir(path):
            raise RemovalError("%s is not a folder this host can see (is download_root mounted?)" % path)
        return os.path.realpath(path)

    def unlink(self, path):
        try:
            safe_fs.unlink_beneath(self.root, self._rel(path))
        except (OSError, safe_fs.UnsafePath) as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise RemovalError("cannot delete %s without following a link: %s" % (path, exc))

    def rmdir_if_empty(self, path):
        try:
            safe_fs.rmdir_if_empty_beneath(self.root, self._rel(path))
        except (OSError, safe_fs.UnsafePath) as exc:
            raise RemovalError("cannot remove folder %s: %s" % (path, exc))

    def close(self):
        pass


class SftpRemover(_Remover):
    """The same over SFTP with paramiko; host keys are always checked (known_hosts file)."""

    def __init__(self, root, host, port=22, username=None, password=None, key_file=None, known_hosts=None,
                 timeout=30, host_fingerprint=None, accept_new=False, save_new_key=True):
        super(SftpRemover, self).__init__(root)
        try:
            self.client = connect(host, port=port, username=username, password=password, key_file=key_file,
                                  known_hosts=known_hosts, host_fingerprint=host_fingerprint,
                                  accept_new=accept_new, timeout=timeout, save_new_key=save_new_key)
        except SshError as exc:
            raise RemovalError("SFTP: %s" % exc)
        try:
            self.sftp = self.client.open_sftp()
        except Exception as exc:
            self.client.close()
            raise RemovalError("SFTP subsystem of %s:%s: %s" % (host, port, exc))

    def lstat(self, path):
        try:
            return self.sftp.lstat(path)
        except IOError as exc:
            if getattr(exc, "errno", None) == errno.ENOENT:
                return None
            raise RemovalError("SFTP cannot inspect %s: %s" % (path, exc))

    def realdir(self, path):
        try:
            real = self.sftp.normalize(path)
            st = self.sftp.stat(real)
        except IOError as exc:
            raise RemovalError("SFTP cannot resolve %s: %s" % (path, exc))
        if not stat.S_ISDIR(st.st_mode):
            raise RemovalError("%s is not a folder on the seedbox" % path)
        return real

    def unlink(self, path):
        try:
            self.sftp.remove(path)
        except IOError as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise RemovalError("SFTP cannot delete %s: %s" % (path, exc))

    def rmdir_if_empty(self, path):
        try:
            if self.sftp.listdir(path):
                return
            self.sftp.rmdir(path)
        except IOError as exc:
            if getattr(exc, "errno", None) != errno.ENOENT:
                raise RemovalError("SFTP cannot remove folder %s: %s" % (path, exc))

    def close(self):
        self.client.close()
