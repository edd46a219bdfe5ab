#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

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
  - The password reaches lftp only through its environment (C(LFTP_PASSWORD)), never a command line. lftp's
    ssh trusts exactly the host key that was checked against O(sftp_known_hosts) or O(sftp_host_fingerprint).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.sftp
  - mediaops.servarr.attributes
attributes:
  check_mode:
    support: full
    details: Lists what would be fetched (items, files, sizes) and removed from the seedbox, with lftp's own
      C(mirror --dry-run) over the same connection; writes, moves and removes nothing, takes no lock.
  diff_mode:
    support: full
    details: The diff lists the items that would arrive in O(dest) and those that would leave the seedbox.
options:
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
        still be being written; they are left for the next run.
    type: int
    default: 15
  parallel_files:
    description: Files fetched at once within an item (C(mirror -P)).
    type: int
    default: 6
  segments:
    description: Connections per file (C(--use-pget-n), C(pget -n)).
    type: int
    default: 8
  min_chunk_size:
    description: Smallest segment (C(pget:min-chunk-size)).
    type: str
    default: 1M
  parallel_items:
    description: Items fetched at once, each by its own lftp process.
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
      - Total download rate limit in bytes per second, with an optional C(K) or C(M) suffix (for example
        V(20M)). Shared among O(parallel_items). V(0) means no limit.
    type: str
    default: "0"
  transfer_timeout:
    description: Stop an item's lftp after this many seconds (the item is retried by the next run).
    type: int
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
        O(progress_interval) seconds. Nothing secret is written to it.
    type: path
  progress_interval:
    description: Seconds between progress lines in O(log_file).
    type: int
    default: 30
