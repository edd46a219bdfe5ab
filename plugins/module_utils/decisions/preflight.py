# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Does the whole chain fit together? Pure checks on what the services and the local file system answered.

Each check is a dict ``{"area", "check", "status", "message"}`` with ``status`` one of ``ok``, ``warning``,
``failure``; a message that is not ``ok`` says what was found, what was expected and which option to change.
The facts come from ``runs/preflight.py``; nothing here talks to a service.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
from urllib.parse import urlsplit

OK, WARNING, FAILURE = "ok", "warning", "failure"

# The rTorrent commands this collection sends (purge, status, sync); rTorrent 0.16 refuses some others to
# untrusted connections, which the collection never uses (tests/integration/test_rtorrent_016.py).
RTORRENT_METHODS = ("system.client_version", "system.multicall", "d.multicall2", "d.erase", "d.hash",
                    "d.hashing", "d.directory", "d.base_path", "d.name", "d.size_bytes", "d.completed_bytes",
                    "d.complete", "d.state", "d.is_active", "d.ratio", "d.custom", "d.custom1",
                    "d.is_multi_file", "d.free_diskspace", "d.timestamp.finished", "f.multicall", "f.path")


def check(area, name, status, message):
    return {"area": area, "check": name, "status": status, "message": message}


def _norm(path):
    return posixpath.normpath(path) if path else path


