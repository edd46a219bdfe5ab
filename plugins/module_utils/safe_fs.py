# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local file system operations that cannot be turned against the caller.

Names from outside (a seedbox listing, a service's answer) are checked one component at a time; two paths the
user typed that must not overlap are compared by their real paths, both ways; and every deletion walks from a
root the caller trusts, one ``O_DIRECTORY | O_NOFOLLOW`` open per component, then removes by name relative to
that folder's descriptor (``unlink(name, dir_fd=...)``). A symlink or a folder swapped for one between a check
and the deletion therefore makes the operation fail (``ELOOP``/``ENOTDIR``) instead of following it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafePath(Exception):
    """A path or name that would reach outside the folder it must stay in."""


def name_problem(name):
    """Why ``name`` cannot be one path component (a file or folder name inside a folder), or None."""
    if not isinstance(name, str):
        return "not a text name"
    if name == "":
        return "empty name"
    if name in (".", ".."):
        return "name %r is a path step, not a name" % name
    if "/" in name:
        return "name contains '/'"
    if "\0" in name:
        return "name contains a NUL byte"
    return None


def relative_parts(relpath):
    """The components of a relative path, each checked by :func:`name_problem`; raises UnsafePath."""
    if not relpath or relpath.startswith("/"):
        raise UnsafePath("%r is not a relative path" % (relpath,))
    parts = relpath.split("/")
    for part in parts:
        problem = name_problem(part)
        if problem:
            raise UnsafePath("%r: %s" % (relpath, problem))
    return parts


def _real(path):
    return os.path.realpath(os.path.abspath(path))


def inside(path, root):
    """True when ``path`` is ``root`` or below it (both already normalised absolute paths)."""
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root if root == "/" else root + "/")


def overlap(a, b):
    """How two paths overlap, compared as typed and by their real paths: 'same', 'a_in_b', 'b_in_a' or None."""
    for x, y in ((os.path.normpath(os.path.abspath(a)), os.path.normpath(os.path.abspath(b))), (_real(a), _real(b))):
        if x == y:
            return "same"
        if inside(x, y):
            return "a_in_b"
        if inside(y, x):
            return "b_in_a"
    return None


def overlap_problems(named_paths, allowed=()):
    """Messages for every pair of the user's paths that overlap. ``named_paths`` is a list of (option, path);
    an option may appear several times (a list option). ``allowed`` holds (inner_option, outer_option) pairs
    where the first may lie inside the second (never the same folder, never the other way round)."""
    problems = []
    items = [(n, p) for n, p in named_paths if p]
    for i, (name_a, path_a) in enumerate(items):
        for name_b, path_b in items[i + 1:]:
            how = overlap(path_a, path_b)
            if how is None:
                continue
            if how == "a_in_b" and (name_a, name_b) in allowed:
                continue
            if how == "b_in_a" and (name_b, name_a) in allowed:
                continue
            if how == "same":
                text = "%s %s and %s %s are the same folder" % (name_a, path_a, name_b, path_b)
            elif how == "a_in_b":
                text = "%s %s is inside %s %s" % (name_a, path_a, name_b, path_b)
            else:
                text = "%s %s is inside %s %s" % (name_b, path_b, name_a, path_a)
            problems.append(text + "; they must not overlap")
    return problems


def open_dir_beneath(root, parts):
    """A descriptor of the folder ``root/parts...``, opened one component at a time without following a
    symlink anywhere below ``root`` (``root`` itself is opened as the caller gave it). Caller closes it."""
    fd = os.open(root, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        for part in parts:
            problem = name_problem(part)
            if problem:
                raise UnsafePath("%s: %s" % (part, problem))
            nfd = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nfd
    except BaseException:
        os.close(fd)
        raise
    return fd


def lstat_beneath(root, relpath):
    """``lstat`` of ``root/relpath`` reached without following links; None when it does not exist."""
    parts = relative_parts(relpath)
    try:
        fd = open_dir_beneath(root, parts[:-1])
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    try:
        return os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    finally:
        os.close(fd)


def unlink_beneath(root, relpath, expect=None):
    """Remove the file (or symlink itself) ``root/relpath``; never a folder, never through a link. With
    ``expect`` (a callable taking the lstat result) the entry is removed only when it returns True. Returns
    the removed entry's lstat result, or None when nothing was there (or ``expect`` refused)."""
    parts = relative_parts(relpath)
    try:
        fd = open_dir_beneath(root, parts[:-1])
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    try:
        try:
            st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return None
            raise
        if stat.S_ISDIR(st.st_mode):
            raise UnsafePath("%s/%s is a folder, not a file" % (root, relpath))
        if expect is not None and not expect(st):
            return None
        os.unlink(parts[-1], dir_fd=fd)
        return st
    finally:
        os.close(fd)


def _rmtree_fd(fd):
    removed = 0
    for name in os.listdir(fd):
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat.S_ISDIR(st.st_mode):
            sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
            try:
                removed += _rmtree_fd(sub)
            finally:
                os.close(sub)
            os.rmdir(name, dir_fd=fd)
        else:
            os.unlink(name, dir_fd=fd)
            removed += st.st_size if stat.S_ISREG(st.st_mode) else 0
    return removed


def rmtree_beneath(root, relpath):
    """Remove ``root/relpath`` and everything in it without following any link (a link inside is removed as a
    link). Returns the bytes of regular files removed; 0 when nothing was there."""
    parts = relative_parts(relpath)
    try:
        parent = open_dir_beneath(root, parts[:-1])
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return 0
        raise
    try:
        try:
            st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return 0
            raise
        if not stat.S_ISDIR(st.st_mode):
            os.unlink(parts[-1], dir_fd=parent)
            return st.st_size if stat.S_ISREG(st.st_mode) else 0
        fd = os.open(parts[-1], _DIR_FLAGS, dir_fd=parent)
        try:
            removed = _rmtree_fd(fd)
        finally:
            os.close(fd)
        os.rmdir(parts[-1], dir_fd=parent)
        return removed
    finally:
        os.close(parent)


def rmdir_if_empty_beneath(root, relpath):
    """Remove the folder ``root/relpath`` when it is empty; True when removed."""
    parts = relative_parts(relpath)
    try:
        fd = open_dir_beneath(root, parts[:-1])
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return False
        raise
    try:
        os.rmdir(parts[-1], dir_fd=fd)
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            return False
        raise
    finally:
        os.close(fd)
