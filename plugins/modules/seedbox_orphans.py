#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: seedbox_orphans
short_description: Move the seedbox data no loaded torrent lists into a quarantine, and expire it later
version_added: 0.3.0
description:
  - Lists O(download_root) on the seedbox and subtracts every path a loaded torrent lists (C(d.directory) and
    C(f.path) of every torrent of rTorrent's C(main) view - started or stopped, complete or not - read in one
    C(d.multicall2)) and every path an unfinished purge intent holds (O(purge_journals)). What is left is
    orphaned - the remains of torrents removed in ruTorrent without their data, failed deletions, files a torrent
    does not list in its own folder.
  - The listing is one C(find -printf) over SSH when the seedbox account has a shell with GNU find (one round trip),
    else SFTP (one request per folder); see O(listing). Symbolic links are never followed; a link is an entry of its
    own and moves as a link. At most O(max_depth) levels and O(max_entries) entries are read.
  - An orphan is a file, a link, or a folder none of whose contents a torrent lists - a folder moves whole or not at
    all. It moves only when it and everything in it is older than O(min_age_hours) by modification time and (over
    SSH) status-change time, and within the run's caps O(max_files) and O(max_gb), oldest first.
  - Orphans are B(moved), never deleted at once - renamed into a folder per run in O(quarantine_dir) on the same
    file system (a rename, never a copy; an orphan on another file system is skipped). A batch is deleted
    O(retention_days) after it was moved. Only batches this module moved and recorded in its O(journal) are ever
    deleted, never anything else in the quarantine.
  - Nothing moves when anything is incomplete - a torrent whose files could not be read, a listing that hit a cap
    or failed, a name that cannot be addressed safely, a torrent that lists a path in the quarantine, torrents
    added or removed during the run. RV(partial) says why; what would have moved is still reported.
  - Before each batch of renames (and each deletion) a record is appended to O(journal) and fsynced; a run killed
    at any step leaves an unfinished record that the next run finishes first (see RV(resumed)).
  - Excluded, always - the quarantine folder, rTorrent's session folder (C(session.path)) when it is under the
    download root, and with O(exclude_dotfiles) every name starting with a dot. Add more with O(exclude).
  - Names on the seedbox are hostile - a listed name that is not one plain path component is never joined onto
    anything (it is reported and nothing moves); every path joined from listed names is checked to stay beneath
    the download root after joining.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.rtorrent
  - mediaops.servarr.sftp
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
  - mediaops.servarr.attributes.ACTIONGROUP_RTORRENT
attributes:
  check_mode:
    support: full
    details: Reads rTorrent and the seedbox and reports what would move and what would expire, with sizes; moves,
      deletes and writes nothing, not even the journal.
  diff_mode:
    support: full
    details: The paths that would move (or moved) into the quarantine and the batches that would expire, with sizes.
