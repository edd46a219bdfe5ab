# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Job metrics: merged into one state under a lock, then written as JSON and as a Prometheus node_exporter
textfile. Used by the ``metrics`` callback plugin.

Every job's run brings an *update* (``job_update``): its outcome and duration, and the figures its modules
returned (see run_summary.extract). ``merge`` applies it to the state without touching what other jobs wrote:
a job replaces only its own entry, the seedboxes and instances it reported on, and adds to the counters. The
state (with the counters) lives in the state folder, so counters survive restarts; the JSON report and the
textfile are rendered from it. ``write`` does the whole under an ``flock`` on ``<state_dir>/.metrics.lock``:
two jobs finishing at once both land, each file is replaced by rename (temporary file in the same folder), so a
reader never sees half a file.

Labels: ``servarr_job`` (the job), ``seedbox``, ``state`` (of torrents), ``arr_instance`` (a Radarr/Sonarr
instance), ``outcome``. Never ``job`` or ``instance``: Prometheus attaches those to every scraped series itself
(the scrape job and node_exporter's address), and with the default ``honor_labels: false`` a scraped ``job``
label is stored as ``exported_job``, so a rule on ``{job="sync"}`` matched nothing. The state holds no label
names (jobs, seedboxes, instances and counters are keyed by their values), so a state file written before the
rename (``job``/``instance``) is read as it is and its counters go on under the new names.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import fcntl
import json
import os
import time

from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    StateError, ensure_folder, load, write_atomic)

STATE_NAME = "metrics.state.json"
LOCK_NAME = ".metrics.lock"
DEFAULT_LABEL = "default"
JOB_LABEL = "servarr_job"
INSTANCE_LABEL = "arr_instance"
# the labels Prometheus attaches to every scraped series: the textfile must not use them
TARGET_LABELS = ("job", "instance")

# counter name (without servarr_ and _total) -> (module, figure, label kind: seedbox or None)
COUNTERS = (
    ("sync_fetched_bytes", "lftp_mirror", "fetched_bytes", "seedbox",
     "Bytes the seedbox sync handed off to the import folder."),
    ("sync_fetched_items", "lftp_mirror", "fetched_items", "seedbox",
     "Releases the seedbox sync handed off to the import folder."),
    ("purge_freed_bytes", "rtorrent_purge", "freed_bytes", "seedbox",
     "Bytes of torrent data the purge deleted from the seedbox."),
    ("purge_removed_torrents", "rtorrent_purge", "removed_torrents", "seedbox",
     "Torrents the purge removed from rTorrent."),
    ("extras_removed_bytes", "video_extras_clean", "extras_bytes", None,
     "Bytes of extras (trailers, samples) removed from the library."),
    ("extras_removed_files", "video_extras_clean", "extras_removed", None,
     "Extras (trailers, samples) removed from the library."),
    ("jellyfin_folders_sent", "jellyfin_refresh", "jellyfin_folders", None,
     "Folders sent to Jellyfin for a targeted scan."),
    ("purge_removed_for_free_space", "rtorrent_purge", "removed_free_space", "seedbox",
     "Torrents the purge removed to keep the seedbox's free space above its floor."),
    ("orphans_moved_bytes", "seedbox_orphans", "moved_bytes", "seedbox",
     "Bytes of orphaned seedbox data the sweep moved into its quarantine."),
    ("orphans_expired_bytes", "seedbox_orphans", "expired_bytes", "seedbox",
     "Bytes the sweep deleted from its quarantine after the retention."),
)
# what other modules keep in a seedbox's entry: a seedbox_info read (which replaces the entry) keeps them
KEPT_SEEDBOX_KEYS = ("unfinished_intents", "free_floor_bytes", "free_short_bytes", "orphaned_bytes", "quarantine_bytes")


def new_state():
    return {"version": 1, "jobs": {}, "seedboxes": {}, "instances": {}, "library": {}, "counters": {}}


def job_update(job, started, ended, failed, records, hosts=(), check_mode=False):
    """What one job's run brings to the metrics."""
    return {"job": job, "started": float(started), "ended": float(ended), "failed": bool(failed),
            "records": list(records), "hosts": list(hosts), "check_mode": bool(check_mode)}


