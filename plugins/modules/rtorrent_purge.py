#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: rtorrent_purge
short_description: Remove imported torrents and their data from an rTorrent seedbox
version_added: 0.2.0
description:
  - Considers every torrent rTorrent has loaded, stopped ones included (the C(main) view, not C(seeding)).
  - "A torrent is removed when all of these hold: its info-hash is in O(imported_hashes) (from
    M(mediaops.servarr.arr_history_hashes)), it is not in O(queued_hashes), it is complete, not protected, has the
    selected label, has seeded at least O(min_seed_hours), its data is inside O(download_root), and either
    its ratio is at least O(min_ratio) or it has seeded O(min_seed_days) since it finished. A torrent whose
    finish time is unknown never counts as old."
  - With O(max_total_gb), imported torrents that do not meet the ratio or age policy are removed too, one at a
    time and oldest first, until the data on the seedbox (shared data counted once) is under the cap.
  - The file paths of a torrent are read before it is erased; after the erase they are deleted by
    O(data_removal) and then checked to be gone. A torrent whose data is shared with another loaded torrent
    (a cross-seed) loses only its torrent entry while a sibling remains.
  - Any failure stops the run at once with the torrents removed so far in the result; nothing is removed
    after an error. A second run removes nothing and reports no change.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.rtorrent
  - mediaops.servarr.sftp
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.ACTIONGROUP_RTORRENT
attributes:
  check_mode:
    support: full
    details: Reads rTorrent and reports exactly what a real run would remove; writes nothing, not even the journal.
  diff_mode:
    support: full
    details: The torrents that would be removed, with their data paths.
