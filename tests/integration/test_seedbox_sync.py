# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""lftp_mirror through ansible-playbook: real lftp over real SFTP (OpenSSH sshd on 127.0.0.1)."""
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import run_with_vars
import lab as lab_mod

PLAYBOOK = "playbooks/seedbox_sync.yml"
TASK = "Mirror completed downloads through a staging folder"
MB = 1024 * 1024
HOSTILE = ["It's a \"Quote\" Movie (2001)", "$(touch pwned) `touch pwned2`; rm -rf x (2002)", "-rf (2003)",
           "Star*Wars? (1977)", "Amélie – Le Fabuleux Destin (2001) 映画", "L" * 200]
LAB_USER = "servarrlab"


def write(path, size, seed):
    """A file of ``size`` bytes whose content depends on ``seed`` (so a wrong segment is noticed)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    block = hashlib.sha256(seed.encode("utf-8")).digest() * (MB // 32)
    with open(path, "wb") as handle:
        left = size
        while left > 0:
            handle.write(block[:min(left, len(block))])
            left -= len(block)
    old = time.time() - 3600   # finished an hour ago: older than min_age
    os.utime(path, (old, old))


def age(root):
    old = time.time() - 3600
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(folder, name), (old, old), follow_symlinks=False)
    os.utime(root, (old, old))


def tree(root):
    """relative path -> sha256 of every file under root."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = hashlib.sha256(handle.read()).hexdigest()
    return found


@pytest.fixture
def seedbox(tmp_path):
    d = str(tmp_path / "lab")
    os.makedirs(d)
    port = lab_mod.free_port()
    key = lab_mod.start_sshd(d, port)
    remote = tmp_path / "seedbox" / "completed"
    nas = tmp_path / "nas"
    for sub in ("_done", "_staging", "state"):
        (nas / sub).mkdir(parents=True)
    write(str(remote / "Dune (2021)" / "Dune (2021).mkv"), 24 * MB, "dune")
    write(str(remote / "Dune (2021)" / "Dune (2021).nfo"), 300, "dune-nfo")
    write(str(remote / "Dune (2021)" / "Subs" / "English.srt"), 2000, "dune-srt")
    write(str(remote / "Dune (2021)" / "Subs" / "Deep" / "Forced.srt"), 100, "dune-forced")
    write(str(remote / "Show.S01E01.1080p.mkv"), 9 * MB, "single")
    write(str(remote / "Andor.S02.1080p" / "Andor.S02E01.mkv"), 5 * MB, "andor1")
    write(str(remote / "Andor.S02.1080p" / "Andor.S02E02.mkv"), 5 * MB, "andor2")
    age(str(remote))
    info = {"dir": d, "port": port, "key": key, "known_hosts": os.path.join(d, "known_hosts"),
            "remote": str(remote), "dest": str(nas / "_done"), "staging": str(nas / "_staging"),
            "state": str(nas / "state" / "sync.json"), "log": str(nas / "state" / "sync.log"), "work": d}
    yield info
    lab_mod._kill_pidfile(os.path.join(d, "sshd.pid"))


def host_vars(s, **extra):
    values = {"servarr_sftp_host": "127.0.0.1", "servarr_sftp_port": s["port"],
              "servarr_sftp_username": "root", "servarr_sftp_key_file": s["key"],
              "servarr_sftp_known_hosts": s["known_hosts"], "servarr_sync_remote_dir": s["remote"],
              "servarr_sync_staging_dir": s["staging"], "servarr_sync_dest": s["dest"],
              "servarr_sync_state_file": s["state"], "servarr_sync_log_file": s["log"],
              "servarr_sync_progress_interval": 1}
    values.update(extra)
    return values


def run(s, check=False, diff=False, extra_args=(), **extra):
    return run_with_vars(s["work"], PLAYBOOK, host_vars(s, **extra), check=check, diff=diff, extra_args=extra_args)


