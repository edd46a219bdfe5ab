# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run user cannot make root act for it, and no job can plant code another job runs (issue 15 #2, #3).
The role's own templates, rendered, run for real: servarr-cron as root with a symlink the run user planted in
the log folder; ansible-playbook with the jobs' ansible.cfg and a plugin planted where a job can write."""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

import jinja2
import pytest

from conftest import REPO

TEMPLATES = os.path.join(REPO, "roles", "servarr", "templates")
RUN_USER = "servarr-trust-test"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (a run user, setpriv, unshare)")


def render(name, **values):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), keep_trailing_newline=True)
    env.filters["comment"] = lambda text: "# " + text
    env.filters["quote"] = lambda text: "'%s'" % str(text).replace("'", "'\\''")
    env.filters["bool"] = bool
    env.filters["regex_replace"] = lambda text, pattern, repl: re.sub(pattern, repl, str(text))
    return env.get_template(name).render(ansible_managed="test", **values)


@pytest.fixture
def run_user():
    try:
        pwd.getpwnam(RUN_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_USER],
                       check=True)
    return pwd.getpwnam(RUN_USER)


@pytest.fixture
def base():
    # not under /tmp: servarr-cron mounts a private /tmp for the run
    path = tempfile.mkdtemp(prefix="servarr-trust-", dir="/var/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


JOB_SCRIPT = "#!/bin/sh\necho \"job error line uid=$(id -u)\" >&2\nexit 3\n"


def cron_setup(base, user, job_script=JOB_SCRIPT):
    libexec, creds, logs, state = (os.path.join(base, n) for n in ("libexec", "credentials", "logs", "state"))
    for folder in (libexec, creds, logs, state):
        os.mkdir(folder)
    os.chmod(libexec, 0o755)
    os.chmod(creds, 0o700)
    os.chown(logs, user.pw_uid, user.pw_gid)
    # the role's layout: the state folder and jobs/ are root's, each job's folder and the reports the run user's
    os.chown(state, 0, user.pw_gid)
    os.chmod(state, 0o750)
    os.mkdir(os.path.join(state, "jobs"), 0o750)
    os.chown(os.path.join(state, "jobs"), 0, user.pw_gid)
    jobs = []
    for name in ("sync", "purge", "analysis"):
        own = os.path.join(state, "jobs", name)
        os.mkdir(own, 0o750)
        os.chown(own, user.pw_uid, user.pw_gid)
        extra = [os.path.join(state, "reports")] if name == "analysis" else [os.path.join(base, "staging")]
        jobs.append({"name": name, "writable_paths": [own, logs] + extra})
    os.mkdir(os.path.join(state, "reports"), 0o750)
    os.chown(os.path.join(state, "reports"), user.pw_uid, user.pw_gid)
    with open(os.path.join(creds, "vault-pass"), "w") as handle:
        handle.write("not-a-secret")
    job = os.path.join(libexec, "servarr-job")
    with open(job, "w") as handle:
        handle.write(job_script)
    notify = os.path.join(libexec, "servarr-notify")
    with open(notify, "w") as handle:
        handle.write("import os, sys\nprint('notified', sys.argv[1], os.environ.get('MONITOR_EXIT_STATUS'))\n")
    for path in (job, notify):
        os.chmod(path, 0o755)
    script = os.path.join(libexec, "servarr-cron")
    with open(script, "w") as handle:
        handle.write(render("servarr-cron.sh.j2", servarr_run_user=RUN_USER, servarr_libexec_dir=libexec,
                            __servarr_credentials_dir=creds, servarr_log_dir=logs, servarr_umask="0002",
                            servarr_tasks_max=512, servarr_state_dir=state + "/", __servarr_jobs=jobs))
    os.chmod(script, 0o755)
    return script, logs


def test_root_never_follows_a_symlink_the_run_user_planted_in_the_log_folder(base, run_user):
    script, logs = cron_setup(base, run_user)
    target = os.path.join(base, "root-only")
    with open(target, "w") as handle:
        handle.write("root's file\n")
    os.chmod(target, 0o600)
    os.symlink(target, os.path.join(logs, "sync.log"))   # what the run user can do in its own folder
    os.lchown(os.path.join(logs, "sync.log"), run_user.pw_uid, run_user.pw_gid)
    proc = subprocess.run(["bash", script, "sync", "/nonexistent.yml", "check", "30"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    # the run user's shell opens the log and cannot write through its own symlink to root's file: the run fails
    assert proc.returncode != 0
    assert "Permission denied" in proc.stderr
    with open(target) as handle:
        assert handle.read() == "root's file\n"
    assert os.stat(target).st_uid == 0 and os.stat(target).st_mode & 0o777 == 0o600


def test_the_job_log_is_written_by_the_run_user(base, run_user):
    script, logs = cron_setup(base, run_user)
    proc = subprocess.run(["bash", script, "sync", "/nonexistent.yml", "check", "30"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 3, proc.stderr
    log = os.path.join(logs, "sync.log")
    st = os.stat(log)
    assert st.st_uid == run_user.pw_uid and st.st_mode & 0o777 == 0o640   # nothing for others
    with open(log) as handle:
        text = handle.read()
    assert "job error line uid=%d" % run_user.pw_uid in text     # the job ran as the run user
    assert "notified cron:sync 3" in text                        # the wrapper's notifier output, appended as the user


def test_a_job_writes_only_its_own_state_folder(base, run_user):
    """Issue 15 #3: each job may write only its own state, never the state folder or another job's folder."""
    line = "if ( : > %(d)s/probe ) 2>/dev/null; then echo \"write %(k)s ok\"; else echo \"write %(k)s refused\"; fi >&2\n"
    places = (("top", ()), ("own", ("jobs", "sync")), ("other", ("jobs", "purge")), ("reports", ("reports",)))
    probe = "#!/bin/sh\n" + "".join(line % {"d": os.path.join(base, "state", *rel), "k": key} for key, rel in places)
    probe += "exit 0\n"
    script, logs = cron_setup(base, run_user, job_script=probe)
    proc = subprocess.run(["bash", script, "sync", "/nonexistent.yml", "check", "30"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(logs, "sync.log")) as handle:
        text = handle.read()
    # the permissions alone refuse the top (root's); the read-only bind refuses the other job's and the reports
    assert "write own ok" in text, text
    for key in ("top", "other", "reports"):
        assert "write %s refused" % key in text, text
    assert os.path.exists(os.path.join(base, "state", "jobs", "sync", "probe"))
    assert not os.path.exists(os.path.join(base, "state", "jobs", "purge", "probe"))
    # the analysis job may write the reports (its writable_paths), and still not the sync job's folder
    os.unlink(os.path.join(logs, "sync.log"))
    proc = subprocess.run(["bash", script, "analysis", "/nonexistent.yml", "check", "30"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(logs, "analysis.log")) as handle:
        text = handle.read()
    assert "write reports ok" in text and "write top refused" in text and "write own refused" in text, text
    # a job the host does not have is refused before anything runs
    proc = subprocess.run(["bash", script, "nosuchjob", "/nonexistent.yml", "check", "30"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert proc.returncode == 78 and "no job nosuchjob" in proc.stderr


CFG_VALUES = dict(servarr_ntfy_url="", servarr_metrics_enabled=False, __servarr_callbacks=[])


def plant_and_run(base, cfg_text, home):
    """Plant a vars plugin and a callback in every place a job can write, run a playbook with ``cfg_text``;
    True when any planted code ran."""
    marker = os.path.join(base, "planted-code-ran")
    plugin = "open(%r, 'w').close()\nfrom ansible.plugins.vars import BaseVarsPlugin\n" \
             "class VarsModule(BaseVarsPlugin):\n    REQUIRES_ENABLED = False\n" \
             "    def get_vars(self, loader, path, entities, cache=True):\n        return {}\n" % marker
    for kind in ("vars", "callback", "filter", "lookup", "action", "strategy", "connection", "inventory"):
        folder = os.path.join(home, "plugins", kind)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "planted.py"), "w") as handle:
            handle.write(plugin)
    cfg = os.path.join(base, "ansible.cfg")
    with open(cfg, "w") as handle:
        handle.write(cfg_text)
    playbook = os.path.join(base, "play.yml")
    with open(playbook, "w") as handle:
        handle.write("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: {msg: hi}\n")
    env = dict(os.environ, ANSIBLE_CONFIG=cfg)
    for key in list(env):
        if key.startswith("ANSIBLE_") and key != "ANSIBLE_CONFIG":
            env.pop(key)
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                           "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, playbook],
                          env=env, cwd=base, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    return os.path.exists(marker)


def test_a_plugin_planted_in_the_state_folder_is_never_loaded(base):
    state, install = os.path.join(base, "state"), os.path.join(base, "install")
    os.makedirs(os.path.join(install, "ansible-home", "plugins"))
    values = dict(CFG_VALUES, servarr_install_dir=install, servarr_state_dir=state,
                  __servarr_inventory_dir=base, __servarr_venv=os.path.dirname(os.path.dirname(sys.executable)))
    cfg = render("ansible.cfg.j2", **values)
    # the home Ansible had before (the state folder, which every job may write) did load the planted code
    old = cfg.replace("home = %s/ansible-home" % install, "home = %s/.ansible" % state)
    old = "\n".join(line for line in old.splitlines() if "_plugins =" not in line)
    assert plant_and_run(base, old, os.path.join(state, ".ansible")), "the test plants where Ansible looks"
    os.unlink(os.path.join(base, "planted-code-ran"))
    # the role's: home and every plugin path are the root-owned, empty install folder
    assert "home = %s/ansible-home" % install in cfg
    assert not plant_and_run(base, cfg, os.path.join(state, ".ansible"))
    # nor the run user's own home
    assert not plant_and_run(base, cfg, os.path.expanduser("~/.ansible-planted-test"))


NOTIFY = os.path.join(REPO, "roles", "servarr", "files", "servarr-notify")


def _capture_server(redirect_to=None):
    import http.server
    import threading
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"auth": self.headers.get("Authorization"), "body": body.decode("utf-8")})
            if redirect_to:
                self.send_response(307)
                self.send_header("Location", redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def _notify(tmp_path, url, log_text=None, log_symlink_to=None, run_id="run42", status="1"):
    logs, creds = tmp_path / "logs", tmp_path / "creds"
    logs.mkdir()
    creds.mkdir()
    (creds / "ntfy-token").write_text("tk_supersecrettoken123\n")
    (creds / "vault-pass").write_text("vault-password-xyz\n")
    if log_symlink_to:
        os.symlink(log_symlink_to, str(logs / "sync.log"))
    elif log_text is not None:
        (logs / "sync.log").write_text(log_text)
    config = tmp_path / "ntfy.json"
    config.write_text('{"url": "%s"}' % url)
    env = dict(os.environ, SERVARR_NTFY_CONFIG=str(config), SERVARR_LOG_DIR=str(logs),
               CREDENTIALS_DIRECTORY=str(creds), MONITOR_SERVICE_RESULT="exit-code", MONITOR_EXIT_STATUS=status,
               MONITOR_INVOCATION_ID=run_id)
    return subprocess.run(["/usr/bin/python3", NOTIFY, "servarr-sync.service"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60, check=False)


def test_notify_never_follows_a_redirect_with_the_token(tmp_path):
    other, other_seen = _capture_server()
    first, first_seen = _capture_server(redirect_to="http://127.0.0.1:%d/topic" % other.server_port)
    try:
        proc = _notify(tmp_path, "http://127.0.0.1:%d/topic" % first.server_port, log_text="a line\n")
    finally:
        first.shutdown()
        other.shutdown()
    assert proc.returncode == 1 and "redirect" in proc.stderr
    assert len(first_seen) == 1 and first_seen[0]["auth"] == "Bearer tk_supersecrettoken123"
    assert other_seen == []


def test_notify_masks_secrets_and_never_reads_through_a_symlink(tmp_path):
    secret_file = tmp_path / "shadow"
    secret_file.write_text("root:$6$hash-of-root:19000:0:99999:7:::\n")
    server, seen = _capture_server()
    try:
        proc = _notify(tmp_path, "http://127.0.0.1:%d/topic" % server.server_port, log_symlink_to=str(secret_file))
        assert proc.returncode == 0, proc.stderr
        assert "hash-of-root" not in seen[-1]["body"]
        (tmp_path / "logs" / "sync.log").unlink()
        (tmp_path / "logs" / "sync.log").write_text(
            "TASK [x] token tk_supersecrettoken123 leaked\nvault-password-xyz\napi_key=abcdef123456 password: hunter22\n")
        for path in ("logs", "creds", "ntfy.json"):
            target = tmp_path / path
            if target.is_dir():
                shutil.rmtree(str(target))
            else:
                target.unlink()
        proc = _notify(tmp_path, "http://127.0.0.1:%d/topic" % server.server_port,
                       log_text="servarr-job[1] sync: REAL RUN (servarr_dry_run is false) (run run42)\n"
                                "TASK [x] token tk_supersecrettoken123 leaked\nvault-password-xyz\n"
                                "api_key=abcdef123456 password: hunter22\n")
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    body = seen[-1]["body"]
    for secret in ("tk_supersecrettoken123", "vault-password-xyz", "abcdef123456", "hunter22"):
        assert secret not in body
    assert "leaked" in body


def test_notify_sends_only_the_failed_runs_own_lines_and_names_a_credential_that_did_not_load(tmp_path):
    """Issue 17: a run that could not start (systemd's 243: a credential did not load) was reported as "exit
    status 243." with the previous run's log tail."""
    server, seen = _capture_server()
    log = ("servarr-job[1] sync: DRY RUN (ansible-playbook --check --diff) (run earlier1)\n"
           "TASK [earlier run's task] fatal: the earlier run's failure\n")
    try:
        proc = _notify(tmp_path, "http://127.0.0.1:%d/topic" % server.server_port, log_text=log,
                       run_id="thisrun2", status="243")
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    body = json.loads(seen[-1]["body"])["message"]
    assert "earlier run's" not in body and "earlier1" not in body
    assert "could not start (exit status 243)" in body and "credential" in body
    assert "no log line of this run" in body
