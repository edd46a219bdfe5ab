# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 20: the automation's own state folder backed up (mediaops.servarr.state_backup) and put back onto a fresh
install (state_backup state=restored, the role's servarr_restore_from), through ansible-playbook."""
import glob
import io
import json
import os
import stat
import tarfile
import zipfile

import pytest

import lab as lab_mod
from conftest import run_with_vars

RESTORE = """---
- name: Restore
  hosts: servarr
  gather_facts: false
  tasks:
    - name: Put the state back
      mediaops.servarr.state_backup:
        state: restored
        state_dir: "{{ restore_dir }}"
        backup_dir: "{{ servarr_backup_dir }}"
        archive: "{{ restore_archive | default('latest') }}"
        force: "{{ restore_force | default(false) }}"
"""


def make_state(root):
    """A state folder as the role lays it out, with each job's own files."""
    files = {
        "jobs/sync/lftp_mirror.json": ('{"done": ["a", "b"]}\n', 0o600),
        "jobs/purge/purge-journal.jsonl": ('{"intent": 1}\n{"intent": 2}\n', 0o600),
        "jobs/purge/arr-history-radarr.json": ('{"checkpoint": "2026-11-25T10:00:00Z"}\n', 0o640),
        "jobs/jellyfin/jellyfin.checkpoint.json": ('{"last": 12}\n', 0o600),
        "jobs/reduce/arr_tag-journal/arr_tag-20261125T101500000000Z.json": ('{"version": 1}\n', 0o600),
        "metrics/metrics.state.json": ('{"counters": {}}\n', 0o640),
    }
    for rel, (text, mode) in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        os.chmod(path, mode)
    # not state: the run locks, a temporary file of a killed write, a symlink out of the folder
    for rel in ("jobs/sync/job.lock", "jobs/purge/job.lock", "metrics/.metrics.lock",
                "jobs/sync/.lftp_mirror.json.k3j4h5g6"):
        with open(os.path.join(root, rel), "w") as handle:
            handle.write("")
    os.symlink("/etc/passwd", os.path.join(root, "jobs/sync/evil"))
    os.makedirs(os.path.join(root, "jobs/cleanup"))   # an empty job folder is kept as a folder
    return files


def snapshot(root):
    """{relative path: (bytes, mode)} of the regular files that are state (what a restore must give back)."""
    found = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path) or name.endswith(".lock") or name == ".restored.json" or rel.endswith("k3j4h5g6"):
                continue
            with open(path, "rb") as handle:
                found[rel] = (handle.read(), stat.S_IMODE(os.lstat(path).st_mode))
    return found


