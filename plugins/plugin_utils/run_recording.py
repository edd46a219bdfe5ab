# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ntfy and metrics callbacks share: they follow a run the same way (playbook name, check mode, one
job per play, every task result recorded) and differ only in what they do with it at the end."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.run_summary import RunRecorder, task_label


class RecordingCallback(CallbackBase):
    """Records every task result of the run in ``self.recorder``; subclasses start each play's job with
    ``self.recorder.start_play`` and report in ``v2_playbook_on_stats`` after ``self.finish(stats)``."""

    def __init__(self, display=None):
        super(RecordingCallback, self).__init__(display=display)
        self.recorder = RunRecorder(time.time)
        self.playbook_name = None
        self.check_mode = False

    def v2_playbook_on_start(self, playbook):
        name = os.path.basename(getattr(playbook, "_file_name", "") or "")
        self.playbook_name = re.sub(r"\.ya?ml$", "", name)
        self.check_mode = bool(context.CLIARGS.get("check", False))

    def note_play_check_mode(self, play):
        if getattr(play, "check_mode", None) is True:
            self.check_mode = True

    def _add(self, result, **kwargs):
        task = result._task
        action = getattr(task, "resolved_action", None) or task.action
        self.recorder.add_result(action, result._host.get_name(), result._result, task.get_name(),
                                 label=task_label(task), **kwargs)

    def v2_runner_on_ok(self, result):
        self._add(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._add(result, failed=not ignore_errors)

    def v2_runner_on_unreachable(self, result):
        self._add(result, unreachable=True)

    def finish(self, stats):
        """Close the run's jobs: a host with failures or unreachable marks its job failed."""
        failed_hosts = [host for host in stats.processed
                        if stats.summarize(host).get("failures") or stats.summarize(host).get("unreachable")]
        self.recorder.finish(failed_hosts)
