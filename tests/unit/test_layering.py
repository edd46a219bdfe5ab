# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The arrows point one way: a decision never imports a client or a run (so every decision is testable alone)."""
import os
import re

UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "plugins", "module_utils")


def test_no_decision_imports_a_client_or_a_run():
    found = []
    folder = os.path.join(UTILS, "decisions")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name)) as handle:
                for number, line in enumerate(handle, 1):
                    if re.search(r"module_utils(\.|\s+import\s+)(clients|runs)\b", line):
                        found.append("%s:%d: %s" % (name, number, line.strip()))
    assert found == []
