# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sync's guards without a seedbox: children die with the run, the connection budget, the shared bandwidth,
key file and network messages, the argument checks."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import lifeline as lifeline_mod
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.lftp import (
    KeyInMemory, LftpSession, session_prefix, sweep_stale)
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import (
    Lifeline, Stopped, ancestors_to_watch, is_ansible_controller)
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.mirror import RateShare, disk_bytes
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import connection_plan
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import SshError, check_key_file, network_reason


def gone(pid, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as handle:
                if handle.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.02)
    return False


def test_a_child_dies_with_the_process_that_started_it_even_by_sigkill(tmp_path):
    """A parent started with Lifeline.popen a sleep, and is SIGKILLed: the sleep must end too."""
    script = ("import sys, time; sys.path[:0] = sys.argv[2:]\n"
              "from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import Lifeline\n"
              "p = Lifeline().popen(['sleep', '60'])\n"
              "open(sys.argv[1], 'w').write(str(p.pid)); time.sleep(60)\n")
    pidfile = str(tmp_path / "child.pid")
    parent = subprocess.Popen([sys.executable, "-c", script, pidfile] + sys.path)
    deadline = time.time() + 10
    while not (os.path.exists(pidfile) and open(pidfile).read()) and time.time() < deadline:
        time.sleep(0.02)
    child = int(open(pidfile).read())
    assert not gone(child, 0.1)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert gone(child), "the child outlived its SIGKILLed parent"


def test_a_child_whose_parent_is_already_gone_does_not_run():
    """The getppid check in the child: PR_SET_PDEATHSIG set after the parent died would never fire."""
    preexec = lifeline_mod.child_preexec(os.getpid() + 1000000)   # "the parent" is not our parent
    proc = subprocess.Popen(["sleep", "30"], preexec_fn=preexec)
    assert proc.wait(timeout=5) == 125


def test_a_signal_stops_the_run_kills_children_and_starts_no_new_one():
    life = Lifeline(grace=0.5).install(watch_ancestors=False)
    try:
        proc = life.popen(["sh", "-c", "sleep 60 & sleep 60; wait"])
        time.sleep(0.2)
        grandchildren = lifeline_mod.descendants(proc.pid)
        assert grandchildren
        os.kill(os.getpid(), signal.SIGTERM)   # handled: the test goes on
        assert proc.wait(timeout=5) is not None
        assert all(gone(pid) for pid in grandchildren)
        assert life.stopped == "SIGTERM received"
        with pytest.raises(Stopped):
            life.popen(["true"])
        with pytest.raises(Stopped):
            life.check()
    finally:
        life.close()
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None) or callable(signal.getsignal(signal.SIGTERM))


def test_the_end_of_the_controller_ancestor_stops_the_run(tmp_path):
    """ansible-playbook (here a process named so) ends and nothing signals the module: the watch notices."""
    script = ("import sys, time; sys.path[:0] = sys.argv[2:]\n"
              "from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import Lifeline\n"
              "life = Lifeline(poll_interval=0.05).install()\n"
              "deadline = time.time() + 20\n"
              "while not life.stopped and time.time() < deadline: time.sleep(0.02)\n"
              "open(sys.argv[1], 'w').write(str(life.stopped))\n")
    out = str(tmp_path / "reason")
    controller = tmp_path / "ansible-playbook"
    # the "controller" starts the "module" under a shell (as a worker does), then exits; the shell lives on
    controller.write_text("import subprocess, sys, time\n"
                          "subprocess.Popen(['sh', '-c', '\"$0\" \"$@\"; true', sys.executable, '-c'] + sys.argv[1:])\n"
                          "time.sleep(1.0)\n")
    subprocess.run([sys.executable, str(controller), script, out] + sys.path, check=True)
    deadline = time.time() + 20
    while not os.path.exists(out) and time.time() < deadline:
        time.sleep(0.05)
    assert "ansible-playbook (pid" in open(out).read() and "ended" in open(out).read()


def test_which_processes_count_as_the_ansible_controller():
    python = "/usr/bin/python3"
    assert is_ansible_controller([python, "/venv/bin/ansible-playbook", "-i", "inv"])
    assert is_ansible_controller(["/usr/bin/ansible", "all", "-m", "ping"])
    assert not is_ansible_controller([python, "/root/.ansible/tmp/ansible-tmp-1/AnsiballZ_lftp_mirror.py"])
    assert not is_ansible_controller(["/bin/sh", "-c", "python AnsiballZ_x.py && sleep 0"])
    # ansible-test (which runs these tests, under pytest-xdist too) runs no modules
    assert not is_ansible_controller([python, "/venv/bin/ansible-test", "units", "--local"])
    assert is_ansible_controller([python, "/venv/bin/ansible-pull", "-U", "repo"])
    # pytest is no Ansible controller: only the parent is watched
    assert [pid for pid, start, what in ancestors_to_watch()] == [os.getppid()]