options:
  download_root:
    description:
      - The seedbox folder the torrents' data is in, as rTorrent sees it. Only what lies beneath it is ever
        considered; it must not be V(/).
    type: str
    required: true
  remote_root:
    description:
      - The same folder as the SSH account sees it, when that differs from O(download_root) (an SFTP chroot). The
        paths under both must be the same.
      - When none of the files the torrents list is found in the listing, nothing moves (the two views differ).
    type: str
  quarantine_dir:
    description:
      - Where orphans are moved, as the SSH account sees it; created (mode 0700) on the first move. Each run's moves
        go into a folder of their own (C(<UTC time>-<random>)), keeping their paths relative to the download root,
        so that moving one back is a rename.
      - Defaults to C(.servarr-quarantine) directly in O(remote_root) - excluded from the listing; a torrent whose
        files are in it stops every move. Elsewhere it must be on the same file system as the download root, and it
        must not be the download root or hold it.
    type: str
  listing:
    description:
      - V(auto) lists with one C(find) over SSH and falls back to SFTP when the account has no shell or no GNU find
        (an SFTP-only account); V(ssh) requires the shell; V(sftp) never uses it.
      - Over SFTP the status-change time is unknown (the age is by modification time only) and so is the file
        system (a rename onto another fails and is reported).
    type: str
    choices: [auto, ssh, sftp]
    default: auto
  max_depth:
    description:
      - Folder levels below the download root that are listed; a deeper tree makes the listing partial (nothing
        moves).
    type: int
    default: 16
  max_entries:
    description:
      - Entries the listing may hold; more make it partial (nothing moves).
    type: int
    default: 1000000
  min_age_hours:
    description:
      - An orphan moves only when it and everything in it was last modified (and, over SSH, had its status
        changed) at least this long ago.
    type: float
    default: 24
  max_files:
    description:
      - Files (a link or an empty folder counts as one) moved in one run at most; the rest waits for the next run.
    type: int
    default: 1000
  max_gb:
    description:
      - GB (10^9 bytes) moved in one run at most; the rest waits for the next run. An orphan larger than this never
        moves until it is raised.
    type: float
    default: 200
  exclude:
    description:
      - More paths that never move, with everything in them. An absolute path (as the SSH account sees it), a
        glob with a C(/) matched against the path relative to the download root, or a glob without one matched
        against every name on the way (V(*.!qB), V(watch)).
      - A watch folder inside the download root belongs here.
    type: list
    elements: str
    default: []
  exclude_dotfiles:
    description:
      - Never move a name that starts with a dot (or anything inside a folder whose name does).
    type: bool
    default: true
  retention_days:
    description:
      - Days a batch stays in the quarantine before it is deleted.
    type: float
    default: 14
  purge_journals:
    description:
      - The purge's intent journals (M(mediaops.servarr.rtorrent_purge)'s O(mediaops.servarr.rtorrent_purge#module:journal)).
        Every path of an unfinished removal in them stays; one that does not exist holds nothing; one that cannot
        be read stops the run.
    type: list
    elements: path
    default: []
  purge_lock_file:
    description:
      - The purge's lock; while a purge holds it, this module does nothing and returns RV(locked).
    type: path
  state_dir:
    description:
      - Folder on the managed host for the journal and the lock when O(journal) or O(lock_file) is not given.
        Created (mode 0700) when its parent exists.
    type: path
    default: /var/lib/servarr
  journal:
    description:
      - The sweep's journal, JSON lines on the managed host - every batch moved and not yet expired, and the step
        a killed run left unfinished. Defaults to C(orphans-journal.jsonl) in O(state_dir). Not written in check
        mode.
    type: path
  lock_file:
    description:
      - The lock that keeps two sweeps apart. Defaults to C(orphans.lock) in O(state_dir).
    type: path
  name:
    description:
      - The seedbox's name, returned as RV(seedbox) (the label of its metrics).
    type: str
    default: default
seealso:
  - module: mediaops.servarr.rtorrent_purge
  - module: mediaops.servarr.seedbox_info
"""

EXAMPLES = r"""
- name: Sweep the seedbox's orphaned data into its quarantine
  mediaops.servarr.seedbox_orphans:
    rtorrent_url: https://seedbox.example.com/rutorrent/plugins/httprpc/action.php
    rtorrent_username: seeduser
    rtorrent_password: "{{ vault_rtorrent_password }}"
    download_root: /home/seeduser/downloads
    sftp_host: seedbox.example.com
    sftp_username: seeduser
    sftp_key_file: /root/.ssh/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts
    exclude: [watch]
    purge_journals: [/var/lib/servarr/jobs/purge/purge-journal.jsonl]
    purge_lock_file: /var/lib/servarr/jobs/purge/purge.lock
  register: orphans

- name: Say how much is orphaned
  ansible.builtin.debug:
    msg: "{{ orphans.orphaned_bytes | human_readable }} orphaned, {{ orphans.quarantine_bytes | human_readable }} in quarantine"
"""

RETURN = r"""
seedbox:
  description: O(name).
  returned: always
  type: str
  sample: main
orphans:
  description: Every orphan found, moving or not, by path relative to the download root.
  returned: always
  type: list
  elements: dict
  sample:
    - path: Old.Movie.2019.1080p
      kind: folder
      files: 3
      size_bytes: 8123456789
      age_hours: 410.5
      outcome: move
      why: no loaded torrent lists it
  contains:
    path:
      description: Path relative to the download root.
      type: str
      sample: Old.Movie.2019.1080p
    kind:
      description: V(file), V(folder) or V(symlink).
      type: str
      sample: folder
    files:
      description: Regular files in it.
      type: int
      sample: 3
    size_bytes:
      description: Bytes of those files.
      type: int
      sample: 8123456789
    age_hours:
      description: Hours since anything in it last changed.
      type: float
      sample: 410.5
    outcome:
      description: V(move) (moves this run), V(young) (younger than O(min_age_hours)), V(capped) (over
        O(max_files) or O(max_gb); a later run), V(held) (the run is partial, see RV(partial)).
      type: str
      sample: move
    why:
      description: The outcome in words.
      type: str
      sample: no loaded torrent lists it
moved:
  description: What this run moved into the quarantine (in check mode, would move).
  returned: always
  type: list
  elements: dict
  sample:
    - path: Old.Movie.2019.1080p
      kind: folder
      files: 3
      size_bytes: 8123456789
      age_hours: 410.5
      batch: 20261124T030012Z-a1b2c3
      quarantine_path: /home/seeduser/downloads/.servarr-quarantine/20261124T030012Z-a1b2c3/Old.Movie.2019.1080p
      outcome: moved
  contains:
    path:
      description: Path relative to the download root.
      type: str
      sample: Old.Movie.2019.1080p
    batch:
      description: The run's folder in the quarantine.
      type: str
      sample: 20261124T030012Z-a1b2c3
    quarantine_path:
      description: Where it is now.
      type: str
      sample: /home/seeduser/downloads/.servarr-quarantine/20261124T030012Z-a1b2c3/Old.Movie.2019.1080p
    outcome:
      description: V(moved), V(failed), V(exists) (something is already at its place in the quarantine), or in
        check mode V(would move).
      type: str
      sample: moved
expired:
  description: Quarantined batches deleted this run (in check mode, that would be).
  returned: always
  type: list
  elements: dict
  sample:
    - batch: 20261101T030012Z-d4e5f6
      quarantine_path: /home/seeduser/downloads/.servarr-quarantine/20261101T030012Z-d4e5f6
      size_bytes: 2000000000
      files: 12
      moved: "2026-11-01T03:00:12Z"
      outcome: expired
      why: in the quarantine 23.0 days, retention 14.0 days
resumed:
  description: Steps an earlier run announced in the journal and did not finish, and what this run did about each.
  returned: always
  type: list
  elements: dict
  sample:
    - batch: 20261124T030012Z-a1b2c3
      outcome: finished
      why: 2 moved now, 1 were already in the quarantine, 0 left at their place, 0 gone from both
partial:
  description: Why nothing moved although orphans were found (an incomplete torrent list or listing); empty
    when the run was complete.
  returned: always
  type: list
  elements: str
  sample: ["the listing of /home/seeduser/downloads has more than 1000000 entries (max_entries)"]
skipped:
  description: Listed paths that never move and are worth knowing - special files, names that cannot be addressed
    safely, paths on another file system.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "sock", "why": "a special file (type s); never moved"}]
