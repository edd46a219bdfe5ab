#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: video_extras_clean
short_description: Remove trailers, samples and other extras from a media library by Jellyfin's naming rules
version_added: 0.2.0
description:
  - Walks the library roots once and finds the videos Jellyfin itself treats as extras, so the result agrees
    with what users see in Jellyfin.
  - "A video is an extra when its immediate parent folder (not a library root) is one of C(trailers, backdrops,
    behind the scenes, deleted scenes, interviews, scenes, samples, shorts, featurettes, extras, extra, other,
    clips); when its whole name without extension is C(trailer) or C(sample); or when that name, trailing digits
    trimmed, ends in C(-trailer .trailer _trailer \"- trailer\"), the same four with C(sample), or C(-scene
    -clip -interview -behindthescenes -deleted -deletedscene -featurette -short -extra -other)."
  - O(patterns) and O(extra_folder_names) add rules of your own.
  - Never extras, whatever their name or size, except inside an extras folder - the largest video directly
    inside a folder, and any file whose name parses as an episode (C(S01E02), C(1x02)). Size never makes an
    extra on its own, see O(min_video_size_mb).
  - Files beside an extra with the same name and another extension (C(.nfo), C(.srt), C(-thumb.jpg)) go with it.
    Extras folders left empty are removed.
  - Symbolic links are never followed and never deleted. A root that is missing, empty, unreadable or lacks
    O(anchor_file) stops the run before anything is touched, and so does any folder that cannot be read.
    Each file is checked again just before it is removed, and checked to be gone after.
  - A run cut short (killed, host rebooted) between an extra and its sidecars is finished by the next run;
    before the first file of such a group goes, the group is written to O(journal); the next run removes (or
    recycles) each recorded sidecar whose video is gone, if it is still the very file recorded (device, inode,
    size) in the folder recorded and no video now in that folder claims it. See RV(resumed).
  - One run at a time. A run that finds another holding O(lock_file) does nothing and returns RV(locked).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Scans and reports each file with its rule and size; removes, moves and expires nothing.
  diff_mode:
    support: full
    details: The diff lists each extra with its rule and size, and what happens to it.
options:
  roots:
    description:
      - Library folders to clean, for example C(/mnt/media/movies). Nothing outside them is touched.
    type: list
    elements: path
    required: true
  anchor_file:
    description:
      - Name of a file that must exist directly in every root (create it once, for example C(.servarr-anchor)).
        A root without it is taken for an unmounted share and the run stops.
    type: str
  patterns:
    description:
      - Regular expressions searched (case-insensitive) in each video's file name; a match makes it an extra,
        unless a protection applies.
    type: list
    elements: str
    default: []
  extra_folder_names:
    description:
      - More folder names whose videos are all extras, on top of Jellyfin's.
    type: list
    elements: str
    default: []
  min_video_size_mb:
    description:
      - A video smaller than this (MiB) is a sample when it is not the largest video in its folder, the folder
        holds exactly one video of at least this size (the feature), holds no episodes, and is not a library
        root. This guard never applies on its own elsewhere. V(0) turns it off.
    type: int
    default: 500
  video_extensions:
    description:
      - Extensions of the files considered videos. Other files are never extras on their own.
      - Defaults to Jellyfin's video extensions less disc-image and pointer types (C(.bin .img .ifo .nrg .strm)).
    type: list
    elements: str
  recycle_dir:
    description:
      - Move extras here, keeping their path relative to their root (under a folder named after the root),
        instead of deleting them. It must not be a root, lie inside one, or contain one (real paths, both ways) - with V(/mnt/media)
        where V(/mnt/media/.recycle) was meant, retention would expire the library.
      - The module records what it moved there in C(.servarr-recycle.json) in this folder; only those files, while
        still the very file it put there, ever expire. Anything else in the folder (a person's files, recycling
        by a version before 0.3.0) is never deleted; remove it by hand.
    type: path
  recycle_retention_days:
    description:
      - Files this module put in O(recycle_dir) more than this many days ago are deleted by the run; they count
        against O(max_removals).
    type: int
    default: 30
  scan_workers:
    description:
      - Processes that share the scan. The folders below each root are divided between the module's own
        process and O(scan_workers) - 1 forked children. Defaults to one per CPU, at most 4. V(1) scans in the
        module's own process only.
    type: int
  max_removals:
    description:
      - Stop without removing anything when more extras than this are found, recycled files whose retention ran
        out counted too (a safety valve for a first run or a rule gone wrong). No limit when not set.
    type: int
  lock_file:
    description:
      - File locked (C(flock)) for the whole run, so that two runs never remove at once. A run that finds it
        locked returns C(ok) with RV(locked=true) and does nothing.
      - Its folder is created (mode 0700) when missing and its parent exists; in check mode the lock is only
        probed and nothing is created.
    type: path
    default: /var/lib/servarr/video_extras_clean.lock
    version_added: 0.3.0
  journal:
    description:
      - JSON file recording the extra and sidecars being removed, so that the next run finishes a group an
        interrupted run started. Removed when a run ends normally. Its folder is created like that of
        O(lock_file).
    type: path
    default: /var/lib/servarr/video_extras_clean.journal.json
    version_added: 0.3.0
