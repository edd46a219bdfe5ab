#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: lftp_mirror
short_description: Fetch completed downloads from a seedbox with lftp, handing Radarr/Sonarr only complete releases
version_added: 0.2.0
description:
  - Lists O(remote_dir) on the seedbox over SFTP. Each top-level entry is an I(item) - a release folder or a
    single file.
  - Each item is fetched by lftp (C(mirror -c -P) with C(--use-pget-n) segments, or C(pget) for a single file)
    into O(staging_dir). Then it is checked complete, and only then renamed into O(dest), the folder
    Radarr/Sonarr import from. Complete means every file the listing showed is there with its size, and no
    lftp temporary or segment-status file is left. Optionally a SHA-256 computed on the seedbox over SSH must
    also match. Radarr/Sonarr therefore never see a partial release. lftp's exit code is reported but never
    trusted.
  - An item that was interrupted in an earlier run (it is already in O(staging_dir)) is resumed. The files
    that were already there are then checked by SHA-256 - after an abnormal stop, a segmented transfer can
    look complete when it is not. If the seedbox cannot compute checksums, those files are fetched again from
    scratch.
  - With O(remove_source), the seedbox copy of an item is removed only after that item was checked and handed
    off. Only the files that were listed (and have not changed since) are removed, then the folders left
    empty. Then the module checks that the files are gone.
  - A lock makes a second run that starts while one is in progress return at once, touching nothing.
  - A run cut short leaves nothing behind. SIGTERM, SIGINT or SIGHUP to the module, the end of its parent, or
    the end of C(ansible-playbook) (watched, since after SIGHUP or a lost worker nothing signals the module)
    stop the run - lftp and its ssh processes are ended, no hand-off and no removal from the seedbox starts
    after that, the lock is released, and the task fails saying so. lftp and each ssh get a parent-death
    signal, so even a SIGKILL of the module takes them along. The next run resumes from the staging folder.
  - The password reaches lftp only through its environment (C(LFTP_PASSWORD)), never a command line. The SSH
    key is never copied to a file - ssh reads it from the module's memory (a sealed memfd). lftp's ssh trusts
    exactly the host key that was checked against O(sftp_known_hosts) or O(sftp_host_fingerprint).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.sftp
  - mediaops.servarr.rtorrent
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
  - mediaops.servarr.attributes.ACTIONGROUP_RTORRENT
attributes:
  check_mode:
    support: full
    details: Lists what would be fetched (items, files, sizes) and removed from the seedbox, with lftp's own
      C(mirror --dry-run) over the same connection; writes, moves and removes nothing, takes no lock.
  diff_mode:
    support: full
    details: The diff lists the items that would arrive in O(dest) and those that would leave the seedbox.
