#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: state_backup
short_description: Back up the jobs' state folder, and put it back onto a fresh install
version_added: 0.3.0
description:
  - O(state=present) writes a dated archive C(servarr-state-<UTC time>.tar.gz) of the state folder O(state_dir) (every
    job's history digests, checkpoints, journals, caches, the review journal and the metrics counters) into
    O(backup_dir), through a temporary file that is fsynced and renamed, so the folder only ever holds whole
    archives (mode 0600). Then the oldest archives beyond O(keep) are removed.
  - Left out are locks (C(*.lock)), temporary files a killed write left, symlinks (never followed), anything that is
    not a regular file, and O(backup_dir) when it lies inside the state folder. Nothing from C(/etc/servarr) is
    copied (the vault stays there, encrypted).
  - With O(app_backups), the newest backup each Radarr/Sonarr instance lists (C(GET /api/v3/system/backup)) is
    downloaded (C(GET) of its C(path), at most O(max_app_backup_size) MiB) and stored under C(apps/<instance>/), with
    the C(<ApiKey>) element taken out of its C(config.xml).
  - O(state=restored) puts the state folder back from an archive (O(archive)) onto a fresh install, so that the
    next run of every job carries on exactly where the backed-up one stopped. Every file is checked against the
    archive's manifest (SHA-256) before anything is written; members outside C(state/), links and devices refuse
    the archive. Each file is written atomically with its archived mode, owned like the folder it lands in. A state
    folder that already holds state files is refused unless O(force). Restoring the same archive again changes
    nothing (the restore is recorded in C(.restored.json) in the state folder).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.arr.OPTIONAL
  - mediaops.servarr.attributes
attributes:
  check_mode:
    support: full
    details: Reads the state folder (or the archive) and reports what would be written and removed; writes nothing,
      downloads nothing.
  diff_mode:
    support: full
    details: Lists the archive that would be written and removed, or the files a restore creates or replaces.
  idempotent:
    description:
      - When run twice with the same options and nothing new on the services, the second run reports
        C(changed=false) and changes nothing.
    support: partial
    details: O(state=present) writes a new dated archive every run (a backup is a point in time); O(state=restored)
      is idempotent.
  action_group:
    description: Use C(group/mediaops.servarr.arr) in C(module_defaults) for O(instances).
    support: full
    membership:
      - mediaops.servarr.arr
options:
  state:
    description:
      - V(present) makes a backup, V(restored) puts one back.
    type: str
    choices: [present, restored]
    default: present
  state_dir:
    description:
      - The state folder (the role's C(servarr_state_dir), holding C(jobs/<job>/) of every job).
    type: path
    default: /var/lib/servarr
  backup_dir:
    description:
      - Where the archives go (and, with O(archive=latest), where the newest is taken from). Best on another disk
        than the container's own, so that it survives a rebuild. It is created when its parent exists.
    type: path
    required: true
  keep:
    description:
      - How many archives to keep; the oldest beyond are removed after a new one is written.
    type: int
    default: 14
  archive:
    description:
      - With O(state=restored), the archive to put back (a path), or V(latest) for the newest in O(backup_dir).
    type: str
    default: latest
  force:
    description:
      - With O(state=restored), write into a state folder that already holds state files (files the archive does
        not have are left as they are).
    type: bool
    default: false
  app_backups:
    description:
      - With O(state=present), also store the newest backup each instance of O(instances) lists. The apps serve
        these files to a signed-in user only (not to the API key) unless their Authentication Required setting is
        C(Disabled for Local Addresses) and this host is local to them; otherwise the download fails and says so.
      - The zip holds the app's database, with the passwords and keys the app keeps for its indexers and download
        clients, as the app's own Backups folder does; its C(<ApiKey>) is taken out.
    type: bool
    default: false
  max_app_backup_size:
    description:
      - The largest app backup downloaded, in MiB; a larger one fails the task.
    type: int
    default: 512
seealso:
  - module: mediaops.servarr.arr_tag
"""

EXAMPLES = r"""
- name: Back up the state folder, keep two weeks
  mediaops.servarr.state_backup:
    state_dir: /var/lib/servarr
    backup_dir: /mnt/media/scripts/backups
    keep: 14

- name: Put the newest backup back onto a fresh install
  become: true
  mediaops.servarr.state_backup:
    state: restored
    state_dir: /var/lib/servarr
    backup_dir: /mnt/media/scripts/backups
    archive: latest
"""

RETURN = r"""
archive:
  description: The archive written (with O(state=restored), read); in check mode the one that would be written.
  returned: always
  type: str
  sample: /mnt/media/scripts/backups/servarr-state-20261125T043000Z.tar.gz
size:
  description: Size of the archive written, in bytes (null in check mode).
  returned: when O(state=present)
  type: int
  sample: 1843200
time:
  description: When the archive was written (seconds since the epoch, UTC).
  returned: when O(state=present)
  type: float
  sample: 1795660200.0
files:
  description: Number of state files archived (restored).
  returned: always
  type: int
  sample: 42
bytes:
  description: Their total size in bytes, before compression.
  returned: when O(state=present)
  type: int
  sample: 5242880
removed:
  description: Archives removed to keep O(keep) (would be, in check mode).
  returned: when O(state=present)
  type: list
  elements: str
  sample: [servarr-state-20261111T043000Z.tar.gz]
left_out:
  description: Paths in the state folder left out, with why.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{path: jobs/sync/link, reason: a symlink}]
apps:
  description: The app backups stored, by instance (O(app_backups)).
  returned: when O(state=present)
  type: dict
  sample: {radarr: {name: radarr_backup_v5.14.0.9383_2026.11.25_04.00.00.zip, size: 4718592, sha256: 9f2c...,
                    api_key_removed: true}}
created:
  description: Files the restore created (would create).
  returned: when O(state=restored)
  type: list
  elements: str
  sample: [jobs/purge/purge-journal.jsonl]
replaced:
  description: Files the restore replaced (would replace), with O(force).
  returned: when O(state=restored)
  type: list
  elements: str
  sample: []
already_restored:
  description: The state folder was already restored from this archive; nothing was written.
  returned: when O(state=restored)
  type: bool
  sample: false
"""

import hashlib
import json
import os
import socket
import time
import zipfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client, arr_instances_spec
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import state_backup as sb
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, StateError, ensure_folder, write_atomic)


def main():
    argument_spec = arr_instances_spec(required=False)
    argument_spec.update(
        state=dict(type="str", choices=["present", "restored"], default="present"),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        backup_dir=dict(type="path", required=True),
        keep=dict(type="int", default=14),
        archive=dict(type="str", default="latest"),
        force=dict(type="bool", default=False),
        app_backups=dict(type="bool", default=False),
        max_app_backup_size=dict(type="int", default=512),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    for name in ("state_dir", "backup_dir"):
        if not os.path.isabs(p[name]):
            module.fail_json(msg="%s must be an absolute path, not %r" % (name, p[name]))
    if p["state"] == "present":
        backup(module, p)
    else:
        restore(module, p)


def backup(module, p):
    result = dict(changed=False, archive=None, size=None, time=None, files=0, bytes=0, removed=[], left_out=[],
                  apps={})
    if p["keep"] < 1:
        module.fail_json(msg="keep must be at least 1", **result)
    if not os.path.isdir(p["state_dir"]):
        module.fail_json(msg="the state folder %s does not exist" % p["state_dir"], **result)
    try:
        ensure_folder(p["backup_dir"], module.check_mode, mode=0o750)
        dirs, files, result["left_out"] = sb.collect(p["state_dir"], exclude=[p["backup_dir"]])
    except (StateError, OSError) as exc:
        module.fail_json(msg="%s; no backup was written" % exc, **result)
    result["files"] = len(files)
    result["bytes"] = sum(info.st_size for info in files.values())
    now = time.time()

    apps = {}
    if p["app_backups"]:
        if not p["instances"]:
            module.fail_json(msg="app_backups needs instances", **result)
        limit = p["max_app_backup_size"] * 1048576
        for instance in p["instances"]:
            client = arr_client(instance)
            try:
                listed = client.backups()
                if not listed:
                    raise ServiceError("%s lists no backup (System > Backup)" % instance["name"])
                newest = max(listed, key=lambda b: b.get("time") or "")
                entry = {"name": newest["name"], "time": newest.get("time"), "size": newest.get("size")}
                if not module.check_mode:
                    data, removed = sb.strip_api_key(client.download_backup(newest, limit))
                    entry.update(data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                 api_key_removed=removed)
                apps[instance["name"]] = entry
            except (ServiceError, ValueError, zipfile.BadZipFile) as exc:
                module.fail_json(msg="%s; no backup was written" % exc, **result)
            finally:
                client.close()
    result["apps"] = dict((k, dict((f, v) for f, v in e.items() if f != "data")) for k, e in apps.items())
    result["changed"] = True
    name = sb.archive_name(p["backup_dir"], now) if os.path.isdir(p["backup_dir"]) else \
        "servarr-state-%s.tar.gz" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
    result["archive"] = os.path.join(p["backup_dir"], name)
    if module.check_mode:
        result["removed"] = sb.rotate(p["backup_dir"], p["keep"], check_mode=True, adding=1)
        if module._diff:
            result["diff"] = backup_diff(result)
        module.exit_json(**result)
    try:
        sb.remove_leftovers(p["backup_dir"])
        path, _manifest = sb.write_archive(p["backup_dir"], os.path.abspath(p["state_dir"]), dirs, files, apps, now,
                                           socket.gethostname())
        result.update(archive=path, size=os.path.getsize(path), time=now)
        result["removed"] = sb.rotate(p["backup_dir"], p["keep"])
    except (StateError, OSError) as exc:
        module.fail_json(msg="cannot write the backup in %s: %s" % (p["backup_dir"], exc), **result)
    if module._diff:
        result["diff"] = backup_diff(result)
    module.exit_json(**result)


def backup_diff(result):
    lines = ["+ %s (%d files, %d bytes)\n" % (os.path.basename(result["archive"]), result["files"], result["bytes"])]
    lines.extend("- %s\n" % name for name in result["removed"])
    return {"before_header": "backups", "after_header": "backups", "prepared": "".join(lines)}


def restore(module, p):
    result = dict(changed=False, archive=None, files=0, created=[], replaced=[], already_restored=False)
    path = p["archive"]
    if path == "latest":
        names = sb.archives(p["backup_dir"])
        if not names:
            module.fail_json(msg="no servarr-state-*.tar.gz in %s to restore" % p["backup_dir"], **result)
        path = os.path.join(p["backup_dir"], names[-1])
    elif not os.path.isabs(path):
        path = os.path.join(p["backup_dir"], path)
    result["archive"] = path
    if not os.path.isfile(path):
        module.fail_json(msg="the archive %s does not exist" % path, **result)
    try:
        digest = sb.sha256_of(path)
        record = os.path.join(p["state_dir"], sb.RESTORED)
        try:
            with open(record) as handle:
                done = json.load(handle)
        except (OSError, ValueError):
            done = {}
        manifest, dirs, files = sb.read_archive(path)
        result["files"] = len(files)
        if isinstance(done, dict) and done.get("sha256") == digest:
            result["already_restored"] = True
            module.exit_json(**result)
        ensure_folder(p["state_dir"], module.check_mode, mode=0o750)
        present = sb.state_files(p["state_dir"])
        if present and not p["force"]:
            module.fail_json(msg="the state folder %s already holds state (%s%s): refusing to restore over it; "
                             "set force to write the archive's files over it" % (
                                 p["state_dir"], ", ".join(present[:5]), "..." if len(present) > 5 else ""),
                             **result)
        if module.check_mode and not os.path.isdir(p["state_dir"]):
            done_files = {"created": sorted(files), "replaced": [], "unchanged": []}
        else:
            done_files = sb.restore(p["state_dir"], manifest, dirs, files, check_mode=module.check_mode)
        result.update(created=done_files["created"], replaced=done_files["replaced"])
        result["changed"] = True
        if not module.check_mode:
            write_atomic(record, json.dumps({"archive": os.path.basename(path), "sha256": digest,
                                             "restored": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                             "created": manifest.get("created")}, sort_keys=True) + "\n", 0o640)
    except (StateError, OSError) as exc:
        module.fail_json(msg="%s; restore stopped" % exc, **result)
    if module._diff:
        lines = ["+ %s\n" % rel for rel in result["created"]] + ["~ %s\n" % rel for rel in result["replaced"]]
        result["diff"] = {"before_header": p["state_dir"], "after_header": os.path.basename(path),
                          "prepared": "".join(lines) or "no file changes\n"}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