@pytest.mark.parametrize("budget, items, expected", [
    # the default: 8 logins = the module's own + 7 for two items (4 and 3 segments, one file at a time)
    (8, 2, [(4, 1, 4), (3, 1, 3)]),
    (8, 1, [(7, 1, 7)]),                  # one item: all 7
    (2, 5, [(1, 1, 1)]),                  # the smallest budget: one item, one connection
    (4, 5, [(2, 1, 2), (1, 1, 1)]),
    (97, 2, [(48, 6, 8), (48, 6, 8)]),     # the plan's -P 6 --use-pget-n=8 x 2 items fits in 97
    (30, 3, [(15, 1, 8), (14, 1, 8)]),     # parallel_items 2 caps the slots; 15 // 8 leaves 1 file at once
])
def test_the_connection_budget_is_split_and_never_exceeded(budget, items, expected):
    plan = connection_plan(budget, 2, 6, 8, items)
    assert plan == expected
    assert 1 + sum(files * segments for share, files, segments in plan) <= budget
    assert all(files * segments <= share for share, files, segments in plan)


def test_a_budget_with_no_room_for_lftp_is_refused():
    with pytest.raises(ValueError, match="at least 2"):
        connection_plan(1, 2, 6, 8, 3)


class FakeSession:
    def __init__(self):
        self.rates = []

    def set_rate(self, rate):
        self.rates.append(rate)


def test_the_bandwidth_limit_is_the_total_shared_by_the_items_running_now():
    share = RateShare(12000)
    a, b, c = FakeSession(), FakeSession(), FakeSession()
    share.join(a)
    assert a.rates == [12000]                 # alone: the whole limit
    share.join(b)
    assert a.rates[-1] == b.rates[-1] == 6000
    share.join(c)
    assert a.rates[-1] == b.rates[-1] == c.rates[-1] == 4000
    share.leave(a)
    assert b.rates[-1] == c.rates[-1] == 6000
    share.leave(b)
    assert c.rates[-1] == 12000               # the last one running gets it all again
    none = RateShare(0)
    d = FakeSession()
    none.join(d)
    assert d.rates == []


class HostKey:
    def get_name(self):
        return "ssh-ed25519"

    def get_base64(self):
        return "AAAA"


def test_lftp_rereads_its_share_and_the_key_is_only_in_memory(tmp_path):
    key = tmp_path / "id"
    key.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n")
    session = LftpSession("h", 22, "u", HostKey(), key_file=str(key), settings={"limit_rate": 1000})
    try:
        script = session.script(["mirror x y"])
        assert "set file:use-fallocate no" in script
        assert "repeat -d 1 source" in script and script.rstrip().endswith("exit kill")
        assert open(session.rate_file).read() == ""       # the script sets the first share itself
        session.set_rate(250)                               # before lftp runs: its script says so
        assert open(session.rate_file).read() == "" and "set net:limit-total-rate 250" in session.script(["x"])
        session.running = True                              # while lftp runs: through the file lftp re-reads
        session.set_rate(300)
        assert open(session.rate_file).read() == "set net:limit-total-rate 300\n"
        # read by lftp's repeat job, then emptied: every set refills lftp's bucket (twice the rate)
        deadline = time.time() + 5
        while open(session.rate_file).read() and time.time() < deadline:
            time.sleep(0.1)
        assert open(session.rate_file).read() == ""
        session.set_rate(300)                               # no change: no refill
        assert open(session.rate_file).read() == ""
        assert session.identity.startswith("/proc/%d/fd/" % os.getpid())
        assert open(session.identity, "rb").read() == key.read_bytes()
        assert oct(os.stat(session.identity).st_mode & 0o777) == "0o600"
        assert "-i %s" % session.identity in session.connect_program()
        for folder, dirs, files in os.walk(session.dir):
            for name in files:
                assert b"secret" not in open(os.path.join(folder, name), "rb").read()
        path = session.identity
    finally:
        session.close()
    assert not os.path.exists(path) and not os.path.exists(session.dir)


