# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a purge that purge_policy planned: one torrent at a time, journalled, each step verified.

For each torrent: a journal line before anything happens; then either ruTorrent's removewithdata (and wait
until the torrent and every one of its paths are gone), or d.erase (checked with the torrent gone) followed
by deleting its data through a data_removal remover (checked with every path gone); a journal line after.
The first step that fails stops the run; what was done until then is reported with the error.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.data_removal import RemovalError
from ansible_collections.mediaops.servarr.plugins.module_utils.httpclient import ServiceError


class Journal:
    """An append-only JSON-lines record of every removal, fsynced line by line (``path`` None: no journal)."""

    def __init__(self, path):
        self.path = path

    def write(self, record):
        if not self.path:
            return
        record = dict(record, time=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


class PurgeStopped(Exception):
    """A removal failed: ``done`` holds the entries completed before it, ``cause`` the error."""

    def __init__(self, done, cause):
        Exception.__init__(self, str(cause))
        self.done = done
        self.cause = cause


def execute(client, remover, planned, files, data_removal, verify_timeout, journal, clock=time.time,
            sleep=time.sleep):
    """Remove each entry of ``planned`` (purge_policy.result_entry, in plan order; ``files``: hash -> paths);
    returns the entries done, each with ``data_verified`` set when its data was deleted and checked gone.
    Raises PurgeStopped."""
    done = []
    try:
        for entry in planned:
            h = entry["hash"]
            paths = files[h]
            journal.write(dict(entry, event="removing", paths=paths))
            if data_removal == "rutorrent" and entry["data"] == "removed":
                client.rutorrent_remove_with_data(h)
                deadline = clock() + verify_timeout
                while True:
                    left = remover.remaining(paths)
                    if not left and not client.exists(h):
                        break
                    if clock() > deadline:
                        raise RemovalError("ruTorrent removewithdata of %s: %d paths still there after %ds"
                                           % (entry["name"], len(left), verify_timeout))
                    sleep(1)
                entry["data_verified"] = True
            else:
                client.erase(h)
                if client.exists(h):
                    raise RemovalError("rTorrent still has %s after d.erase" % entry["name"])
                if entry["data"] == "removed":
                    remover.remove(paths, entry["data_path"])
                    left = remover.remaining(paths)
                    if left:
                        raise RemovalError("%s: %d paths still exist after deleting, e.g. %s"
                                           % (entry["name"], len(left), left[0]))
                    entry["data_verified"] = True
            journal.write(dict(entry, event="removed"))
            done.append(entry)
    except (ServiceError, RemovalError, OSError, IOError) as exc:
        raise PurgeStopped(done, exc)
    return done
