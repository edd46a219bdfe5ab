# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Gather what the preflight checks: a fixed, small number of read-only requests per service (never one per
title), and the local folders. Every failure to read becomes a fact (``error``) for the checks to report; nothing
here writes anything anywhere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import pwd
import stat

from ansible_collections.mediaops.servarr.plugins.module_utils import safe_fs
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import preflight as decide
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError


def _read_only_here(path):
    """The mount holding ``path`` is read-only for this process: the preflight's own unit (ProtectSystem=strict,
    ReadWritePaths only its own folder) or servarr-cron's namespace shows the other jobs' folders read-only."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _permits_writing(path):
    """Would the run user be allowed to write ``path`` by its owner, group and mode bits (ACLs not read)."""
    st = os.stat(path)
    if os.geteuid() == 0:
        return True
    if st.st_uid == os.geteuid():
        bits = stat.S_IWUSR | stat.S_IXUSR
    elif st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        bits = stat.S_IWGRP | stat.S_IXGRP
    else:
        bits = stat.S_IWOTH | stat.S_IXOTH
    return st.st_mode & bits == bits


def writable(path):
    """Writable by the run user. Where this run sees the folder read-only (its sandbox) but the job that writes
    there would not, the folder's permissions decide."""
    if os.access(path, os.W_OK | os.X_OK):
        return True
    if _read_only_here(path):
        return _permits_writing(path)
    return False


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _folder(path):
    info = {"path": path, "exists": os.path.isdir(path), "writable": False, "device": None}
    if info["exists"]:
        info["writable"] = writable(path)
        info["device"] = os.stat(path).st_dev
        info["free_bytes"] = free_bytes(path)
    return info


def local_facts(staging_dir=None, dest=None, library_roots=(), anchor_file=None, state_dir=None,
                download_root_local=None):
    facts = {"user": pwd.getpwuid(os.getuid()).pw_name, "anchor_file": anchor_file}
    named = [("staging_dir", staging_dir), ("dest", dest), ("state_dir", state_dir)]
    named += [("library_roots", root) for root in library_roots or []]
    if download_root_local:
        named.append(("download_root", download_root_local))
    facts["overlaps"] = safe_fs.overlap_problems(named)
    if staging_dir:
        facts["staging"] = _folder(staging_dir)
    if dest:
        facts["dest"] = _folder(dest)
    roots = []
    for root in library_roots or []:
        entry = {"path": root, "exists": os.path.isdir(root), "empty": False}
        if entry["exists"]:
            try:
                with os.scandir(root) as entries:
                    entry["empty"] = next(iter(entries), None) is None
            except OSError:
                entry["exists"] = False
            if anchor_file:
                entry["anchor"] = os.path.exists(os.path.join(root, anchor_file))
        roots.append(entry)
    facts["library_roots"] = roots
    if state_dir:
        entry = _folder(state_dir)
        entry.pop("free_bytes", None)
        entry["parent_exists"] = os.path.isdir(os.path.dirname(os.path.abspath(state_dir)))
        jobs = os.path.join(state_dir, "jobs")
        if os.path.isdir(jobs) and not entry["writable"]:
            # the role's layout: the state folder is root's and each job writes only its own jobs/<job>
            try:
                folders = [os.path.join(jobs, name) for name in sorted(os.listdir(jobs))]
            except OSError:
                folders = []
            folders = [path for path in folders if os.path.isdir(path)]
            entry["jobs"] = [path for path in folders if not writable(path)]
            entry["writable"] = bool(folders) and not entry["jobs"]
        facts["state_dir"] = entry
    return facts


def rtorrent_facts(client):
    """Three requests: the version; the directory, name, size and completeness of every loaded torrent (one
    multicall, whatever their number); the method list."""
    facts = {"url": client.url}
    try:
        facts["version"] = str(client.call("system.client_version"))
        rows = client.call("d.multicall2", "", "main", "d.directory=", "d.name=", "d.size_bytes=", "d.complete=")
        facts["directories"] = sorted(set(str(row[0]).rstrip("/") for row in rows or [] if row and row[0]))
        # the finished torrents, which the sync fetches: the largest must fit in staging
        facts["complete"] = [{"directory": str(row[0]).rstrip("/"), "name": str(row[1]), "size": int(row[2] or 0)}
                             for row in rows or [] if len(row) >= 4 and row[0] and int(row[3] or 0) == 1]
        try:
            methods = set(client.call("system.listMethods"))
        except ServiceError:
            methods = None
        if methods:
            facts["methods_checked"] = True
            facts["missing_methods"] = [m for m in decide.RTORRENT_METHODS if m not in methods]
    except ServiceError as exc:
        facts["error"] = str(exc)
    http = getattr(client.transport, "http", None)
    facts["auth_scheme"] = getattr(http, "_auth_scheme", None)
    return facts


def sftp_facts(connect, host, download_root=None, remote_dir=None, check_sha256=True):
    """``connect()`` returns an open paramiko client (host key verified) or raises."""
    facts = {"host": host}
    try:
        client = connect()
    except Exception as exc:  # SshError and paramiko's own: each says why
        facts["error"] = str(exc)
        return facts
    try:
        sftp = client.open_sftp()
        for key, path in (("download_root_exists", download_root), ("remote_dir_exists", remote_dir)):
            if path:
                try:
                    sftp.stat(path)
                    facts[key] = True
                except IOError:
                    facts[key] = False
        if check_sha256:
            try:
                stdin, stdout, _stderr = client.exec_command("sha256sum --version", timeout=30)
                stdin.close()
                stdout.read(4096)
                facts["sha256sum"] = stdout.channel.recv_exit_status() == 0
            except Exception:
                facts["sha256sum"] = False
    finally:
        client.close()
    return facts


def arr_facts(instance, client):
    """Five GETs per instance, whatever the library's size."""
    facts = {"name": instance["name"], "type": instance["type"]}
    try:
        facts["version"] = (client.get("/api/v3/system/status") or {}).get("version")
        facts["download_clients"] = client.get("/api/v3/downloadclient") or []
        config = client.get("/api/v3/config/downloadclient") or {}
        facts["completed_download_handling"] = config.get("enableCompletedDownloadHandling")
        facts["remote_path_mappings"] = client.get("/api/v3/remotepathmapping") or []
        facts["root_folders"] = client.get("/api/v3/rootfolder") or []
    except ServiceError as exc:
        facts["error"] = str(exc)
    return facts


def prowlarr_facts(client):
    """One request (no search: no indexer is asked)."""
    try:
        return {"version": client.status().get("version")}
    except ServiceError as exc:
        return {"error": str(exc)}


def ntfy_facts(client, test_message=None):
    """``GET /<topic>/auth`` (nothing published); a message only when ``test_message`` is given."""
    facts = {"server": client.describe()}
    try:
        facts["auth"] = client.check_auth()
    except ServiceError as exc:
        facts["error"] = str(exc)
        return facts
    if test_message:
        try:
            dummy, answer = client.publish(test_message, title="mediaops.servarr preflight", tags=["servarr"])
            facts["test_message"] = answer.get("id") or "sent"
        except ServiceError as exc:
            facts["test_message_error"] = str(exc)
    return facts


def jellyfin_facts(client):
    try:
        return {"locations": [loc for _name, locations in client.libraries() for loc in locations]}
    except ServiceError as exc:
        return {"error": str(exc)}