@pytest.fixture
def setup(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    make_state(str(state))
    backups = tmp_path / "media" / "backups"
    (tmp_path / "media").mkdir()
    with open(tmp_path / "restore.yml", "w") as handle:
        handle.write(RESTORE)
    return {"dir": str(tmp_path), "state": str(state), "backups": str(backups)}


def host_vars(setup, **extra):
    found = {"servarr_state_dir": setup["state"], "servarr_backup_dir": setup["backups"]}
    found.update(extra)
    return found


def backup(setup, check=False, diff=False, **kw):
    return run_with_vars(setup["dir"], "playbooks/state_backup.yml", host_vars(setup, **kw), check=check, diff=diff)


def restore(setup, target, check=False, diff=False, **kw):
    return run_with_vars(setup["dir"], os.path.join(setup["dir"], "restore.yml"),
                         host_vars(setup, restore_dir=target, **kw), check=check, diff=diff)


def archives(setup):
    return sorted(glob.glob(os.path.join(setup["backups"], "servarr-state-*.tar.gz")))


def test_backup_then_restore_into_a_fresh_folder_gives_identical_files(setup):
    res = backup(setup)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Back up the state folder")
    [archive] = archives(setup)
    assert task["archive"] == archive and task["changed"] is True
    assert task["size"] == os.path.getsize(archive) and task["files"] == 6 and isinstance(task["time"], float)
    assert stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert {"path": "jobs/sync/evil", "reason": "not a regular file"} in task["left_out"]
    assert os.listdir(setup["backups"]) == [os.path.basename(archive)]   # no temporary file left
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert names[-1] == "MANIFEST.json"
    assert not any(n.endswith(".lock") or "evil" in n or "k3j4h5g6" in n for n in names)

    fresh = os.path.join(setup["dir"], "rebuilt", "state")
    os.makedirs(os.path.dirname(fresh))
    dry = restore(setup, fresh, check=True, diff=True)
    assert dry.rc == 0, dry.stdout[-3000:]
    assert dry.task("Put the state back")["changed"] is True and not os.path.exists(fresh)
    res = restore(setup, fresh)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Put the state back")
    assert task["changed"] is True and len(task["created"]) == 6
    assert snapshot(fresh) == snapshot(setup["state"])
    assert os.path.isdir(os.path.join(fresh, "jobs/cleanup"))
    assert not os.path.exists(os.path.join(fresh, "jobs/sync/evil"))
    # the same archive again: nothing to do
    again = restore(setup, fresh)
    assert again.rc == 0 and again.task("Put the state back")["changed"] is False
    assert again.task("Put the state back")["already_restored"] is True


def test_retention_keeps_exactly_keep(setup):
    for dummy in range(4):
        res = backup(setup, servarr_backup_keep=2)
        assert res.rc == 0, res.stdout[-3000:]
    names = archives(setup)
    assert len(names) == 2
    task = res.task("Back up the state folder")
    assert task["archive"] == names[-1] and len(task["removed"]) == 1
    assert os.path.basename(task["removed"][0]) < os.path.basename(names[0])


def test_check_mode_writes_nothing(setup):
    before = snapshot(setup["state"])
    res = backup(setup, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Back up the state folder")
    assert task["changed"] is True and task["size"] is None and task["files"] == 6
    assert not os.path.exists(setup["backups"])
    assert snapshot(setup["state"]) == before
    assert backup(setup).rc == 0
    res = backup(setup, check=True, servarr_backup_keep=1)
    assert res.task("Back up the state folder")["removed"] == [os.path.basename(archives(setup)[0])]
    assert len(archives(setup)) == 1


def test_restore_into_a_state_folder_with_state_is_refused_unless_forced(setup):
    assert backup(setup).rc == 0
    target = os.path.join(setup["dir"], "other")
    os.makedirs(os.path.join(target, "jobs", "sync"))
    open(os.path.join(target, "jobs", "sync", "job.lock"), "w").close()   # locks alone do not count
    res = restore(setup, target)
    assert res.rc == 0, res.stdout[-3000:]
    # a state folder with a file of its own
    target = os.path.join(setup["dir"], "busy")
    os.makedirs(os.path.join(target, "jobs", "sync"))
    with open(os.path.join(target, "jobs", "sync", "lftp_mirror.json"), "w") as handle:
        handle.write('{"done": ["newer"]}\n')
    res = restore(setup, target)
    task = res.task("Put the state back")
    assert res.rc != 0 and "already holds state (jobs/sync/lftp_mirror.json)" in task["msg"]
    with open(os.path.join(target, "jobs", "sync", "lftp_mirror.json")) as handle:
        assert handle.read() == '{"done": ["newer"]}\n'
    res = restore(setup, target, restore_force=True)
    task = res.task("Put the state back")
    assert res.rc == 0 and task["replaced"] == ["jobs/sync/lftp_mirror.json"]
    assert snapshot(target) == snapshot(setup["state"])


def test_a_damaged_archive_is_refused_before_anything_is_written(setup):
    assert backup(setup).rc == 0
    [archive] = archives(setup)
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            if member.name == "state/jobs/sync/lftp_mirror.json":
                data = b'{"done": []}\n'
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    target = os.path.join(setup["dir"], "fresh")
    res = restore(setup, target)
    assert res.rc != 0 and "does not match the manifest" in res.task("Put the state back")["msg"]
    assert not os.path.exists(target) or snapshot(target) == {}


KEY = "k" * 32


@pytest.fixture
def radarr(setup):
    with open(os.path.join(setup["dir"], "radarr.json"), "w") as handle:
        json.dump({"kind": "radarr", "api_key": KEY, "version": "5.14.0.9383", "movies": [], "tags": [],
                   "history": [], "queue": []}, handle)
    port = lab_mod.free_port()
    lab_mod.start_double(setup["dir"], "radarr", port)
    yield [{"name": "radarr", "type": "radarr", "url": "http://127.0.0.1:%d" % port, "api_key": KEY}]
    lab_mod._kill_pidfile(os.path.join(setup["dir"], "radarr.pid"))


def test_app_backups_without_the_api_key(setup, radarr):
    import urllib.request
    req = urllib.request.Request(radarr[0]["url"] + "/api/v3/command", data=b'{"name": "Backup"}', method="POST",
                                 headers={"X-Api-Key": KEY, "Content-Type": "application/json"})
    urllib.request.urlopen(req).read()
    import time
    time.sleep(0.5)
    res = backup(setup, servarr_backup_app_backups=True, servarr_arr_instances=radarr)
    task = res.task("Back up the state folder")
    assert res.rc != 0 and "signed-in user" in task["msg"] and archives(setup) == []
    path = os.path.join(setup["dir"], "radarr.json")
    with open(path) as handle:
        data = json.load(handle)
    data["authentication_required"] = "disabledForLocalAddresses"
    with open(path, "w") as handle:
        json.dump(data, handle)
    res = backup(setup, servarr_backup_app_backups=True, servarr_arr_instances=radarr)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task("Back up the state folder")
    assert task["apps"]["radarr"]["api_key_removed"] is True
    [archive] = archives(setup)
    with tarfile.open(archive) as tar:
        member = [n for n in tar.getnames() if n.startswith("apps/radarr/")]
        assert member == ["apps/radarr/" + task["apps"]["radarr"]["name"]]
        blob = tar.extractfile(member[0]).read()
    with zipfile.ZipFile(io.BytesIO(blob)) as app_zip:
        config = app_zip.read("config.xml").decode()
        assert sorted(app_zip.namelist()) == ["INFO", "config.xml", "radarr.db"]
    assert KEY not in config and "<ApiKey>" not in config and "<Port>7878</Port>" in config
