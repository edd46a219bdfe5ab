# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: metrics
type: aggregate
author:
  - mediaops.servarr maintainers (@mediaops)
short_description: Each job's outcome and figures as a JSON report and a Prometheus node_exporter textfile
version_added: 0.3.0
description:
  - After each C(ansible-playbook) run, writes every job's outcome, duration and figures (from the modules' results,
    seedbox use and torrents by state from M(mediaops.servarr.seedbox_info), bytes fetched, torrents removed and
    bytes freed, extras removed, Radarr/Sonarr queue sizes, ...) as JSON (O(json_path)) and as a Prometheus
    textfile for node_exporter's textfile collector (O(textfile_path)).
  - The job is O(job) when set, else the play variable C(servarr_job) (each playbook of this collection sets it),
    else the playbook's file name. For C(site.yml), each play's job is written.
  - One job's write never erases another job's figures; the state, with the counters (C(..._total)), is kept in
    O(state_dir) (C(metrics.state.json)), so counters survive restarts. The files are written under an C(flock) on
    C(<state_dir>/.metrics.lock) and each is replaced by a rename, so two jobs finishing at once both land and a
    reader never sees half a file.
  - A check-mode run (C(--check)) writes nothing.
  - The files are written on the machine that runs C(ansible-playbook) (the LXC, for the scheduled jobs).
  - A failure to write is a warning, never a failure of the run.
  - Where neither C(ansible.cfg) nor the environment sets an option, the inventory variables C(servarr_state_dir),
    C(servarr_metrics_json_path) and C(servarr_metrics_textfile_path) of the play's first host are used.
  - 'Metrics (labels) are C(servarr_job_last_run_timestamp_seconds), C(servarr_job_last_success_timestamp_seconds),
    C(servarr_job_last_failure_timestamp_seconds), C(servarr_job_last_run_duration_seconds),
    C(servarr_job_last_run_success) (C(servarr_job)); C(servarr_job_runs_total) (C(servarr_job), C(outcome));
    C(servarr_seedbox_used_bytes), C(servarr_seedbox_free_bytes), C(servarr_seedbox_size_bytes),
    C(servarr_seedbox_used_ratio), C(servarr_seedbox_last_update_timestamp_seconds),
    C(servarr_purge_unfinished_intents) (C(seedbox)); C(servarr_torrents) (C(seedbox), C(state));
    C(servarr_sync_fetched_bytes_total), C(servarr_sync_fetched_items_total), C(servarr_purge_freed_bytes_total),
    C(servarr_purge_removed_torrents_total) (C(seedbox)); C(servarr_extras_removed_bytes_total),
    C(servarr_extras_removed_files_total), C(servarr_jellyfin_folders_sent_total); C(servarr_arr_queue_items),
    C(servarr_library_items), C(servarr_library_bytes), C(servarr_library_candidates),
    C(servarr_library_candidate_bytes) (C(arr_instance)); C(servarr_seedbox_free_floor_bytes),
    C(servarr_seedbox_free_short_bytes), C(servarr_purge_removed_for_free_space_total) (C(seedbox), the free-space
    floor of the purge); C(servarr_seedbox_orphaned_bytes), C(servarr_seedbox_quarantine_bytes),
    C(servarr_orphans_moved_bytes_total), C(servarr_orphans_expired_bytes_total) (C(seedbox), the orphan sweep);
    C(servarr_backup_last_success_timestamp_seconds), C(servarr_backup_last_size_bytes) (the state backup);
    C(servarr_library_review_items), C(servarr_library_review_bytes), C(servarr_library_review_past_grace)
    (what carries the review tag).'
  - The labels are never C(job) or C(instance), because Prometheus sets those on every scraped series (the scrape job and
    node_exporter's address), and would store the textfile's own as C(exported_job) and C(exported_instance).
    Development versions of 0.3.0 wrote C(job) and C(instance); a state file from then is read as it is and its
    counters go on under the new labels.
  - Alerting rules and a Grafana dashboard for these metrics ship in the collection's C(files/prometheus/)
    folder.
requirements:
  - Enable it with C(callbacks_enabled = mediaops.servarr.metrics) in C(ansible.cfg) (or E(ANSIBLE_CALLBACKS_ENABLED)).
options:
  json_path:
    description:
      - The JSON report. Its folder is created when its parent exists.
    type: path
    default: /var/lib/servarr/reports/metrics.json
    env:
      - name: SERVARR_METRICS_JSON
    ini:
      - section: callback_metrics
        key: json_path
  textfile_path:
    description:
      - The Prometheus textfile, in the folder node_exporter's C(--collector.textfile.directory) reads. That folder
        must exist. An empty value writes no textfile.
    type: path
    default: /var/lib/node_exporter/textfile_collector/servarr.prom
    env:
      - name: SERVARR_METRICS_TEXTFILE
    ini:
      - section: callback_metrics
        key: textfile_path
  state_dir:
    description:
      - The folder of the merged state and the counters (C(metrics.state.json)) and of the lock. Created (0700) when
        its parent exists.
    type: path
    default: /var/lib/servarr
    env:
      - name: SERVARR_STATE_DIR
    ini:
      - section: callback_metrics
        key: state_dir
  job:
    description:
      - The job's name. Default the play variable C(servarr_job), else the playbook file's name without C(.yml).
    type: str
    env:
      - name: SERVARR_JOB
    ini:
      - section: callback_metrics
        key: job
"""

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import metrics
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.run_summary import job_name
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError
from ansible_collections.mediaops.servarr.plugins.plugin_utils.run_recording import RecordingCallback
from ansible_collections.mediaops.servarr.plugins.plugin_utils.callback_vars import explicit_option, play_host_vars

# inventory variables that stand in for options that ansible.cfg and the environment leave at their default
VARIABLES = {"state_dir": "servarr_state_dir", "json_path": "servarr_metrics_json_path",
             "textfile_path": "servarr_metrics_textfile_path"}


class CallbackModule(RecordingCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "mediaops.servarr.metrics"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self.var_options = None

    def option(self, name):
        if explicit_option(self, name) or name not in (self.var_options or {}):
            return self.get_option(name)
        return self.var_options[name]

    def v2_playbook_on_play_start(self, play):
        self.note_play_check_mode(play)
        if self.var_options is None:
            self.var_options = {}
            variables, templar = play_host_vars(play)
            for option, name in VARIABLES.items():
                if variables is not None and name in variables:
                    try:
                        self.var_options[option] = templar.template(variables[name])
                    except Exception as exc:
                        self._display.warning("metrics: cannot read the variable %s: %s" % (name, type(exc).__name__))
        self.recorder.start_play(job_name(play.get_vars(), self.get_option("job"), self.playbook_name))

    def v2_playbook_on_stats(self, stats):
        self.finish(stats)
        if self.check_mode:
            return
        updates = [metrics.job_update(job["job"], job["started"], job["ended"], job["failed"], job["records"],
                                      job["hosts"]) for job in self.recorder.jobs()]
        try:
            metrics.write(updates, self.option("state_dir"), self.option("json_path") or None,
                          self.option("textfile_path") or None)
        except (StateError, OSError, ValueError) as exc:
            self._display.warning("metrics: not written: %s" % exc)
