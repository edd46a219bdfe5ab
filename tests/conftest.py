# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures: the collection on sys.path, the lab of real services, and a playbook runner."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
SPECS = os.path.join(TESTS, "specs")  # the official Radarr/Sonarr OpenAPI documents (tests/specs/README.md)
sys.path.insert(0, os.path.join(TESTS, "lab"))

# The modules import ansible_collections.mediaops.servarr.*: point such a tree at this checkout.
# One tree per checkout, so that runs from two checkouts at once do not point each other's link elsewhere.
COLLECTIONS = os.path.join(tempfile.gettempdir(), "mediaops-servarr-%d-%s" % (
    os.getuid(), hashlib.sha1(REPO.encode("utf-8")).hexdigest()[:10]), "collections")
_link = os.path.join(COLLECTIONS, "ansible_collections", "mediaops", "servarr")
if os.path.realpath(_link) != REPO:
    os.makedirs(os.path.dirname(_link), exist_ok=True)
    if os.path.islink(_link):
        os.unlink(_link)
    os.symlink(REPO, _link)
sys.path.insert(0, COLLECTIONS)

import lab as lab_mod  # noqa: E402

# The HTTP clients honour https_proxy/http_proxy as the standard library does; the lab is on this host, so a
# proxy a machine sets for the internet must not carry the tests' requests to it.
for _name in ("no_proxy", "NO_PROXY"):
    os.environ[_name] = ",".join(x for x in (os.environ.get(_name), "localhost", "127.0.0.1") if x)


@pytest.fixture
def lab(tmp_path):
    """A fresh lab for one test (1-2 s): tests remove torrents, so they do not share one."""
    info = lab_mod.start(str(tmp_path / "lab"))
    try:
        yield info
    finally:
        lab_mod.stop(info["dir"])


class PlaybookResult:
    def __init__(self, proc, data):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.data = data

    def task(self, name):
        for play in self.data.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"] == name:
                    return task["hosts"]["lab"]
        raise KeyError(name)


def run_playbook(lab, playbook, check=False, diff=False, extra_args=(), env=None, **overrides):
    """Run a playbook against the lab with ansible-playbook (a real Ansible run, module in a subprocess)."""
    host_vars = lab_mod.inventory(lab, python=sys.executable, **overrides)["all"]["children"]["servarr"]["hosts"]["lab"]
    return run_with_vars(lab["dir"], playbook, host_vars, check=check, diff=diff, extra_args=extra_args, env=env)


def run_with_vars(workdir, playbook, host_vars, check=False, diff=False, extra_args=(), env=None):
    """Run a playbook on this host (host ``lab`` in group ``servarr``) with the given host variables. ``env``:
    more environment (it may add callbacks: ANSIBLE_CALLBACKS_ENABLED is joined, result_capture stays)."""
    more_env = dict(env or {})
    host_vars = dict({"ansible_connection": "local", "ansible_python_interpreter": sys.executable}, **host_vars)
    inv_path = os.path.join(workdir, "inventory.yml")
    with open(inv_path, "w") as handle:
        json.dump({"all": {"children": {"servarr": {"hosts": {"lab": host_vars}}}}}, handle)
    capture = os.path.join(workdir, "results.json")
    if os.path.exists(capture):
        os.unlink(capture)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, RESULT_CAPTURE_FILE=capture,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(TESTS, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="result_capture",
               ANSIBLE_HOME=os.path.join(workdir, "ansible-home"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOG_PATH=os.path.join(workdir, "ansible.log"), ANSIBLE_RETRY_FILES_ENABLED="0")
    for key, value in more_env.items():
        env[key] = value if key != "ANSIBLE_CALLBACKS_ENABLED" else "result_capture," + value
    if not os.path.isabs(playbook):
        playbook = os.path.join(REPO, playbook)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inv_path, playbook]
    cmd += (["--check"] if check else []) + (["--diff"] if diff else []) + list(extra_args)
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600, check=False)
    if not os.path.exists(capture):
        raise AssertionError("ansible-playbook did not run: %s\n%s" % (proc.stdout[-2000:], proc.stderr[-2000:]))
    with open(capture) as handle:
        return PlaybookResult(proc, json.load(handle))


def rtorrent(lab):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    return RTorrentClient(lab["scgi_url"])
