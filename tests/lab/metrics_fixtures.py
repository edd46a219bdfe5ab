# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metric states the metrics and Prometheus tests share (a module of the lab folder, not a test module)."""
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import metrics


def rec(module, figures, seedbox=None, failed=False):
    return {"module": module, "seedbox": seedbox, "figures": figures, "failed": failed}


def full_state():
    state = metrics.new_state()
    updates = [
        metrics.job_update("sync", 100, 112.5, False, [
            rec("lftp_mirror", {"fetched_items": 2, "fetched_bytes": 3000}, "box-a"),
            rec("seedbox_info", {"used_bytes": 10, "free_bytes": 90, "size_bytes": 100, "used_ratio": 0.1,
                                 "torrents": {"seeding": 3, "downloading": 1, "total": 4}}, "box-a")], ["lab"]),
        metrics.job_update("purge", 200, 230, True, [
            rec("arr_history_hashes", {"instances": {"radarr": {"queue_items": 3}, "sonarr": {"queue_items": 1}}}),
            rec("rtorrent_purge", {"removed_torrents": 2, "freed_bytes": 500, "used_bytes_after": 7}, 'we"ird\\box\nname'),
        ]),
        metrics.job_update("cleanup", 300, 301, False,
                           [rec("video_extras_clean", {"extras_removed": 4, "extras_bytes": 40})]),
        metrics.job_update("analysis", 400, 460, False, [rec("library_analyze", {
            "candidates": 5, "candidate_bytes": 5000,
            "instances": {"radarr": {"library_items": 1250, "library_bytes": 9 * 10 ** 12, "candidates": 5}}})]),
        metrics.job_update("orphans", 500, 520, False, [rec("seedbox_orphans", {
            "orphaned_bytes": 7000, "orphaned_files": 3, "quarantine_bytes": 2000, "moved_bytes": 2000,
            "expired_bytes": 500}, "box-a")]),
        metrics.job_update("backup", 600, 605, False, [rec("state_backup", {
            "backup_bytes": 1843200, "backup_time": 604.5, "backup_files": 42})]),
        metrics.job_update("review", 700, 760, False, [rec("library_grace", {
            "review_items": 3, "review_bytes": 311385128960, "review_past_grace": 1, "review_past_grace_bytes": 10})]),
        metrics.job_update("purge-box-a", 800, 830, False, [rec("rtorrent_purge", {
            "removed_free_space": 1, "free_floor_bytes": 50 * 10 ** 9, "free_short_bytes": 0}, "box-a")]),
    ]
    for update in updates:
        state = metrics.merge(state, update)
    return state
