#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

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
  - With O(min_free_gb) or O(min_free_percent), a floor under the seedbox's free space, imported torrents that do
    not meet the ratio or age policy are removed too while the free space is under the floor, oldest first, until
    the bytes the removals free (shared data counted once) meet it. The free space is the least
    C(d.free_diskspace) a started torrent reports (read in the same C(d.multicall2) as everything else), or with
    O(quota_gb) what is left of the quota (never more than the disk has). The free space after the run is
    measured, asking rTorrent again once the removals are verified, and the result says which rule removed
    each torrent (RV(removed[].trigger)). When the floor cannot be met with what may be removed, RV(free_space)
    says how short and what stays, and the module warns; a torrent without import evidence, a protected one,
    one of another label or under O(min_seed_hours) is never removed for it.
  - The order is oldest first for the cap and the floor alike, the torrent that has seeded longest since it
    finished (rTorrent's C(d.timestamp.finished), else ruTorrent's C(seedingtime)), an unknown finish time last.
    A torrent is imported only after it finished, so this is the order of the imports as far as rTorrent can
    tell without the whole import history, and the time seeded is what a tracker's seeding obligations and the
    ratio a torrent may still gain depend on.
  - Torrents sharing data (a cross-seed, a pack and a single-file torrent inside it) free it only together; for
    the floor they go together when all of them may go, and none of them goes when one of them must stay
    (removing it would free nothing).
  - The file paths of a torrent are read before it is erased; after the erase they are deleted by
    O(data_removal) and then checked to be gone. A torrent whose data is shared with another loaded torrent
    (a cross-seed) loses only its torrent entry while a sibling remains.
  - Any failure stops the run at once with the torrents removed so far in the result; nothing is removed
    after an error. A second run removes nothing and reports no change.
  - SIGTERM, SIGINT (Ctrl-C) or SIGHUP stop the run after the torrent in hand (its erase, deletion and
    verification finish) and fail it with what was removed; a second signal ends it at once, and the next run
    finishes what it left (see O(journal)).
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
    details: Reads rTorrent and reports exactly what a real run would remove; writes nothing, not even the journal.
  diff_mode:
    support: full
    details: The torrents that would be removed, with their data paths and the rule that removes each; the free
      space before and after (measured after a real run, computed in check mode) against the floor.
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
  regrabbed_hashes:
    description:
      - Info-hashes imported once and grabbed again since, usually
        RV(mediaops.servarr.arr_history_hashes#module:regrabbed_hashes). They are never removed unless also in
        O(imported_hashes); given, such a torrent is kept with a reason that says it was grabbed again after its
        import (instead of C(not imported by Radarr/Sonarr)).
    type: list
    elements: str
    default: []
    version_added: 0.3.0
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
  min_free_gb:
    description:
      - A floor under the seedbox's free space, in GB (10^9 bytes). While the free space is under it, imported
        torrents that miss the ratio and age policy are removed too, oldest first, until the bytes their removal
        frees (shared data counted once) meet it. O(min_seed_hours), labels, protection, O(max_removals) and the
        import evidence still apply.
      - The free space is the least C(d.free_diskspace) a started torrent reports, or with O(quota_gb) what is left
        of the quota (at most what the disk has). When neither can be told (no started torrent, no quota) the
        floor is not applied and the module warns.
      - With O(min_free_percent) too, the higher of the two floors holds.
    type: float
    version_added: 0.3.0
  min_free_percent:
    description:
      - A floor under the free space in percent of the seedbox's size, O(quota_gb) when given, else what rTorrent
        can tell (the data of the loaded torrents plus the free space; other users' data on a shared disk is not in
        it, so give O(quota_gb) or O(min_free_gb) there). See O(min_free_gb).
    type: float
    version_added: 0.3.0
  quota_gb:
    description:
      - The seedbox's quota in GB (10^9 bytes), where rTorrent cannot tell it (a share of a larger disk). The free
        space is then the quota less the loaded torrents' data (shared data counted once), never more than the disk's
        free space, as M(mediaops.servarr.seedbox_info) reports it; O(min_free_percent) is a percentage of it.
    type: float
    version_added: 0.3.0
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
        C(action.php)) and checks over SFTP that the data is gone. ruTorrent erases the torrent at once and deletes
        its data later, in its erasedata plugin's periodic clean-up job (every 15 seconds by default), so up to
        O(rutorrent_batch_size) removals are asked one after the other and then verified together.
        Needs ruTorrent 5.3.0 or later (earlier versions have no C(removewithdata) mode; the run then fails at once,
        removing nothing); ruTorrent runs its clean-up job only once its web UI was opened since rTorrent started.
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
      - Seconds to wait for ruTorrent's asynchronous C(removewithdata) to delete the data of a batch (see
        O(rutorrent_batch_size)).
      - A removal not verified by then stops the run; the result names it in RV(pending) and the journal keeps
        its intent, so the next run finishes it (deleting what is left of its data over SFTP).
    type: int
    default: 60
  rutorrent_batch_size:
    description:
      - With O(data_removal=rutorrent), how many removals are asked of ruTorrent before their data is waited for
        together. Each intent is written to O(journal) before its own request, and each removal is finished there
        as soon as its torrent and every one of its files are verified gone, so a batch costs about one
        interval of ruTorrent's clean-up job instead of one interval per torrent.
      - V(1) asks and waits for one torrent at a time. A stop (a failed request, a signal) asks nothing more and
        still verifies the removals already asked before the run ends.
      - O(max_removals) still caps the whole run.
    type: int
    default: 10
    version_added: 0.3.0
  verbose_results:
    description:
      - Return in RV(kept) every torrent that stays. By default RV(kept) lists only the torrents Radarr/Sonarr
        imported (or imported and grabbed again) that stay, and RV(kept_counts) counts all of them by reason.
    type: bool
    default: false
    version_added: 0.3.0
  state_dir:
    description:
      - Folder on the managed host for the purge's journal and lock when O(journal) or O(lock_file) is not
        given. Created (mode 0700) when its parent exists.
    type: path
    default: /var/lib/servarr
    version_added: 0.3.0
  journal:
    description:
      - The intent journal, a JSON-lines file on the managed host. Before a torrent is erased it gets a record
        of what the removal will do (name, hash, label, size, ratio, reason, the captured file paths, the data
        path, O(download_root), O(data_removal) and the seedbox's O(rtorrent_url)), and after the torrent and its
        data are verified gone, another.
      - A removal an earlier run started and did not finish (the run was killed between the erase and the
        deletion of the data) is finished by the next run before it decides anything else; see RV(resumed).
        Only the captured paths are deleted, only inside O(download_root), only when no loaded torrent lists
        them or holds the folder they are in, and only for a run against the same O(rtorrent_url) and
        O(download_root).
      - Each real run first drops the finished records, so the file holds the last run's records and whatever
        is unfinished. Not written in check mode (which reports what it would finish).
      - Defaults to C(purge-journal.jsonl) in O(state_dir).
    type: path
  lock_file:
    description:
      - The lock that keeps two purges apart. A run that finds it held does nothing and returns RV(locked).
        Defaults to C(purge.lock) in O(state_dir).
    type: path
    version_added: 0.3.0
  keep_metainfo:
    description:
      - "Before a torrent is erased, keep its metainfo so that a wrong removal can be added again and downloaded
        again: its C(.torrent), read over SFTP from rTorrent's session folder (C(session.path)), and its file list,
        saved as C(<HASH>.torrent) and C(<HASH>.json) in C(purged-metainfo) in O(state_dir) (mode 0600, written
        atomically). The journal's C(removing) record and RV(removed[].metainfo) name the saved file."
      - The session file is read only when it is a regular file of at most 10 MB; the info-hash must be 40
        hexadecimal digits before it names a file; the local folder is never followed through a symlink.
      - Needs the SFTP connection of O(data_removal=sftp) or O(data_removal=rutorrent). Unset, the metainfo is kept
        when there is one; without one, or when the session folder or a .torrent cannot be read, the removal goes
        ahead all the same, the module warns and RV(removed[].metainfo_not_kept) says why. V(false) keeps nothing.
      - Not written in check mode.
    type: bool
    version_added: 0.3.0
  metainfo_keep_days:
    description:
      - Kept metainfo (see O(keep_metainfo)) older than this many days is deleted at the start of each run
        (in check mode only named, in RV(metainfo_expired)), whatever O(keep_metainfo) says.
    type: float
    default: 30
    version_added: 0.3.0
seealso:
  - module: mediaops.servarr.arr_history_hashes
  - module: mediaops.servarr.seedbox_info
  - module: mediaops.servarr.servarr_preflight
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
    regrabbed_hashes: "{{ arr.regrabbed_hashes }}"
    min_ratio: 1.5
    min_seed_days: 2
    max_total_gb: 700
    min_free_gb: 50
    quota_gb: 750
    data_removal: sftp
    download_root: /home/seeduser/downloads
    sftp_host: seedbox.example.com
    sftp_port: 2222
    sftp_username: seeduser
    sftp_key_file: /root/.ssh/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts

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
  sample:
    - hash: 0123456789ABCDEF0123456789ABCDEF01234567
      name: Some.Movie.2020.1080p.BluRay.x264-GRP
      label: radarr
      size_bytes: 8123456789
      ratio: 2.1
      reason: ratio 2.10 >= 1.5
      trigger: policy
      data_path: /home/seeduser/downloads/Some.Movie.2020.1080p.BluRay.x264-GRP
      data: removed
      shared_with: []
      shared_with_names: []
      data_verified: true
      files: 3
  elements: dict
  contains:
    hash:
      description: Info-hash.
      type: str
      sample: "0123456789ABCDEF0123456789ABCDEF01234567"
    name:
      description: Torrent name.
      type: str
      sample: Some.Movie.2020.1080p.BluRay.x264-GRP
    label:
      description: ruTorrent label.
      type: str
      sample: radarr
    size_bytes:
      description: Size of the torrent's data.
      type: int
      sample: 8123456789
    reason:
      description: Why it was removed, for example C(ratio 2.10 >= 1.5).
      type: str
      sample: "ratio 2.10 >= 1.5"
    trigger:
      description: The rule that removed it. V(policy) (ratio or age met), V(capacity) (removed to get under
        O(max_total_gb)) or V(free_space) (removed to get the free space up to O(min_free_gb) or O(min_free_percent)).
      type: str
      sample: policy
    ratio:
      description: Upload ratio (rTorrent's per-mille value divided by 1000).
      type: float
      sample: 2.1
    data_path:
      description: Where its data is on the seedbox.
      type: str
      sample: /home/seeduser/downloads/Some.Movie.2020.1080p.BluRay.x264-GRP
    data:
      description: V(removed), V(kept) (shared with a loaded torrent or O(data_removal=torrent_only)).
      type: str
      sample: removed
    shared_with:
      description: Info-hashes of the loaded torrents using the same data (cross-seeds).
      type: list
      sample: ["89ABCDEF0123456789ABCDEF0123456789ABCDEF"]
      elements: str
    shared_with_names:
      description: The names of those torrents, in the same order.
      type: list
      sample: ["Some.Movie.2020.1080p.BluRay.x264-GRP (cross-seed)"]
      elements: str
      version_added: 0.3.0
    data_verified:
      description: The data was checked to be gone after deleting (null when the data was kept or in check mode).
      type: bool
      sample: true
    files:
      description: Number of files of the torrent.
      type: int
      sample: 3
    metainfo:
      description:
        - The torrent's C(.torrent), saved before its erase as C(<state_dir>/purged-metainfo/<HASH>.torrent) next to
          C(<HASH>.json) (its name, file list, data path, size, label, seedbox and the .torrent's SHA-256); the
          journal's C(removing) record names it too. See O(keep_metainfo).
      type: str
      returned: when it was kept
      version_added: 0.3.0
      sample: /var/lib/servarr/purged-metainfo/0123456789ABCDEF0123456789ABCDEF01234567.torrent
    metainfo_not_kept:
      description: Why the torrent's metainfo was not kept (the removal went ahead all the same).
      type: str
      returned: when O(keep_metainfo) is not false and it could not be kept
      version_added: 0.3.0
      sample: "metainfo not kept: cannot find /home/seeduser/.session/0123456789ABCDEF0123456789ABCDEF01234567.torrent on the seedbox: No such file"
metainfo_expired:
  description:
    - The kept metainfo files (C(<HASH>.torrent), C(<HASH>.json)) older than O(metainfo_keep_days) this run deleted
      at its start; in check mode, those it would delete.
  returned: always
  type: list
  elements: str
  version_added: 0.3.0
  sample: ["0123456789ABCDEF0123456789ABCDEF01234567.json", "0123456789ABCDEF0123456789ABCDEF01234567.torrent"]
kept:
  description:
    - The imported torrents that stay, with the reason (every torrent that stays with O(verbose_results=true)).
  returned: always
  type: list
  elements: dict
  sample:
    - hash: 0123456789ABCDEF0123456789ABCDEF01234567
      name: Some.Movie.2020.1080p.BluRay.x264-GRP
      reason: ratio 0.40 < 1.5 and seeded 0.5 days < 2
      code: policy_not_met
  contains:
    hash:
      description: Info-hash.
      type: str
      sample: "0123456789ABCDEF0123456789ABCDEF01234567"
    name:
      description: Torrent name.
      type: str
      sample: Some.Movie.2020.1080p.BluRay.x264-GRP
    reason:
      description: Why it stays, for example C(not imported by Radarr/Sonarr).
      type: str
      sample: "ratio 0.40 < 1.5 and seeded 0.5 days < 2"
    code:
      description: The reason as a key of RV(kept_counts).
      type: str
      sample: policy_not_met
kept_counts:
  description:
    - Torrents that stay, counted by reason. Keys appear only when counted; possible keys are
      V(protected_hash), V(protected_label), V(label_not_selected), V(queued), V(regrabbed), V(not_imported),
      V(incomplete), V(outside_root), V(invalid_path), V(min_seed_time), V(policy_not_met) and V(max_removals).
  returned: always
  type: dict
  version_added: 0.3.0
  sample: {"not_imported": 2810, "queued": 4, "policy_not_met": 120, "regrabbed": 1}
bytes_freed:
  description: Bytes of data deleted (in check mode, that would be deleted).
  returned: always
  type: int
  sample: 16247013578
used_bytes_before:
  description: Data of all loaded torrents before, shared data counted once.
  returned: always
  type: int
  sample: 712000000000
used_bytes_after:
  description: The same after the run (in check mode, as it would be).
  returned: always
  type: int
  sample: 695752986422
free_bytes_after:
  description:
    - Free space of the seedbox's download file system as rTorrent reports it (the least C(d.free_diskspace) of a
      started torrent), after the run; in check mode, now. The floor's figure (with O(quota_gb), what is left of the
      quota) is RV(free_space.after_bytes).
  returned: when a started torrent is still loaded
  type: int
  sample: 304247013578
removed_counts:
  description: The torrents of RV(removed) counted by the rule that removed them (RV(removed[].trigger)).
  returned: always
  type: dict
  version_added: 0.3.0
  sample: {"policy": 3, "capacity": 0, "free_space": 2}
free_space:
  description:
    - The free space against the floor (O(min_free_gb), O(min_free_percent)); reported with no floor too.
    - Sizes in bytes. With O(quota_gb) the free space is what is left of the quota (at most the disk's free space).
  returned: always
  type: dict
  version_added: 0.3.0
  sample:
    floor_bytes: 50000000000
    min_free_gb: 50
    min_free_percent: null
    quota_bytes: 750000000000
    size_bytes: 750000000000
    source: quota
    before_bytes: 38000000000
    disk_free_before_bytes: 2100000000000
    planned_after_bytes: 54247013578
    after_bytes: 54247013578
    disk_free_after_bytes: 2116247013578
    met: true
    short_bytes: 0
    blocked: {}
    message: "free space 38.0 GB -> 54.2 GB (measured), floor 50.0 GB: met"
  contains:
    floor_bytes:
      description: The floor, the higher of O(min_free_gb) and O(min_free_percent) of RV(free_space.size_bytes); null
        without a floor, or when only a percentage is given and the size is unknown.
      type: int
      sample: 50000000000
    min_free_gb:
      description: O(min_free_gb) as given.
      type: float
      sample: 50
    min_free_percent:
      description: O(min_free_percent) as given.
      type: float
      sample: 5
    quota_bytes:
      description: O(quota_gb) in bytes; null without a quota.
      type: int
      sample: 750000000000
    size_bytes:
      description: The size a percentage is of, O(quota_gb), else the loaded torrents' data plus the free space.
      type: int
      sample: 750000000000
    source:
      description: V(quota) (what is left of O(quota_gb)) or V(rtorrent) (C(d.free_diskspace)).
      type: str
      sample: quota
    before_bytes:
      description: Free space before the run, from the listing the decision was made on; null when unknown.
      type: int
      sample: 38000000000
    disk_free_before_bytes:
      description: The disk's free space as rTorrent reported it before the run.
      type: int
      sample: 2100000000000
    planned_after_bytes:
      description: Free space as the planned removals leave it, computed from their sizes (shared data once).
      type: int
      sample: 54247013578
    after_bytes:
      description: Free space after the run, measured by asking rTorrent again once the removals were verified
        (with O(quota_gb), the quota less the data still loaded, at most the disk's free space then); null in check
        mode and when no started torrent is left to tell it.
      type: int
      sample: 54247013578
    disk_free_after_bytes:
      description: The disk's free space as rTorrent reported it after the run.
      type: int
      sample: 2116247013578
    met:
      description: The floor is met (after a real run, as measured); null without a floor or when the free space is
        unknown.
      type: bool
      sample: true
    short_bytes:
      description: How far under the floor the free space stays (measured after a real run); 0 when met.
      type: int
      sample: 0
    blocked:
      description: When the floor cannot be met, what stays that may not be removed, by the reason of
        RV(kept_counts), with how many torrents and their data (shared data once within a reason).
      type: dict
      sample: {"not_imported": {"torrents": 12, "bytes": 96000000000}, "protected_label": {"torrents": 3, "bytes": 41000000000}}
    message:
      description: The above in words; empty without a floor.
      type: str
      sample: "free space 38.0 GB -> 54.2 GB (measured), floor 50.0 GB: met"
torrents_total:
  description: Torrents rTorrent had loaded.
  returned: always
  type: int
  sample: 3012
resumed:
  description:
    - Removals an earlier run started and did not finish (see O(journal)), and what this run did about each.
  returned: always
  type: list
  version_added: 0.3.0
  elements: dict
  sample:
    - hash: 0123456789ABCDEF0123456789ABCDEF01234567
      name: Some.Movie.2020.1080p.BluRay.x264-GRP
      data_path: /home/seeduser/downloads/Some.Movie.2020.1080p.BluRay.x264-GRP
      files: 3
      size_bytes: 8123456789
      started: "2026-11-24T03:00:12Z"
      outcome: finished
      why: deleted the 3 of its 3 files still there
      data_verified: true
      paths_left: 3
  contains:
    hash:
      description: Info-hash.
      type: str
      sample: "0123456789ABCDEF0123456789ABCDEF01234567"
    name:
      description: Torrent name.
      type: str
      sample: Some.Movie.2020.1080p.BluRay.x264-GRP
    data_path:
      description: Where its data was on the seedbox.
      type: str
      sample: /home/seeduser/downloads/Some.Movie.2020.1080p.BluRay.x264-GRP
    files:
      description: Number of file paths captured before the erase.
      type: int
      sample: 3
    size_bytes:
      description: Size of the torrent's data when the earlier run captured it.
      type: int
      sample: 8123456789
    started:
      description: When the earlier run wrote the intent (UTC).
      type: str
      sample: "2026-11-24T03:00:12Z"
    outcome:
      description:
        - V(finished) (the data deleted and verified gone, or meant to stay), V(abandoned) (the torrent is
          loaded again, or a loaded torrent uses its paths now; nothing deleted), V(left) (another seedbox's or
          download root's intent, or no way to delete data; still pending); in check mode V(would finish) and
          V(would abandon).
      type: str
      sample: finished
    why:
      description: What was done or found, in words.
      type: str
      sample: deleted the 3 of its 3 files still there
    paths_left:
      description: Of its captured files, how many were still there and were deleted (in check mode, would be).
      type: int
      returned: when its data was to be deleted
      sample: 3
    data_verified:
      description: The data was checked to be gone after deleting (null when nothing was deleted).
      type: bool
      sample: true
pending:
  description:
    - When the run stopped, the removals ruTorrent was asked for and that were not verified gone (its clean-up job
      did not delete their data within O(verify_timeout)); their intents stay in O(journal) and the next run
      finishes them (see RV(resumed)). Empty otherwise.
  returned: always
  type: list
  elements: dict
  version_added: 0.3.0
  sample:
    - hash: 0123456789ABCDEF0123456789ABCDEF01234567
      name: Some.Movie.2020.1080p.BluRay.x264-GRP
      data_path: /home/seeduser/downloads/Some.Movie.2020.1080p.BluRay.x264-GRP
      size_bytes: 8123456789
unfinished_intents:
  description:
    - How many removals the journal (O(journal)) holds unfinished as the run ends, however it ends (a removal
      this run was stopped in, one it could not finish, another seedbox's). A later run finishes them; the
      C(metrics) callback writes it as C(servarr_purge_unfinished_intents), for an alert when one stays.
    - In check mode, those an earlier run left (nothing is written or finished).
  returned: unless another run held the lock or the journal could not be read
  type: int
  version_added: 0.3.0
  sample: 0
locked:
  description: Another purge held O(lock_file); nothing was done.
  returned: always
  type: bool
  version_added: 0.3.0
  sample: false
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    rtorrent_argument_spec, rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.data_removal import (
    LocalRemover, RemovalError, SftpRemover)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import HASH_RE
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import (
    Policy, disk_free, measured_after, plan, result_entry, used_bytes)
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import purge_metainfo
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import (
    Journal, JournalError, PurgeStopped, StopRequest, execute, measure_after, resume)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, RunLock, StateError, ensure_folder)


class PurgeModule(AnsibleModule):
    """Every exit, a success or a failure, also says how many removals the journal holds unfinished
    (RV(unfinished_intents)): a run that stopped half-way is when it matters most."""

    journal = None

    def _with_unfinished(self, kwargs):
        if self.journal is not None and "unfinished_intents" not in kwargs:
            try:
                kwargs["unfinished_intents"] = len(self.journal.pending())
            except (JournalError, OSError, IOError):
                pass   # the run's own message says what is wrong with the journal
        return kwargs

    def exit_json(self, **kwargs):
        super(PurgeModule, self).exit_json(**self._with_unfinished(kwargs))

    def fail_json(self, msg, **kwargs):
        super(PurgeModule, self).fail_json(msg, **self._with_unfinished(kwargs))


def _remover(module):
    params = module.params
    method = params["data_removal"]
    if method == "local":
        return LocalRemover(params["download_root"])
    if method in ("sftp", "rutorrent"):
        return SftpRemover(params["download_root"], timeout=params["rtorrent_timeout"],
                           **sftp_connection_args(module))
    return None


def _argument_problem(p):
    """What is wrong with the arguments beyond their types, in words; None when nothing is."""
    for name in ("min_ratio", "min_seed_days", "min_seed_hours", "max_total_gb", "max_removals", "min_free_gb",
                 "min_free_percent", "quota_gb"):
        if p[name] is not None and p[name] < 0:
            return "%s must not be negative (got %s)" % (name, p[name])
    if p["min_free_percent"] is not None and p["min_free_percent"] >= 100:
        return "min_free_percent must be under 100 (got %s)" % p["min_free_percent"]
    if p["quota_gb"] and p["min_free_gb"] and p["min_free_gb"] >= p["quota_gb"]:
        return "min_free_gb %s must be under quota_gb %s" % (p["min_free_gb"], p["quota_gb"])
    for name in ("verify_timeout", "rtorrent_timeout"):
        if p[name] < 1:
            return "%s must be at least 1 second (got %s)" % (name, p[name])
    if p["metainfo_keep_days"] < 0:
        return "metainfo_keep_days must not be negative (got %s)" % p["metainfo_keep_days"]
    if p["rutorrent_batch_size"] < 1:
        return "rutorrent_batch_size must be at least 1 (got %s)" % p["rutorrent_batch_size"]
    if not 1 <= p["sftp_port"] <= 65535:
        return "sftp_port must be a TCP port, 1 to 65535 (got %s)" % p["sftp_port"]
    root = p["download_root"]
    if root is not None:
        if not root.startswith("/"):
            return "download_root must be an absolute path, not %r" % root
        if not os.path.normpath(root).strip("/"):   # /, //, /.., ...
            return "download_root must not be / (name the folder the torrents' data is in)"
    for name in ("state_dir", "journal", "lock_file"):
        if p[name] and not os.path.isabs(p[name]):
            return "%s must be an absolute path, not %r" % (name, p[name])
    for name in ("imported_hashes", "queued_hashes", "regrabbed_hashes", "protect_hashes"):
        for value in p[name]:
            if not HASH_RE.match(value.strip()):
                return "%s: %r is not an info-hash (40 hexadecimal digits)" % (name, value)
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
        min_free_gb=dict(type="float"),
        min_free_percent=dict(type="float"),
        quota_gb=dict(type="float"),
        max_removals=dict(type="int"),
        data_removal=dict(type="str", required=True, choices=["sftp", "local", "rutorrent", "torrent_only"]),
        download_root=dict(type="str"),
        verify_timeout=dict(type="int", default=60),
        rutorrent_batch_size=dict(type="int", default=10),
        verbose_results=dict(type="bool", default=False),
        regrabbed_hashes=dict(type="list", elements="str", default=[]),
        state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
        journal=dict(type="path"),
        lock_file=dict(type="path"),
        keep_metainfo=dict(type="bool"),
        metainfo_keep_days=dict(type="float", default=purge_metainfo.DEFAULT_KEEP_DAYS),
    )
    module = PurgeModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[
            ("data_removal", "sftp", ("download_root", "sftp_host", "sftp_username")),
            ("data_removal", "rutorrent", ("download_root", "sftp_host", "sftp_username")),
            ("data_removal", "local", ("download_root",)),
        ],
    )
    p = module.params
    result = dict(changed=False, removed=[], kept=[], kept_counts={}, bytes_freed=0, used_bytes_before=0,
                  used_bytes_after=0, torrents_total=0, resumed=[], locked=False, pending=[],
                  removed_counts={"policy": 0, "capacity": 0, "free_space": 0}, free_space={},
                  metainfo_expired=[])
    problem = _argument_problem(p)
    if problem:
        module.fail_json(msg="%s; nothing was removed" % problem, **result)
    journal_path = p["journal"] or os.path.join(p["state_dir"], "purge-journal.jsonl")
    lock_path = p["lock_file"] or os.path.join(p["state_dir"], "purge.lock")
    try:
        for folder in sorted(set(os.path.dirname(path) for path in (journal_path, lock_path))):
            ensure_folder(folder, module.check_mode)
    except StateError as exc:
        module.fail_json(msg="%s; nothing was removed" % to_native(exc), **result)
    lock = RunLock(lock_path, probe_only=module.check_mode)
    try:
        if not lock.acquire():
            result.update(locked=True, msg="another rtorrent_purge run is in progress (%s holds the lock); nothing "
                                           "done" % lock_path)
            module.exit_json(**result)
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot take the lock %s: %s; nothing was removed" % (lock_path, to_native(exc)),
                         **result)
    try:
        module.journal = Journal(journal_path)
        _run(module, module.journal, result)
    finally:
        lock.release()


def _run(module, journal, result):
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

    _expire_metainfo(module, result)
    try:
        _purge(module, client, remover, journal, result)
    finally:   # fail_json and exit_json leave through here too
        if remover is not None:
            remover.close()


def _expire_metainfo(module, result):
    """At the start of each run: the kept metainfo older than metainfo_keep_days goes (in check mode, is only
    named). A folder that cannot be read is a warning, never a failed purge."""
    p = module.params
    try:
        result["metainfo_expired"] = purge_metainfo.expire(purge_metainfo.folder_of(p["state_dir"]),
                                                           p["metainfo_keep_days"], check_mode=module.check_mode)
    except (purge_metainfo.MetainfoError, OSError, IOError) as exc:
        module.warn("kept metainfo could not be expired: %s" % to_native(exc))


def _keeper(module, client, remover):
    """The purge_metainfo.Keeper of a real run (None with keep_metainfo false). The .torrent is read over the
    SFTP connection of data_removal sftp or rutorrent; without one (or without rTorrent's session folder, or a
    metainfo folder that cannot be made) each removal says why its metainfo was not kept, and the run warns."""
    p = module.params
    if p["keep_metainfo"] is False:
        return None
    folder = purge_metainfo.folder_of(p["state_dir"])
    sftp, session, why = getattr(remover, "sftp", None), None, None
    if sftp is None:
        why = "no SFTP connection to the seedbox (data_removal %s)" % p["data_removal"]
    else:
        try:
            session = client.session_path()
            if not session:
                why = "rTorrent runs without a session folder (session.path is empty)"
        except ServiceError as exc:
            why = "rTorrent did not tell its session folder: %s" % to_native(exc)
    if why is None:
        try:
            ensure_folder(p["state_dir"])
            purge_metainfo.ensure_folder(folder)
        except (StateError, purge_metainfo.MetainfoError, OSError) as exc:
            why = to_native(exc)
    if why is not None:
        module.warn("the metainfo (.torrent and file list) of the removed torrents is not kept: %s" % why)
        sftp = None
    return purge_metainfo.Keeper(folder, sftp=sftp, session_dir=session, why=why)


def _warn_not_kept(module, keeper):
    if keeper is not None and keeper.sftp is not None and keeper.not_kept:
        module.warn("the metainfo of %d removed torrents was not kept, e.g. %s: %s"
                    % (len(keeper.not_kept), keeper.not_kept[0]["name"], keeper.not_kept[0]["metainfo_not_kept"]))


def _data_words(entry):
    """What happens to a planned removal's data, for the diff: a cross-seed sibling named by its torrent name."""
    if not entry["shared_with"]:
        return entry["data"]
    return "kept, shared with " + ", ".join("%s (%s)" % (name, torrent_hash) for name, torrent_hash in
                                            zip(entry["shared_with_names"], entry["shared_with"]))


def _resume(module, client, remover, journal, torrents, result):
    """Finish the removals an earlier run left unfinished (Journal, purge_run.resume) before deciding anew."""
    p = module.params
    try:
        records = journal.read()
        pending = journal.pending(records)
        if not module.check_mode and len(pending) != len(records):
            journal.compact(pending)   # keeps the journal bounded: finished records go
        if not pending:
            return
        report = resume(journal, pending, torrents, remover, client.transport.description, p["download_root"],
                        check_mode=module.check_mode)
    except (JournalError, OSError, IOError) as exc:
        module.fail_json(msg="%s; nothing was removed" % to_native(exc), **result)
    except (RemovalError, ServiceError) as exc:
        module.fail_json(msg="finishing a removal an earlier run left unfinished failed: %s; nothing else was "
                             "removed" % to_native(exc), **result)
    result["resumed"] = report
    for entry in report:
        if entry["outcome"] in ("finished", "would finish") and entry.get("paths_left"):
            result["changed"] = True
            result["bytes_freed"] += entry["size_bytes"]
        if entry["outcome"] == "left":
            module.warn("the purge journal has an unfinished removal of %s (%s) this run cannot finish: %s"
                        % (entry["name"], entry["hash"], entry["why"]))


def _policy(p):
    return Policy(min_ratio=p["min_ratio"], min_seed_days=p["min_seed_days"], min_seed_hours=p["min_seed_hours"],
                  labels=p["labels"] or None, protect_labels=p["protect_labels"], protect_hashes=p["protect_hashes"],
                  max_total_gb=p["max_total_gb"], max_removals=p["max_removals"], download_root=p["download_root"],
                  require_root=p["data_removal"] != "torrent_only", min_free_gb=p["min_free_gb"],
                  min_free_percent=p["min_free_percent"], quota_gb=p["quota_gb"])


def _space_words(report, check_mode):
    """The free space for the diff: before, after (measured, or as it would be in check mode), the floor."""
    def size(value):
        return "unknown" if value is None else "%d bytes" % value
    floor = "" if report.get("floor_bytes") is None else ", floor %s" % size(report["floor_bytes"])
    before = "free space %s%s\n" % (size(report.get("before_bytes")), floor)
    if check_mode:
        after = "free space %s (computed; measured after a real run)%s\n" % (
            size(report.get("planned_after_bytes")), floor)
    else:
        after = "free space %s (measured)%s\n" % (size(report.get("after_bytes")), floor)
    if report.get("message"):
        after += "%s\n" % report["message"]
    return before, after


def _finish(module, client, result, planned, report):
    """Set the diff and the warnings from the final free-space report, then exit."""
    result["free_space"] = report
    if module._diff:
        space_before, space_after = _space_words(report, module.check_mode)
        result["diff"] = {
            "before_header": "rTorrent %s" % client.transport.description,
            "after_header": "rTorrent %s" % client.transport.description,
            "before": space_before + "".join(
                "%s %s [%s] (%s; data %s)\n" % (e["hash"], e["data_path"], e["trigger"], e["reason"], _data_words(e))
                for e in planned),
            "after": space_after,
        }
    if report.get("met") is False or (report.get("floor_bytes") is None and report.get("message")):
        module.warn(report["message"])
    module.exit_json(**result)


def _purge(module, client, remover, journal, result):
    """Decide, report, and (unless in check mode) erase and delete; every exit goes through the caller."""
    p = module.params
    try:
        torrents = client.list_torrents()
    except ServiceError as exc:
        module.fail_json(msg="%s; nothing was removed" % to_native(exc), **result)
    _resume(module, client, remover, journal, torrents, result)
    policy = _policy(p)
    decision = plan(torrents, p["imported_hashes"], p["queued_hashes"], policy=policy, now=time.time(),
                    regrabbed=p["regrabbed_hashes"])
    files = dict((t["hash"], t["files"]) for t in torrents)
    report = decision["free_space"]
    result["free_space"] = report

    result["torrents_total"] = len(torrents)
    result["used_bytes_before"] = decision["used_before"]
    result["used_bytes_after"] = decision["used_after"]
    kept_counts = {}
    for k in decision["keep"]:
        kept_counts[k["code"]] = kept_counts.get(k["code"], 0) + 1
    result["kept_counts"] = kept_counts
    mattering = set(h.upper() for h in p["imported_hashes"]) | set(h.upper() for h in p["regrabbed_hashes"])
    result["kept"] = [{"hash": k["torrent"]["hash"], "name": k["torrent"]["name"], "reason": k["reason"],
                       "code": k["code"]}
                      for k in decision["keep"] if p["verbose_results"] or k["torrent"]["hash"] in mattering]
    planned = [result_entry(item, files[item["torrent"]["hash"]], p["data_removal"]) for item in decision["remove"]]
    resumed_bytes = result["bytes_freed"]
    result["bytes_freed"] = resumed_bytes + sum(e["size_bytes"] for e in planned if e["data"] == "removed")
    result["changed"] = result["changed"] or bool(planned)
    result["removed_counts"] = _counts(planned)
    if disk_free(torrents) is not None:
        result["free_bytes_after"] = disk_free(torrents)
    if module.check_mode or not result["changed"]:
        result["removed"] = planned
        if not module.check_mode:   # nothing was removed: the listing the plan read is the measure
            measured_after(report, None)
        _finish(module, client, result, planned, report)

    done = []
    keeper = _keeper(module, client, remover) if planned else None
    if planned:
        try:
            with StopRequest() as stop:
                done = execute(client, remover, planned, files, p["data_removal"], p["verify_timeout"], journal,
                               loaded=torrents, stop=stop, batch_size=p["rutorrent_batch_size"], keeper=keeper,
                               context={"seedbox": client.transport.description,
                                        "download_root": p["download_root"]})
        except PurgeStopped as stop:
            _warn_not_kept(module, keeper)
            result["removed"] = stop.done
            result["removed_counts"] = _counts(stop.done)
            result["pending"] = [dict((k, e[k]) for k in ("hash", "name", "data_path", "size_bytes"))
                                 for e in stop.pending]
            result["changed"] = result["changed"] or bool(stop.done) or bool(stop.pending)
            result["bytes_freed"] = resumed_bytes + sum(e["size_bytes"] for e in stop.done if e["data"] == "removed")
            module.fail_json(msg="stopped after %d of %d removals: %s" % (len(stop.done), len(planned),
                                                                          to_native(stop.cause)), **result)

    _warn_not_kept(module, keeper)
    result["removed"] = done
    # the free space after is measured: rTorrent is asked again once every removal is verified
    try:
        after = measure_after(client, done, report, policy.quota_bytes)
    except ServiceError as exc:
        module.fail_json(msg="removed %d torrents but could not re-read rTorrent: %s" % (len(done), to_native(exc)),
                         **result)
    except RemovalError as exc:
        module.fail_json(msg=to_native(exc), **result)
    result["used_bytes_after"] = used_bytes(after)
    result.pop("free_bytes_after", None)
    if disk_free(after) is not None:
        result["free_bytes_after"] = disk_free(after)
    _finish(module, client, result, planned, report)


def _counts(entries):
    counts = {"policy": 0, "capacity": 0, "free_space": 0}
    for entry in entries:
        counts[entry["trigger"]] = counts.get(entry["trigger"], 0) + 1
    return counts


if __name__ == "__main__":
    main()
