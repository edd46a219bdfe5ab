# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Test helper: write every task result of a play run to $RESULT_CAPTURE_FILE as JSON.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: result_capture
type: notification
short_description: Write task results to a JSON file (tests only)
description:
  - Test helper of mediaops.servarr; writes results to the file named by E(RESULT_CAPTURE_FILE).
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "result_capture"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []

    def _record(self, result, status):
        self.tasks.append({"task": {"name": result._task.get_name()}, "status": status,
                           "hosts": {result._host.get_name(): self._convert(result._result)}})

    @staticmethod
    def _convert(value):
        return json.loads(json.dumps(value, default=str))

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_playbook_on_stats(self, stats):
        with open(os.environ["RESULT_CAPTURE_FILE"], "w") as handle:
            json.dump({"plays": [{"tasks": self.tasks}]}, handle)