def merge(state, update):
    """The state after ``update``; pure. A check-mode update changes nothing (a dry run writes no metrics)."""
    state = copy.deepcopy(state) if state else new_state()
    for key, value in new_state().items():
        state.setdefault(key, value)
    if update.get("check_mode"):
        return state
    now = update["ended"]
    job = state["jobs"].setdefault(update["job"], {"runs": {"success": 0, "failure": 0}})
    outcome = "failure" if update["failed"] else "success"
    job["runs"][outcome] = job["runs"].get(outcome, 0) + 1
    job["last_run_timestamp_seconds"] = now
    job["last_run_duration_seconds"] = round(max(0.0, update["ended"] - update["started"]), 3)
    job["last_run_success"] = 0 if update["failed"] else 1
    job["last_%s_timestamp_seconds" % outcome] = now
    job["hosts"] = update.get("hosts") or job.get("hosts") or []
    for rec in update["records"]:
        figures, module = rec["figures"], rec["module"]
        label = rec.get("seedbox") or DEFAULT_LABEL
        for name, source, figure, kind, _help in COUNTERS:
            if module == source and figures.get(figure):
                key = label if kind == "seedbox" else DEFAULT_LABEL
                bucket = state["counters"].setdefault(name, {})
                bucket[key] = bucket.get(key, 0) + int(figures[figure])
        if module == "rtorrent_purge" and figures.get("unfinished_intents") is not None:
            # read from the journal as the run ended, however it ended: a stopped purge is when it matters. A
            # failed run's 0 only updates a count already kept (a seedbox never reached gets no series).
            count = int(figures["unfinished_intents"])
            box = state["seedboxes"].get(label) or {}
            if count or not rec.get("failed") or "unfinished_intents" in box:
                state["seedboxes"].setdefault(label, {})["unfinished_intents"] = count
        if rec.get("failed"):
            continue  # what a failed task did counts; its view of the state (capacity, queues) may be partial
        if module == "seedbox_info":
            box = {"updated_timestamp_seconds": now}
            box.update(figures)
            kept = state["seedboxes"].get(label) or {}
            for key in KEPT_SEEDBOX_KEYS:   # the purge's and the sweep's, not the status's
                if key in kept:
                    box[key] = kept[key]
            state["seedboxes"][label] = box
        elif module == "seedbox_orphans" and not figures.get("partial") and "orphaned_bytes" in figures:
            box = state["seedboxes"].setdefault(label, {})
            box["orphaned_bytes"] = figures["orphaned_bytes"]
            box["quarantine_bytes"] = figures.get("quarantine_bytes", 0)
        elif module == "state_backup" and figures.get("backup_time") is not None:
            state["backup"] = {"last_timestamp_seconds": figures["backup_time"], "last_size_bytes": figures["backup_bytes"]}
        elif module == "library_grace" and "review_items" in figures:
            state["library"]["review_items"] = figures["review_items"]
            state["library"]["review_bytes"] = figures.get("review_bytes", 0)
            state["library"]["review_past_grace"] = figures.get("review_past_grace", 0)
        if module == "rtorrent_purge" and figures.get("free_floor_bytes") is not None:
            box = state["seedboxes"].setdefault(label, {})
            box["free_floor_bytes"] = figures["free_floor_bytes"]
            box["free_short_bytes"] = figures.get("free_short_bytes", 0)
        if module == "rtorrent_purge" and figures.get("used_bytes_after") is not None:
            box = state["seedboxes"].setdefault(label, {})
            box["used_bytes"] = figures["used_bytes_after"]
            if figures.get("free_bytes_after") is not None and not box.get("quota_bytes"):
                box["free_bytes"] = figures["free_bytes_after"]
            if box.get("size_bytes"):
                box["used_ratio"] = round(float(box["used_bytes"]) / box["size_bytes"], 4)
                if box.get("quota_bytes"):
                    box["free_bytes"] = max(0, box["size_bytes"] - box["used_bytes"])
            if figures.get("torrents_total") is not None:
                box.setdefault("torrents", {})["total"] = figures["torrents_total"]
            box["updated_timestamp_seconds"] = now
        if module in ("arr_history_hashes", "library_analyze"):
            for name, values in (figures.get("instances") or {}).items():
                inst = state["instances"].setdefault(name, {})
                inst.update(values)
                inst["updated_timestamp_seconds"] = now
        if module == "library_analyze":
            review = dict((k, v) for k, v in (state.get("library") or {}).items() if k.startswith("review_"))
            state["library"] = dict(review, candidates=figures.get("candidates", 0), updated_timestamp_seconds=now)
            if figures.get("candidate_bytes") is not None:
                state["library"]["candidate_bytes"] = figures["candidate_bytes"]
    state["updated_timestamp_seconds"] = now
    return state


