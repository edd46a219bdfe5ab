# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The servarr role documents every variable: its argument spec names exactly the variables of its defaults,
and `ansible-doc -t role` renders them."""
import os
import subprocess
import sys

import yaml

from conftest import COLLECTIONS, REPO

ROLE = os.path.join(REPO, "roles", "servarr")


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def test_argument_spec_covers_every_default():
    options = load("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load("defaults", "main.yml")
    assert sorted(options) == sorted(defaults)
    for name, spec in options.items():
        assert spec.get("description"), name
        assert spec.get("type"), name


def test_ansible_doc_renders_the_role(tmp_path):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOME=str(tmp_path), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role",
                           "mediaops.servarr.servarr"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in load("defaults", "main.yml"):
        assert name in proc.stdout, name