def _under(path, folder):
    path, folder = _norm(path), _norm(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def map_path(path, path_map):
    """This host's path as another host sees it, by the longest ``from`` prefix of ``path_map``."""
    best = None
    for entry in path_map or []:
        src = _norm(entry["from"])
        if _under(path, src) and (best is None or len(src) > len(_norm(best["from"]))):
            best = entry
    if best is None:
        return _norm(path)
    rest = _norm(path)[len(_norm(best["from"]).rstrip("/")):]
    return _norm(_norm(best["to"]).rstrip("/") + rest) if rest else _norm(best["to"])


def local_checks(facts):
    out = []
    for problem in facts.get("overlaps", []):
        out.append(check("local", "paths do not overlap", FAILURE, problem))
    staging, dest = facts.get("staging"), facts.get("dest")
    for label, info in (("staging_dir", staging), ("dest", dest)):
        if not info:
            continue
        if not info["exists"]:
            out.append(check("local", "%s exists" % label, FAILURE,
                             "%s %s does not exist (a typo, or the NAS is not mounted): create it or change %s"
                             % (label, info["path"], label)))
        elif not info["writable"]:
            out.append(check("local", "%s writable" % label, FAILURE,
                             "%s %s is not writable by %s: give the run user write access (group media)"
                             % (label, info["path"], facts.get("user", "the run user"))))
        else:
            out.append(check("local", "%s usable" % label, OK, "%s %s exists and is writable" % (label, info["path"])))
    if staging and dest and staging["exists"] and dest["exists"]:
        if staging["device"] != dest["device"]:
            out.append(check("local", "staging and import folder on one file system", FAILURE,
                             "staging_dir %s and dest %s are on different file systems, so the hand-off would be "
                             "a copy, not an atomic rename: put staging_dir on the file system of dest"
                             % (staging["path"], dest["path"])))
        else:
            out.append(check("local", "staging and import folder on one file system", OK,
                             "the hand-off from %s to %s is a rename" % (staging["path"], dest["path"])))
    for root in facts.get("library_roots", []):
        if not root["exists"]:
            out.append(check("local", "library root mounted", FAILURE,
                             "library root %s does not exist (NAS not mounted?): fix library_roots" % root["path"]))
        elif root["empty"]:
            out.append(check("local", "library root mounted", FAILURE,
                             "library root %s is empty (an unmounted mount point?)" % root["path"]))
        elif root.get("anchor") is False:
            out.append(check("local", "library root mounted", FAILURE,
                             "library root %s has no anchor file %s: create it once (touch) or fix anchor_file"
                             % (root["path"], facts.get("anchor_file"))))
        else:
            out.append(check("local", "library root mounted", OK, "library root %s is mounted" % root["path"]))
    state = facts.get("state_dir")
    if state:
        if not state["exists"] and not state["parent_exists"]:
            out.append(check("local", "state folder", FAILURE,
                             "state folder %s and its parent do not exist: install the role or set state_dir"
                             % state["path"]))
        elif state["exists"] and not state["writable"] and state.get("jobs"):
            out.append(check("local", "state folder", FAILURE,
                             "the jobs' state folders %s are not writable by the run user (%s): run the role again"
                             % (", ".join(state["jobs"]), facts.get("user"))))
        elif state["exists"] and not state["writable"]:
            out.append(check("local", "state folder", FAILURE,
                             "state folder %s is not writable by the run user" % state["path"]))
        else:
            out.append(check("local", "state folder", OK, "state folder %s is usable" % state["path"]))
    return out


def rtorrent_checks(facts, download_root=None):
    out = []
    scheme = facts.get("auth_scheme")
    if facts.get("error"):
        text = facts["error"]
        if scheme:   # the server answered a challenge: say which scheme it asked for
            text += " (the server asks for HTTP %s authentication: check rtorrent_username and rtorrent_password)" \
                % scheme.capitalize()
        return [check("rtorrent", "reachable", FAILURE, text)]
    text = "rTorrent %s at %s answers" % (facts.get("version") or "?", facts.get("url"))
    if scheme:
        text += " (HTTP %s authentication)" % scheme.capitalize()
    out.append(check("rtorrent", "reachable", OK, text))
    if facts.get("url", "").startswith("http://") and scheme:
        out.append(check("rtorrent", "credentials encrypted", WARNING,
                         "rtorrent_url %s is plain http://: the credentials cross the network readable; use "
                         "https://" % facts["url"]))
    missing = facts.get("missing_methods") or []
    if missing:
        out.append(check("rtorrent", "commands", FAILURE,
                         "rTorrent does not answer %s, which this collection sends" % ", ".join(missing)))
    elif facts.get("methods_checked"):
        out.append(check("rtorrent", "commands", OK, "every command this collection sends is there"))
    directories = facts.get("directories") or []
    if download_root and directories:
        outside = sorted(d for d in directories if not _under(d, download_root))
        if outside:
            out.append(check("rtorrent", "download_root holds the data", FAILURE,
                             "%d of %d loaded torrents keep their data outside download_root %s (e.g. %s): set "
                             "download_root to the folder rTorrent really uses"
                             % (len(outside), len(directories), download_root, outside[0])))
        else:
            out.append(check("rtorrent", "download_root holds the data", OK,
                             "every loaded torrent's data is under download_root %s" % download_root))
    return out


def sftp_checks(facts, download_root=None, remote_dir=None):
    if facts.get("error"):
        return [check("sftp", "login", FAILURE, facts["error"])]
    out = [check("sftp", "login", OK, "logged in to %s, host key matches the pinned one" % facts.get("host"))]
    for option, path, exists in (("download_root", download_root, facts.get("download_root_exists")),
                                 ("remote_dir", remote_dir, facts.get("remote_dir_exists"))):
        if not path:
            continue
        if exists:
            out.append(check("sftp", "%s exists" % option, OK, "%s %s exists on the seedbox" % (option, path)))
        else:
            out.append(check("sftp", "%s exists" % option, FAILURE,
                             "%s %s does not exist on the seedbox (as the SFTP account sees it; an SFTP chroot "
                             "shows other paths than rTorrent): fix %s" % (option, path, option)))
    if download_root and remote_dir and not _under(remote_dir, download_root):
        out.append(check("sftp", "remote_dir inside download_root", WARNING,
                         "remote_dir %s is not inside download_root %s: the purge cannot remove what the sync "
                         "fetches from there" % (remote_dir, download_root)))
    if facts.get("sha256sum") is False:
        out.append(check("sftp", "sha256sum on the seedbox", WARNING,
                         "no shell with sha256sum on the seedbox: verify_checksum cannot be used; the sync "
                         "checks sizes only"))
    elif facts.get("sha256sum"):
        out.append(check("sftp", "sha256sum on the seedbox", OK, "sha256sum runs on the seedbox"))
    return out


def _field(client, name):
    for field in client.get("fields") or []:
        if field.get("name") == name:
            return field.get("value")
    return None


def arr_checks(facts, rtorrent_url=None, remote_dir=None, dest=None):
    """One instance's checks: key and version, a download client for this seedbox, Completed Download
    Handling, a remote path mapping from the seedbox's folder to ``dest``, and its root folders."""
    name = facts["name"]
    area = "%s %s" % (facts["type"], name)
    if facts.get("error"):
        return [check(area, "reachable", FAILURE, facts["error"])]
    version = facts.get("version") or "?"
    out = [check(area, "reachable", OK, "%s %s answers with this key" % (facts["type"].capitalize(), version))]
    host = None
    if rtorrent_url:
        host = (urlsplit(rtorrent_url).hostname or "").lower()
        clients = [c for c in facts.get("download_clients") or []
                   if c.get("implementation") == "RTorrent" and c.get("enable", True)]
        ours = [c for c in clients if str(_field(c, "host") or "").lower() == host]
        if ours:
            out.append(check(area, "download client", OK,
                             "download client %r points at this seedbox (%s)" % (ours[0].get("name"), host)))
        else:
            seen = ", ".join("%r (%s)" % (c.get("name"), _field(c, "host")) for c in clients) or "none"
            out.append(check(area, "download client", FAILURE,
                             "no enabled rTorrent download client points at %s (rTorrent clients: %s): add one in "
                             "%s's Settings > Download Clients" % (host, seen, name)))
    if facts.get("completed_download_handling") is False:
        out.append(check(area, "Completed Download Handling", FAILURE,
                         "Completed Download Handling is off: %s never imports what the sync delivers and the "
                         "purge never finds import evidence; turn it on (Settings > Download Clients)" % name))
    elif facts.get("completed_download_handling"):
        out.append(check(area, "Completed Download Handling", OK, "Completed Download Handling is on"))
    if remote_dir and dest:
        wanted = (_norm(remote_dir), _norm(dest))
        maps = [(_norm(m.get("remotePath", "")), _norm(m.get("localPath", "")), (m.get("host") or "").lower())
                for m in facts.get("remote_path_mappings") or []]
        mine = [m for m in maps if host is None or m[2] == host]
        if wanted[0] == wanted[1]:
            out.append(check(area, "remote path mapping", OK,
                             "the seedbox's folder and dest are the same path; no mapping needed"))
        elif any(m[0] == wanted[0] and m[1] == wanted[1] for m in mine):
            out.append(check(area, "remote path mapping", OK,
                             "%s maps %s (seedbox) to %s (dest)" % (name, wanted[0], wanted[1])))
        elif any(m[0] == wanted[0] for m in mine):
            found = [m[1] for m in mine if m[0] == wanted[0]][0]
            out.append(check(area, "remote path mapping", FAILURE,
                             "%s maps the seedbox's %s to %s, but the sync delivers to dest %s: change the remote "
                             "path mapping's local path to %s" % (name, wanted[0], found, wanted[1], wanted[1])))
        else:
            out.append(check(area, "remote path mapping", FAILURE,
                             "%s has no remote path mapping for host %s from %s to %s, so it looks for the "
                             "seedbox's path on this host and imports nothing: add one (Settings > Download "
                             "Clients > Remote Path Mappings)" % (name, host or "?", wanted[0], wanted[1])))
    for folder in facts.get("root_folders") or []:
        if folder.get("accessible") is False:
            out.append(check(area, "root folder", FAILURE,
                             "%s's root folder %s is not accessible to it" % (name, folder.get("path"))))
        else:
            out.append(check(area, "root folder", OK, "root folder %s is accessible" % folder.get("path")))
    return out


def jellyfin_checks(facts, root_folders, path_map, library_roots=()):
    """The key is an administrator's; every Radarr/Sonarr root folder and every extras root is in a library."""
    if facts.get("error"):
        return [check("jellyfin", "administrator key", FAILURE, facts["error"])]
    out = [check("jellyfin", "administrator key", OK, "the key is an administrator's (library folders readable)")]
    locations = [_norm(p) for p in facts.get("locations") or []]
    places = [("root folder of %s" % owner, p) for owner, p in root_folders]
    places += [("library root", p) for p in library_roots]
    for label, path in places:
        seen = map_path(path, path_map)
        if any(_under(seen, loc) for loc in locations):
            out.append(check("jellyfin", "covered by a library", OK, "%s %s is in a Jellyfin library (as %s)"
                             % (label, path, seen)))
        else:
            out.append(check("jellyfin", "covered by a library", FAILURE,
                             "%s %s (Jellyfin would see %s through jellyfin_path_map) is under no Jellyfin library "
                             "(%s): add a library folder or fix jellyfin_path_map"
                             % (label, path, seen, ", ".join(locations) or "none")))
    return out


def _gb(size):
    return "%.1f GB" % (size / 1e9)


def free_space_checks(local, rtorrent, remote_dir=None, reserve_gb=1.0):
    """staging_dir's free space against the largest finished torrent now on the seedbox (in remote_dir when
    any is there), plus the sync's free_space_reserve_gb. Less room than the reserve alone: the sync can fetch
    nothing (failure). Less than the largest item and the reserve: a warning, as that item may be fetched already
    (the sync itself then fails that item, fetching nothing of it, and says why)."""
    staging = local.get("staging")
    if not staging or not staging.get("exists") or rtorrent.get("error") or "complete" not in rtorrent:
        return []
    free = staging.get("free_bytes") or 0
    reserve = int((reserve_gb or 0) * 1e9)
    items = rtorrent["complete"]
    if remote_dir:
        items = [i for i in items if _under(i["directory"], remote_dir)] or items
    if free < reserve:
        return [check("local", "free space in staging", FAILURE,
                      "staging_dir %s has %s free, less than free_space_reserve_gb keeps (%s): the sync fetches "
                      "nothing; free space there or lower free_space_reserve_gb" % (staging["path"], _gb(free),
                                                                                    _gb(reserve)))]
    if not items:
        return [check("local", "free space in staging", OK, "staging_dir %s has %s free; no finished torrent on "
                      "the seedbox to compare with" % (staging["path"], _gb(free)))]
    largest = max(items, key=lambda i: i["size"])
    if largest["size"] + reserve > free:
        return [check("local", "free space in staging", WARNING,
                      "staging_dir %s has %s free, but the largest finished torrent on the seedbox, %r, is %s (and "
                      "free_space_reserve_gb keeps %s): the sync cannot fetch it unless it is fetched already; free "
                      "space in staging_dir" % (staging["path"], _gb(free), largest["name"], _gb(largest["size"]),
                                                _gb(reserve)))]
    return [check("local", "free space in staging", OK,
                  "staging_dir %s has %s free, room for the largest finished torrent on the seedbox (%s)"
                  % (staging["path"], _gb(free), _gb(largest["size"])))]


def prowlarr_checks(facts, url):
    if facts.get("error"):
        return [check("prowlarr", "reachable", FAILURE, "%s: fix prowlarr_url or the key (prowlarr_api_key or "
                      "prowlarr_api_key_file)" % facts["error"])]
    return [check("prowlarr", "reachable", OK, "Prowlarr %s at %s answers with this key" % (facts.get("version"), url))]


def ntfy_checks(facts, test_message=False, check_mode=False):
    """ntfy: reachable, the credentials good and the topic readable (GET /<topic>/auth, nothing published); a
    test message only when asked."""
    server = facts.get("server", "ntfy")
    if facts.get("error"):
        text = facts["error"]
        if "401" in text or "credentials" in text:
            text += ": fix ntfy_token or ntfy_username/ntfy_password (servarr_ntfy_* in the inventory)"
        return [check("ntfy", "reachable and authorized", FAILURE, text)]
    if facts.get("auth") == "no-read":
        out = [check("ntfy", "reachable and authorized", WARNING,
                     "%s takes the credentials but refuses reading the topic (HTTP 403 on /<topic>/auth); ntfy "
                     "cannot say without a message whether they may publish there: run once with "
                     "ntfy_test_message true (servarr_preflight_ntfy_test_message), or give the user read-write "
                     "access (ntfy access USER TOPIC rw)" % server)]
    else:
        out = [check("ntfy", "reachable and authorized", OK,
                     "%s answers; the credentials are good and may read the topic (nothing was published)" % server)]
    if test_message and check_mode:
        out.append(check("ntfy", "test message", OK, "not sent in check mode"))
    elif facts.get("test_message_error"):
        out.append(check("ntfy", "test message", FAILURE, facts["test_message_error"]))
    elif facts.get("test_message"):
        out.append(check("ntfy", "test message", OK, "a test message was published to the topic (id %s)"
                         % facts["test_message"]))
    return out


SEEDBOX_AREAS = ("rtorrent", "sftp")
# checks of what every seedbox shares (made with the first one only): never named after a seedbox
SHARED_CHECKS = ("library root mounted", "state folder", "reachable", "Completed Download Handling", "root folder",
                 "administrator key", "covered by a library", "test message", "reachable and authorized")


def name_seedbox(checks, name):
    """With several seedboxes, each one's checks say which: ``rtorrent NAME``, ``sftp NAME``, and ``(seedbox
    NAME)`` after the name of any other check made for this seedbox (staging, free space, each instance's download
    client and remote path mapping)."""
    if not name:
        return checks
    out = []
    for item in checks:
        item = dict(item)
        if item["area"] in SEEDBOX_AREAS:
            item["area"] = "%s %s" % (item["area"], name)
        elif item["check"] not in SHARED_CHECKS:
            item["check"] = "%s (seedbox %s)" % (item["check"], name)
        out.append(item)
    return out


def summary(checks):
    failures = [c for c in checks if c["status"] == FAILURE]
    warnings = [c for c in checks if c["status"] == WARNING]
    if failures:
        return "%d of %d checks failed: %s" % (len(failures), len(checks),
                                               "; ".join("%s: %s" % (c["area"], c["message"]) for c in failures))
    if warnings:
        return "all %d checks passed, %d with a warning" % (len(checks), len(warnings))
    return "all %d checks passed" % len(checks)