seealso:
  - module: mediaops.servarr.jellyfin_refresh
"""

EXAMPLES = r"""
- name: See what would go (run the playbook with --check --diff for the same)
  mediaops.servarr.video_extras_clean:
    roots:
      - /mnt/media/movies
      - /mnt/media/series
    anchor_file: .servarr-anchor
  check_mode: true
  register: extras

- name: Remove extras, keeping them 14 days in a recycle folder
  mediaops.servarr.video_extras_clean:
    roots:
      - /mnt/media/movies
      - /mnt/media/series
    anchor_file: .servarr-anchor
    patterns:
      - '(?i)\bproof\b'
    recycle_dir: /mnt/media/.recycle/extras
    recycle_retention_days: 14
"""

RETURN = r"""
extras:
  description: Extras found (in check mode, that would be removed), sorted by path.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/movies/300 (2006)/300-trailer.mp4
      root: /mnt/media/movies
      relative_path: 300 (2006)/300-trailer.mp4
      rule: suffix -trailer
      size: 62914560
      sidecars: [/mnt/media/movies/300 (2006)/300-trailer.nfo]
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /mnt/media/movies/300 (2006)/300-trailer.mp4
    root:
      description: The library root it is in.
      type: str
      sample: /mnt/media/movies
    relative_path:
      description: Path relative to its root.
      type: str
      sample: 300 (2006)/300-trailer.mp4
    rule:
      description: The rule that matched, for example C(suffix -trailer), C(folder Featurettes),
        C(name sample), C(pattern <regex>) or C(sample beside larger feature).
      type: str
      sample: suffix -trailer
    size:
      description: Size in bytes.
      type: int
      sample: 62914560
    sidecars:
      description: Files that go with it (same name, other extension).
      type: list
      elements: str
      sample: [/mnt/media/movies/300 (2006)/300-trailer.nfo]
protected:
  description: Videos a rule matched that were kept, with the reason (largest video in its folder, parses as
    an episode).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/series/Old Show (1990)/Season 1/Old Show 1x02-sample.avi
      rule: suffix -sample
      kept_because: parses as an episode
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /mnt/media/series/Old Show (1990)/Season 1/Old Show 1x02-sample.avi
    rule:
      description: The rule that matched.
      type: str
      sample: suffix -sample
    kept_because:
      description: The protection that kept it.
      type: str
      sample: parses as an episode
removed:
  description: Files deleted (videos and sidecars).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/movies/300 (2006)/300-trailer.mp4
      size: 62914560
  contains:
    path:
      description: Absolute path it had.
      type: str
      sample: /mnt/media/movies/300 (2006)/300-trailer.mp4
    size:
      description: Size in bytes.
      type: int
      sample: 62914560
