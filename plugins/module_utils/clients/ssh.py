# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH/SFTP connections to the seedbox (paramiko) with the host key always checked.

The host key is accepted only when it is in a ``known_hosts`` file or matches a pinned fingerprint
(``SHA256:...`` as ``ssh-keygen -l`` prints it). ``accept_new`` adds an unknown key to the ``known_hosts`` file
(trust on first use), and is off unless asked for. The key that was verified is kept, so that other programs
(lftp's ssh) can be made to trust exactly that key and nothing else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import errno
import hashlib


class SshError(Exception):
    pass


def fingerprint(key):
    """``SHA256:<base64 without padding>`` of a paramiko public key, as OpenSSH prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def check_key_file(path):
    """Raise SshError naming the key file and what is wrong with it (missing, a folder, unreadable, empty),
    so that a bad key is never reported as a network problem."""
    import os
    import stat as stat_mod
    try:
        st = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise SshError("the SSH key file %s does not exist (sftp_key_file)" % path)
        raise SshError("the SSH key file %s cannot be used (sftp_key_file): %s" % (path, exc.strerror or exc))
    if stat_mod.S_ISDIR(st.st_mode):
        raise SshError("the SSH key file %s is a folder, not a private key file (sftp_key_file)" % path)
    if not stat_mod.S_ISREG(st.st_mode):
        raise SshError("the SSH key file %s is not a regular file (sftp_key_file)" % path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
    except OSError as exc:
        raise SshError("the SSH key file %s cannot be read by user %s (sftp_key_file): %s"
                       % (path, _user(), exc.strerror or exc))
    if not head.strip():
        raise SshError("the SSH key file %s is empty (sftp_key_file)" % path)
    if b"PRIVATE KEY" not in head:
        raise SshError("the SSH key file %s does not hold a private key (sftp_key_file; a .pub file?)" % path)


def _user():
    import getpass
    try:
        return getpass.getuser()
    except Exception:
        import os
        return str(os.getuid())


def network_reason(exc):
    """An OSError as a person reads it: no ``[Errno None]`` (paramiko's NoValidConnectionsError, timeouts)."""
    import socket
    if isinstance(exc, socket.timeout) or type(exc).__name__ == "TimeoutError":
        return "timed out"
    if getattr(exc, "errno", None) is None:
        text = getattr(exc, "strerror", None) or (exc.args[-1] if exc.args and isinstance(exc.args[-1], str)
                                                  else str(exc))
        return text or type(exc).__name__
    return "%s (errno %d)" % (exc.strerror or os_strerror(exc.errno), exc.errno)


def _io_reason(exc):
    """An SFTP error (IOError from paramiko) in words: 'no such file or folder', 'permission denied'."""
    if getattr(exc, "errno", None) == errno.ENOENT:
        return "no such file or folder"
    if getattr(exc, "errno", None) == errno.EACCES:
        return "permission denied"
    return getattr(exc, "strerror", None) or str(exc)


def os_strerror(code):
    import os
    return os.strerror(code)


def _paramiko():
    try:
        import paramiko
    except ImportError:
        raise SshError("the Python library paramiko is needed on the managed host for SFTP "
                       "(Debian: apt install python3-paramiko)")
    return paramiko


def connect(host, port=22, username=None, password=None, key_file=None, known_hosts=None, host_fingerprint=None,
            accept_new=False, timeout=30, save_new_key=True):
    """An open ``paramiko.SSHClient``; ``client.servarr_host_key`` is the host key that was verified.
    ``save_new_key=False`` (check mode) trusts a new key with ``accept_new`` for this connection only."""
    paramiko = _paramiko()
    if key_file:
        check_key_file(key_file)
    pinned = host_fingerprint.strip() if host_fingerprint else None
    if pinned and not pinned.startswith("SHA256:"):
        raise SshError("host_fingerprint must look like SHA256:... (ssh-keygen -lf KEY prints it)")

    class Policy(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            if pinned:
                if fingerprint(key) != pinned:
                    raise SshError("host key of %s is %s, not the pinned %s: refusing to connect"
                                   % (hostname, fingerprint(key), pinned))
                return
            if accept_new and known_hosts:
                client.get_host_keys().add(hostname, key.get_name(), key)
                if save_new_key:
                    try:
                        client.save_host_keys(known_hosts)
                    except (IOError, OSError) as exc:
                        raise SshError("cannot add the new host key to %s: %s" % (known_hosts, exc))
                return
            raise SshError("host key of %s (%s %s) is not in %s: refusing to connect (add it to known_hosts, "
                           "or pin its fingerprint)" % (hostname, key.get_name(), fingerprint(key),
                                                        known_hosts or "~/.ssh/known_hosts"))

    client = paramiko.SSHClient()
    if not pinned:
        try:
            if known_hosts:
                client.load_host_keys(known_hosts)
            else:
                client.load_system_host_keys()
        except (IOError, OSError) as exc:
            if not (accept_new and known_hosts):
                raise SshError("cannot read known_hosts %s: %s" % (known_hosts, exc))
    client.set_missing_host_key_policy(Policy())
    try:
        client.connect(host, port=port, username=username, password=password, key_filename=key_file,
                       timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
                       allow_agent=False, look_for_keys=False)
    except SshError:
        client.close()
        raise
    except paramiko.PasswordRequiredException:
        client.close()
        raise SshError("the SSH key file %s is protected by a passphrase; give a key without one (sftp_key_file)"
                       % key_file)
    except paramiko.AuthenticationException:
        client.close()
        raise SshError("SSH %s@%s:%s rejected the credentials" % (username, host, port))
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise SshError("host key of %s:%s does not match known_hosts (%s): refusing to connect" % (host, port, exc))
    except paramiko.SSHException as exc:
        client.close()
        text = str(exc)
        if key_file and ("private key" in text.lower() or "key file" in text.lower() or "not a valid" in text):
            raise SshError("the SSH key file %s cannot be loaded (sftp_key_file): %s" % (key_file, text))
        raise SshError("SSH %s:%s: %s" % (host, port, text))
    except EOFError:
        client.close()
        raise SshError("SSH %s:%s closed the connection during the handshake (too many connections, or not an "
                       "SSH server?)" % (host, port))
    except OSError as exc:
        client.close()
        raise SshError("SSH: cannot reach %s:%s: %s" % (host, port, network_reason(exc)))
    client.servarr_host_key = client.get_transport().get_remote_server_key()
    return client


# A release is a folder of a few levels at most; a listing deeper than this is a loop or a hostile tree.
MAX_LISTING_DEPTH = 32


def _entry_problem(name):
    """Why a name the seedbox listed cannot be joined onto a local folder (see mirror_plan.name_problem)."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.safe_fs import name_problem
    problem = name_problem(name)
    if problem:
        return problem
    if "\n" in name or "\r" in name:
        return "name holds a line break"
    return None


def list_items(sftp, root, item_class, max_entries=200000, max_depth=MAX_LISTING_DEPTH):
    """Every top-level entry of ``root`` on the SFTP server as ``item_class(name, is_dir, files, newest,
    skipped_links, problem)``, files listed recursively with size and mtime. Symbolic links are never
    followed. A name that is not one plain path component (empty, ``.``, ``..``, a ``/`` or NUL in it) is
    never joined onto anything: at the top it becomes an item with a ``problem``; inside an item it makes the
    whole item refused (its ``problem`` names the entry). At most ``max_entries`` entries in all and
    ``max_depth`` folder levels are read: beyond them the listing fails (SshError naming the cap)."""
    import stat as stat_mod
    try:
        top = sftp.listdir_attr(root)
    except IOError as exc:
        raise SshError("cannot list %s on the seedbox: %s" % (root, _io_reason(exc)))
    seen = len(top)

    def count(more):
        if seen + more > max_entries:
            raise SshError("the seedbox listing of %s has more than %d entries (max_listing_entries): refusing "
                           "to read more; raise max_listing_entries if this is real" % (root, max_entries))
        return seen + more

    count(0)
    items = []
    for attr in top:
        name = attr.filename
        problem = _entry_problem(name)
        if problem:
            items.append(item_class(name, False, {}, attr.st_mtime or 0, problem="refused: %s" % problem))
            continue
        path = root.rstrip("/") + "/" + name
        if stat_mod.S_ISLNK(attr.st_mode):
            items.append(item_class(name, False, {}, attr.st_mtime or 0, skipped_links=1))
        elif stat_mod.S_ISREG(attr.st_mode):
            items.append(item_class(name, False, {"": (attr.st_size, attr.st_mtime or 0)}, attr.st_mtime or 0))
        elif stat_mod.S_ISDIR(attr.st_mode):
            files, newest, links, refused = {}, attr.st_mtime or 0, 0, None
            stack = [("", path, 1)]
            while stack and refused is None:
                rel, folder, depth = stack.pop()
                if depth > max_depth:
                    refused = "refused: folders nested deeper than %d levels" % max_depth
                    break
                try:
                    entries = sftp.listdir_attr(folder)
                except IOError as exc:
                    raise SshError("cannot list %s on the seedbox: %s" % (folder, _io_reason(exc)))
                seen = count(len(entries))
                for entry in entries:
                    problem = _entry_problem(entry.filename)
                    if problem:
                        refused = "refused: it holds an entry %r (%s)" % (
                            (rel + "/" if rel else "") + entry.filename, problem)
                        break
                    sub = rel + "/" + entry.filename if rel else entry.filename
                    newest = max(newest, entry.st_mtime or 0)
                    if stat_mod.S_ISLNK(entry.st_mode):
                        links += 1
                    elif stat_mod.S_ISDIR(entry.st_mode):
                        stack.append((sub, folder + "/" + entry.filename, depth + 1))
                    elif stat_mod.S_ISREG(entry.st_mode):
                        files[sub] = (entry.st_size, entry.st_mtime or 0)
            if refused:
                items.append(item_class(name, True, {}, newest, skipped_links=links, problem=refused))
            else:
                items.append(item_class(name, True, files, newest, skipped_links=links))
    return items


def remote_sha256(client, path, timeout=3600):
    """SHA-256 of a file on the seedbox, computed there (``sha256sum`` over SSH). None if the account has
    no shell or no sha256sum."""
    import shlex
    try:
        stdin, stdout, stderr = client.exec_command("sha256sum -b -- %s" % shlex.quote(path), timeout=timeout)
        stdin.close()
        out = stdout.read(4096).decode("utf-8", "replace")   # 64 hex digits and the name: never more
        status = stdout.channel.recv_exit_status()
    except Exception:
        return None
    out = out.lstrip("\\")   # sha256sum marks an escaped file name with a leading backslash
    if status != 0 or len(out) < 64:
        return None
    digest = out[:64].lower()
    return digest if all(ch in "0123456789abcdef" for ch in digest) else None
