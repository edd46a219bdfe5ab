# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's "Using it" steps, as a newcomer runs them from a clean clone: build, install, then ansible-doc,
the role and the playbooks found by their full names (the form that works once installed from an artifact)."""
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

BIN = os.path.dirname(sys.executable)


def _run(cmd, env, cwd):
    proc = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, "%s:\n%s" % (" ".join(cmd), proc.stdout[-3000:])
    return proc.stdout


def test_readme_install_steps_from_a_clean_clone(tmp_path):
    if not os.path.isdir(os.path.join(REPO, ".git")):
        pytest.skip("not a git checkout")
    with open(os.path.join(REPO, "README.md")) as handle:
        readme = handle.read()
    block = readme.split("## Using it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert commands[0].startswith("ansible-galaxy collection build")
    assert re.match(r"ansible-galaxy collection install mediaops-servarr-[0-9.]+\.tar\.gz$", commands[1])
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", REPO, str(clone)], check=True)
    home = tmp_path / "home"
    env = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(home / "collections"),
               PATH=BIN + os.pathsep + os.environ["PATH"], ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)
    work = tmp_path / "work"
    work.mkdir()
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", str(clone)], env, str(work))
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        version = re.search(r"^version: *(\S+)", handle.read(), re.M).group(1)
    artifact = "mediaops-servarr-%s.tar.gz" % version
    assert commands[1].endswith(artifact), "the README installs %s; the build made %s" % (commands[1], artifact)
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", artifact], env, str(work))
    doc = _run([os.path.join(BIN, "ansible-doc"), "mediaops.servarr.lftp_mirror"], env, str(work))
    assert "staging_dir" in doc
    role = _run([os.path.join(BIN, "ansible-doc"), "-t", "role", "mediaops.servarr.servarr"], env, str(work))
    assert "servarr_dry_run" in role
    (work / "inventory.yml").write_text("all:\n  children:\n    servarr:\n      hosts:\n        lxc:\n")
    for playbook in ("mediaops.servarr.site", "mediaops.servarr.install_lxc", "mediaops.servarr.library_analysis"):
        _run([os.path.join(BIN, "ansible-playbook"), "-i", "inventory.yml", "--syntax-check", playbook], env,
             str(work))