recycled:
  description: Files moved to O(recycle_dir).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/movies/300 (2006)/300-trailer.mp4
      to: /mnt/media/.recycle/extras/movies/300 (2006)/300-trailer.mp4
      size: 62914560
  contains:
    path:
      description: Absolute path it had.
      type: str
      sample: /mnt/media/movies/300 (2006)/300-trailer.mp4
    to:
      description: Where it is now.
      type: str
      sample: /mnt/media/.recycle/extras/movies/300 (2006)/300-trailer.mp4
    size:
      description: Size in bytes.
      type: int
      sample: 62914560
not_removed:
  description: Files left because they changed between the scan and the removal (or, for an interrupted
    run's sidecars, since that run), with the reason.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/movies/300 (2006)/300-trailer.mp4
      reason: changed since the scan
  contains:
    path:
      description: Absolute path.
      type: str
      sample: /mnt/media/movies/300 (2006)/300-trailer.mp4
    reason:
      description: Why it was left.
      type: str
      sample: changed since the scan
bytes_freed:
  description: Bytes removed from the library (in check mode, that would be).
  returned: always
  type: int
  sample: 1073741824
folders_removed:
  description: Extras folders removed because they were left empty (in check mode, that would be).
  returned: always
  type: list
  elements: str
  sample: [/mnt/media/movies/Best_Movie_Ever (2019)/extras]
recycle_expired:
  description: Files deleted from O(recycle_dir) because their retention ran out (in check mode, that would
    be), each with C(path) and C(size).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /mnt/media/.recycle/extras/movies/300 (2006)/300-trailer.mp4
      size: 62914560
symlinks_skipped:
  description: Symbolic links found in the roots, never followed and never deleted.
  returned: always
  type: list
  elements: str
  sample: [/mnt/media/movies/Dune (2021)/linked-trailer.mkv]
scanned:
  description: Counts of the scan, C(files) and C(folders).
  returned: always
  type: dict
  sample: {files: 48210, folders: 3120}
resumed:
  description: Sidecars an interrupted run left behind when it had already removed their extra, removed (or
    recycled) now (in check mode, that would be). Each is also in RV(removed) or RV(recycled).
  returned: always
  type: list
  elements: str
  sample: [/mnt/media/movies/300 (2006)/300-trailer.nfo]
  version_added: 0.3.0
locked:
  description: Another run held O(lock_file); this one did nothing.
  returned: always
  type: bool
  sample: false
  version_added: 0.3.0
state_folders_created:
  description: Folders of O(lock_file) and O(journal) this run created (in check mode, would create).
  returned: always
  type: list
  elements: str
  sample: [/var/lib/servarr]
  version_added: 0.3.0
msg:
  description: One line saying what was done (or would be).
  returned: always
  type: str
  sample: recycled 14 files (1.2 GiB)
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.runs.extras_clean import (
    CleanError, Journal, check_recycle_dir, check_roots, default_workers, expired_in_recycle, finish_interrupted,
    new_report, purge_recycle, remove, scan)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.extras_rules import (
    VIDEO_EXTENSIONS, ExtrasRules, RulesError)
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, RunLock, StateError, ensure_folder)

# FOR TESTS ONLY: when this environment variable names a file, the module writes its process id there after
# the first extra that has sidecars is gone and before its sidecars go, then waits (up to 120 s) to be killed:
# tests/integration/test_video_cleanup.py uses it to SIGKILL a real run at exactly that point. Never set it
# anywhere else; unset, it costs one dictionary lookup.
TEST_PAUSE_ENV = "MEDIAOPS_SERVARR_TEST_ONLY_PAUSE_AFTER_VIDEO"


def _test_pause(cand):
    with open(os.environ[TEST_PAUSE_ENV], "w") as handle:
        handle.write("%d\n" % os.getpid())
    time.sleep(120)