class Sampler(threading.Thread):
    """Looks at the import folder every few milliseconds while a run goes on: any item there must be complete."""

    def __init__(self, dest, expected):
        super().__init__(daemon=True)
        self.dest, self.expected, self.partial, self.samples = dest, expected, [], 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for name in os.listdir(self.dest):
                path = os.path.join(self.dest, name)
                want = self.expected.get(name)
                have = {}
                if os.path.isdir(path):
                    for folder, dirs, files in os.walk(path):
                        for f in files:
                            full = os.path.join(folder, f)
                            try:
                                have[os.path.relpath(full, path)] = os.path.getsize(full)
                            except OSError:
                                pass
                else:
                    try:
                        have = {"": os.path.getsize(path)}
                    except OSError:
                        pass
                if want is not None and have != want:
                    self.partial.append((name, have))
            self.samples += 1
            time.sleep(0.005)


def sizes(root, name):
    path = os.path.join(root, name)
    if os.path.isfile(path):
        return {"": os.path.getsize(path)}
    return dict((os.path.relpath(os.path.join(f, n), path), os.path.getsize(os.path.join(f, n)))
                for f, dirs, files in os.walk(path) for n in files)


def test_check_mode_lists_with_lftp_dry_run_and_writes_nothing(seedbox):
    res = run(seedbox, check=True, diff=True, servarr_sync_remove_source=True)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task(TASK)
    assert [i["name"] for i in task["fetched"]] == ["Andor.S02.1080p", "Dune (2021)", "Show.S01E01.1080p.mkv"]
    assert task["bytes"] == 24 * MB + 300 + 2000 + 100 + 9 * MB + 10 * MB
    assert task["lftp_dry_run_files"] == 6   # the mirror --dry-run lines of the two folders
    assert task["changed"] is True
    assert "Dune (2021)  [4 files" in task["diff"]["after"] and "then removed from the seedbox" in task["diff"]["after"]
    assert all(i["removed_remote"] and not i["handed_off"] for i in task["fetched"])
    assert os.listdir(seedbox["dest"]) == [] and os.listdir(seedbox["staging"]) == []
    assert not os.path.exists(seedbox["state"])
    assert len(tree(seedbox["remote"])) == 7


def test_releases_arrive_byte_identical_and_never_partial(seedbox):
    source = tree(seedbox["remote"])
    expected = dict((name, sizes(seedbox["remote"], name)) for name in os.listdir(seedbox["remote"]))
    sampler = Sampler(seedbox["dest"], expected)
    sampler.start()
    res = run(seedbox, servarr_sync_remove_source=True, servarr_sync_bandwidth_limit="20M")
    sampler.stop.set()
    sampler.join()
    assert res.rc == 0, res.stdout[-3000:]
    assert sampler.samples > 50 and sampler.partial == []
    assert tree(seedbox["dest"]) == source
    task = res.task(TASK)
    assert all(i["verified"] and i["removed_remote"] and i["handed_off"] for i in task["fetched"])
    assert task["fetched"][1]["throughput_mb_s"] > 0
    # the seedbox copies are gone, folders included; the remote root stays; staging holds only the lock
    assert os.listdir(seedbox["remote"]) == []
    assert os.listdir(seedbox["staging"]) == [".lftp_mirror.lock"]
    log = open(seedbox["log"]).read()
    assert "Dune (2021): handed off" in log and "MB/s" in log
    again = run(seedbox)
    assert again.rc == 0 and again.task(TASK)["changed"] is False and again.task(TASK)["fetched"] == []


def test_second_run_without_remove_source_fetches_nothing_again(seedbox):
    assert run(seedbox).rc == 0
    # Radarr imports the movie: it leaves the import folder, but the seedbox still has it
    subprocess.run(["rm", "-rf", os.path.join(seedbox["dest"], "Dune (2021)")], check=True)
    again = run(seedbox)
    task = again.task(TASK)
    assert task["changed"] is False and task["fetched"] == []
    assert {"name": "Dune (2021)", "reason": "already handed off by an earlier run"} in task["not_fetched"]


