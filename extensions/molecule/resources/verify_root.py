# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the servarr role on the molecule test root (run on the test machine, looking into ROOT and
running commands inside it with chroot).

verify_root.py snapshot ROOT FILE              list every path of ROOT (type, mode, owner, size, time)
verify_root.py compare ROOT FILE               fail if ROOT differs from the listing (check mode changed nothing)
verify_root.py installed ROOT LAB_JSON SCHED   the installed host: units or cron lines, logrotate, modes, the
                                               venv's collection, each job's exact command run in ROOT, the lock,
                                               the failure notifier
verify_root.py booted ROOT LAB_JSON            boot ROOT with systemd (systemd-nspawn) and check for real: a
                                               timer fires a dry run, LoadCredential delivers, the sandbox lets a
                                               job write only its own folders, OnFailure reaches ntfy
verify_root.py absent ROOT FILE keep-data|remove-data   what state=absent must leave (or not)
"""
import fcntl
import glob
import http.server
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time

EXCLUDE = ("srv/lab", "root/.ansible", "tmp", "proc", "dev", "sys", "run")
PREFIX = "servarr-"
JOBS = ("sync", "purge", "cleanup", "jellyfin", "orphans", "analysis", "review", "reduce", "preflight", "revert",
        "backup")
SCHEDULED = {"sync": ("*-*-* *:00/30:00", "*/30 * * * *"), "purge": ("*-*-* 03:00:00", "0 3 * * *"),
             "cleanup": ("Sun *-*-* 02:00:00", "0 2 * * 0"), "jellyfin": ("*-*-* *:00/10:00", "*/10 * * * *"),
             "backup": ("*-*-* 04:30:00", "30 4 * * *")}
ROLE_PATHS = ("etc/servarr", "opt/mediaops-servarr", "usr/local/lib/mediaops-servarr",
              "etc/logrotate.d/mediaops-servarr", "etc/cron.d/mediaops-servarr")
FAILURES = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILURES.append(what)
    return ok


def done():
    if FAILURES:
        print("%d checks failed" % len(FAILURES))
        sys.exit(1)
    print("all checks passed")


# -- listings -------------------------------------------------------------------------------------------------
def listing(root):
    rows = {}
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        dirs[:] = [d for d in dirs if os.path.normpath(os.path.join(rel_top, d)) not in EXCLUDE]
        for name in dirs + files:
            rel = os.path.normpath(os.path.join(rel_top, name))
            st = os.lstat(os.path.join(top, name))
            mtime = "" if rel == "root" else st.st_mtime_ns
            rows[rel] = "%o %d %d %d %s" % (st.st_mode, st.st_uid, st.st_gid,
                                            0 if stat.S_ISDIR(st.st_mode) else st.st_size, mtime)
    return rows


def snapshot(root, path):
    with open(path, "w") as handle:
        json.dump(listing(root), handle)


def compare(root, path):
    with open(path) as handle:
        before = json.load(handle)
    after = listing(root)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(p for p in set(after) & set(before) if after[p] != before[p])
    for label, paths in (("added", added), ("removed", removed), ("changed", changed)):
        check(not paths, "nothing %s in the root%s" % (label, (": " + ", ".join(paths[:20])) if paths else ""))
    done()


# -- helpers --------------------------------------------------------------------------------------------------
# What a container runtime gives an LXC and a bare chroot lacks: a root that is a mount point (servarr-cron's
# unshare --propagation private needs one), /proc and a devpts (lftp's ssh needs a pseudo-terminal). Mounted in a
# private mount namespace of the command only: gone when it ends, never on the test machine.
LXC_MOUNTS = ('mount --bind "$0" "$0" && mount -t proc proc "$0/proc" && '
              'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$0/dev/pts" && '
              'mount --bind "$0/dev/pts/ptmx" "$0/dev/ptmx" && exec chroot "$0" "$@"')


def chroot(root, argv, timeout=900, env=None, **kw):
    base = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    base.update(env or {})
    cmd = ["unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", LXC_MOUNTS, root] + argv
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, env=base, check=False, **kw)


def read(root, rel):
    with open(os.path.join(root, rel.lstrip("/")), errors="replace") as handle:
        return handle.read()


def unit_values(text):
    values = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def passwd(root, name):
    for line in read(root, "etc/passwd").splitlines():
        fields = line.split(":")
        if fields[0] == name:
            return int(fields[2]), int(fields[3])
    return None


def mode_owner(root, rel):
    st = os.lstat(os.path.join(root, rel.lstrip("/")))
    return stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid


class Ntfy(http.server.BaseHTTPRequestHandler):
    messages = []
    auth_checks = []
    token = ""

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Ntfy.messages.append({"path": self.path, "auth": self.headers.get("Authorization"),
                              "body": json.loads(body.decode("utf-8"))})
        answer = json.dumps({"id": "x", "event": "message"}).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802 (http.server's name)
        """ntfy's GET /<topic>/auth: {"success": true} for good credentials, 401 otherwise; nothing published."""
        Ntfy.auth_checks.append({"path": self.path, "auth": self.headers.get("Authorization")})
        good = self.headers.get("Authorization") == "Bearer " + Ntfy.token
        status, payload = ((200, {"success": True}) if good
                           else (401, {"code": 40101, "http": 401, "error": "unauthorized"}))
        answer = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def secret_hits(root, secrets, skip=("etc/servarr/credentials",)):
    hits = []
    for rel_dir in ("etc", "opt/mediaops-servarr", "usr/local", "var/lib/servarr", "var/log/servarr"):
        for top, dirs, files in os.walk(os.path.join(root, rel_dir)):
            rel_top = os.path.relpath(top, root)
            if rel_top.startswith(skip) or "/venv/" in top + "/" or "/collections/" in top + "/":
                dirs[:] = []
                continue
            for name in files:
                path = os.path.join(top, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
                for secret in secrets:
                    if secret and secret.encode("utf-8") in data:
                        hits.append(os.path.relpath(path, root))
    return hits


# -- the installed host ---------------------------------------------------------------------------------------
def installed(root, lab_json, scheduler):
    with open(lab_json) as handle:
        lab = json.load(handle)
    vault_pass = read(root, "etc/servarr/credentials/vault-pass").strip()
    with open(lab["sftp_key"]) as handle:
        key_body = handle.read().splitlines()[1]
    secrets = lab["secrets"] + [lab["ntfy_token"], vault_pass, key_body]
    systemd_dir = os.path.join(root, "etc/systemd/system")
    units = sorted(os.path.basename(p) for p in glob.glob(os.path.join(systemd_dir, PREFIX + "*")))

    if scheduler == "systemd":
        want = ["%s%s.service" % (PREFIX, j) for j in JOBS] + ["%s%s.timer" % (PREFIX, j) for j in SCHEDULED]
        want.append(PREFIX + "failure@.service")
        check(units == sorted(want), "units: %s" % " ".join(units))
        for unit in units:
            name = unit.replace("@.service", "@" + PREFIX + "sync.service.service")
            proc = subprocess.run(["systemd-analyze", "--root=" + root, "verify", name], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, check=False)
            check(proc.returncode == 0 and not proc.stderr.strip(),
                  "systemd-analyze verify %s: rc %d, stderr %r" % (name, proc.returncode, proc.stderr.strip()))
        for job, (calendar, dummy) in SCHEDULED.items():
            values = unit_values(read(root, "etc/systemd/system/%s%s.timer" % (PREFIX, job)))
            check(values.get("OnCalendar") == [calendar] and values.get("Persistent") == ["true"],
                  "%s timer: OnCalendar=%s Persistent=true" % (job, calendar))
            proc = subprocess.run(["systemd-analyze", "calendar", values["OnCalendar"][0]], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, check=False)
            check(proc.returncode == 0 and not proc.stderr.strip(), "systemd-analyze calendar %r parses" % calendar)
            link = os.path.join(systemd_dir, "timers.target.wants", "%s%s.timer" % (PREFIX, job))
            check(os.path.islink(link), "%s timer enabled (timers.target.wants)" % job)
        wants = sorted(os.path.basename(p) for p in glob.glob(os.path.join(systemd_dir, "*.wants", PREFIX + "*")))
        check(wants == sorted("%s%s.timer" % (PREFIX, j) for j in SCHEDULED), "only the scheduled timers enabled")
        sync = unit_values(read(root, "etc/systemd/system/%ssync.service" % PREFIX))
        for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
                           ("User", "servarr"), ("Type", "oneshot"), ("Environment", "SERVARR_JOB=sync")):
            check(sync.get(key) == [value], "sync service %s=%s" % (key, value))
        rw = sync.get("ReadWritePaths", [""])[0].split()
        nas = lab["nas"]
        check(rw == ["-/var/lib/servarr/jobs/sync", "-/var/log/servarr", "-%s/_staging" % nas, "-%s/_done" % nas],
              "sync ReadWritePaths are its own state folder, the log, staging and import folders: %s" % rw)
        analysis_rw = unit_values(read(root, "etc/systemd/system/%sanalysis.service" % PREFIX))["ReadWritePaths"][0]
        check(analysis_rw.split() == ["-/var/lib/servarr/jobs/analysis", "-/var/log/servarr", "-/var/lib/servarr/reports"],
              "analysis ReadWritePaths are its own state folder, the log and the reports: %s" % analysis_rw)
        backup_rw = unit_values(read(root, "etc/systemd/system/%sbackup.service" % PREFIX))["ReadWritePaths"][0]
        check(backup_rw.split() == ["-/var/lib/servarr/jobs/backup", "-/var/log/servarr", "-%s/scripts/backups" % nas],
              "backup ReadWritePaths are its own state folder, the log and servarr_backup_dir: %s" % backup_rw)
        cleanup_rw = unit_values(read(root, "etc/systemd/system/%scleanup.service" % PREFIX))["ReadWritePaths"][0]
        check(cleanup_rw.split()[2:] == ["-%s/movies" % nas, "-%s/series" % nas],
              "cleanup ReadWritePaths add the library roots: %s" % cleanup_rw)
        check(sync.get("LoadCredential") == ["vault-pass:/etc/servarr/credentials/vault-pass",
                                             "ntfy-token:/etc/servarr/credentials/ntfy-token",
                                             "sftp-key:/etc/servarr/credentials/sftp-key"],
              "sync service loads the credentials: %s" % sync.get("LoadCredential"))
        check(not os.path.exists(os.path.join(root, "etc/cron.d/mediaops-servarr")), "no cron file")
    else:
        check(units == [], "no systemd units of the role: %s" % units)
        lines = [line for line in read(root, "etc/cron.d/mediaops-servarr").splitlines()
                 if line.strip() and not line.startswith("#")]
        check(len(lines) == len(SCHEDULED), "%d cron lines" % len(lines))
        for job, (dummy, cron) in SCHEDULED.items():
            line = [entry for entry in lines if "/servarr-cron %s " % job in entry]
            check(len(line) == 1 and line[0].startswith(cron + " root /usr/local/lib/mediaops-servarr/servarr-cron "),
                  "cron line of %s: %s" % (job, line))
        mode, uid, dummy = mode_owner(root, "etc/cron.d/mediaops-servarr")
        check(uid == 0 and mode & 0o022 == 0, "cron file root-owned, not writable by others")

    proc = chroot(root, ["logrotate", "-d", "/etc/logrotate.d/mediaops-servarr"])
    text = proc.stdout + proc.stderr
    check(proc.returncode == 0 and not re.search(r"(?i)error", text), "logrotate -d is clean (rc %d)" % proc.returncode)
    check("log files >= 10M" in text or "10485760" in text, "logrotate: 10 MB")
    conf = read(root, "etc/logrotate.d/mediaops-servarr")
    check(all(word in conf for word in ("rotate 10", "maxage 30", "compress", "size 10M")), "logrotate: 10 files, 30 days")

    # modes and owners
    uid, gid = passwd(root, "servarr")
    check(mode_owner(root, "etc/servarr/credentials") == (0o700, 0, 0), "credentials/ is 0700 root")
    for path in sorted(glob.glob(os.path.join(root, "etc/servarr/credentials/*"))):
        rel = os.path.relpath(path, root)
        check(mode_owner(root, rel) == (0o400, 0, 0), "%s is 0400 root" % rel)
    check(sorted(os.listdir(os.path.join(root, "etc/servarr/credentials"))) == ["ntfy-token", "sftp-key", "vault-pass"],
          "credentials: vault-pass, ntfy-token, sftp-key")
    vault = read(root, "etc/servarr/inventory/group_vars/servarr/vault.yml")
    check(vault.startswith("$ANSIBLE_VAULT;1.2;AES256;servarr"), "vault.yml is ansible-vault encrypted")
    for rel in ("etc/servarr", "etc/servarr/inventory/group_vars/servarr/vault.yml",
                "etc/servarr/inventory/group_vars/servarr/main.yml", "etc/servarr/ansible.cfg"):
        mode, o_uid, o_gid = mode_owner(root, rel)
        check(o_uid == 0 and o_gid == gid and mode & 0o027 == 0, "%s root:servarr, nothing for others (%o)" % (rel, mode))
    for rel in ("var/lib/servarr", "var/lib/servarr/jobs"):
        check(mode_owner(root, rel) == (0o750, 0, gid), "%s is 0750 root:servarr (no job writes there)" % rel)
    jobs = sorted(os.listdir(os.path.join(root, "var/lib/servarr/jobs")))
    check(jobs == sorted(JOBS), "a state folder per job: %s" % jobs)
    for rel in ["var/lib/servarr/jobs/" + job for job in jobs] + ["var/lib/servarr/reports", "var/log/servarr",
                                                                  lab["nas"].lstrip("/") + "/scripts/backups"]:
        check(mode_owner(root, rel) == (0o750, uid, gid), "%s is 0750 servarr" % rel)
    # the files 0.2 kept directly in the state folder (prepare.yml planted them) moved into their job's folder
    for rel, job in (("arr-history-oldradarr.json", "purge"), ("purge-oldbox.journal.jsonl", "purge"),
                     ("lftp_mirror-oldbox.json", "sync")):
        moved = os.path.join(root, "var/lib/servarr/jobs", job, rel)
        check(not os.path.lexists(os.path.join(root, "var/lib/servarr", rel)) and os.path.isfile(moved)
              and read(root, os.path.relpath(moved, root)) == "planted by prepare.yml: %s\n" % rel,
              "0.2's %s moved into jobs/%s/ unchanged" % (rel, job))
    world = []
    for top, dirs, files in os.walk(os.path.join(root, "etc/servarr")):
        for name in dirs + files:
            if os.lstat(os.path.join(top, name)).st_mode & 0o007:
                world.append(os.path.relpath(os.path.join(top, name), root))
    check(not world, "nothing in /etc/servarr readable by others: %s" % world)
    hits = secret_hits(root, secrets)
    check(not hits, "no secret in clear outside credentials/: %s" % hits)
    settings = read(root, "etc/servarr/inventory/group_vars/servarr/main.yml")
    for key, path in (("servarr_sync_state_file", "/var/lib/servarr/jobs/sync/lftp_mirror.json"),
                      ("servarr_purge_journal", "/var/lib/servarr/jobs/purge/purge-journal.jsonl"),
                      ("servarr_jellyfin_checkpoint", "/var/lib/servarr/jobs/jellyfin/jellyfin.checkpoint.json"),
                      ("servarr_tag_journal_dir", "/var/lib/servarr/jobs/reduce/arr_tag-journal"),
                      ("servarr_backup_state_dir", "/var/lib/servarr"),
                      ("servarr_backup_dir", lab["nas"] + "/scripts/backups")):
        check(re.search(r"(?m)^%s: %s$" % (key, re.escape(path)), settings) is not None,
              "%s (set directly in the state folder, as 0.2 had it, or left unset) names %s" % (key, path))
    check(re.search(r"(?m)^servarr_sftp_known_hosts: /etc/servarr/files/known_hosts$", settings) is not None
          and mode_owner(root, "etc/servarr/files/known_hosts") == (0o640, 0, gid)
          and read(root, "etc/servarr/files/known_hosts").strip() != "",
          "servarr_config_files: known_hosts installed 0640 root:servarr, the setting points at it")
    check(read(root, "etc/servarr/my-notes.txt") == "the user's own notes\n", "the user's own file in /etc/servarr stays")
    if scheduler == "cron":   # the cron scenario installs the venv from a wheelhouse alone (--no-index)
        wheels = glob.glob(os.path.join(root, "opt/mediaops-servarr/wheelhouse/ansible_core-*.whl"))
        check(len(wheels) == 1, "servarr_pip_wheelhouse copied to /opt/mediaops-servarr/wheelhouse: %s" % wheels)
    check("servarr_sftp_key_file: \"{{ lookup('ansible.builtin.env', 'CREDENTIALS_DIRECTORY') }}/sftp-key\"" in settings,
          "the SFTP key setting points at the run's credential")
    for name in ("servarr-job", "servarr-cron", "servarr-notify"):
        mode, o_uid, dummy = mode_owner(root, "usr/local/lib/mediaops-servarr/" + name)
        check(o_uid == 0 and mode & 0o022 == 0, "%s root-owned, not writable by others" % name)

    # the collection in the venv
    venv = "/opt/mediaops-servarr/venv"
    proc = chroot(root, [venv + "/bin/python", "-c",
                         "import sys; sys.path.insert(0, '/opt/mediaops-servarr/collections'); "
                         "import ansible, paramiko; "
                         "from ansible_collections.mediaops.servarr.plugins.module_utils.clients import rtorrent, jellyfin; "
                         "from ansible_collections.mediaops.servarr.plugins.module_utils.runs import mirror, extras_clean; "
                         "print(ansible.__version__)"])
    check(proc.returncode == 0, "the collection's code imports in the venv (ansible-core %s) %s"
          % (proc.stdout.strip(), proc.stderr.strip()[-300:]))
    proc = chroot(root, [venv + "/bin/ansible-doc", "-t", "module", "mediaops.servarr.lftp_mirror"],
                  env={"ANSIBLE_CONFIG": "/etc/servarr/ansible.cfg", "ANSIBLE_HOME": "/tmp/ansible-doc-home"})
    check(proc.returncode == 0 and "lftp" in proc.stdout, "ansible-doc finds mediaops.servarr.lftp_mirror in the venv")
    shutil.rmtree(os.path.join(root, "tmp/ansible-doc-home"), ignore_errors=True)
    manifest = json.loads(read(root, "opt/mediaops-servarr/collections/ansible_collections/mediaops/servarr/MANIFEST.json"))
    repo = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    galaxy = read(repo, "galaxy.yml")
    version = re.search(r"^version:\s*(\S+)", galaxy, re.M).group(1)
    check(manifest["collection_info"]["version"] == version, "installed collection %s = the controller's %s"
          % (manifest["collection_info"]["version"], version))

    # every scheduled job's exact command, run inside the root against the lab (dry run = check mode)
    subprocess.run(["chroot", root, "chown", "-R", "servarr:servarr", lab["nas"]], check=True)
    Ntfy.token = lab["ntfy_token"]
    server = http.server.HTTPServer(("127.0.0.1", lab["ntfy_port"]), Ntfy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        # the preflight, a manual job, read only (never a dry run): every check passes against the lab, ntfy's
        # topic checked with the run's token credential and no message sent
        before = len(Ntfy.messages)
        if scheduler == "systemd":
            run_unit(root, "preflight", uid, gid, secrets, real=True)
        else:
            run_manual_cron(root, "preflight", secrets)
        check(len(Ntfy.messages) == before and Ntfy.auth_checks
              and Ntfy.auth_checks[-1] == {"path": "/servarr-test/auth", "auth": "Bearer " + lab["ntfy_token"]},
              "preflight: ntfy's topic checked with the token (GET /servarr-test/auth), nothing published: %s"
              % Ntfy.auth_checks[-1:])
        log = read(root, "var/log/servarr/preflight.log")
        last = re.split(r"(?m)^(?=\S+ \S+ servarr-job\[\d+\] preflight: REAL RUN)", log)[-1]
        check(re.search(r'(?m)^\s*"ok +rtorrent - reachable', last) is not None
              and re.search(r'(?m)^\s*"(warning|failure) ', last) is None
              and re.search(r'(?m)^\s*"ok +ntfy - reachable and authorized', last) is not None,
              "preflight: one line per check in preflight.log, none a warning or failure")
        if scheduler == "systemd":
            for job in SCHEDULED:
                run_unit(root, job, uid, gid, secrets)
            lock_test(root, lambda: run_unit(root, "jellyfin", uid, gid, secrets, expect_lock=True))
            notifier_systemd(root, lab, uid, gid)
            missing_venv(root, lambda: run_unit(root, "sync", uid, gid, secrets, expect=78))
        else:
            for job in SCHEDULED:
                run_cron(root, job, secrets)
            lock_test(root, lambda: run_cron(root, "jellyfin", secrets, expect_lock=True))
            before = len(Ntfy.messages)
            missing_venv(root, lambda: run_cron(root, "sync", secrets, expect=78))
            sent = Ntfy.messages[before:]
            check(len(sent) == 1 and sent[0]["auth"] == "Bearer " + lab["ntfy_token"]
                  and "sync" in sent[0]["body"]["title"] and "could not start" in sent[0]["body"]["message"],
                  "cron: a run that could not start is sent to ntfy once, with the token: %s"
                  % [m["body"].get("title") for m in sent])
            left = glob.glob(os.path.join(root, "run/mediaops-servarr/credentials/*"))
            check(not left, "cron: no credential copy left after the runs: %s" % left)
    finally:
        server.shutdown()
    done()


def credentials_for(root, values, uid, gid, folder):
    os.makedirs(os.path.join(root, folder.lstrip("/")), mode=0o700)
    os.chown(os.path.join(root, folder.lstrip("/")), uid, gid)
    for entry in values.get("LoadCredential", []):
        name, source = entry.split(":", 1)
        target = os.path.join(root, folder.lstrip("/"), name)
        shutil.copyfile(os.path.join(root, source.lstrip("/")), target)
        os.chown(target, uid, gid)
        os.chmod(target, 0o400)


def run_unit(root, job, uid, gid, secrets, expect=0, expect_lock=False, real=False):
    """What systemd would do for the unit, as far as a chroot can: its User/Group with their groups, its
    Environment, a credentials folder from its LoadCredential lines, its UMask, then its exact ExecStart."""
    values = unit_values(read(root, "etc/systemd/system/%s%s.service" % (PREFIX, job)))
    argv = shlex.split(values["ExecStart"][0])
    folder = "/run/servarr-test-credentials/%s" % job
    shutil.rmtree(os.path.join(root, folder.lstrip("/")), ignore_errors=True)
    credentials_for(root, values, uid, gid, folder)
    env = values.get("Environment", []) + ["CREDENTIALS_DIRECTORY=" + folder]
    cmd = (["setpriv", "--reuid", values["User"][0], "--regid", values["Group"][0], "--init-groups", "--reset-env",
            "env"] + env + ["/bin/sh", "-c", 'umask %s && exec "$@"' % values["UMask"][0], "sh"] + argv)
    started = time.time()
    try:
        proc = chroot(root, cmd, timeout=int(values["TimeoutStartSec"][0]))
    finally:
        shutil.rmtree(os.path.join(root, "run/servarr-test-credentials"), ignore_errors=True)
    judge(root, job, "systemd ExecStart " + " ".join(argv), proc, secrets, expect, expect_lock, time.time() - started,
          real=real)


def run_manual_cron(root, job, secrets):
    """A job without a cron line, as the role's messages say to run it: servarr-cron JOB PLAYBOOK MODE TIMEOUT, as
    root (the mode and timeout from the job's systemd-less wrapper: the same as its unit's)."""
    playbook = "/opt/mediaops-servarr/collections/ansible_collections/mediaops/servarr/playbooks/%s.yml" % job
    command = "/usr/local/lib/mediaops-servarr/servarr-cron %s %s run 600" % (job, playbook)
    started = time.time()
    proc = chroot(root, ["/bin/sh", "-c", command], env={"HOME": "/root", "SHELL": "/bin/sh", "LOGNAME": "root"})
    judge(root, job, "cron " + command, proc, secrets, 0, False, time.time() - started, real=True)


def run_cron(root, job, secrets, expect=0, expect_lock=False):
    """The job's exact cron command, as cron runs it: as root, with cron's small environment, through /bin/sh."""
    line = [entry for entry in read(root, "etc/cron.d/mediaops-servarr").splitlines()
            if "/servarr-cron %s " % job in entry and not entry.startswith("#")][0]
    command = line.split(None, 6)[6]
    started = time.time()
    proc = chroot(root, ["/bin/sh", "-c", command], env={"HOME": "/root", "SHELL": "/bin/sh", "LOGNAME": "root"})
    judge(root, job, "cron " + command, proc, secrets, expect, expect_lock, time.time() - started)


def judge(root, job, what, proc, secrets, expect, expect_lock, seconds, real=False):
    out = proc.stdout + proc.stderr
    try:
        log = read(root, "var/log/servarr/%s.log" % job)
    except OSError:
        log = ""
        print("no log of %s; rc %d; output:\n%s" % (job, proc.returncode, out[-3000:]))
    runs = re.split(r"(?m)^(?=\S+ \S+ servarr-job\[\d+\] %s: (?:DRY RUN|REAL RUN))" % job, log)
    last = runs[-1]
    if expect_lock:
        check(proc.returncode == 0 and "holds the lock" in last and seconds < 20,
              "%s: with the lock held, exits 0 at once (%.1f s) and says so" % (job, seconds))
        return
    if expect:
        check(proc.returncode == expect and "could not start" in last,
              "%s: %s exits %d and says it could not start (rc %d)" % (job, what, expect, proc.returncode))
        return
    first = last.splitlines()[0] if last else ""
    ok = (proc.returncode == 0 and ("REAL RUN" if real else "DRY RUN") in first
          and re.search(r"failed=0 ", last) is not None and re.search(r"ok=[1-9]", last) is not None)
    check(ok, "%s: %s runs the job %s against the lab: rc %d, %.1f s, first log line %r"
          % (job, what, "for real (read only)" if real else "in check mode", proc.returncode, seconds, first))
    if not ok:
        print("\n".join(out.splitlines()[-40:]))
        print("\n".join(last.splitlines()[-40:]))
    hits = [s for s in secrets if s and s in out + log]
    check(not hits, "%s: no secret in the output or the log" % job)
    mode, dummy, dummy = mode_owner(root, "var/log/servarr/%s.log" % job)
    check(mode & 0o007 == 0, "%s.log is not readable by others (%o)" % (job, mode))


def lock_test(root, run):
    with open(os.path.join(root, "var/lib/servarr/jobs/jellyfin/job.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run()


def missing_venv(root, run):
    venv = os.path.join(root, "opt/mediaops-servarr/venv")
    os.rename(venv, venv + ".away")
    try:
        run()
    finally:
        os.rename(venv + ".away", venv)


def notifier_systemd(root, lab, uid, gid):
    values = unit_values(read(root, "etc/systemd/system/%sfailure@.service" % PREFIX))
    folder = "/run/servarr-test-credentials/failure"
    credentials_for(root, values, uid, gid, folder)
    try:
        argv = [a.replace("%i", PREFIX + "sync.service") for a in shlex.split(values["ExecStart"][0])]
        for status, sent in (("78", 1), ("2", 0), ("4", 0), ("1", 1)):
            before = len(Ntfy.messages)
            proc = chroot(root, ["setpriv", "--reuid", values["User"][0], "--regid", values["Group"][0],
                                 "--init-groups", "--reset-env", "env", "CREDENTIALS_DIRECTORY=" + folder,
                                 "MONITOR_SERVICE_RESULT=exit-code", "MONITOR_EXIT_STATUS=" + status] + argv)
            got = Ntfy.messages[before:]
            check(proc.returncode == 0 and len(got) == sent
                  and all(m["auth"] == "Bearer " + lab["ntfy_token"] and m["body"]["topic"] == "servarr-test"
                          and "sync" in m["body"]["title"] for m in got),
                  "failure notifier, exit status %s: %d message(s) to ntfy with the token (got %d) %s"
                  % (status, sent, len(got), proc.stderr.strip()[-200:]))
    finally:
        shutil.rmtree(os.path.join(root, "run/servarr-test-credentials"), ignore_errors=True)


# -- a booted systemd ------------------------------------------------------------------------------------------
PROBE = r"""#!/bin/sh
# run by the real servarr-sync.service (a drop-in replaces its ExecStart only): what may it write?
out=/var/lib/servarr/jobs/sync/probe.txt
: > "$out" || exit 1
try() { if ( : > "$2" ) 2>/dev/null; then echo "$1 writable" >> "$out"; else echo "$1 refused" >> "$out"; fi; }
try state_top /var/lib/servarr/probe
try own_state /var/lib/servarr/jobs/sync/probe
try other_job /var/lib/servarr/jobs/purge/probe
try reports /var/lib/servarr/reports/probe
try logs /var/log/servarr/probe
try etc /etc/probe
try staging "$1/_staging/probe"
try library "$1/movies/probe"
rm -f /var/lib/servarr/jobs/sync/probe /var/log/servarr/probe "$1/_staging/probe"
if [ -r "$CREDENTIALS_DIRECTORY/vault-pass" ]; then echo "credential delivered" >> "$out"; fi
echo "user $(id -un)" >> "$out"
"""


class Booted:
    """ROOT booted with systemd-nspawn (the host's network: the lab on 127.0.0.1 is reachable), commands run in
    it with nsenter."""

    def __init__(self, root):
        self.root = root
        self.log = open(os.path.join(os.path.dirname(root), "nspawn.log"), "w")
        self.proc = subprocess.Popen(["systemd-nspawn", "-q", "-D", root, "-b", "--register=no", "--keep-unit",
                                      "--console=pipe"], stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.leader = None
        deadline = time.time() + 60
        while time.time() < deadline and self.leader is None and self.proc.poll() is None:
            children = glob.glob("/proc/%d/task/*/children" % self.proc.pid)
            for path in children:
                with open(path) as handle:
                    pids = handle.read().split()
                if pids:
                    self.leader = int(pids[0])
            time.sleep(0.2)

    def run(self, argv, timeout=120):
        cmd = ["nsenter", "-t", str(self.leader), "-m", "-u", "-i", "-n", "-p", "-r", "-w"] + argv
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout,
                              check=False, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})

    def wait_running(self, timeout=90):
        deadline = time.time() + timeout
        state = ""
        while time.time() < deadline:
            state = self.run(["systemctl", "is-system-running"]).stdout.strip()
            if state in ("running", "degraded"):
                return state
            time.sleep(1)
        return state

    def show(self, unit, *props):
        out = self.run(["systemctl", "show", unit] + ["-p" + p for p in props]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_inactive(self, unit, timeout=300):
        deadline = time.time() + timeout
        values = {}
        while time.time() < deadline:
            values = self.show(unit, "ActiveState", "Result", "ExecMainStatus", "InvocationID")
            if values.get("ActiveState") in ("inactive", "failed"):
                return values
            time.sleep(1)
        return values

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()   # nspawn asks the container's systemd to power off
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def dropin(root, unit, text):
    folder = os.path.join(root, "etc/systemd/system", unit + ".d")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "zz-test.conf"), "w") as handle:
        handle.write(text)
    return folder


def converge_booted(machine, inventory):
    """The role converged through the running system (nsenter into the booted root): a changed schedule reaches
    systemd without anybody running daemon-reload."""
    schedule = "*-*-* *:07/15:00"
    overrides = json.dumps({"servarr_job_overrides": {"jellyfin": {"schedule": schedule}}})
    proc = subprocess.run(["ansible-playbook", "-i", inventory, "-e", "ansible_servarr_nsenter_pid=%d" % machine.leader,
                           "-e", overrides, os.path.join(os.path.dirname(os.path.abspath(__file__)), "converge.yml")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    recap = [line for line in proc.stdout.splitlines() if "debian12" in line and "ok=" in line]
    check(proc.returncode == 0, "the role converged through the booted system (rc %d): %s%s"
          % (proc.returncode, recap, "" if proc.returncode == 0 else "\n" + proc.stdout[-3000:]))
    values = machine.show(PREFIX + "jellyfin.timer", "NeedDaemonReload", "TimersCalendar", "ActiveState")
    check(values.get("NeedDaemonReload") == "no" and "07/15" in values.get("TimersCalendar", "")
          and values.get("ActiveState") == "active",
          "the new schedule is live without a manual daemon-reload: %s" % values)


def booted(root, lab_json, inventory=None):
    with open(lab_json) as handle:
        lab = json.load(handle)
    nas = lab["nas"]
    with open(os.path.join(root, "usr/local/sbin/servarr-probe"), "w") as handle:
        handle.write(PROBE)
    os.chmod(os.path.join(root, "usr/local/sbin/servarr-probe"), 0o755)
    folders = [dropin(root, PREFIX + "sync.service", "[Service]\nExecStart=\nExecStart=/usr/local/sbin/servarr-probe %s\n" % nas),
               dropin(root, PREFIX + "jellyfin.timer", "[Timer]\nOnActiveSec=3s\nRandomizedDelaySec=0\n"),
               dropin(root, PREFIX + "cleanup.service", "[Service]\nExecStart=\nExecStart=/bin/false\n")]
    server = http.server.HTTPServer(("127.0.0.1", lab["ntfy_port"]), Ntfy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    machine = Booted(root)
    try:
        check(machine.leader is not None, "systemd-nspawn booted the root (leader pid %s)" % machine.leader)
        if machine.leader is None:
            return done()
        state = machine.wait_running()
        check(state in ("running", "degraded"), "systemd is up in the booted root: %s" % state)
        timers = machine.run(["systemctl", "list-timers", "--all", "--no-legend", PREFIX + "*"]).stdout
        check(all(PREFIX + job + ".timer" in timers for job in SCHEDULED),
              "every scheduled job's timer is loaded and enabled: %s" % timers.strip().replace("\n", " | "))
        # a timer fires a dry run of the real job against the lab (a drop-in: 3 s after the timer starts)
        machine.run(["systemctl", "restart", PREFIX + "jellyfin.timer"])
        deadline = time.time() + 60
        values = {}
        while time.time() < deadline:
            values = machine.show(PREFIX + "jellyfin.service", "ExecMainStartTimestampMonotonic")
            if values.get("ExecMainStartTimestampMonotonic", "0") != "0":
                break
            time.sleep(1)
        values = machine.wait_inactive(PREFIX + "jellyfin.service")
        log = read(root, "var/log/servarr/jellyfin.log")
        mine = log[log.rfind("(run %s)" % values.get("InvocationID")):] if values.get("InvocationID") else ""
        check(values.get("Result") == "success" and "DRY RUN" in log and "(run %s)" % values.get("InvocationID") in log
              and re.search(r"failed=0 ", mine) is not None,
              "the jellyfin timer fired a dry run that succeeded, its log line names systemd's invocation id: %s"
              % values)
        # the sandbox: the real sync unit (its ExecStart replaced by the probe) writes only its own folders
        machine.run(["systemctl", "start", PREFIX + "sync.service"], timeout=120)
        values = machine.wait_inactive(PREFIX + "sync.service")
        probe = read(root, "var/lib/servarr/jobs/sync/probe.txt") if os.path.exists(
            os.path.join(root, "var/lib/servarr/jobs/sync/probe.txt")) else ""
        for line in ("own_state writable", "logs writable", "staging writable", "state_top refused",
                     "other_job refused", "reports refused", "etc refused", "library refused",
                     "credential delivered", "user servarr"):
            check(line in probe, "booted sync unit: %s (%s)" % (line, values.get("Result")))
        # OnFailure: a unit that fails reaches ntfy through servarr-failure@ with the token
        before = len(Ntfy.messages)
        machine.run(["systemctl", "start", PREFIX + "cleanup.service"], timeout=120)
        machine.wait_inactive(PREFIX + "cleanup.service")
        deadline = time.time() + 60
        while time.time() < deadline and len(Ntfy.messages) == before:
            time.sleep(1)
        sent = Ntfy.messages[before:]
        check(len(sent) == 1 and sent[0]["auth"] == "Bearer " + lab["ntfy_token"]
              and "cleanup" in sent[0]["body"]["title"] and "exit status 1" in sent[0]["body"]["message"],
              "OnFailure sent the failed cleanup run to ntfy once, with the token: %s"
              % [m["body"].get("message", "")[:200] for m in sent])
        if inventory:
            converge_booted(machine, inventory)
    finally:
        machine.stop()
        server.shutdown()
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        for rel in ("usr/local/sbin/servarr-probe", "var/lib/servarr/jobs/sync/probe.txt"):
            if os.path.exists(os.path.join(root, rel)):
                os.unlink(os.path.join(root, rel))
    done()


# -- state: absent --------------------------------------------------------------------------------------------
ALLOWED_NEW = (  # written by Debian's packaging when the role installed its packages, not by the role
    "var/lib/dpkg", "var/lib/apt", "var/cache/apt", "var/log/apt", "var/log/dpkg.log", "var/cache/debconf",
    "var/cache/ldconfig", "etc/ld.so.cache", "var/lib/systemd/deb-systemd-helper-enabled", "var/lib/ucf",
    "etc/alternatives", "var/log/alternatives.log", "var/lib/logrotate", "var/lib/systemd/timers",
    "etc/ssl/certs", "etc/ca-certificates.conf", "usr/local/share/ca-certificates",  # ca-certificates
    "etc/hosts", "etc/networks",  # netbase
    # written by the root's own systemd when the systemd scenario booted it (journal, random seed, catalog,
    # private folders of sandboxed units)
    "var/lib/systemd", "var/log/journal", "var/tmp/systemd-private-", "var/cache/private", "var/lib/private",
    "var/log/private", "etc/machine-id", "etc/systemd/system/timers.target.wants",
)


def dpkg_paths(root):
    owned = set()
    for name in glob.glob(os.path.join(root, "var/lib/dpkg/info/*.list")):
        with open(name, errors="replace") as handle:
            owned.update(line.strip().lstrip("/") for line in handle if line.strip() not in ("", "/."))
    # Debian 12 merges /usr: a package lists /lib/x, the file is /usr/lib/x
    owned.update("usr/" + p for p in list(owned) if p.split("/")[0] in ("bin", "sbin", "lib", "lib32", "lib64"))
    return owned


def absent(root, fresh, mode):
    for rel in ROLE_PATHS:
        if rel == "etc/servarr" and mode == "keep-data":
            left = sorted(os.listdir(os.path.join(root, rel))) if os.path.isdir(os.path.join(root, rel)) else None
            check(left == ["my-notes.txt"], "/etc/servarr keeps only the user's own file: %s" % left)
            continue
        check(not os.path.lexists(os.path.join(root, rel)), "/%s is gone" % rel)
    left = glob.glob(os.path.join(root, "etc/systemd/system", PREFIX + "*"))
    left += glob.glob(os.path.join(root, "etc/systemd/system/*.wants", PREFIX + "*"))
    check(not left, "no unit or enablement of the role: %s" % left)
    if mode == "keep-data":
        for rel in ("var/lib/servarr", "var/lib/servarr/reports", "var/log/servarr"):
            check(os.path.isdir(os.path.join(root, rel)), "/%s stays" % rel)
        check(passwd(root, "servarr") is not None, "the user servarr stays (it owns the data)")
        done()
        return
    for rel in ("var/lib/servarr", "var/log/servarr"):
        check(not os.path.lexists(os.path.join(root, rel)), "/%s is gone" % rel)
    for rel in ("etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"):
        check(not re.search(r"(?m)^servarr:", read(root, rel)), "no servarr in /%s" % rel)
    with open(fresh) as handle:
        before = json.load(handle)
    owned = dpkg_paths(root)
    new = [p for p in listing(root) if p not in before]
    unexplained = [p for p in new if p not in owned and not p.startswith(ALLOWED_NEW)
                   and "/__pycache__" not in "/" + p and not re.match(r"etc/systemd/system/[^/]+\.wants/", p)
                   and not re.match(r"etc/rc\d\.d/|etc/cron\.daily/", p)]
    check(not unexplained, "every path not in the fresh root belongs to a Debian package: %s" % unexplained[:30])
    role_like = [p for p in new if "servarr" in p]
    check(not role_like, "no path named like the role: %s" % role_like)
    done()


def main():
    action = sys.argv[1]
    if action == "snapshot":
        snapshot(sys.argv[2], sys.argv[3])
    elif action == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif action == "installed":
        installed(os.path.realpath(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif action == "booted":
        booted(os.path.realpath(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    elif action == "absent":
        absent(sys.argv[2], sys.argv[3], sys.argv[4])


if __name__ == "__main__":
    main()