options:
  imported_hashes:
    description:
      - Info-hashes Radarr and Sonarr have imported, usually RV(mediaops.servarr.arr_history_hashes#module:imported_hashes).
      - Case does not matter.
    type: list
    elements: str
    required: true
  queued_hashes:
    description:
      - Info-hashes still in a Radarr or Sonarr queue; never removed.
    type: list
    elements: str
    default: []
  min_ratio:
    description:
      - Remove when the upload ratio reached this (rTorrent's per-mille value divided by 1000).
    type: float
    default: 1.5
  min_seed_days:
    description:
      - Remove when the torrent has seeded this many days since it finished downloading.
    type: float
    default: 2.0
  min_seed_hours:
    description:
      - Never remove a torrent that has seeded less than this, whatever its ratio and whatever the capacity
        cap (private trackers' minimum seed time).
    type: float
    default: 0
  labels:
    description:
      - Only torrents with one of these ruTorrent labels (C(d.custom1)). All labels when empty.
    type: list
    elements: str
    default: []
  protect_labels:
    description:
      - Torrents with one of these labels are never removed.
    type: list
    elements: str
    default: []
  protect_hashes:
    description:
      - Info-hashes that are never removed.
    type: list
    elements: str
    default: []
  max_total_gb:
    description:
      - Capacity cap in GB (10^9 bytes) for the data of all loaded torrents, shared data counted once.
      - When over it, imported torrents that miss the ratio and age policy are removed too, oldest first, until
        under the cap. O(min_seed_hours), labels and protection still apply.
    type: float
  max_removals:
    description:
      - Remove at most this many torrents in one run.
    type: int
  data_removal:
    description:
      - How the data is deleted after the torrent is erased (rTorrent's C(d.erase) deletes no data).
      - V(sftp) deletes the captured paths over SFTP with the seedbox account (O(sftp_host) and friends).
      - V(local) deletes them on the managed host, for an rTorrent running there or a download folder mounted
        at the same path.
      - V(rutorrent) asks ruTorrent's C(httprpc) plugin for C(removewithdata) (O(rtorrent_url) must be its
        C(action.php)) and checks over SFTP that the data is gone.
      - V(torrent_only) erases the torrent and leaves its data.
    type: str
    required: true
    choices: [sftp, local, rutorrent, torrent_only]
  download_root:
    description:
      - The seedbox folder all torrent data lives in, as rTorrent sees it. Data outside it is never deleted;
        a torrent whose data path, or any file it lists, is outside it is kept. Required unless
        O(data_removal=torrent_only).
    type: str
  verify_timeout:
    description:
      - Seconds to wait for ruTorrent's asynchronous C(removewithdata) to delete the data.
    type: int
    default: 60
  journal:
    description:
      - JSON-lines file on the managed host that gets a record of every torrent before it is removed (name,
        hash, label, size, ratio, paths, reason) and another after (verification). Not written in check mode.
    type: path
"""

EXAMPLES = r"""
- name: Read what Radarr and Sonarr have imported
  mediaops.servarr.arr_history_hashes:
    instances: "{{ servarr_arr_instances }}"
  register: arr

- name: Purge the seedbox
  mediaops.servarr.rtorrent_purge:
    rtorrent_url: https://seedbox.example.com/rutorrent/plugins/httprpc/action.php
    rtorrent_username: seeduser
    rtorrent_password: "{{ vault_rtorrent_password }}"
    imported_hashes: "{{ arr.imported_hashes }}"
    queued_hashes: "{{ arr.queued_hashes }}"
    min_ratio: 1.5
    min_seed_days: 2
    max_total_gb: 700
    data_removal: sftp
    download_root: /home/seeduser/downloads
    sftp_host: seedbox.example.com
    sftp_port: 2222
    sftp_username: seeduser
    sftp_key_file: /root/.ssh/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts
    journal: /var/lib/servarr/purge-journal.jsonl

- name: Local rTorrent over its SCGI socket, torrents only
  mediaops.servarr.rtorrent_purge:
    rtorrent_url: scgi:///run/rtorrent/rpc.sock
    imported_hashes: "{{ arr.imported_hashes }}"
    data_removal: torrent_only
"""

RETURN = r"""
removed:
  description: Torrents removed (in check mode, that would be removed), in the order of removal.
  returned: always
  type: list
  elements: dict
  contains:
    hash:
      description: Info-hash.
      type: str
    name:
      description: Torrent name.
      type: str
    label:
      description: ruTorrent label.
      type: str
    size_bytes:
      description: Size of the torrent's data.
      type: int
    reason:
      description: Why it was removed, for example C(ratio 2.10 >= 1.5).
      type: str
    trigger:
      description: V(policy) (ratio or age met) or V(capacity) (removed to get under O(max_total_gb)).
      type: str
    ratio:
      description: Upload ratio (rTorrent's per-mille value divided by 1000).
      type: float
    data_path:
      description: Where its data is on the seedbox.
      type: str
    data:
      description: V(removed), V(kept) (shared with a loaded torrent or O(data_removal=torrent_only)).
      type: str
    shared_with:
      description: Loaded torrents using the same data.
      type: list
      elements: str
    data_verified:
      description: The data was checked to be gone after deleting (null when the data was kept or in check mode).
      type: bool
    files:
      description: Number of files of the torrent.
      type: int
kept:
  description: Every other torrent with the reason it stays.
  returned: always
  type: list
  elements: dict
  contains:
    hash:
      description: Info-hash.
      type: str
    name:
      description: Torrent name.
      type: str
    reason:
      description: Why it stays, for example C(not imported by Radarr/Sonarr).
      type: str
bytes_freed:
  description: Bytes of data deleted (in check mode, that would be deleted).
  returned: always
  type: int
used_bytes_before:
  description: Data of all loaded torrents before, shared data counted once.
  returned: always
  type: int
used_bytes_after:
  description: The same after the run (in check mode, as it would be).
  returned: always
  type: int
free_bytes_after:
  description: Free space of the seedbox's download file system as rTorrent reports it, after the run.
  returned: when a torrent is still loaded
  type: int
torrents_total:
  description: Torrents rTorrent had loaded.
  returned: always
  type: int
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    rtorrent_argument_spec, rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.data_removal import (
    LocalRemover, RemovalError, SftpRemover)
from ansible_collections.mediaops.servarr.plugins.module_utils.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.purge_policy import plan, result_entry, used_bytes
from ansible_collections.mediaops.servarr.plugins.module_utils.purge_run import Journal, PurgeStopped, execute


def _remover(module):
    params = module.params
    method = params["data_removal"]
    if method == "local":
        return LocalRemover(params["download_root"])
    if method in ("sftp", "rutorrent"):
        return SftpRemover(params["download_root"], timeout=params["rtorrent_timeout"],
                           **sftp_connection_args(module))
    return None


def main():
    argument_spec = rtorrent_argument_spec()
    argument_spec.update(sftp_argument_spec())
    argument_spec.update(
        imported_hashes=dict(type="list", elements="str", required=True),
        queued_hashes=dict(type="list", elements="str", default=[]),
        min_ratio=dict(type="float", default=1.5),
        min_seed_days=dict(type="float", default=2.0),
        min_seed_hours=dict(type="float", default=0),
        labels=dict(type="list", elements="str", default=[]),
        protect_labels=dict(type="list", elements="str", default=[]),
        protect_hashes=dict(type="list", elements="str", default=[]),
        max_total_gb=dict(type="float"),
        max_removals=dict(type="int"),
        data_removal=dict(type="str", required=True, choices=["sftp", "local", "rutorrent", "torrent_only"]),
        download_root=dict(type="str"),
        verify_timeout=dict(type="int", default=60),
        journal=dict(type="path"),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ("data_removal", "sftp", ("download_root", "sftp_host", "sftp_username")),
            ("data_removal", "rutorrent", ("download_root", "sftp_host", "sftp_username")),
            ("data_removal", "local", ("download_root",)),
        ],
    )
    p = module.params
    result = dict(changed=False, removed=[], kept=[], bytes_freed=0, used_bytes_before=0, used_bytes_after=0,
                  torrents_total=0)
    for name in ("min_ratio", "min_seed_days", "min_seed_hours"):
        if p[name] < 0:
            module.fail_json(msg="%s must not be negative" % name, **result)
    if p["max_removals"] is not None and p["max_removals"] < 0:
        module.fail_json(msg="max_removals must not be negative", **result)
    if p["download_root"] and not p["download_root"].startswith("/"):
        module.fail_json(msg="download_root must be an absolute path", **result)
    if p["download_root"] and os.path.normpath(p["download_root"]) == "/":
        module.fail_json(msg="download_root must not be /", **result)

    try:
        client = rtorrent_client(module)
    except ServiceError as exc:
        module.fail_json(msg=to_native(exc), **result)

    # Open the data remover first, in check mode too (it only reads until asked to delete): an unreachable SFTP
    # or a download_root this host cannot see stops the run before anything is decided or erased.
    remover = None
    try:
        remover = _remover(module)
        if remover is not None:
            remover.realdir(remover.root)
    except RemovalError as exc:
        if remover is not None:
            remover.close()
        module.fail_json(msg="%s; nothing was removed" % to_native(exc), **result)

    try:
        _purge(module, client, remover, result)
    finally:   # fail_json and exit_json leave through here too
        if remover is not None:
            remover.close()


def _purge(module, client, remover, result):
    """Decide, report, and (unless in check mode) erase and delete; every exit goes through the caller."""
    p = module.params
    try:
        torrents = client.list_torrents()
        decision = plan(
            torrents, p["imported_hashes"], p["queued_hashes"], min_ratio=p["min_ratio"],
            min_seed_days=p["min_seed_days"], min_seed_hours=p["min_seed_hours"], labels=p["labels"] or None,
            protect_labels=p["protect_labels"], protect_hashes=p["protect_hashes"],
            max_total_gb=p["max_total_gb"], max_removals=p["max_removals"], download_root=p["download_root"],
            require_root=p["data_removal"] != "torrent_only", now=time.time())
        files = dict((t["hash"], t["files"]) for t in torrents)
    except ServiceError as exc:
        module.fail_json(msg="%s; nothing was removed" % to_native(exc), **result)

    result["torrents_total"] = len(torrents)
    result["used_bytes_before"] = decision["used_before"]
    result["used_bytes_after"] = decision["used_after"]
    result["kept"] = [{"hash": k["torrent"]["hash"], "name": k["torrent"]["name"], "reason": k["reason"]}
                      for k in decision["keep"]]
    planned = [result_entry(item, files[item["torrent"]["hash"]], p["data_removal"]) for item in decision["remove"]]
    result["bytes_freed"] = sum(e["size_bytes"] for e in planned if e["data"] == "removed")
    result["changed"] = bool(planned)
    if module._diff:
        result["diff"] = {
            "before_header": "rTorrent %s" % client.transport.description,
            "after_header": "rTorrent %s" % client.transport.description,
            "before": "".join("%s %s (%s; data %s)\n" % (
                e["hash"], e["data_path"], e["reason"],
                "kept, shared with " + ", ".join(e["shared_with"]) if e["shared_with"] else e["data"])
                for e in planned),
            "after": "",
        }
    if module.check_mode or not planned:
        result["removed"] = planned
        if torrents:
            result["free_bytes_after"] = torrents[0]["free_diskspace"]
        module.exit_json(**result)

    try:
        done = execute(client, remover, planned, files, p["data_removal"], p["verify_timeout"], Journal(p["journal"]))
    except PurgeStopped as stop:
        result["removed"] = stop.done
        result["changed"] = bool(stop.done)
        result["bytes_freed"] = sum(e["size_bytes"] for e in stop.done if e["data"] == "removed")
        module.fail_json(msg="stopped after %d of %d removals: %s" % (len(stop.done), len(planned),
                                                                      to_native(stop.cause)), **result)

    result["removed"] = done
    try:
        after = client.list_torrents()
    except ServiceError as exc:
        module.fail_json(msg="removed %d torrents but could not re-read rTorrent: %s" % (len(done), to_native(exc)),
                         **result)
    still = set(e["hash"] for e in done) & set(t["hash"] for t in after)
    if still:
        module.fail_json(msg="rTorrent still lists %s after the erase" % ", ".join(sorted(still)), **result)
    result["used_bytes_after"] = used_bytes(after)
    if after:
        result["free_bytes_after"] = after[0]["free_diskspace"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