def test_hostile_names_arrive_intact_and_nothing_runs(seedbox, tmp_path, monkeypatch):
    for n, name in enumerate(HOSTILE):
        write(os.path.join(seedbox["remote"], name, name[:60] + ".mkv"), 2 * MB + n, "h%d" % n)
        write(os.path.join(seedbox["remote"], name, "sub ' \" $(x) `y`", "a;b.srt"), 10, "s%d" % n)
    write(os.path.join(seedbox["remote"], "-single file 'x'.mkv"), MB, "single-hostile")
    age(seedbox["remote"])
    monkeypatch.chdir(tmp_path)
    source = tree(seedbox["remote"])
    res = run(seedbox)
    assert res.rc == 0, res.stdout[-3000:]
    assert tree(seedbox["dest"]) == source
    for witness in ("pwned", "pwned2"):
        assert not os.path.exists(os.path.join(str(tmp_path), witness))
        assert not os.path.exists(os.path.join(seedbox["work"], witness))
        assert not os.path.exists(os.path.join("/tmp", witness))


def digest(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


@pytest.mark.parametrize("layout", ["release folder", "single file"])
def test_sigkill_in_the_middle_of_a_segmented_file_then_resume(seedbox, layout):
    if layout == "release folder":
        big = os.path.join(seedbox["remote"], "Big (2020)", "Big (2020).mkv")
        arrived = os.path.join(seedbox["dest"], "Big (2020)", "Big (2020).mkv")
        staged = os.path.join(seedbox["staging"], "Big (2020)")
    else:
        big = os.path.join(seedbox["remote"], "Big (2020).mkv")
        arrived = os.path.join(seedbox["dest"], "Big (2020).mkv")
        staged = seedbox["staging"]
    write(big, 120 * MB, "big")
    age(seedbox["remote"])
    source = digest(big)
    killed = {}

    def killer():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
                except OSError:
                    continue
                if cmd and os.path.basename(cmd[0]) == b"lftp":
                    done = 0
                    for folder, dirs, files in os.walk(staged):
                        done += sum(os.lstat(os.path.join(folder, f)).st_blocks * 512 for f in files)
                    if done > 30 * MB:
                        os.kill(int(pid), signal.SIGKILL)
                        killed["at"] = done
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    first = run(seedbox, servarr_sync_include=["Big*"], servarr_sync_bandwidth_limit="16M",
                servarr_sync_remove_source=True)
    thread.join()
    assert killed, "lftp was never seen running"
    assert first.rc != 0
    entry = first.task(TASK)["fetched"][0]
    assert entry["name"] == os.path.basename(big if layout == "single file" else os.path.dirname(big))
    assert not entry["verified"] and entry["error"]
    assert "not complete" in entry["error"]
    # its figures count what was received before the kill, not the item's size
    assert killed["at"] * 0.5 <= entry["received_bytes"] < 120 * MB
    assert entry["throughput_mb_s"] == pytest.approx(entry["received_bytes"] / entry["seconds"] / 1e6, abs=0.11)
    assert os.listdir(seedbox["dest"]) == []                    # nothing partial reached the import folder
    assert os.path.getsize(big) == 120 * MB                     # the seedbox copy was not removed
    second = run(seedbox, servarr_sync_include=["Big*"], servarr_sync_remove_source=True)
    assert second.rc == 0, second.stdout[-3000:]
    entry = second.task(TASK)["fetched"][0]
    assert entry["resumed"] is True and entry["checksummed"] >= 1 and entry["verified"] is True
    assert entry["received_bytes"] < 120 * MB or entry["refetched_from_scratch"] is True
    assert digest(arrived) == source
    assert not os.path.exists(big)
    assert [n for n in os.listdir(seedbox["staging"]) if n != ".lftp_mirror.lock"] == []


def test_a_second_run_while_one_holds_the_lock_does_nothing(seedbox):
    with open(os.path.join(seedbox["staging"], ".lftp_mirror.lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        res = run(seedbox)
    task = res.task(TASK)
    assert res.rc == 0 and task["locked"] is True and task["changed"] is False
    assert "another lftp_mirror run is in progress" in task["msg"]
    assert task["seconds"] > 0   # the time it really took, not 0.0
    assert os.listdir(seedbox["dest"]) == []


def test_items_still_being_written_are_left_for_later(seedbox):
    write(os.path.join(seedbox["remote"], "Fresh (2024)", "Fresh.mkv"), MB, "fresh")
    os.utime(os.path.join(seedbox["remote"], "Fresh (2024)", "Fresh.mkv"))   # written just now
    res = run(seedbox, check=True)
    skipped = dict((s["name"], s["reason"]) for s in res.task(TASK)["not_fetched"])
    assert "less than min_age" in skipped["Fresh (2024)"]


@pytest.mark.parametrize("case,expected", [
    ("unknown host key", "is not in"),
    ("wrong pinned fingerprint", "not the pinned"),
    ("unreachable host", "cannot reach 127.0.0.1"),
    ("remote folder missing", "cannot list"),
    ("key file missing", "the SSH key file {key} does not exist (sftp_key_file)"),
    ("key file is a folder", "the SSH key file {key} is a folder"),
    ("key file is the public key", "the SSH key file {key} does not hold a private key"),
])
def test_failures_fetch_and_remove_nothing(seedbox, case, expected):
    extra = {"servarr_sync_remove_source": True}
    if case.startswith("key file"):
        key = os.path.join(seedbox["dir"], "wrong_key")
        if case.endswith("folder"):
            os.mkdir(key)
        elif case.endswith("public key"):
            shutil.copy(seedbox["key"] + ".pub", key)
        extra["servarr_sftp_key_file"] = key
        expected = expected.format(key=key)
    if case == "unknown host key":
        empty = os.path.join(seedbox["dir"], "empty_known_hosts")
        open(empty, "w").close()
        extra["servarr_sftp_known_hosts"] = empty
    elif case == "wrong pinned fingerprint":
        extra["servarr_sftp_host_fingerprint"] = "SHA256:" + "A" * 43
    elif case == "unreachable host":
        extra["servarr_sftp_port"] = lab_mod.free_port()
    else:
        extra["servarr_sync_remote_dir"] = seedbox["remote"] + "/missing"
    before = tree(seedbox["remote"])
    res = run(seedbox, **extra)
    assert res.rc != 0
    msg = res.task(TASK)["msg"]
    assert expected in msg and "[Errno" not in msg
    assert ("reach" in msg) == (case == "unreachable host")   # only a network problem is called one
    assert tree(seedbox["remote"]) == before and os.listdir(seedbox["dest"]) == []


def test_pinned_fingerprint_is_enough(seedbox):
    pub = os.path.join(seedbox["dir"], "ssh_host_ed25519_key.pub")
    fp = subprocess.run(["ssh-keygen", "-lf", pub], stdout=subprocess.PIPE, text=True, check=True).stdout.split()[1]
    res = run(seedbox, check=True, servarr_sftp_known_hosts=os.path.join(seedbox["dir"], "nothing"),
              servarr_sftp_host_fingerprint=fp)
    assert res.rc == 0, res.stdout[-2000:]
    assert len(res.task(TASK)["fetched"]) == 3


def test_accept_new_host_key_is_off_by_default_and_writes_only_in_a_real_run(seedbox):
    fresh = os.path.join(seedbox["dir"], "fresh_known_hosts")
    open(fresh, "w").close()
    assert run(seedbox, check=True, servarr_sftp_known_hosts=fresh).rc != 0
    values = host_vars(seedbox, servarr_sftp_known_hosts=fresh)
    values["servarr_sftp_accept_new_host_key"] = True
    res = run_with_vars(seedbox["work"], PLAYBOOK, values, check=True)
    assert res.rc == 0, res.stdout[-2000:]
    assert open(fresh).read() == ""                     # check mode wrote nothing
    res = run_with_vars(seedbox["work"], PLAYBOOK, values)
    assert res.rc == 0, res.stdout[-2000:]
    assert "ssh-ed25519" in open(fresh).read()          # the real run remembered the key


@pytest.fixture
def password_login(seedbox):
    """A second sshd that takes passwords, for a user with a known password (needs root: useradd, chpasswd)."""
    if os.geteuid() != 0:
        pytest.skip("password logins need a user with a known password: run as root")
    if subprocess.run(["id", LAB_USER], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                      check=False).returncode != 0:
        subprocess.run(["useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", LAB_USER], check=True)
    password = "pw-" + hashlib.sha1(os.urandom(8)).hexdigest()
    subprocess.run(["chpasswd"], input="%s:%s\n" % (LAB_USER, password), text=True, check=True)
    d = seedbox["dir"]
    port = lab_mod.free_port()
    conf = open(os.path.join(d, "sshd_config")).read()
    conf = conf.replace("Port %d" % seedbox["port"], "Port %d" % port)
    conf = conf.replace("PasswordAuthentication no", "PasswordAuthentication yes")
    conf = conf.replace(os.path.join(d, "sshd.pid"), os.path.join(d, "sshd-pw.pid"))
    with open(os.path.join(d, "sshd_config_pw"), "w") as handle:
        handle.write(conf)
    subprocess.run(["/usr/sbin/sshd", "-f", os.path.join(d, "sshd_config_pw"), "-E", os.path.join(d, "sshd-pw.log")],
                   check=True)
    lab_mod.wait_port(port)
    pub = open(os.path.join(d, "ssh_host_ed25519_key.pub")).read().split()
    with open(os.path.join(d, "known_hosts_pw"), "w") as handle:
        handle.write("[127.0.0.1]:%d %s %s\n" % (port, pub[0], pub[1]))
    # the seedbox files belong to that user
    base = os.path.dirname(seedbox["remote"])
    folder = base
    while folder != "/":   # let that user reach it: add only the traverse bit on the folders above
        os.chmod(folder, os.stat(folder).st_mode | 0o001)
        folder = os.path.dirname(folder)
    subprocess.run(["chown", "-R", LAB_USER, base], check=True)
    yield {"port": port, "password": password, "known_hosts": os.path.join(d, "known_hosts_pw")}
    lab_mod._kill_pidfile(os.path.join(d, "sshd-pw.pid"))


def test_password_login_keeps_the_password_off_every_command_line(seedbox, password_login):
    seen, stop = [], threading.Event()

    def watch():
        secret = password_login["password"].encode()
        while not stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        cmd = open("/proc/%s/cmdline" % pid, "rb").read()
                    except OSError:
                        continue
                    if b"lftp" in cmd or b"ssh" in cmd:
                        seen.append(secret in cmd)
            time.sleep(0.01)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    base = {"servarr_sftp_port": password_login["port"], "servarr_sftp_username": LAB_USER,
            "servarr_sftp_key_file": None, "servarr_sftp_known_hosts": password_login["known_hosts"],
            "servarr_sftp_password": password_login["password"]}
    source = tree(seedbox["remote"])
    res = run(seedbox, extra_args=["-vvv"], servarr_sync_bandwidth_limit="20M", servarr_sync_remove_source=True,
              **base)
    stop.set()
    thread.join()
    assert res.rc == 0, res.stdout[-3000:]
    assert tree(seedbox["dest"]) == source and os.listdir(seedbox["remote"]) == []
    assert len(seen) > 10 and not any(seen)
    assert password_login["password"] not in res.stdout + res.stderr
    assert password_login["password"] not in open(seedbox["log"]).read()
    wrong_password = dict(base)
    wrong_password["servarr_sftp_password"] = "not-the-password"
    wrong = run(seedbox, **wrong_password)
    assert wrong.rc != 0 and "rejected the credentials" in wrong.task(TASK)["msg"]


def test_a_download_rtorrent_has_not_finished_is_never_fetched_however_old(lab):
    """The lab's rTorrent (behind lighttpd, HTTPS + Digest) has one torrent whose data failed its hash check:
    its folder on the seedbox is older than min_age (0 here) and looks like any finished release."""
    from conftest import run_playbook
    incomplete = lab["torrents"]["incomplete"]["name"]
    dest = os.path.join(lab["nas"], "_done")
    res = run_playbook(lab, PLAYBOOK)
    assert res.rc == 0, res.stdout[-3000:]
    task = res.task(TASK)
    reasons = dict((i["name"], i["reason"]) for i in task["not_fetched"])
    assert list(reasons) == [incomplete]
    done = re.fullmatch(r"rTorrent has not finished downloading %s \((\d+)%%\)" % re.escape(incomplete),
                        reasons[incomplete])
    assert done and int(done.group(1)) < 100   # its corrupt chunks failed the check: 67% here
    fetched = sorted(e["name"] for e in task["fetched"] if e["handed_off"])
    assert incomplete not in os.listdir(dest) and sorted(os.listdir(dest)) == fetched
    assert lab["torrents"]["movie_a"]["name"] in fetched

    # without rTorrent's word the same folder would have gone to Radarr (check mode: nothing written)
    shutil.rmtree(dest)
    os.makedirs(dest)
    blind = run_playbook(lab, PLAYBOOK, check=True, servarr_rtorrent_url="")
    assert blind.rc == 0 and incomplete in [e["name"] for e in blind.task(TASK)["fetched"]]

    # an rTorrent that cannot be asked stops the run before anything is fetched
    down = run_playbook(lab, PLAYBOOK, servarr_rtorrent_url="scgi://127.0.0.1:%d" % lab_mod.free_port())
    assert down.rc != 0 and "cannot ask rTorrent which downloads are finished" in down.task(TASK)["msg"]
    assert "nothing was fetched" in down.task(TASK)["msg"]
    assert os.listdir(dest) == []


def start_playbook(s, **extra):
    """ansible-playbook as conftest.run_with_vars starts it, but not waited for: the test kills it."""
    from conftest import COLLECTIONS, REPO, TESTS
    import json
    import sys
    values = dict({"ansible_connection": "local", "ansible_python_interpreter": sys.executable}, **host_vars(s, **extra))
    inv_path = os.path.join(s["work"], "inventory-kill.yml")
    with open(inv_path, "w") as handle:
        json.dump({"all": {"children": {"servarr": {"hosts": {"lab": values}}}}}, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_HOME=os.path.join(s["work"], "ansible-home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inv_path,
           os.path.join(REPO, PLAYBOOK)]
    assert TESTS
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=default_signals)


def default_signals():
    """The signals the test sends act as they do for a playbook started from a terminal or by systemd, even when
    the test suite itself runs under nohup or in a shell's background (SIGHUP or SIGINT ignored and inherited)."""
    import signal
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def proc_children():
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                data = open("/proc/%s/stat" % name, "rb").read()
            except OSError:
                continue
            ppid = int(data[data.rfind(b")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(name))
    return children


def descendants_of(pid):
    children, found, stack = proc_children(), [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def cmdline(pid):
    try:
        return open("/proc/%d/cmdline" % pid, "rb").read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def start_time(pid):
    try:
        data = open("/proc/%d/stat" % pid, "rb").read()
        return int(data[data.rfind(b")") + 2:].split()[19])
    except OSError:
        return None


def alive(pid, start):
    return start_time(pid) == start


def holding_files_under(folder):
    """pids of processes that have a file under ``folder`` open (lftp writing into staging)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            fds = os.listdir("/proc/%s/fd" % name)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink("/proc/%s/fd/%s" % (name, fd))
            except OSError:
                continue
            if target.startswith(folder + "/"):
                found.append(int(name))
                break
    return found


def key_copies(key_path):
    """Files under /tmp, /var/tmp and /dev/shm (other than the key itself) whose content is the key's."""
    key = open(key_path, "rb").read()
    found = []
    for root in ("/tmp", "/var/tmp", "/dev/shm"):
        for folder, dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    if os.lstat(path).st_size != len(key) or os.path.samefile(path, key_path):
                        continue
                    with open(path, "rb") as handle:
                        if handle.read() == key:
                            found.append(path)
                except OSError:
                    continue
    return found


@pytest.mark.parametrize("how", ["SIGTERM to ansible-playbook", "SIGINT to ansible-playbook",
                                 "SIGHUP to ansible-playbook", "SIGKILL to the module"])
def test_a_run_cut_short_leaves_nothing_behind_and_the_next_one_finishes(seedbox, how):
    big = os.path.join(seedbox["remote"], "Big (2020)", "Big (2020).mkv")
    write(big, 48 * MB, "big-kill")
    write(os.path.join(seedbox["remote"], "Big (2020)", "Big (2020).nfo"), 500, "big-kill-nfo")
    age(seedbox["remote"])
    source = tree(os.path.dirname(big))
    staged = os.path.join(seedbox["staging"], "Big (2020)")
    playbook = start_playbook(seedbox, servarr_sync_include=["Big*"], servarr_sync_bandwidth_limit="3M",
                              servarr_sync_remove_source=True)
    module = lftp = None
    run_procs = {}
    deadline = time.time() + 60
    try:
        # wait until lftp has received a few MB; remember every process of the run
        while time.time() < deadline:
            for pid in descendants_of(playbook.pid):
                start = start_time(pid)
                if start is not None:
                    run_procs[pid] = start
                line = cmdline(pid)
                if "AnsiballZ_lftp_mirror" in line and "/bin/sh" not in line:
                    module = pid
                if line.startswith("/usr/bin/lftp") or line.startswith("lftp"):
                    lftp = pid
            received = sum(os.lstat(os.path.join(f, n)).st_blocks * 512
                           for f, d, names in os.walk(staged) for n in names) if os.path.isdir(staged) else 0
            if module and lftp and received > 6 * MB:
                break
            time.sleep(0.05)
        assert module and lftp, "lftp never ran under the module"
        assert received < 40 * MB
        ssh_seen = [pid for pid in run_procs if cmdline(pid).startswith("ssh ")]
        assert ssh_seen, "lftp's ssh processes were not seen"
        session_prefix = "servarr-lftp-%d." % module
        signame, target = how.split(" to ")
        os.kill(module if target == "the module" else playbook.pid, getattr(signal, signame))
        playbook.wait(timeout=60)
        # the module and everything it started end within seconds; nothing writes into staging any more
        end = time.time() + 15
        while time.time() < end:
            left = [pid for pid, start in run_procs.items() if alive(pid, start) and pid != playbook.pid]
            left += [pid for pid in holding_files_under(seedbox["staging"]) if pid not in left]
            if not left:
                break
            time.sleep(0.1)
        assert not left, ["%d %s" % (pid, cmdline(pid)[:150]) for pid in left]
        leftovers = [int(n) for n in os.listdir("/proc") if n.isdigit() and session_prefix in cmdline(int(n))]
        assert leftovers == []
    finally:
        if playbook.poll() is None:
            playbook.kill()
        for pid, start in run_procs.items():   # never leave a process behind, even when the test fails
            if alive(pid, start) and pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    time.sleep(1)   # a hand-off or removal that was going to happen would happen now
    assert key_copies(seedbox["key"]) == []
    assert os.listdir(seedbox["dest"]) == []                       # no hand-off after the stop
    assert tree(os.path.dirname(big)) == source                     # the seedbox copy is kept
    with open(os.path.join(seedbox["staging"], ".lftp_mirror.lock"), "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)   # the lock was released
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    if signame != "SIGKILL":
        log = open(seedbox["log"]).read()
        # the signal may reach the module (ansible-playbook passes SIGTERM and SIGINT on to its workers'
        # process groups) or not (SIGHUP): then the module notices that ansible-playbook, or the worker that
        # reads its output, is gone
        reasons = ["(pid %d) ended" % playbook.pid, "%s received" % signame, "the reader of the module's output is gone"]
        assert "stopping: " in log and any(r in log for r in reasons), log[-2000:]
        assert "Big (2020): handed off" not in log
    # the next run resumes from what the stopped one left, and finishes byte-identical
    again = run(seedbox, servarr_sync_include=["Big*"], servarr_sync_remove_source=True)
    assert again.rc == 0, again.stdout[-3000:]
    entry = again.task(TASK)["fetched"][0]
    assert entry["resumed"] is True and entry["verified"] is True and entry["removed_remote"] is True
    assert tree(os.path.join(seedbox["dest"], "Big (2020)")) == source
    assert not os.path.exists(os.path.dirname(big))
    assert [n for n in os.listdir("/tmp") if n.startswith(session_prefix)] == []   # swept


def test_a_resume_that_fetches_again_from_scratch_says_so(seedbox):
    """A staged file with the right size and the wrong bytes (what an abnormal stop of a segmented get can
    leave): its checksum differs, it is fetched again whole, and the result says so."""
    staged = os.path.join(seedbox["staging"], "Dune (2021)")
    write(os.path.join(staged, "Dune (2021).mkv"), 24 * MB, "not-dune")
    # what lftp leaves when it counts a file done: the remote's size and modification time. Without the time,
    # lftp's mirror fetches the file again by itself whenever the two writes fall in different seconds, and
    # the case under test (a file lftp takes for complete) does not arise.
    remote_mtime = os.stat(os.path.join(seedbox["remote"], "Dune (2021)", "Dune (2021).mkv")).st_mtime
    os.utime(os.path.join(staged, "Dune (2021).mkv"), (remote_mtime, remote_mtime))
    res = run(seedbox, servarr_sync_include=["Dune*"])
    assert res.rc == 0, res.stdout[-3000:]
    entry = res.task(TASK)["fetched"][0]
    assert entry["resumed"] is True and entry["verified"] is True
    assert entry["refetched_from_scratch"] is True and entry["refetched_files"] == 1
    assert entry["received_bytes"] >= 24 * MB          # the 24 MB came again
    assert tree(os.path.join(seedbox["dest"], "Dune (2021)")) == tree(os.path.join(seedbox["remote"], "Dune (2021)"))


def sshd_logins(pid_file):
    """Connections sshd is serving now: the listener's children (one per connection, from its accept on)."""
    listener = int(open(pid_file).read())
    return len(proc_children().get(listener, []))


@pytest.mark.parametrize("budget", [None, 3])
def test_the_seedbox_never_sees_more_logins_than_max_connections(seedbox, budget):
    """The real sshd's children, sampled every few ms: the default (8) and a tight budget hold."""
    write(os.path.join(seedbox["remote"], "Season.S01", "E01.mkv"), 12 * MB, "e1")
    write(os.path.join(seedbox["remote"], "Season.S01", "E02.mkv"), 12 * MB, "e2")
    write(os.path.join(seedbox["remote"], "Season.S01", "E03.mkv"), 12 * MB, "e3")
    age(seedbox["remote"])
    source = tree(seedbox["remote"])
    seen, stop = [], threading.Event()

    def sample():
        while not stop.is_set():
            seen.append(sshd_logins(os.path.join(seedbox["dir"], "sshd.pid")))
            time.sleep(0.003)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    extra = {"servarr_sync_bandwidth_limit": "24M"}
    if budget:
        extra["servarr_sync_max_connections"] = budget
    res = run(seedbox, **extra)
    stop.set()
    thread.join()
    assert res.rc == 0, res.stdout[-3000:]
    assert tree(seedbox["dest"]) == source
    limit = budget or 8
    task = res.task(TASK)
    assert task["connections"]["max"] == limit
    assert 1 + sum(s["files"] * s["segments"] for s in task["connections"]["per_item"]) <= limit
    assert len(seen) > 100 and max(seen) <= limit, (max(seen), limit)
    assert max(seen) >= min(limit, 3)   # the sampling does see the run's logins


def test_progress_counts_bytes_received_not_preallocated(seedbox):
    """lftp preallocated files (file:use-fallocate) and progress said 100% two seconds into a limited
    transfer. Now every progress line says what has arrived: below 100% until the end, never ahead of time."""
    big = os.path.join(seedbox["remote"], "Slow (2022)", "Slow (2022).mkv")
    write(big, 32 * MB, "slow")
    age(seedbox["remote"])
    started = time.time()
    res = run(seedbox, servarr_sync_include=["Slow*"], servarr_sync_bandwidth_limit="8M")
    elapsed = time.time() - started
    assert res.rc == 0, res.stdout[-3000:]
    lines = [line for line in open(seedbox["log"]).read().splitlines() if "Slow (2022): " in line and "%)" in line]
    percents = [int(re.search(r"\((\d+)%\)", line).group(1)) for line in lines]
    assert len(percents) >= 2, lines
    assert percents == sorted(percents) and percents[0] < 60, lines
    assert all(p < 100 for p in percents[:-1]), lines
    # and the limit held: 32 MiB at 8 MiB/s take 4 s, less lftp's first second at full speed
    entry = res.task(TASK)["fetched"][0]
    assert entry["seconds"] >= 2.5 and elapsed > entry["seconds"]