def report(state):
    """The JSON report (the plan's reports/metrics.json, for any number of seedboxes and instances)."""
    out = {"timestamp": _iso(state.get("updated_timestamp_seconds")), "jobs": {}, "seedboxes": {}, "instances": {},
           "library": state.get("library") or {}, "counters": state.get("counters") or {},
           "backup": state.get("backup") or {}}
    for name, job in sorted(state.get("jobs", {}).items()):
        entry = dict(job)
        entry["last_run"] = _iso(job.get("last_run_timestamp_seconds"))
        entry["last_success"] = _iso(job.get("last_success_timestamp_seconds"))
        entry["last_outcome"] = "success" if job.get("last_run_success") else "failure"
        out["jobs"][name] = entry
    for name, box in sorted(state.get("seedboxes", {}).items()):
        entry = dict(box)
        gb = 1000.0 ** 3
        if box.get("used_bytes") is not None:
            entry["used_gb"] = round(box["used_bytes"] / gb, 1)
        if box.get("size_bytes"):
            entry["total_gb"] = round(box["size_bytes"] / gb, 1)
            entry["percent"] = round(100.0 * box.get("used_ratio", 0), 1)
        if isinstance(box.get("torrents"), dict) and "seeding" in box["torrents"]:
            entry["torrents_seeding"] = box["torrents"]["seeding"]
        out["seedboxes"][name] = entry
    for name, inst in sorted(state.get("instances", {}).items()):
        entry = dict(inst)
        if "queue_items" in inst:
            entry["queue_size"] = inst["queue_items"]
        if "library_items" in inst:
            entry["total_items"] = inst["library_items"]
        out["instances"][name] = entry
    return out