def _size(num):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if num < 1024 or unit == "GiB":
            return "%.1f %s" % (num, unit) if unit != "B" else "%d B" % num
        num /= 1024.0
    return str(num)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            roots=dict(type="list", elements="path", required=True),
            anchor_file=dict(type="str"),
            patterns=dict(type="list", elements="str", default=[]),
            extra_folder_names=dict(type="list", elements="str", default=[]),
            min_video_size_mb=dict(type="int", default=500),
            video_extensions=dict(type="list", elements="str"),
            recycle_dir=dict(type="path"),
            recycle_retention_days=dict(type="int", default=30),
            max_removals=dict(type="int"),
            scan_workers=dict(type="int"),
            lock_file=dict(type="path", default=os.path.join(DEFAULT_STATE_DIR, "video_extras_clean.lock")),
            journal=dict(type="path", default=os.path.join(DEFAULT_STATE_DIR, "video_extras_clean.journal.json")),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, extras=[], protected=[], removed=[], recycled=[], not_removed=[], bytes_freed=0,
                  folders_removed=[], recycle_expired=[], symlinks_skipped=[], scanned={}, resumed=[],
                  locked=False, state_folders_created=[])
    problem = check_arguments(p)
    if problem:
        module.fail_json(msg="%s; nothing was removed" % problem, **result)
    try:
        rules = ExtrasRules(patterns=p["patterns"], extra_folder_names=p["extra_folder_names"],
                            min_video_size=p["min_video_size_mb"] * 1024 * 1024,
                            video_extensions=p["video_extensions"] or VIDEO_EXTENSIONS)
    except RulesError as exc:
        module.fail_json(msg="%s; nothing was removed" % exc, **result)
    try:
        for folder in sorted(set(os.path.dirname(p[name]) for name in ("lock_file", "journal"))):
            if ensure_folder(folder, check_mode=module.check_mode):
                result["state_folders_created"].append(folder)
    except StateError as exc:
        module.fail_json(msg="%s; nothing was removed" % exc, **result)
    result["changed"] = bool(result["state_folders_created"])
    lock = RunLock(p["lock_file"], probe_only=module.check_mode)
    try:
        if not lock.acquire():
            result.update(locked=True, msg="another cleanup run holds %s; this one did nothing" % p["lock_file"])
            module.exit_json(**result)
        run(module, result, rules)
    finally:
        lock.release()


def check_arguments(p):
    """The first problem with the options that needs no file system to see, or None."""
    if not p["roots"]:
        return "roots must name at least one library folder"
    for root in p["roots"]:
        if not os.path.isabs(root):
            return "library root %r must be an absolute path" % root
    if len(set(os.path.normpath(root) for root in p["roots"])) != len(p["roots"]):
        return "roots lists a folder twice; list each folder once"
    if p["anchor_file"] is not None and (not p["anchor_file"] or "/" in p["anchor_file"]
                                         or p["anchor_file"] in (".", "..")):
        return "anchor_file must be a file name directly in each root, not a path"
    for name in ("min_video_size_mb", "recycle_retention_days", "max_removals"):
        if p[name] is not None and p[name] < 0:
            return "%s must not be negative (%d)" % (name, p[name])
    if p["scan_workers"] is not None and p["scan_workers"] < 1:
        return "scan_workers must be at least 1 (%d)" % p["scan_workers"]
    for name in ("recycle_dir", "lock_file", "journal"):
        if p[name] is not None and not os.path.isabs(p[name]):
            return "%s must be an absolute path: %r" % (name, p[name])
    if p["lock_file"] == p["journal"]:
        return "lock_file and journal must be two different files"
    return None


