# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every servarr_* variable a playbook reads is documented in one place: the role's argument spec (the role's
own options) or docs/docsite/rst/variables.rst (the jobs' settings)."""
import os
import sys
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOKS = os.path.join(REPO, "playbooks")
NAME = re.compile(r"\bservarr_[a-z0-9_]*[a-z0-9]\b")


def _playbook_texts():
    for folder, _dirs, files in os.walk(PLAYBOOKS):
        for name in sorted(files):
            if name.endswith((".yml", ".yaml")):
                with open(os.path.join(folder, name)) as handle:
                    yield os.path.relpath(os.path.join(folder, name), REPO), handle.read()


def _set_by_playbooks():
    """Names the playbooks set themselves (register, loop_var, vars, set_fact): results, not settings."""
    names = set()
    for _path, text in _playbook_texts():
        names.update(re.findall(r"(?:register|loop_var):\s*(servarr_[a-z0-9_]+)", text))
        for doc in yaml.safe_load_all(text):
            for node in _walk(doc):
                if isinstance(node, dict):
                    for key in ("vars", "set_fact", "ansible.builtin.set_fact"):
                        if isinstance(node.get(key), dict):
                            names.update(k for k in node[key] if k.startswith("servarr_"))
    return names


def _walk(node):
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _read_by_playbooks():
    read = {}
    for path, text in _playbook_texts():
        for line in text.splitlines():
            code = line.split(" #", 1)[0] if not line.lstrip().startswith("#") else ""
            for name in NAME.findall(code):
                read.setdefault(name, path)
    return read


def _documented():
    with open(os.path.join(REPO, "docs", "docsite", "rst", "variables.rst")) as handle:
        names = set(re.findall(r"``(servarr_[a-z0-9_]+)``", handle.read()))
    with open(os.path.join(REPO, "roles", "servarr", "meta", "argument_specs.yml")) as handle:
        names.update(yaml.safe_load(handle)["argument_specs"]["main"]["options"])
    return names


def test_every_variable_a_playbook_reads_is_documented():
    read = _read_by_playbooks()
    assert len(read) > 40, "the scan found too few names: %s" % sorted(read)
    missing = sorted("%s (read in %s)" % (name, path) for name, path in read.items()
                     if name not in _documented() and name not in _set_by_playbooks())
    assert missing == [], "document these in docs/docsite/rst/variables.rst: %s" % ", ".join(missing)


def test_the_scan_sees_a_name_that_is_not_documented(tmp_path, monkeypatch):
    extra = tmp_path / "playbooks"
    extra.mkdir()
    (extra / "x.yml").write_text("- hosts: all\n  tasks:\n    - debug: {msg: \"{{ servarr_not_a_real_setting }}\"}\n")
    monkeypatch.setattr(sys.modules[__name__], "PLAYBOOKS", str(extra))
    assert "servarr_not_a_real_setting" in _read_by_playbooks()
    assert "servarr_not_a_real_setting" not in _documented()
