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
    ]
    for update in updates:
        state = metrics.merge(state, update)
    return state