orphaned_bytes:
  description: Bytes of every orphan found, moving or not (the figure for a dashboard's trend).
  returned: always
  type: int
  sample: 12123456789
orphaned_files:
  description: Regular files of every orphan found.
  returned: always
  type: int
  sample: 57
moved_bytes:
  description: Bytes moved into the quarantine this run (in check mode, that would be).
  returned: always
  type: int
  sample: 8123456789
expired_bytes:
  description: Bytes deleted from the quarantine this run.
  returned: always
  type: int
  sample: 2000000000
quarantine_bytes:
  description: Bytes in the quarantine batches this module holds after the run (in check mode, as they would be).
  returned: always
  type: int
  sample: 9123456789
torrents_total:
  description: Torrents rTorrent had loaded.
  returned: always
  type: int
  sample: 3012
listing:
  description: How the seedbox was read - V(ssh) or V(sftp), the entries listed, the SSH round trips (commands
    and SFTP requests) and the requests to rTorrent.
  returned: always
  type: dict
  sample: {"method": "ssh", "entries": 103500, "round_trips": 2, "rtorrent_requests": 3}
locked:
  description: Another sweep, or a purge (O(purge_lock_file)), held its lock; nothing was done.
  returned: always
  type: bool
  sample: false
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    rtorrent_argument_spec, rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.orphans import QUARANTINE_NAME
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.orphans import (
    Seedbox, Sweep, SweepError, SweepJournal, read_intents)
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import JournalError
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, RunLock, StateError, ensure_folder)


def _norm(path):
    return os.path.normpath(path) if path else path


def _argument_problem(p):
    for name in ("download_root", "remote_root", "quarantine_dir"):
        value = p[name]
        if value is not None:
            if not value.startswith("/"):
                return "%s must be an absolute path, not %r" % (name, value)
            if not os.path.normpath(value).strip("/"):
                return "%s must not be /" % name
    root, quarantine = _norm(p["remote_root"] or p["download_root"]), _norm(p["quarantine_dir"])
    if quarantine and (quarantine == root or root.startswith(quarantine.rstrip("/") + "/")):
        return "quarantine_dir %s must not be the download root or hold it" % quarantine
    for name in ("max_depth", "max_entries", "max_files"):
        if p[name] < 1:
            return "%s must be at least 1 (got %s)" % (name, p[name])
    for name in ("min_age_hours", "max_gb", "retention_days"):
        if p[name] < 0:
            return "%s must not be negative (got %s)" % (name, p[name])
    if not 1 <= p["sftp_port"] <= 65535:
        return "sftp_port must be a TCP port, 1 to 65535 (got %s)" % p["sftp_port"]
    for name in ("state_dir", "journal", "lock_file", "purge_lock_file"):
        if p[name] and not os.path.isabs(p[name]):
            return "%s must be an absolute path, not %r" % (name, p[name])
    return None