options:
  sftp_host:
    required: true
  sftp_username:
    required: true
  sftp_key_file:
    description:
      - O(sftp_key_file) or O(sftp_password) is required. The key must not have a passphrase. A key file that
        is missing, a folder, unreadable or not a private key is reported as such before any connection.
  rtorrent_url:
    description:
      - rTorrent's XML-RPC endpoint (as for M(mediaops.servarr.rtorrent_purge)). When set, every item that
        holds, or lies inside, the data of a torrent rTorrent has not finished is left for a later run,
        whatever its age. O(min_age) alone cannot tell a stalled download from a finished one.
      - The item's path as SFTP shows it is looked for inside the torrent's path as rTorrent shows it, so an
        SFTP chroot (C(/downloads) for rTorrent's C(/home/user/downloads)) is no obstacle.
      - If rTorrent cannot be asked, nothing is fetched.
      - If not set, the value of the E(RTORRENT_URL) environment variable is used; if that is not set either,
        rTorrent is not asked.
    type: str
    required: false
  remote_dir:
    description:
      - Folder on the seedbox that holds completed downloads (for example C(/home/user/downloads/completed)).
    type: str
    required: true
  dest:
    description:
      - The folder Radarr/Sonarr import from. Items appear here complete, by a rename from O(staging_dir).
    type: path
    required: true
  staging_dir:
    description:
      - Where items are fetched and checked. Must be on the same file system as O(dest) (the hand-off is a
        rename) and must not be inside it.
    type: path
    required: true
  include:
    description:
      - Shell patterns; only items whose name matches one are fetched. All items when empty.
    type: list
    elements: str
    default: []
  exclude:
    description:
      - Shell patterns of item names never fetched.
    type: list
    elements: str
    default: []
  min_age:
    description:
      - Minutes since anything in an item last changed on the seedbox before it is fetched. Newer items may
        still be being written; they are left for the next run. V(0) fetches items whatever their age.
    type: int
    default: 15
  max_connections:
    description:
      - The most SSH logins the run opens to the seedbox at once, the module's own SFTP session (listing,
        checksums, removal) included. Seedboxes limit or ban users with many connections, and a stock sshd
        drops logins beyond C(MaxStartups) (10) that start at the same moment.
      - One login is the module's own; the others are split evenly between the items fetched at once (at most
        O(parallel_items)). Within an item, segments come first (a release is mostly one big video, which
        only segments speed up), up to O(segments), and the files at once (up to O(parallel_files)) take what
        is left, so that files x segments never exceeds the item's share.
      - With the default 8 and two items, the items get 4 and 3 logins (one file at a time with 4 and 3
        segments); a single item gets all 7. The plan's C(-P 6 --use-pget-n=8) for two items at once would
        need up to 97 logins (2 x 6 x 8 + 1); raise O(max_connections) only as far as the seedbox allows.
    type: int
    default: 8
    version_added: 0.3.0
  parallel_files:
    description: Files fetched at once within an item (C(mirror -P)), at most; O(max_connections) may allow fewer.
    type: int
    default: 6
  segments:
    description: Connections per file (C(--use-pget-n), C(pget -n)), at most; O(max_connections) may allow fewer.
    type: int
    default: 8
  min_chunk_size:
    description: Smallest segment (C(pget:min-chunk-size)).
    type: str
    default: 1M
  parallel_items:
    description: Items fetched at once, each by its own lftp process (never more than O(max_connections) - 1).
    type: int
    default: 2
  timeout:
    description: Network timeout in seconds (C(net:timeout)).
    type: int
    default: 10
  max_retries:
    description: Retries of a failed network operation (C(net:max-retries)).
    type: int
    default: 3
  reconnect_interval_base:
    description: Seconds before the first reconnect (C(net:reconnect-interval-base)).
    type: int
    default: 5
  reconnect_interval_multiplier:
    description: Growth of the reconnect interval (C(net:reconnect-interval-multiplier)).
    type: float
    default: 1
  bandwidth_limit:
    description:
      - Total download rate limit of the run in bytes per second, with an optional C(K) or C(M) suffix (for
        example V(20M)). V(0) means no limit.
      - The items running at each moment share it equally, and the shares change as items start and finish
        (each lftp re-reads its share within a second), so that a last item running alone gets the whole limit.
        lftp lets the first second of a transfer run at full speed.
    type: str
    default: "0"
  transfer_timeout:
    description: Stop an item's lftp after this many seconds (the item is retried by the next run).
    type: int
  max_listing_entries:
    description:
      - Read at most this many entries (files and folders, at every level) from the seedbox's O(remote_dir); a
        listing with more fails the run, naming this option. Folders nest at most 32 levels; a deeper item is
        skipped with the reason.
    type: int
    default: 200000
    version_added: 0.3.0
  free_space_reserve_gb:
    description:
      - Fetch an item only when O(staging_dir) has room for what is still to come of it (and of the items
        already being fetched) plus this many GB (10^9 bytes) to spare; otherwise the item fails with the free
        space found and nothing of it is fetched.
    type: float
    default: 1.0
    version_added: 0.3.0
  verify_checksum:
    description:
      - Also compare the SHA-256 of every file, computed on the seedbox over SSH, before the hand-off.
    type: bool
    default: false
  remove_source:
    description:
      - Remove an item from the seedbox once it was checked and handed off.
    type: bool
    default: false
  state_file:
    description:
      - JSON file that remembers the items handed off, so that an item Radarr/Sonarr already moved away is not
        fetched again while it stays on the seedbox. Without it, only items present in O(dest) are skipped.
    type: path
  lock_file:
    description:
      - The lock that keeps two runs apart. Defaults to C(.lftp_mirror.lock) in O(staging_dir).
    type: path
  log_file:
    description:
      - File that gets a line per item started and finished and, during a long transfer, its progress every
        O(progress_interval) seconds, and why a run stopped. Nothing secret is written to it.
      - Progress counts the bytes that have arrived (lftp is told not to preallocate files), and its rate the
        bytes received in this run.
    type: path
  progress_interval:
    description: Seconds between progress lines in O(log_file).
    type: int
    default: 30
