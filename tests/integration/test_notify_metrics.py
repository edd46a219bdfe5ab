# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ntfy and metrics callback plugins in real ansible-playbook runs against the lab (rTorrent behind HTTPS +
Digest, sshd, the Radarr/Sonarr doubles) and the ntfy double (ntfy's publish API)."""
import json
import os
import shutil
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import COLLECTIONS, REPO, run_playbook, run_with_vars
from ntfy_double import NtfyDouble

TOKEN = "tk_3z8Qp1vXcR7mWn2bLk5sYt9aHd4"
PURGE = "Remove imported torrents that met the seeding policy, with their data"
SYNC = "Mirror completed downloads through a staging folder"
CALLBACKS = "mediaops.servarr.ntfy,mediaops.servarr.metrics"


@pytest.fixture
def ntfy():
    d = NtfyDouble(tokens={TOKEN: "servarr"}, write_access={"servarr": ["servarr-alerts"]}).start()
    yield d
    d.stop()


def metrics_env(tmp_path, **more):
    env = {"ANSIBLE_CALLBACKS_ENABLED": CALLBACKS,
           "SERVARR_STATE_DIR": str(tmp_path / "state"),
           "SERVARR_METRICS_JSON": str(tmp_path / "state" / "reports" / "metrics.json"),
           "SERVARR_METRICS_TEXTFILE": str(tmp_path / "textfile" / "servarr.prom")}
    os.makedirs(str(tmp_path / "textfile"), exist_ok=True)
    env.update(more)
    return env


def samples(path):
    """{(name, frozenset(labels)): value} from the textfile, parsed by Prometheus' own text-format parser; and
    the textfile passes promtool check metrics (when promtool is there; SERVARR_REQUIRE_PROMTOOL: it must be)."""
    out = {}
    with open(path) as handle:
        text = handle.read()
    tool = shutil.which("promtool")
    assert tool or not os.environ.get("SERVARR_REQUIRE_PROMTOOL"), "promtool is missing (Debian's prometheus)"
    if tool:
        check = subprocess.run([tool, "check", "metrics"], input=text, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, universal_newlines=True, timeout=60, check=False)
        assert (check.returncode, check.stdout) == (0, ""), check.stdout
    with open(path) as handle:
        for family in text_string_to_metric_families(handle.read()):
            for s in family.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def everything_written(lab, tmp_path, res, ntfy):
    """Every text a secret could leak into: output, Ansible's log, the metrics files, what ntfy received."""
    texts = [res.stdout, res.stderr, json.dumps([(m.get("title"), m["message"]) for m in ntfy.messages])]
    texts.append(json.dumps([r["body"].decode("utf-8", "replace") for r in ntfy.requests]))
    for path in (os.path.join(lab["dir"], "ansible.log"),):
        if os.path.exists(path):
            texts.append(open(path).read())
    for folder, _dirs, files in os.walk(str(tmp_path / "state")):
        # binary files too (the purge keeps each removed torrent's .torrent there): a secret must be in none
        texts.extend(open(os.path.join(folder, f), "rb").read().decode("utf-8", "replace") for f in files)
    prom = tmp_path / "textfile" / "servarr.prom"
    if prom.exists():
        texts.append(prom.read_text())
    return "\n".join(texts)


def test_failure_names_task_message_and_what_was_done_before(lab, ntfy, tmp_path):
    """Two seedboxes: alpha purges, beta has a wrong rTorrent password. One message, high priority, naming the
    failed task, the error, and what alpha had done; metrics carry the seedbox label; no secret anywhere."""
    bad_password = "beta-Wr0ng-Passw0rd"
    env = metrics_env(tmp_path)
    del env["SERVARR_STATE_DIR"]  # from the inventory instead: servarr_state_dir
    res = run_playbook(lab, "playbooks/seedbox_purge.yml", env=env, extra_args=["-vvv"], servarr_state_dir=str(tmp_path / "state"),
                       servarr_seedboxes=[{"name": "alpha"}, {"name": "beta", "rtorrent_password": bad_password}],
                       servarr_ntfy_url=ntfy.topic_url("servarr-alerts"), servarr_ntfy_token=TOKEN)
    assert res.rc != 0
    removed = [t for t in res.data["plays"][0]["tasks"] if t["task"]["name"] == PURGE and t["status"] == "ok"]
    assert len(removed) == 1  # alpha ran, beta failed
    alpha = removed[0]["hosts"]["lab"]
    assert alpha["removed"] and alpha["bytes_freed"] > 0

    assert len(ntfy.messages) == 1, ntfy.requests
    msg = ntfy.messages[0]
    assert msg["title"] == "servarr purge FAILED on lab"
    assert msg["priority"] == 4 and msg["tags"] == ["servarr", "warning"] and msg["user"] == "servarr"
    body = msg["message"]
    assert 'Task "%s" failed on lab: beta: rTorrent' % PURGE in body
    assert "wrong username or password" in body
    assert "Before that it had alpha: removed %d torrents" % len(alpha["removed"]) in body
    assert "seedbox purge failed for: beta" in body
    assert "dry run" not in body.lower()
    assert "ntfy: failure alert sent" in res.stdout

    prom = samples(str(tmp_path / "textfile" / "servarr.prom"))
    assert prom[("servarr_purge_freed_bytes_total", frozenset({("seedbox", "alpha")}))] == alpha["bytes_freed"]
    assert prom[("servarr_purge_removed_torrents_total", frozenset({("seedbox", "alpha")}))] == len(alpha["removed"])
    assert prom[("servarr_job_last_run_success", frozenset({("servarr_job", "purge")}))] == 0
    assert ("servarr_seedbox_used_bytes", frozenset({("seedbox", "alpha")})) in prom
    assert not [k for k in prom if ("seedbox", "beta") in k[1]]
    assert prom[("servarr_torrents", frozenset({("seedbox", "alpha"), ("state", "seeding")}))] >= 1
    assert ("servarr_arr_queue_items", frozenset({("arr_instance", "radarr")})) in prom
    assert prom[("servarr_purge_unfinished_intents", frozenset({("seedbox", "alpha")}))] == 0
    report = json.load(open(str(tmp_path / "state" / "reports" / "metrics.json")))
    assert report["jobs"]["purge"]["last_outcome"] == "failure"
    assert (tmp_path / "state" / "metrics.state.json").exists()  # servarr_state_dir from the inventory
    assert report["seedboxes"]["alpha"]["used_bytes"] == prom[("servarr_seedbox_used_bytes",
                                                               frozenset({("seedbox", "alpha")}))]

    written = everything_written(lab, tmp_path, res, ntfy)
    for secret in (TOKEN, bad_password, lab["rtorrent_password"], lab["radarr"]["api_key"], lab["sonarr"]["api_key"]):
        assert secret not in written


def test_dry_run_then_real_run_then_idle(lab, ntfy, tmp_path):
    """Check mode: a summary marked as a dry run, no metrics file at all. Real run: the summary of what was fetched
    and the counters. Second real run: nothing done, so no message; the counters survive."""
    token_file = tmp_path / "ntfy-token"
    token_file.write_text(TOKEN + "\n")
    env = metrics_env(tmp_path, SERVARR_NTFY_URL=ntfy.topic_url("servarr-alerts"),
                      SERVARR_NTFY_TOKEN_FILE=str(token_file), SERVARR_NTFY_SEND_ON_SUCCESS="true")
    check = run_playbook(lab, "playbooks/seedbox_sync.yml", check=True, diff=True, env=env)
    assert check.rc == 0, check.stdout[-3000:]
    would = check.task(SYNC)
    assert would["fetched"]
    assert len(ntfy.messages) == 1
    msg = ntfy.messages[0]
    assert msg["title"] == "[dry run] servarr sync OK on lab" and "dry-run" in msg["tags"] and msg["priority"] == 3
    assert "default: would fetch %d items" % len(would["fetched"]) in msg["message"]
    assert "Dry run (--check): nothing was changed." in msg["message"]
    assert not (tmp_path / "state").exists() and not (tmp_path / "textfile" / "servarr.prom").exists()

    real = run_playbook(lab, "playbooks/seedbox_sync.yml", env=env)
    assert real.rc == 0, real.stdout[-3000:]
    done = real.task(SYNC)
    assert len(ntfy.messages) == 2
    msg = ntfy.messages[1]
    assert msg["title"] == "servarr sync OK on lab" and "dry-run" not in msg["tags"]
    assert "default: fetched %d items" % len(done["fetched"]) in msg["message"]
    assert "seeding" in msg["message"]  # the seedbox's state from seedbox_info
    prom_path = str(tmp_path / "textfile" / "servarr.prom")
    prom = samples(prom_path)
    fetched = ("servarr_sync_fetched_bytes_total", frozenset({("seedbox", "default")}))
    assert prom[fetched] == done["bytes"] > 0
    assert prom[("servarr_job_last_run_success", frozenset({("servarr_job", "sync")}))] == 1

    again = run_playbook(lab, "playbooks/seedbox_sync.yml", env=env)
    assert again.rc == 0 and again.task(SYNC)["fetched"] == []
    assert len(ntfy.messages) == 2  # nothing done: no summary unless send_when_idle
    prom = samples(prom_path)
    assert prom[fetched] == done["bytes"]
    assert prom[("servarr_job_runs_total", frozenset({("servarr_job", "sync"), ("outcome", "success")}))] == 2
    assert oct(os.stat(str(tmp_path / "state" / "metrics.state.json")).st_mode & 0o777) == "0o600"
    assert TOKEN not in everything_written(lab, tmp_path, again, ntfy)


@pytest.mark.parametrize("trouble", ["down", "rate limited", "wrong token"])
def test_ntfy_trouble_never_fails_the_play_and_is_logged(lab, tmp_path, trouble):
    d = NtfyDouble(tokens={TOKEN: "servarr"}, write_access={"servarr": ["*"]},
                   rate_limit=0 if trouble == "rate limited" else None).start()
    url = d.topic_url("servarr-alerts")
    if trouble == "down":
        d.stop()
    token = "tk_wrongwrongwrong" if trouble == "wrong token" else TOKEN
    env = metrics_env(tmp_path, SERVARR_NTFY_URL=url, SERVARR_NTFY_TOKEN=token, SERVARR_NTFY_SEND_ON_SUCCESS="true",
                      SERVARR_NTFY_SEND_WHEN_IDLE="true", SERVARR_NTFY_TIMEOUT="5")
    try:
        res = run_playbook(lab, "playbooks/video_cleanup.yml", env=env)
    finally:
        if trouble != "down":
            d.stop()
    assert res.rc == 0, res.stdout[-2000:] + res.stderr[-2000:]
    expected = {"down": "cannot reach", "rate limited": "rate limit", "wrong token": "wrong access token"}[trouble]
    log = open(os.path.join(lab["dir"], "ansible.log")).read()
    for text in (res.stderr, log):
        assert "ntfy: could not notify (summary was not sent)" in text and expected in text
    assert token not in res.stdout + res.stderr + log
    # the metrics were written all the same
    assert samples(str(tmp_path / "textfile" / "servarr.prom"))[
        ("servarr_job_last_run_success", frozenset({("servarr_job", "cleanup")}))] == 1


def test_ntfy_send_module_shortens_and_sends_nothing_in_check_mode(ntfy, tmp_path):
    playbook = tmp_path / "send.yml"
    playbook.write_text("""
- hosts: servarr
  gather_facts: false
  tasks:
    - name: Send
      mediaops.servarr.ntfy_send:
        url: "{{ url }}"
        token: "{{ token }}"
        title: Long one
        body: "{{ 'x' * 5000 }} END"
        priority: high
        tags: [servarr, test]
      register: sent
""")
    host_vars = {"url": ntfy.topic_url("servarr-alerts"), "token": TOKEN}
    check = run_with_vars(str(tmp_path), str(playbook), host_vars, check=True)
    assert check.rc == 0 and check.task("Send")["sent"] is False and check.task("Send")["shortened"] is True
    assert ntfy.requests == []
    real = run_with_vars(str(tmp_path), str(playbook), host_vars)
    result = real.task("Send")
    assert real.rc == 0 and result["sent"] is True and result["changed"] is True and result["id"]
    assert len(ntfy.messages) == 1
    text = ntfy.messages[0]["message"]
    assert len(text.encode("utf-8")) < 4096 and text.endswith("[shortened]") and not text.endswith("END")
    assert ntfy.messages[0]["priority"] == 4 and ntfy.messages[0]["tags"] == ["servarr", "test"]
    assert TOKEN not in real.stdout + real.stderr + json.dumps(real.data)

    wrong = dict(host_vars, token="tk_wrong_token_abcdef")
    failed = run_with_vars(str(tmp_path), str(playbook), wrong)
    assert failed.rc != 0 and "wrong access token" in failed.task("Send")["msg"]
    playbook.write_text(playbook.read_text().replace("      register: sent", "        fail_on_error: false\n      register: sent"))
    warned = run_with_vars(str(tmp_path), str(playbook), wrong)
    assert warned.rc == 0 and warned.task("Send")["sent"] is False and "wrong access token" in warned.task("Send")["error"]
    assert "ntfy: the message was not sent" in warned.stdout + warned.stderr
    for res in (failed, warned):
        assert "tk_wrong_token_abcdef" not in res.stdout + res.stderr + json.dumps(res.data)
    assert len(ntfy.messages) == 1


def test_two_jobs_writing_at_once_lose_nothing(lab, tmp_path):
    """Two ansible-playbook runs (jobs cleanup and jellyfin) finishing together: both jobs' figures land."""
    env = metrics_env(tmp_path)
    procs = []
    for job in ("cleanup", "jellyfin"):
        playbook = tmp_path / ("%s.yml" % job)
        playbook.write_text("""
- hosts: localhost
  gather_facts: false
  vars:
    servarr_job: %s
  tasks:
    - name: Wait for the other job
      ansible.builtin.wait_for:
        path: "%s"
""" % (job, tmp_path / "go"))
        full = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOME=str(tmp_path / ("home-" + job)),
                    ANSIBLE_CALLBACKS_ENABLED=CALLBACKS, **{k: v for k, v in env.items() if k.startswith("SERVARR")})
        procs.append(subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                                       "-i", "localhost,", "-e", "ansible_python_interpreter=" + sys.executable,
                                       "-c", "local", str(playbook)], env=full, cwd=REPO,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    (tmp_path / "go").write_text("")
    for proc in procs:
        out, _err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out
    prom = samples(str(tmp_path / "textfile" / "servarr.prom"))
    for job in ("cleanup", "jellyfin"):
        assert prom[("servarr_job_last_run_success", frozenset({("servarr_job", job)}))] == 1
    assert set(json.load(open(str(tmp_path / "state" / "reports" / "metrics.json")))["jobs"]) == {"cleanup", "jellyfin"}
