# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The execution-environment files: ansible-builder reads the collection's meta/execution-environment.yml
(requirements.txt, bindep.txt) from an installed copy, and `ansible-builder create` makes a build context for an
EE with the collection in it."""
import os
import subprocess
import sys

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def run(cmd, **kw):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False, **kw)
    assert proc.returncode == 0, "%s\n%s\n%s" % (cmd, proc.stdout[-3000:], proc.stderr[-3000:])
    return proc


def build(tmp_path):
    env = dict(os.environ, ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), REPO], env=env)
    artifact = [p for p in os.listdir(str(tmp_path)) if p.startswith("mediaops-servarr-") and p.endswith(".tar.gz")]
    assert len(artifact) == 1
    return str(tmp_path / artifact[0]), env


def test_introspect_reads_the_collection_requirements(tmp_path):
    artifact, env = build(tmp_path)
    collections = tmp_path / "collections"
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", str(collections), artifact],
        env=env)
    proc = run([os.path.join(BIN, "ansible-builder"), "introspect", str(collections)])
    data = yaml.safe_load(proc.stdout)
    python = "\n".join(data["python"])
    system = "\n".join(data["system"])
    assert "paramiko>=2.12" in python and "mediaops.servarr" in python
    assert "lftp [platform:dpkg platform:rpm]" in system and "openssh-client [platform:dpkg]" in system


def test_ansible_builder_create_makes_a_build_context(tmp_path):
    artifact, dummy = build(tmp_path)
    definition = tmp_path / "execution-environment.yml"
    with open(str(definition), "w") as handle:
        yaml.safe_dump({
            "version": 3,
            "images": {"base_image": {"name": "quay.io/centos/centos:stream9"}},
            "dependencies": {
                "ansible_core": {"package_pip": "ansible-core>=2.16"},
                "ansible_runner": {"package_pip": "ansible-runner"},
                "galaxy": {"collections": [{"name": artifact, "type": "file"}]},
                "python": os.path.join(REPO, "requirements.txt"),
                "system": os.path.join(REPO, "bindep.txt"),
            },
        }, handle)
    context = tmp_path / "context"
    run([os.path.join(BIN, "ansible-builder"), "create", "-f", str(definition), "-c", str(context)])
    # Containerfile for podman, Dockerfile where ansible-builder picks docker
    assert (context / "Containerfile").is_file() or (context / "Dockerfile").is_file()
    build_dir = context / "_build"
    assert "paramiko>=2.12" in (build_dir / "requirements.txt").read_text()
    assert "lftp" in (build_dir / "bindep.txt").read_text()
    assert artifact in (build_dir / "requirements.yml").read_text()