requirements:
  - lftp and OpenSSH's ssh on the managed host
seealso:
  - module: mediaops.servarr.rtorrent_purge
  - module: mediaops.servarr.servarr_preflight
"""

EXAMPLES = r"""
- name: Fetch completed downloads into the folder Radarr and Sonarr import from
  mediaops.servarr.lftp_mirror:
    sftp_host: seedbox.example.com
    sftp_port: 2222
    sftp_username: seeduser
    sftp_key_file: /root/.ssh/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts
    remote_dir: /home/seeduser/downloads/completed
    staging_dir: /mnt/media/downloads/_staging
    dest: /mnt/media/downloads/_done
    remove_source: true
    state_file: /var/lib/servarr/lftp_mirror.json
    log_file: /var/log/servarr/seedbox_sync.log

- name: With a password and a pinned host key, movies only, 20 MB/s at most
  mediaops.servarr.lftp_mirror:
    sftp_host: seedbox.example.com
    sftp_username: seeduser
    sftp_password: "{{ vault_seedbox_password }}"
    sftp_host_fingerprint: SHA256:2dGhlIGZpbmdlcnByaW50IG9mIHRoZSBob3N0IGtleQ
    remote_dir: /downloads/movies
    staging_dir: /mnt/media/downloads/_staging
    dest: /mnt/media/downloads/_done
    include: ["*.1080p.*", "*2160p*"]
    bandwidth_limit: 20M

- name: Straight from rTorrent's download folder, never fetching what rTorrent has not finished
  mediaops.servarr.lftp_mirror:
    sftp_host: seedbox.example.com
    sftp_username: seeduser
    sftp_key_file: /root/.ssh/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts
    remote_dir: /downloads/radarr
    staging_dir: /mnt/media/downloads/_staging
    dest: /mnt/media/downloads/_done
    rtorrent_url: https://seedbox.example.com/rutorrent/plugins/httprpc/action.php
    rtorrent_username: seeduser
    rtorrent_password: "{{ vault_rtorrent_password }}"
