# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small JSON state files (checkpoints): read strictly, written atomically (temporary file, fsync, rename); the
state folder every job keeps them in; and the run lock that keeps two runs of one job apart."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import json
import os
import tempfile


# Where the jobs keep what must survive between runs (checkpoints, journals, caches, counters) when the user
# names no file: the FHS place for a service's persistent state. The role creates it (0750); a module creates it
# itself (0700) when its parent exists, and never in check mode.
DEFAULT_STATE_DIR = "/var/lib/servarr"


class StateError(Exception):
    pass


def ensure_folder(path, check_mode=False, mode=0o700):
    """Make sure the folder ``path`` (a state folder) exists. Creates it with ``mode`` when its parent exists;
    a missing parent is an error that names it (a typo or an unmounted disk, not something to create). In check
    mode nothing is created: returns True when a real run would create it."""
    if os.path.isdir(path):
        return False
    if os.path.lexists(path):
        raise StateError("state folder %s exists but is not a folder" % path)
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise StateError("cannot create state folder %s: its parent %s does not exist" % (path, parent))
    if check_mode:
        return True
    try:
        os.mkdir(path, mode)
    except OSError as exc:
        if exc.errno != errno.EEXIST:
            raise StateError("cannot create state folder %s: %s" % (path, exc.strerror or exc))
    return True


def check_writable(path, what, folder=True):
    """Raise StateError, naming ``what`` (the option), when a run could not write ``path``: a folder
    (``folder=True``, created by the run when its parent exists) or a file in an existing folder. Creates and
    writes nothing, so check mode can say what the real run would fail on before any service is read."""
    if folder:
        if os.path.isdir(path):
            target = path
        elif os.path.lexists(path):
            raise StateError("%s %s exists but is not a folder" % (what, path))
        else:
            target = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(target):
                raise StateError("%s %s cannot be created: its parent %s does not exist (the role creates the "
                                 "state folder; or point %s elsewhere)" % (what, path, target, what))
    else:
        target = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(target):
            raise StateError("%s %s cannot be written: its folder %s does not exist" % (what, path, target))
        if os.path.isdir(path):
            raise StateError("%s %s is a folder" % (what, path))
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise StateError("%s %s is not writable by uid %d" % (what, path, os.geteuid()))
    # access(2) also answers EROFS for root on a read-only file system
    if not os.access(target, os.W_OK | os.X_OK):
        raise StateError("%s %s: the folder %s is not writable by uid %d" % (what, path, target, os.geteuid()))


def load(path, default=None):
    """The JSON object in ``path``, or ``default`` if the file does not exist. A file that exists but is not a
    JSON object raises: guessing would skip or repeat work."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise StateError("state file %s cannot be read (%s); fix or remove it" % (path, exc))
    if not isinstance(data, dict):
        raise StateError("state file %s does not hold a JSON object; fix or remove it" % path)
    return data


def fsync_folder(folder):
    """Make a rename or a new file in ``folder`` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path, text, mode=0o600):
    """Replace ``path`` with ``text`` so that a reader (or a run killed half-way) only ever sees the old file or
    the new one: a temporary file in the same folder, fsync, chmod ``mode``, rename, fsync of the folder.
    ``text`` may be bytes (a .torrent file), written as they are."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def save(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise StateError("folder of state file %s does not exist" % path)
    write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


class RunLock:
    """An flock on ``path`` held for the whole run. ``probe_only`` (check mode): only tell whether another
    run holds it, without creating the file or taking the lock."""

    def __init__(self, path, probe_only=False):
        self.path = path
        self.handle = None
        self.probe_only = probe_only

    def acquire(self):
        """True when no other run holds the lock (and, unless probing, this one now does)."""
        if self.probe_only:
            if not os.path.exists(self.path):
                return True
            with open(self.path) as probe:
                try:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                except (IOError, OSError):
                    return False
            return True
        self.handle = open(self.path, "a")
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (IOError, OSError):
            self.release()
            return False
        return True

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None