requirements:
  - lftp and OpenSSH's ssh on the managed host
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
"""

RETURN = r"""
fetched:
  description: Each item fetched (in check mode, that would be fetched), in name order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Item name.
      type: str
    files:
      description: Number of files.
      type: int
    bytes:
      description: Size of the item.
      type: int
    seconds:
      description: Time to fetch, check and hand off.
      type: float
    throughput_mb_s:
      description: Bytes fetched per second, in MB (10^6).
      type: float
    resumed:
      description: The item was partly in O(staging_dir) from an interrupted run.
      type: bool
    verified:
      description: Checked complete (files and sizes, and checksums where they were compared).
      type: bool
    checksummed:
      description: Files whose SHA-256 was compared with the seedbox's.
      type: int
    handed_off:
      description: Path in O(dest), once the item is there.
      type: str
    removed_remote:
      description: The seedbox copy was removed and checked gone (in check mode, would be removed).
      type: bool
    error:
      description: Why the item failed (with lftp's own message), when it did.
      type: str
not_fetched:
  description: Items left on the seedbox this run, each with C(name) and C(reason) (filtered, too new, already
    handed off, a name lftp cannot address).
  returned: always
  type: list
  elements: dict
failed_items:
  description: Names of items that failed; the task fails when there is any.
  returned: always
  type: list
  elements: str
bytes:
  description: Bytes handed off (in check mode, that would be fetched).
  returned: always
  type: int
seconds:
  description: Duration of the whole run.
  returned: always
  type: float
locked:
  description: Another run held the lock; nothing was done.
  returned: always
  type: bool
"""

import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import sftp_argument_spec, sftp_connection_args
from ansible_collections.mediaops.servarr.plugins.module_utils.lftp import LftpError, LftpSession, dry_run_counts
from ansible_collections.mediaops.servarr.plugins.module_utils.mirror_plan import (
    LFTP_STATUS_SUFFIX, LFTP_TEMP_PREFIX, Item, check_staged, select)
from ansible_collections.mediaops.servarr.plugins.module_utils.ssh import (
    SshError, connect, list_items, remote_sha256)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError, load, save


def parse_rate(text):
    text = str(text).strip().upper()
    factor = {"K": 1024, "M": 1024 * 1024}.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in ("K", "M") else text
    try:
        value = float(number) * factor
    except ValueError:
        raise ValueError("bandwidth_limit %r is not a number with an optional K or M" % text)
    if value < 0:
        raise ValueError("bandwidth_limit must not be negative")
    return int(value)


def local_files(path, is_dir):
    """Relative path -> size of every regular file under a staged item; symlinks and others count as extra."""
    if not is_dir:
        return {"": os.lstat(path).st_size} if os.path.isfile(path) and not os.path.islink(path) else {}
    found = {}
    for folder, dirs, files in os.walk(path):
        rel_folder = os.path.relpath(folder, path)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            full = os.path.join(folder, name)
            rel = name if rel_folder == "." else rel_folder + "/" + name
            found[rel] = os.lstat(full).st_size if os.path.isfile(full) and not os.path.islink(full) else -1
    return found


def lftp_leftovers(path):
    """lftp's temporary and segment-status files for the file at ``path`` that exist."""
    folder, name = os.path.split(path)
    temp = os.path.join(folder, LFTP_TEMP_PREFIX + name)
    return [c for c in (temp, temp + LFTP_STATUS_SUFFIX, path + LFTP_STATUS_SUFFIX) if os.path.lexists(c)]


def was_staged(item, rel, before):
    """Did an earlier run leave this file, or lftp's temporary or status file for it, in staging?"""
    name = rel.rsplit("/", 1)[-1] if rel else item.name
    folder = rel[:-len(name)] if rel else ""
    temp = folder + LFTP_TEMP_PREFIX + name
    candidates = (rel, temp, rel + LFTP_STATUS_SUFFIX, temp + LFTP_STATUS_SUFFIX)
    if not item.is_dir:   # a single-file item: the staged names sit beside it, keyed by their own names
        return bool(before)
    return any(c in before for c in candidates)


def local_sha256(path):
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(4 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def disk_bytes(path):
    """Bytes really written under path (allocated blocks: segmented gets write into sparse files)."""
    total = 0
    if os.path.isfile(path):
        return os.lstat(path).st_blocks * 512
    for folder, dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Sync:
    def __init__(self, module, client, settings):
        self.module = module
        self.p = module.params
        self.client = client
        self.sftp = client.open_sftp()
        self.sftp_lock = threading.Lock()
        self.settings = settings
        self.log_lock = threading.Lock()
        self.state_lock = threading.Lock()

    def log(self, text):
        self.module.log("lftp_mirror: %s" % text)
        if self.p["log_file"]:
            with self.log_lock:
                with open(self.p["log_file"], "a") as handle:
                    handle.write("%s %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), text))

    def session(self):
        p = self.p
        return LftpSession(p["sftp_host"], p["sftp_port"], p["sftp_username"], self.client.servarr_host_key,
                           password=p["sftp_password"], key_file=p["sftp_key_file"], settings=self.settings)

    def remote_path(self, item):
        return self.p["remote_dir"].rstrip("/") + "/" + item.name

    def fetch(self, item, session, fresh=()):
        """Run lftp for one item; returns (rc, message). ``fresh``: staged files to delete first."""
        staged = os.path.join(self.p["staging_dir"], item.name)
        for rel in fresh:
            target = staged if rel == "" else os.path.join(staged, rel)
            for path in [target] + lftp_leftovers(target):
                if os.path.lexists(path):
                    os.unlink(path)
        total = item.size
        started = time.time()

        def progress():
            done = disk_bytes(staged) if item.is_dir else \
                sum(disk_bytes(path) for path in [staged] + lftp_leftovers(staged) if os.path.lexists(path))
            rate = done / max(time.time() - started, 0.001) / 1e6
            self.log("%s: %.1f of %.1f MB (%d%%), %.1f MB/s"
                     % (item.name, done / 1e6, total / 1e6, 100 * done // max(total, 1), rate))

        command = session.mirror_command(self.remote_path(item), staged, item.is_dir)
        rc, out, err = session.run([command], timeout=self.p["transfer_timeout"], progress=progress,
                                   progress_interval=self.p["progress_interval"])
        message = " ".join(line.strip() for line in (err or out).splitlines() if line.strip())[-1500:]
        return rc, message

    @staticmethod
    def problems(item, staged):
        problems = check_staged(item, local_files(staged, item.is_dir))
        if not item.is_dir:
            problems += ["lftp left %s (an unfinished transfer)" % os.path.basename(path)
                         for path in lftp_leftovers(staged)]
        return problems

    def checksum_mismatches(self, item, rels):
        staged = os.path.join(self.p["staging_dir"], item.name)
        bad, unsupported = [], False
        for rel in rels:
            remote = self.remote_path(item) + ("/" + rel if rel else "")
            with self.sftp_lock:
                theirs = remote_sha256(self.client, remote)
            if theirs is None:
                unsupported = True
                break
            if local_sha256(staged if rel == "" else os.path.join(staged, rel)) != theirs:
                bad.append(rel)
        return bad, unsupported

    def sync_item(self, item, handed_off):
        p = self.p
        started = time.time()
        staged = os.path.join(p["staging_dir"], item.name)
        final = os.path.join(p["dest"], item.name)
        leftovers = [] if item.is_dir else lftp_leftovers(staged)   # a single file's are beside it
        entry = {"name": item.name, "files": len(item.files), "bytes": item.size,
                 "resumed": os.path.lexists(staged) or bool(leftovers),
                 "verified": False, "checksummed": 0, "handed_off": None, "removed_remote": False, "error": None}
        before = local_files(staged, item.is_dir) if entry["resumed"] else {}
        if leftovers:
            before[LFTP_TEMP_PREFIX] = 0
        # files a previous run left that the listing does not know (and that are not lftp's): not ours to keep
        for rel in [r for r in before if r not in item.files and not r.rsplit("/", 1)[-1].startswith(".in.")
                    and not r.endswith(".lftp-pget-status")]:
            os.unlink(os.path.join(staged, rel))
        self.log("%s: fetching %d files, %.1f MB%s" % (item.name, len(item.files), item.size / 1e6,
                                                       " (resuming)" if entry["resumed"] else ""))
        session = self.session()
        try:
            rc, message = self.fetch(item, session)
            problems = self.problems(item, staged)
            # a file that was already staged may be a segmented get an abnormal stop left looking complete
            suspect = sorted(item.files) if p["verify_checksum"] else \
                sorted(rel for rel in item.files if was_staged(item, rel, before))
            if not problems and suspect:
                bad, unsupported = self.checksum_mismatches(item, suspect)
                if unsupported and p["verify_checksum"]:
                    problems = ["verify_checksum is set but the seedbox cannot run sha256sum over SSH"]
                elif unsupported or bad:
                    redo = suspect if unsupported else bad
                    self.log("%s: %s; fetching %d files again from scratch" % (
                        item.name, "no checksums on the seedbox" if unsupported else "checksum mismatch",
                        len(redo)))
                    rc, message = self.fetch(item, session, fresh=redo)
                    problems = self.problems(item, staged)
                    if not problems and not unsupported:
                        bad, unsupported = self.checksum_mismatches(item, redo)
                        if bad:
                            problems = ["checksum of %s differs from the seedbox's twice" % ", ".join(bad)]
                        entry["checksummed"] = len(redo)
                else:
                    entry["checksummed"] = len(suspect)
            if problems:
                entry["error"] = "not complete after lftp (exit %s): %s%s" % (
                    rc, "; ".join(problems[:5]), ("; lftp: " + message) if message else "")
                self.log("%s: FAILED: %s" % (item.name, entry["error"]))
                return entry
            entry["verified"] = True
            if os.path.lexists(final):
                entry["error"] = "%s already exists in dest; not overwritten" % item.name
                self.log("%s: FAILED: %s" % (item.name, entry["error"]))
                return entry
            os.rename(staged, final)
            entry["handed_off"] = final
            if p["state_file"]:
                with self.state_lock:
                    handed_off[item.name] = item.signature()
                    save(p["state_file"], {"version": 1, "handed_off": handed_off})
            if p["remove_source"]:
                entry["removed_remote"] = self.remove_remote(item, entry)
        except (OSError, LftpError, StateError, SshError) as exc:
            entry["error"] = entry["error"] or str(exc)
        finally:
            session.close()
            entry["seconds"] = round(time.time() - started, 3)
            entry["throughput_mb_s"] = round(item.size / max(entry["seconds"], 0.001) / 1e6, 1)
        self.log("%s: %s in %.1f s (%.1f MB/s)%s" % (
            item.name, "handed off" if entry["handed_off"] else "failed", entry["seconds"],
            entry["throughput_mb_s"], ", removed from the seedbox" if entry["removed_remote"] else ""))
        return entry

    def remove_remote(self, item, entry):
        """Remove the listed files that have not changed since, then the folders left empty; verify."""
        import stat as stat_mod
        base = self.remote_path(item)
        removed, kept = [], []
        with self.sftp_lock:
            for rel, (size, mtime) in sorted(item.files.items()):
                path = base + ("/" + rel if rel else "")
                try:
                    attr = self.sftp.lstat(path)
                except IOError:
                    continue
                if not stat_mod.S_ISREG(attr.st_mode) or attr.st_size != size or int(attr.st_mtime or 0) != int(mtime):
                    kept.append(rel)
                    continue
                self.sftp.remove(path)
                removed.append(path)
            if item.is_dir:
                folders = set()
                for rel in item.files:
                    parts = rel.split("/")[:-1]
                    for depth in range(len(parts), 0, -1):
                        folders.add(base + "/" + "/".join(parts[:depth]))
                folders.add(base)
                for folder in sorted(folders, key=lambda f: -f.count("/")):
                    try:
                        if not self.sftp.listdir(folder):
                            self.sftp.rmdir(folder)
                    except IOError:
                        pass
            left = []
            for path in removed:
                try:
                    self.sftp.lstat(path)
                    left.append(path)
                except IOError:
                    pass
        if left:
            raise SshError("%d files are still on the seedbox after removal: %s" % (len(left), left[0]))
        if kept:
            self.log("%s: %d files changed on the seedbox since the listing and were kept" % (item.name, len(kept)))
        return not kept


def main():
    argument_spec = sftp_argument_spec()
    argument_spec.update(
        remote_dir=dict(type="str", required=True),
        dest=dict(type="path", required=True),
        staging_dir=dict(type="path", required=True),
        include=dict(type="list", elements="str", default=[]),
        exclude=dict(type="list", elements="str", default=[]),
        min_age=dict(type="int", default=15),
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
    if not p["sftp_host"] or not p["sftp_username"]:
        module.fail_json(msg="sftp_host and sftp_username are required", **result)
    if not p["remote_dir"].startswith("/"):
        module.fail_json(msg="remote_dir must be an absolute path on the seedbox", **result)
    for name in ("parallel_files", "segments", "parallel_items", "progress_interval"):
        if p[name] < 1:
            module.fail_json(msg="%s must be at least 1" % name, **result)
    try:
        rate = parse_rate(p["bandwidth_limit"])
    except ValueError as exc:
        module.fail_json(msg=str(exc), **result)
    dest, staging = os.path.realpath(p["dest"]), os.path.realpath(p["staging_dir"])
    for label, path in (("dest", dest), ("staging_dir", staging)):
        if not os.path.isdir(path):
            module.fail_json(msg="%s %s is not a folder on this host (NAS not mounted?); nothing was fetched"
                             % (label, path), **result)
    if staging == dest or staging.startswith(dest.rstrip("/") + "/") or dest.startswith(staging.rstrip("/") + "/"):
        module.fail_json(msg="staging_dir must be beside dest, not inside it (or it inside staging_dir)", **result)
    if os.stat(staging).st_dev != os.stat(dest).st_dev:
        module.fail_json(msg="staging_dir and dest are on different file systems; the hand-off must be a rename",
                         **result)

    lock_path = p["lock_file"] or os.path.join(staging, ".lftp_mirror.lock")
    lock = None
    if module.check_mode:
        if os.path.exists(lock_path):
            with open(lock_path) as probe:
                try:
                    fcntl.flock(probe.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                except (IOError, OSError):
                    result.update(locked=True, msg="another lftp_mirror run is in progress (%s); nothing done"
                                  % lock_path)
                    module.exit_json(**result)
    else:
        lock = open(lock_path, "a")
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (IOError, OSError):
            lock.close()
            result.update(locked=True, msg="another lftp_mirror run is in progress (%s holds the lock); nothing done"
                          % lock_path)
            module.exit_json(**result)

    settings = dict(parallel_files=p["parallel_files"], segments=p["segments"], min_chunk_size=p["min_chunk_size"],
                    timeout=p["timeout"], max_retries=p["max_retries"],
                    reconnect_interval_base=p["reconnect_interval_base"],
                    reconnect_interval_multiplier=p["reconnect_interval_multiplier"],
                    limit_rate=rate // p["parallel_items"] if rate else 0)
    try:
        client = connect(timeout=max(p["timeout"], 10), **sftp_connection_args(module))
    except SshError as exc:
        module.fail_json(msg="%s; nothing was fetched or removed" % exc, **result)
    try:
        sync = Sync(module, client, settings)
        items = list_items(sync.sftp, p["remote_dir"], Item)
        state = (load(p["state_file"], default={}) if p["state_file"] else {}).get("handed_off") or {}

        def present(item):
            return os.path.lexists(os.path.join(dest, item.name)) and \
                check_staged(item, local_files(os.path.join(dest, item.name), item.is_dir)) == []

        fetch, skipped = select(items, include=p["include"], exclude=p["exclude"], min_age_seconds=p["min_age"] * 60,
                                now=time.time(), handed_off=state, present=present)
        result["not_fetched"] = [{"name": name, "reason": reason} for name, reason in skipped]
        if module._diff:
            result["diff"] = {"before_header": "dest %s" % dest, "after_header": "dest %s" % dest, "before": "",
                              "after": "".join("%s/%s  [%d files, %.1f MB%s]\n" % (
                                  dest, i.name, len(i.files), i.size / 1e6,
                                  "; then removed from the seedbox" if p["remove_source"] else "") for i in fetch)}
        if module.check_mode:
            session = sync.session()
            try:
                commands = [session.mirror_command(sync.remote_path(i), os.path.join(staging, i.name), i.is_dir,
                                                   dry_run=True) for i in fetch]
                rc, out, err = session.run(commands) if commands else (0, "", "")
            finally:
                session.close()
            if rc != 0 and commands:
                module.fail_json(msg="lftp dry run failed (exit %s): %s" % (rc, (err or out).strip()[-1500:]), **result)
            result["fetched"] = [{"name": i.name, "files": len(i.files), "bytes": i.size,
                                  "resumed": os.path.lexists(os.path.join(staging, i.name)), "verified": False,
                                  "checksummed": 0, "handed_off": None, "removed_remote": p["remove_source"],
                                  "error": None} for i in fetch]
            result["lftp_dry_run_files"] = dry_run_counts(out)
            result["bytes"] = sum(i.size for i in fetch)
            result["changed"] = bool(fetch)
            result["seconds"] = round(time.time() - started, 3)
            module.exit_json(**result)

        with ThreadPoolExecutor(max_workers=p["parallel_items"]) as pool:
            entries = list(pool.map(lambda item: sync.sync_item(item, state), fetch))
    except (SshError, StateError, LftpError, OSError) as exc:
        module.fail_json(msg="%s; nothing more was fetched or removed" % exc, **result)
    finally:
        client.close()
        if lock is not None:
            lock.close()
    result["fetched"] = entries
    result["failed_items"] = [e["name"] for e in entries if e["error"]]
    result["bytes"] = sum(e["bytes"] for e in entries if e["handed_off"])
    result["changed"] = any(e["handed_off"] or e["removed_remote"] for e in entries)
    result["seconds"] = round(time.time() - started, 3)
    if result["failed_items"]:
        module.fail_json(msg="%d of %d items failed: %s" % (
            len(result["failed_items"]), len(entries), "; ".join("%s: %s" % (e["name"], e["error"])
                                                                 for e in entries if e["error"])[:3000]), **result)
    result["msg"] = "%d items handed off (%.1f MB) in %.1f s" % (
        sum(1 for e in entries if e["handed_off"]), result["bytes"] / 1e6, result["seconds"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