"""

RETURN = r"""
fetched:
  description: Each item fetched (in check mode, that would be fetched), in name order.
  returned: always
  type: list
  elements: dict
  sample:
    - name: Dune (2021)
      files: 4
      bytes: 25168296
      received_bytes: 25168296
      seconds: 3.2
      throughput_mb_s: 7.9
      resumed: false
      refetched_from_scratch: false
      refetched_files: 0
      verified: true
      checksummed: 0
      handed_off: /mnt/media/downloads/_done/Dune (2021)
      removed_remote: true
      error: null
  contains:
    name:
      description: Item name.
      type: str
      sample: Dune (2021)
    files:
      description: Number of files.
      type: int
      sample: 4
    bytes:
      description: Size of the item.
      type: int
      sample: 25168296
    received_bytes:
      description:
        - Bytes that arrived in O(staging_dir) during this run, counted on disk (allocated blocks, at most
          each file's size). Less than RV(fetched[].bytes) when an interrupted run had fetched part of the item,
          or when the item failed; more when files had to be fetched again from scratch. 0 in check mode.
      type: int
      sample: 25168296
      version_added: 0.3.0
    seconds:
      description: Time to fetch, check and hand off (or until it failed).
      type: float
      sample: 3.2
    throughput_mb_s:
      description: RV(fetched[].received_bytes) per second of RV(fetched[].seconds), in MB (10^6). A failed
        item counts only what it really received.
      type: float
      sample: 7.9
    resumed:
      description: The item was partly in O(staging_dir) from an interrupted run.
      type: bool
      sample: false
    refetched_from_scratch:
      description: Files already staged by an interrupted run had to be fetched again whole (their checksum
        differed from the seedbox's, or the seedbox cannot compute checksums).
      type: bool
      sample: false
      version_added: 0.3.0
    refetched_files:
      description: How many files were fetched again from scratch.
      type: int
      sample: 0
      version_added: 0.3.0
    verified:
      description: Checked complete (files and sizes, and checksums where they were compared).
      type: bool
      sample: true
    checksummed:
      description: Files whose SHA-256 was compared with the seedbox's.
      type: int
      sample: 0
    handed_off:
      description: Path in O(dest), once the item is there.
      type: str
      sample: /mnt/media/downloads/_done/Dune (2021)
    removed_remote:
      description: The seedbox copy was removed and checked gone (in check mode, would be removed).
      type: bool
      sample: true
    error:
      description: Why the item failed (with lftp's own message), or that the run was stopped before its
        hand-off or removal, when it did.
      type: str
      sample: "not complete after lftp (exit 1): Dune (2021).mkv has 10485760 of 25165824 bytes"
not_fetched:
  description: Items left on the seedbox this run, each with C(name) and C(reason) (filtered, too new, not
    finished in rTorrent, already handed off, a name lftp cannot address, a name that is not one plain file name
    such as C(../x) or C(/abs), or an item holding one).
  returned: always
  type: list
  elements: dict
  sample:
    - name: Fresh (2024)
      reason: "changed 120 s ago, less than min_age: may still be being written"
failed_items:
  description: Names of items that failed; the task fails when there is any.
  returned: always
  type: list
  elements: str
  sample: []
bytes:
  description: Bytes handed off (in check mode, that would be fetched).
  returned: always
  type: int
  sample: 25168296
seconds:
  description: Duration of the whole run (also when another run held the lock).
  returned: always
  type: float
  sample: 4.1
locked:
  description: Another run held the lock; nothing was done.
  returned: always
  type: bool
  sample: false
connections:
  description: How O(max_connections) was split - C(max), C(items_at_once), and per item slot the SSH C(logins)
    it may use, the C(files) at once and the C(segments) per file lftp was given.
  returned: when the seedbox was listed
  type: dict
  sample:
    max: 8
    items_at_once: 2
    per_item:
      - logins: 4
        files: 1
        segments: 4
      - logins: 3
        files: 1
        segments: 3
  version_added: 0.3.0
lftp_dry_run_files:
  description: In check mode, the number of files lftp's own C(mirror --dry-run) (and C(cls) for a single
    file) said it would fetch, over the same connection and settings a real run uses; a cross-check of
    RV(fetched) against lftp itself.
  returned: in check mode, when the seedbox was listed
  type: int
  sample: 6
stopped:
  description: Why the run was stopped (a signal, or C(ansible-playbook) or the module's parent ending); the
    task then fails.
  returned: when the run was told to stop
  type: str
  sample: SIGTERM received
  version_added: 0.3.0
"""

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    rtorrent_argument_spec, rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.lftp import LftpError, dry_run_counts, sweep_stale
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import Lifeline, Stopped
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.mirror import (
    Sync, already_in, append_log, check_folders, parse_rate)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import (
    Item, connection_plan, select, waiting_for_rtorrent)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError, check_key_file, connect, list_items
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import RunLock, StateError, load


def unfinished_torrents(module):
    """rTorrent's torrents (one request); an rTorrent that cannot be asked stops the run (ServiceError)."""
    client = rtorrent_client(module)
    try:
        return client.list_torrents()
    finally:
        client.close()


def check_arguments(p):
    """The option values that make no sense, as one clear message (or None). Needs no host, changes nothing."""
    if not p["sftp_host"] or not p["sftp_username"]:
        return "sftp_host and sftp_username are required"
    if not 1 <= p["sftp_port"] <= 65535:
        return "sftp_port must be between 1 and 65535, not %d" % p["sftp_port"]
    if not p["remote_dir"].startswith("/"):
        return "remote_dir must be an absolute path on the seedbox, not %r" % p["remote_dir"]
    for name in ("dest", "staging_dir", "state_file", "lock_file", "log_file", "sftp_key_file"):
        if p[name] is not None and not os.path.isabs(p[name]):
            return "%s must be an absolute path, not %r (a run from cron or another folder would use another " \
                   "place)" % (name, p[name])
    for name in ("parallel_files", "segments", "parallel_items", "progress_interval", "timeout"):
        if p[name] < 1:
            return "%s must be at least 1, not %d" % (name, p[name])
    for name in ("min_age", "max_retries", "reconnect_interval_base"):
        if p[name] < 0:
            return "%s must not be negative (%d)" % (name, p[name])
    if p["reconnect_interval_multiplier"] < 1:
        return "reconnect_interval_multiplier must be at least 1, not %s" % p["reconnect_interval_multiplier"]
    if p["max_listing_entries"] < 1:
        return "max_listing_entries must be at least 1, not %d" % p["max_listing_entries"]
    if p["free_space_reserve_gb"] < 0:
        return "free_space_reserve_gb must not be negative (%s)" % p["free_space_reserve_gb"]
    if p["transfer_timeout"] is not None and p["transfer_timeout"] < 1:
        return "transfer_timeout must be at least 1 second, not %d" % p["transfer_timeout"]
    if p["max_connections"] < 2:
        return "max_connections must be at least 2: one for the module's own SFTP session, one for lftp"
    if not re.match(r"^[0-9]+[kKmM]?$", p["min_chunk_size"].strip()):
        return "min_chunk_size must be a number of bytes with an optional K or M, not %r" % p["min_chunk_size"]
    try:
        parse_rate(p["bandwidth_limit"])
    except ValueError as exc:
        return str(exc)
    return None


def main():
    argument_spec = sftp_argument_spec()
    argument_spec.update(rtorrent_argument_spec())
    argument_spec["rtorrent_url"]["required"] = False
    argument_spec["sftp_host"]["required"] = True
    argument_spec["sftp_username"]["required"] = True
    argument_spec.update(
        remote_dir=dict(type="str", required=True),
        dest=dict(type="path", required=True),
        staging_dir=dict(type="path", required=True),
        include=dict(type="list", elements="str", default=[]),
        exclude=dict(type="list", elements="str", default=[]),
        min_age=dict(type="int", default=15),
        max_connections=dict(type="int", default=8),
        parallel_files=dict(type="int", default=6),
        segments=dict(type="int", default=8),
        min_chunk_size=dict(type="str", default="1M"),
        parallel_items=dict(type="int", default=2),
        timeout=dict(type="int", default=10),
        max_retries=dict(type="int", default=3),
        reconnect_interval_base=dict(type="int", default=5),
        reconnect_interval_multiplier=dict(type="float", default=1),
        bandwidth_limit=dict(type="str", default="0"),
        transfer_timeout=dict(type="int"),
        max_listing_entries=dict(type="int", default=200000),
        free_space_reserve_gb=dict(type="float", default=1.0),
        verify_checksum=dict(type="bool", default=False),
        remove_source=dict(type="bool", default=False),
        state_file=dict(type="path"),
        lock_file=dict(type="path"),
        log_file=dict(type="path"),
        progress_interval=dict(type="int", default=30),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[("sftp_key_file", "sftp_password")])
    p = module.params
    started = time.time()
    result = dict(changed=False, fetched=[], not_fetched=[], failed_items=[], bytes=0, seconds=0.0, locked=False)
    problem = check_arguments(p)
    if problem:
        module.fail_json(msg=problem, **result)
    rate = parse_rate(p["bandwidth_limit"])
    try:
        dest, staging = check_folders(p["dest"], p["staging_dir"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)
    if p["sftp_key_file"]:
        try:
            check_key_file(p["sftp_key_file"])
        except SshError as exc:
            module.fail_json(msg="%s; nothing was fetched or removed" % exc, **result)

    # told to stop (a signal, or ansible-playbook gone): no new fetch, hand-off or removal, children killed
    def log(text):
        module.log("lftp_mirror: %s" % text)
        if p["log_file"]:
            append_log(p["log_file"], text)

    lifeline = Lifeline(log=log).install()
    try:
        run(module, p, result, started, dest, staging, rate, lifeline)
    finally:
        lifeline.close()


def stopped_message(lifeline, result):
    entries = result["fetched"]
    handed = sum(1 for e in entries if e.get("handed_off"))
    return ("the run was stopped (%s): %d items handed off before the stop, none started or removed from the "
            "seedbox after it; lftp and its ssh were ended, and the next run resumes from the staging folder"
            % (lifeline.stopped, handed))


def run(module, p, result, started, dest, staging, rate, lifeline):
    if not module.check_mode:
        sweep_stale()   # the private folders of runs that were killed
    lock_path = p["lock_file"] or os.path.join(staging, ".lftp_mirror.lock")
    lock = RunLock(lock_path, probe_only=module.check_mode)
    if not lock.acquire():
        result.update(locked=True, seconds=round(time.time() - started, 3),
                      msg="another lftp_mirror run is in progress (%s holds the lock); nothing done" % lock_path)
        module.exit_json(**result)

    settings = dict(parallel_files=p["parallel_files"], segments=p["segments"], min_chunk_size=p["min_chunk_size"],
                    timeout=p["timeout"], max_retries=p["max_retries"],
                    reconnect_interval_base=p["reconnect_interval_base"],
                    reconnect_interval_multiplier=p["reconnect_interval_multiplier"], limit_rate=0)
    client = None
    entries = []
    try:
        lifeline.check()
        try:
            client = connect(timeout=max(p["timeout"], 10), **sftp_connection_args(module))
        except SshError as exc:
            module.fail_json(msg="%s; nothing was fetched or removed" % exc, **result)
        sync = Sync(p, client, settings, log=module.log, lifeline=lifeline)
        items = list_items(sync.sftp, p["remote_dir"], Item, max_entries=p["max_listing_entries"])
        state = (load(p["state_file"], default={}) if p["state_file"] else {}).get("handed_off") or {}
        waiting = {}
        if p["rtorrent_url"]:
            try:
                waiting = waiting_for_rtorrent(items, p["remote_dir"], unfinished_torrents(module))
            except ServiceError as exc:
                module.fail_json(msg="cannot ask rTorrent which downloads are finished (%s); nothing was fetched"
                                 % exc, **result)

        fetch, skipped = select(items, include=p["include"], exclude=p["exclude"], min_age_seconds=p["min_age"] * 60,
                                now=time.time(), handed_off=state, present=lambda item: already_in(dest, item),
                                waiting=waiting)
        result["not_fetched"] = [{"name": name, "reason": reason} for name, reason in skipped]
        slots = connection_plan(p["max_connections"], p["parallel_items"], p["parallel_files"], p["segments"],
                                len(fetch))
        result["connections"] = {"max": p["max_connections"], "items_at_once": len(slots),
                                 "per_item": [{"logins": share, "files": files, "segments": n}
                                              for share, files, n in slots]}
        sync.plan(slots, rate)
        if module._diff:
            result["diff"] = {"before_header": "dest %s" % dest, "after_header": "dest %s" % dest, "before": "",
                              "after": "".join("%s/%s  [%d files, %.1f MB%s]\n" % (
                                  dest, i.name, len(i.files), i.size / 1e6,
                                  "; then removed from the seedbox" if p["remove_source"] else "") for i in fetch)}
        if module.check_mode:
            rc, out = sync.dry_run(fetch)
            if rc != 0:
                module.fail_json(msg="lftp dry run failed (exit %s): %s" % (rc, out), **result)
            for i in fetch:
                entry = Sync.new_entry(i, os.path.lexists(os.path.join(staging, i.name)))
                entry["removed_remote"] = p["remove_source"]
                result["fetched"].append(entry)
            result["lftp_dry_run_files"] = dry_run_counts(out)
            result["bytes"] = sum(i.size for i in fetch)
            result["changed"] = bool(fetch)
            result["seconds"] = round(time.time() - started, 3)
            module.exit_json(**result)

        with ThreadPoolExecutor(max_workers=len(slots)) as pool:
            entries = list(pool.map(lambda item: sync.sync_item(item, state), fetch))
    except Stopped:
        pass
    except (SshError, StateError, LftpError, OSError) as exc:
        if not lifeline.stopped:
            module.fail_json(msg="%s; nothing more was fetched or removed" % exc, **result)
    finally:
        lifeline.close()   # no child outlives the run, and none writes into staging after the lock is gone
        if client is not None:
            client.close()
        lock.release()
    result["fetched"] = entries
    result["failed_items"] = [e["name"] for e in entries if e["error"]]
    result["bytes"] = sum(e["bytes"] for e in entries if e["handed_off"])
    result["changed"] = any(e["handed_off"] or e["removed_remote"] for e in entries)
    result["seconds"] = round(time.time() - started, 3)
    if lifeline.stopped:
        result["stopped"] = lifeline.stopped
        module.fail_json(msg=stopped_message(lifeline, result), **result)
    if result["failed_items"]:
        module.fail_json(msg="%d of %d items failed: %s" % (
            len(result["failed_items"]), len(entries), "; ".join("%s: %s" % (e["name"], e["error"])
                                                                 for e in entries if e["error"])[:3000]), **result)
    result["msg"] = "%d items handed off (%.1f MB) in %.1f s" % (
        sum(1 for e in entries if e["handed_off"]), result["bytes"] / 1e6, result["seconds"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