def _iso(ts):
    if not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def escape_label(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


# Every metric family the textfile can hold: name -> (type, labels, help). prometheus_text writes no other; the
# shipped alerting rules and Grafana dashboard (files/prometheus/) may use only these (a unit test checks it).
FAMILIES = dict((name, (kind, labels, help_text)) for name, kind, labels, help_text in (
    ("servarr_job_last_run_timestamp_seconds", "gauge", (JOB_LABEL,),
     "When the job's last run ended, Unix time."),
    ("servarr_job_last_success_timestamp_seconds", "gauge", (JOB_LABEL,),
     "When the job last ended without failure, Unix time."),
    ("servarr_job_last_failure_timestamp_seconds", "gauge", (JOB_LABEL,),
     "When the job last failed, Unix time."),
    ("servarr_job_last_run_duration_seconds", "gauge", (JOB_LABEL,),
     "How long the job's last run took."),
    ("servarr_job_last_run_success", "gauge", (JOB_LABEL,),
     "1 if the job's last run ended without failure, else 0."),
    ("servarr_job_runs_total", "counter", (JOB_LABEL, "outcome"),
     "Runs of the job, by outcome."),
    ("servarr_seedbox_used_bytes", "gauge", ("seedbox",),
     "Data of the torrents loaded in rTorrent, shared data counted once."),
    ("servarr_seedbox_free_bytes", "gauge", ("seedbox",),
     "Free space for downloads: the quota left, or what rTorrent reports free."),
    ("servarr_seedbox_size_bytes", "gauge", ("seedbox",),
     "Size of the seedbox: the quota given, else used plus free."),
    ("servarr_seedbox_used_ratio", "gauge", ("seedbox",),
     "Used share of the seedbox's size, 0 to 1."),
    ("servarr_seedbox_last_update_timestamp_seconds", "gauge", ("seedbox",),
     "When these seedbox figures were read, Unix time."),
    ("servarr_torrents", "gauge", ("seedbox", "state"),
     "Torrents loaded in rTorrent, by state."),
    ("servarr_purge_unfinished_intents", "gauge", ("seedbox",),
     "Removals the purge journal held unfinished when the purge's last run ended (a later run finishes them)."),
    ("servarr_seedbox_free_floor_bytes", "gauge", ("seedbox",),
     "The purge's free-space floor (min_free_gb / min_free_percent)."),
    ("servarr_seedbox_free_short_bytes", "gauge", ("seedbox",),
     "How far the free space stayed under the floor after the purge's last run (0: met)."),
    ("servarr_seedbox_orphaned_bytes", "gauge", ("seedbox",),
     "Data on the seedbox no loaded torrent lists and no unfinished purge holds, at the sweep's last listing."),
    ("servarr_seedbox_quarantine_bytes", "gauge", ("seedbox",),
     "Orphaned data the sweep holds in its quarantine until the retention ends."),
    ("servarr_backup_last_success_timestamp_seconds", "gauge", (),
     "When the state backup last wrote an archive, Unix time."),
    ("servarr_backup_last_size_bytes", "gauge", (),
     "Size of the last state backup archive."),
    ("servarr_library_review_items", "gauge", (),
     "Titles that carry the review tag (the Up for removal collection)."),
    ("servarr_library_review_bytes", "gauge", (),
     "Size of the titles that carry the review tag."),
    ("servarr_library_review_past_grace", "gauge", (),
     "Titles past their grace period, for a person to delete."),
    ("servarr_arr_queue_items", "gauge", (INSTANCE_LABEL,),
     "Items in the Radarr/Sonarr instance's queue."),
    ("servarr_library_items", "gauge", (INSTANCE_LABEL,),
     "Movies or series in the instance's library."),
    ("servarr_library_bytes", "gauge", (INSTANCE_LABEL,),
     "Size on disk of the instance's library."),
    ("servarr_library_candidates", "gauge", (INSTANCE_LABEL,),
     "Titles the library analysis proposes for review."),
    ("servarr_library_candidate_bytes", "gauge", (INSTANCE_LABEL,),
     "Size of the titles proposed for review."),
) + tuple(("servarr_%s_total" % name, "counter", ("seedbox",) if kind == "seedbox" else (), help_text)
          for name, _source, _figure, kind, help_text in COUNTERS))


class _Family:
    def __init__(self, name):
        self.name = name
        self.kind, self.labels, self.help = FAMILIES[name]
        self.samples = []

    def add(self, labels, value):
        if value is None:
            return
        if tuple(sorted(labels)) != tuple(sorted(self.labels)):
            raise ValueError("metrics: %s takes the labels %s, not %s" % (self.name, self.labels, sorted(labels)))
        self.samples.append((labels, value))

    def render(self):
        if not self.samples:
            return ""
        lines = ["# HELP %s %s" % (self.name, self.help), "# TYPE %s %s" % (self.name, self.kind)]
        for labels, value in sorted(self.samples, key=lambda s: sorted(s[0].items())):
            text = ",".join('%s="%s"' % (k, escape_label(v)) for k, v in sorted(labels.items()))
            lines.append("%s%s %s" % (self.name, "{%s}" % text if text else "", _number(value)))
        return "\n".join(lines) + "\n"


def prometheus_text(state):
    """The node_exporter textfile (Prometheus text format 0.0.4): base units (bytes, seconds), ``_total`` for
    counters, ``_timestamp_seconds`` for Unix times, only the families of FAMILIES, labels ``servarr_job``,
    ``seedbox``, ``state``, ``arr_instance``, ``outcome``."""
    fam = {}

    def family(name):
        if name not in fam:
            fam[name] = _Family(name)
        return fam[name]

    for job, data in sorted(state.get("jobs", {}).items()):
        labels = {JOB_LABEL: job}
        for name, key in (("servarr_job_last_run_timestamp_seconds", "last_run_timestamp_seconds"),
                          ("servarr_job_last_success_timestamp_seconds", "last_success_timestamp_seconds"),
                          ("servarr_job_last_failure_timestamp_seconds", "last_failure_timestamp_seconds"),
                          ("servarr_job_last_run_duration_seconds", "last_run_duration_seconds"),
                          ("servarr_job_last_run_success", "last_run_success")):
            family(name).add(labels, data.get(key))
        for outcome, count in sorted((data.get("runs") or {}).items()):
            family("servarr_job_runs_total").add({JOB_LABEL: job, "outcome": outcome}, count)
    for name, box in sorted(state.get("seedboxes", {}).items()):
        labels = {"seedbox": name}
        for metric, key in (("servarr_seedbox_used_bytes", "used_bytes"), ("servarr_seedbox_free_bytes", "free_bytes"),
                            ("servarr_seedbox_size_bytes", "size_bytes"), ("servarr_seedbox_used_ratio", "used_ratio"),
                            ("servarr_seedbox_last_update_timestamp_seconds", "updated_timestamp_seconds"),
                            ("servarr_purge_unfinished_intents", "unfinished_intents"),
                            ("servarr_seedbox_free_floor_bytes", "free_floor_bytes"),
                            ("servarr_seedbox_free_short_bytes", "free_short_bytes"),
                            ("servarr_seedbox_orphaned_bytes", "orphaned_bytes"),
                            ("servarr_seedbox_quarantine_bytes", "quarantine_bytes")):
            family(metric).add(labels, box.get(key))
        for torrent_state, count in sorted((box.get("torrents") or {}).items()):
            if torrent_state == "total":
                continue
            family("servarr_torrents").add({"seedbox": name, "state": torrent_state}, count)
    for name, inst in sorted(state.get("instances", {}).items()):
        labels = {INSTANCE_LABEL: name}
        for metric, key in (("servarr_arr_queue_items", "queue_items"), ("servarr_library_items", "library_items"),
                            ("servarr_library_bytes", "library_bytes"), ("servarr_library_candidates", "candidates"),
                            ("servarr_library_candidate_bytes", "candidate_bytes")):
            family(metric).add(labels, inst.get(key))
    backup = state.get("backup") or {}
    family("servarr_backup_last_success_timestamp_seconds").add({}, backup.get("last_timestamp_seconds"))
    family("servarr_backup_last_size_bytes").add({}, backup.get("last_size_bytes"))
    library = state.get("library") or {}
    for metric, key in (("servarr_library_review_items", "review_items"), ("servarr_library_review_bytes", "review_bytes"),
                        ("servarr_library_review_past_grace", "review_past_grace")):
        family(metric).add({}, library.get(key))
    for name, _source, _figure, kind, _help in COUNTERS:
        for label, value in sorted((state.get("counters", {}).get(name) or {}).items()):
            family("servarr_%s_total" % name).add({"seedbox": label} if kind == "seedbox" else {}, value)
    return "".join(f.render() for f in fam.values())


def atomic_write(path, text, mode=0o644):
    """Replace ``path`` by a temporary file in the same folder (fsync, chmod, rename)."""
    write_atomic(path, text, mode)


class MetricsLock:
    """A blocking flock on ``<state_dir>/.metrics.lock`` (held for milliseconds: load, merge, write)."""

    def __init__(self, state_dir, timeout=30.0):
        self.path = os.path.join(state_dir, LOCK_NAME)
        self.timeout = timeout
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a")
        deadline = time.time() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (IOError, OSError):
                if time.time() >= deadline:
                    self.handle.close()
                    raise StateError("metrics: another run held %s for %d s" % (self.path, self.timeout))
                time.sleep(0.02)

    def __exit__(self, *exc):
        self.handle.close()
        self.handle = None


def _ensure_folder(path, mode=0o700):
    """state_file.ensure_folder, safe when another job creates the folder at the same instant."""
    try:
        ensure_folder(path, mode=mode)
    except StateError:
        if not os.path.isdir(path):
            raise


def write(updates, state_dir, json_path=None, textfile_path=None):
    """Merge ``updates`` into the state and write the outputs; returns the list of files written. The state
    folder is created (0700) when its parent exists; the report's folder likewise (0755); the textfile's folder
    (node_exporter's) must exist. Raises StateError naming what is wrong."""
    updates = [u for u in updates if not u.get("check_mode")]
    if not updates:
        return []
    _ensure_folder(state_dir)
    written = []
    with MetricsLock(state_dir):
        state_path = os.path.join(state_dir, STATE_NAME)
        state = load(state_path, default=None) or new_state()
        for update in updates:
            state = merge(state, update)
        atomic_write(state_path, json.dumps(state, indent=2, sort_keys=True) + "\n", mode=0o600)
        written.append(state_path)
        if json_path:
            _ensure_folder(os.path.dirname(os.path.abspath(json_path)), mode=0o755)
            atomic_write(json_path, json.dumps(report(state), indent=2, sort_keys=True) + "\n")
            written.append(json_path)
        if textfile_path:
            folder = os.path.dirname(os.path.abspath(textfile_path))
            if not os.path.isdir(folder):
                raise StateError("metrics: the textfile folder %s does not exist (node_exporter's "
                                 "--collector.textfile.directory); the JSON report was written" % folder)
            atomic_write(textfile_path, prometheus_text(state))
            written.append(textfile_path)
    return written