def run(module, result, rules):
    p = module.params
    journal = Journal(p["journal"])
    report = new_report()
    try:
        roots = check_roots(p["roots"], p["anchor_file"])
        recycle = check_recycle_dir(p["recycle_dir"], roots) if p["recycle_dir"] else None
        workers = p["scan_workers"] if p["scan_workers"] is not None else default_workers()
        interrupted = journal.read()
        if interrupted:
            finish_interrupted(interrupted, roots, rules, report, check_mode=module.check_mode)
            if not module.check_mode:
                journal.clear()
        found = scan(roots, rules, workers=workers)
    except (CleanError, StateError, OSError) as exc:
        result.update(report)
        module.fail_json(msg=str(exc), **result)
    result.update(report)

    result["extras"] = [cand.as_dict() for cand in found.candidates]
    result["protected"] = found.protected
    result["symlinks_skipped"] = found.symlinks
    result["scanned"] = {"files": found.files, "folders": found.folders}
    try:
        expired = expired_in_recycle(recycle, p["recycle_retention_days"]) if recycle else []
    except (StateError, OSError) as exc:
        module.fail_json(msg="cannot read the recycle folder's manifest: %s; nothing was removed" % exc, **result)
    result["recycle_expired"] = [dict(path=item["path"], size=item["size"]) for item in expired]
    if p["max_removals"] is not None and len(found.candidates) + len(expired) > p["max_removals"]:
        module.fail_json(msg="%d extras found and %d recycled files expired, more than max_removals=%d; nothing was "
                         "removed (check the lists in 'extras' and 'recycle_expired', then raise max_removals)"
                         % (len(found.candidates), len(expired), p["max_removals"]), **result)

    action = "recycle to %s" % recycle if recycle else "delete"
    if module._diff:
        lines = ["%s  [sidecar of an extra an interrupted run removed]\n" % path for path in report["resumed"]]
        for cand in found.candidates:
            lines.append("%s  [%s, %s]\n" % (cand.path, cand.rule, _size(cand.size)))
            lines.extend("%s  [goes with %s]\n" % (item[0], os.path.basename(cand.path)) for item in cand.sidecars)
        lines.extend("%s/  [extras folder left empty]\n" % folder for folder in found.folders_to_remove)
        lines.extend("%s  [recycled more than %d days ago]\n" % (item["path"], p["recycle_retention_days"])
                     for item in expired)
        result["diff"] = {"before_header": "library (%s)" % ", ".join(roots),
                          "after_header": "library after: extras %s" % ("recycled" if recycle else "deleted"),
                          "before": "".join(lines), "after": ""}

    if module.check_mode:
        result["bytes_freed"] += sum(cand.size + sum(item[3] for item in cand.sidecars)
                                     for cand in found.candidates)
        result["folders_removed"] = report["folders_removed"] + found.folders_to_remove
        result["changed"] = bool(result["changed"] or found.candidates or expired or report["resumed"])
        result["msg"] = "would %s %d extras (%s)" % (action, len(found.candidates), _size(result["bytes_freed"]))
        if expired:
            result["msg"] += " and expire %d recycled files (%s)" % (len(expired),
                                                                     _size(sum(i["size"] for i in expired)))
        if report["resumed"]:
            result["msg"] += " and %d sidecars an interrupted run left" % len(report["resumed"])
        module.exit_json(**result)

    pause = _test_pause if os.environ.get(TEST_PAUSE_ENV) else None
    try:
        remove(found, report, recycle_dir=recycle, journal=journal, after_video=pause)
        if expired:
            purge_recycle(recycle, expired)
    except (CleanError, StateError, OSError) as exc:
        result.update(report)
        module.fail_json(msg="stopped after %d files: %s" % (len(report["removed"]) + len(report["recycled"]), exc),
                         **result)
    result.update(report)
    result["changed"] = bool(result["changed"] or report["removed"] or report["recycled"]
                             or report["folders_removed"] or expired)
    done = len(report["removed"]) + len(report["recycled"])
    result["msg"] = "%s %d files (%s)" % ("recycled" if recycle else "deleted", done, _size(report["bytes_freed"]))
    if expired:
        result["msg"] += "; expired %d recycled files (%s)" % (len(expired), _size(sum(i["size"] for i in expired)))
    if report["resumed"]:
        result["msg"] += ", %d of them sidecars an interrupted run left" % len(report["resumed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