def test_stale_private_folders_of_ended_runs_are_swept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    mine = tmp_path / (session_prefix() + "live")
    theirs = tmp_path / ("servarr-lftp-%d.1234-old" % dead.pid)
    legacy = tmp_path / "servarr-lftp-abcd1234"
    for folder in (mine, theirs, legacy):
        folder.mkdir()
    (legacy / "identity").write_text("a key copy of an old version")
    removed = sweep_stale(str(tmp_path))
    assert sorted(removed) == sorted([str(theirs), str(legacy)])
    assert mine.exists() and not theirs.exists() and not legacy.exists()


def test_progress_counts_received_blocks_not_sizes(tmp_path):
    sparse = tmp_path / "sparse.mkv"
    with open(str(sparse), "wb") as handle:
        handle.truncate(50 * 1024 * 1024)          # what a preallocated or segmented file looks like
        handle.seek(4096 * 10)
        handle.write(b"x" * 8192)
    assert disk_bytes(str(sparse)) <= 16384
    small = tmp_path / "a.nfo"
    small.write_bytes(b"x" * 300)
    assert disk_bytes(str(small)) == 300               # a block, but only 300 bytes were received


@pytest.mark.parametrize("make, expected", [
    (lambda p: None, "does not exist"),
    (os.mkdir, "is a folder"),
    (lambda p: open(p, "w").close(), "is empty"),
    (lambda p: open(p, "w").write("ssh-ed25519 AAAA user@host\n"), "does not hold a private key"),
])
def test_a_bad_key_file_is_named_as_such(tmp_path, make, expected):
    path = str(tmp_path / "seedbox_ed25519")
    make(path)
    with pytest.raises(SshError, match=expected) as info:
        check_key_file(path)
    assert path in str(info.value) and "reach" not in str(info.value)


def test_an_unreadable_key_file_is_named_as_such(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    path = tmp_path / "key"
    path.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    path.chmod(0)
    with pytest.raises(SshError, match="cannot be read"):
        check_key_file(str(path))


def test_key_in_memory_names_an_unreadable_file(tmp_path):
    with pytest.raises(Exception, match="cannot read the SSH key file"):
        KeyInMemory(str(tmp_path / "missing"))


def test_network_errors_read_plainly():
    assert network_reason(socket.timeout("timed out")) == "timed out"
    refused = OSError(111, "Connection refused")
    assert network_reason(refused) == "Connection refused (errno 111)"
    paramiko = pytest.importorskip("paramiko")
    none = paramiko.ssh_exception.NoValidConnectionsError({("127.0.0.1", 1): refused})
    assert "[Errno None]" not in network_reason(none) and "Unable to connect" in network_reason(none)


def test_a_closed_result_pipe_stops_the_run(tmp_path):
    """Over SSH without a tty, a lost controller only shows as a stdout pipe nobody reads any more."""
    script = ("import sys, time; sys.path[:0] = sys.argv[2:]\n"
              "from ansible_collections.mediaops.servarr.plugins.module_utils.runs.lifeline import Lifeline\n"
              "life = Lifeline(poll_interval=0.05).install()\n"
              "deadline = time.time() + 20\n"
              "while not life.stopped and time.time() < deadline: time.sleep(0.02)\n"
              "open(sys.argv[1], 'w').write(str(life.stopped))\n")
    out = str(tmp_path / "reason")
    proc = subprocess.Popen([sys.executable, "-c", script, out] + sys.path, stdout=subprocess.PIPE)
    time.sleep(0.5)
    assert proc.poll() is None
    proc.stdout.close()          # the reader goes away
    proc.wait(timeout=20)
    assert open(out).read() == "the reader of the module's output is gone"


def test_a_zombie_counts_as_ended():
    child = subprocess.Popen(["/bin/true"])
    deadline = time.time() + 10
    while time.time() < deadline:
        with open("/proc/%d/stat" % child.pid) as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.01)
    try:
        assert lifeline_mod.proc_stat(child.pid) is None     # ended, not yet reaped by its parent
    finally:
        child.wait()


def test_stopped_looks_at_the_ancestors_itself_not_only_the_watcher_thread():
    """A hand-off asks ``stopped`` just before it renames: an ancestor that ended a moment ago must count even
    when the watcher thread has not polled yet (it polls every poll_interval and can be starved)."""
    child = subprocess.Popen(["/bin/sleep", "30"])
    start = lifeline_mod.proc_stat(child.pid)[1]
    line = lifeline_mod.Lifeline(poll_interval=3600)
    line._watched = [(child.pid, start, "/venv/bin/ansible-playbook")]
    assert line.stopped is None
    child.kill()
    child.wait()
    assert line.stopped and "ended" in line.stopped