def _diff(result, quarantine):
    before = "".join("%s %s (%d bytes, %d files)\n"
                     % ("moved" if e.get("outcome") == "moved" else "would move", e["path"], e["size_bytes"], e["files"])
                     for e in result["moved"])
    before += "".join("expire %s (%d bytes, %d files)\n" % (e["quarantine_path"], e["size_bytes"], e["files"])
                      for e in result["expired"])
    after = "".join("%s\n" % e["quarantine_path"] for e in result["moved"])
    return {"before_header": "download root", "after_header": "quarantine %s" % quarantine,
            "before": before, "after": after}


def main():
    argument_spec = rtorrent_argument_spec()
    argument_spec.update(sftp_argument_spec())
    argument_spec.update(
        download_root=dict(type="str", required=True),
        remote_root=dict(type="str"),
        quarantine_dir=dict(type="str"),
        listing=dict(type="str", default="auto", choices=["auto", "ssh", "sftp"]),
        max_depth=dict(type="int", default=16),
        max_entries=dict(type="int", default=1000000),
        min_age_hours=dict(type="float", default=24.0),
        max_files=dict(type="int", default=1000),
        max_gb=dict(type="float", default=200.0),
        exclude=dict(type="list", elements="str", default=[]),
        exclude_dotfiles=dict(type="bool", default=True),
        retention_days=dict(type="float", default=14.0),
        purge_journals=dict(type="list", elements="path", default=[]),
        purge_lock_file=dict(type="path"),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        journal=dict(type="path"),
        lock_file=dict(type="path"),
        name=dict(type="str", default="default"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_together=[("sftp_host", "sftp_username")])
    p = module.params
    result = dict(changed=False, seedbox=p["name"], orphans=[], moved=[], expired=[], resumed=[], partial=[],
                  skipped=[], orphaned_bytes=0, orphaned_files=0, moved_bytes=0, expired_bytes=0,
                  quarantine_bytes=0, torrents_total=0, listing={}, locked=False)
    problem = None if p["sftp_host"] else "sftp_host and sftp_username are required (the seedbox is listed over SSH)"
    problem = problem or _argument_problem(p)
    if problem:
        module.fail_json(msg="%s; nothing was moved" % problem, **result)
    remote_root = _norm(p["remote_root"] or p["download_root"])
    quarantine = _norm(p["quarantine_dir"] or remote_root + "/" + QUARANTINE_NAME)
    journal_path = p["journal"] or os.path.join(p["state_dir"], "orphans-journal.jsonl")
    lock_path = p["lock_file"] or os.path.join(p["state_dir"], "orphans.lock")
    try:
        for folder in sorted(set(os.path.dirname(path) for path in (journal_path, lock_path))):
            ensure_folder(folder, module.check_mode)
    except StateError as exc:
        module.fail_json(msg="%s; nothing was moved" % to_native(exc), **result)
    lock = RunLock(lock_path, probe_only=module.check_mode)
    try:
        if not lock.acquire():
            result.update(locked=True, msg="another seedbox_orphans run holds %s; nothing done" % lock_path)
            module.exit_json(**result)
        if p["purge_lock_file"] and not RunLock(p["purge_lock_file"], probe_only=True).acquire():
            result.update(locked=True, msg="a purge is running (%s is held); nothing done" % p["purge_lock_file"])
            module.exit_json(**result)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot take the lock %s: %s; nothing was moved" % (lock_path, to_native(exc)), **result)
    options = dict(
        download_root=_norm(p["download_root"]), remote_root=remote_root, quarantine=quarantine,
        method=p["listing"], max_depth=p["max_depth"], max_entries=p["max_entries"],
        min_age_seconds=p["min_age_hours"] * 3600.0, max_files=p["max_files"], max_bytes=int(p["max_gb"] * 1e9),
        patterns=[x for x in p["exclude"] if not x.startswith("/")],
        exclude_paths=[_norm(x) for x in p["exclude"] if x.startswith("/")], dotfiles=p["exclude_dotfiles"],
        retention_seconds=p["retention_days"] * 86400.0, seedbox=p["rtorrent_url"])
    client = box = None
    try:
        intents = read_intents(p["purge_journals"])
        client = rtorrent_client(module)
        box = Seedbox(timeout=p["rtorrent_timeout"], **sftp_connection_args(module))
        sweep = Sweep(client, box, SweepJournal(journal_path), options, check_mode=module.check_mode,
                      intents=intents)
        try:
            sweep.run()
        finally:
            result.update(sweep.result)
            result["listing"]["round_trips"] = box.round_trips
    except (JournalError, ServiceError, SshError, SweepError, ValueError, IOError, OSError) as exc:
        module.fail_json(msg=to_native(exc), **result)
    finally:
        if box is not None:
            box.close()
        if client is not None:
            client.close()
        lock.release()
    if module._diff:
        result["diff"] = _diff(result, quarantine)
    if result["partial"] and result["orphans"]:
        module.warn("seedbox_orphans moved nothing: %s" % result["partial"][0])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
