# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A run that is cut short leaves nothing behind: no child outlives it, and it notices when it is told to stop.

Which process gets a signal when a run is cut short (checked with ansible-core 2.19, local connection):

* ``ansible-playbook`` forks a *worker* per host and task, which calls ``setsid`` (its own session and process
  group); the worker runs ``/bin/sh -c '/bin/sh -c "python AnsiballZ_x.py && sleep 0"'``, and the AnsiballZ
  wrapper runs the module in its own process (no further child). The module's ancestors are therefore
  sh, sh, the worker, ``ansible-playbook``.
* SIGTERM to ``ansible-playbook``: it signals its workers' process groups, so the module gets SIGTERM too.
* SIGINT (Ctrl-C; the worker is in another session, so only ``ansible-playbook`` gets it) and SIGHUP:
  ``ansible-playbook`` exits, and the module is sent nothing at all - with SIGHUP even the worker lives on.
  Only watching the ancestors tells the module that nobody waits for its result any more.
* Over an SSH connection the module's ancestors are a shell under sshd; a lost connection sends SIGHUP (with
  a tty) or ends the shell, which ``PR_SET_PDEATHSIG`` on the module itself turns into a SIGTERM.

``Lifeline`` handles all of these: SIGTERM, SIGINT and SIGHUP, the death of the parent, and the death of an
``ansible*`` controller ancestor (polled in /proc) all *stop* the run: every child is killed (its process group
and every descendant, SIGTERM then SIGKILL), no new child starts, and the run's code asks ``stopped`` before any
step that changes something. Children get ``PR_SET_PDEATHSIG`` = SIGKILL, set in the child before exec, with a
check that the parent did not die before it was set, so even a SIGKILL of the module takes them along.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import signal
import subprocess
import threading
import time

PR_SET_PDEATHSIG = 1
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


def _prctl():
    """libc's prctl, or None where there is none (not Linux)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        func = libc.prctl
        func.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
        func.restype = ctypes.c_int
        return func
    except (OSError, AttributeError, ImportError):
        return None


_PRCTL = _prctl()


def set_parent_death_signal(sig):
    """Ask the kernel to send ``sig`` to this process when its parent (the thread that forked it) ends.
    Returns False where that is not possible."""
    if _PRCTL is None:
        return False
    return _PRCTL(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0


def child_preexec(parent_pid):
    """A ``preexec_fn`` for Popen: the child dies (SIGKILL) with its parent. If the parent died before the
    signal was set (``getppid`` is no longer the parent), the child exits at once instead of running orphaned.
    Built before the fork: the child only calls what is already resolved."""
    prctl = _PRCTL
    kill = int(signal.SIGKILL)

    def preexec():
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, kill, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(125)
    return preexec


def proc_stat(pid):
    """(ppid, start time in clock ticks, process group) of a live process, or None."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    fields = data[data.rfind(b")") + 2:].split()
    if fields[:1] in ([b"Z"], [b"X"]):   # a zombie has ended: only its exit status waits to be read
        return None
    try:
        return int(fields[1]), int(fields[19]), int(fields[2])
    except (IndexError, ValueError):
        return None


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return [part.decode("utf-8", "replace") for part in handle.read().split(b"\0") if part]
    except (IOError, OSError):
        return []


# the Ansible programs that run modules (their workers are forks with the same command line); ansible-test,
# ansible-lint, ansible-doc or ansible-galaxy never do
CONTROLLERS = ("ansible", "ansible-playbook", "ansible-pull", "ansible-console")


def is_ansible_controller(cmdline):
    """Is this the command line of an Ansible controller program (ansible-playbook, ansible, ansible-pull,
    ansible-console, or a worker forked from one), as opposed to the AnsiballZ wrapper a module runs in, or a
    test runner such as ansible-test?"""
    return any(os.path.basename(arg) in CONTROLLERS for arg in cmdline[:2])


def ancestors_to_watch(pid=None):
    """[(pid, start time, description)] of the processes whose end means nobody waits for this run: every
    ancestor up to and including the outermost of the first run of Ansible controller processes (the worker
    and ansible-playbook itself); without such an ancestor (a module started over SSH), the parent only."""
    pid = pid or os.getpid()
    chain = []
    current = pid
    for dummy in range(64):
        stat = proc_stat(current)
        if stat is None or stat[0] <= 1:
            break
        parent = stat[0]
        parent_stat = proc_stat(parent)
        if parent_stat is None:
            break
        chain.append((parent, parent_stat[1], proc_cmdline(parent)))
        current = parent
    watch, seen_controller = [], False
    for parent, start, cmdline in chain:
        controller = is_ansible_controller(cmdline)
        if seen_controller and not controller:
            break
        seen_controller = seen_controller or controller
        watch.append((parent, start, " ".join(cmdline[:2]) or str(parent)))
    if not seen_controller:
        watch = watch[:1]
    return watch


def descendants(pid):
    """Every live descendant of ``pid`` (children's children too), from one pass over /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = proc_stat(int(name))
            if stat:
                children.setdefault(stat[0], []).append(int(name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


class Stopped(Exception):
    """The run was told to stop; raised where a step must not start."""


class Lifeline:
    """The run's link to whoever started it. ``install()`` at the start of the run, ``close()`` at its end.

    ``popen()`` starts children that die with this process and are killed when the run stops; ``stopped``
    (a reason, or None) is asked before every step that changes something."""

    def __init__(self, log=None, grace=2.0, poll_interval=0.5):
        self.reason = None
        self.event = threading.Event()
        self.log = log
        self.grace = grace
        self.poll_interval = poll_interval
        self._children = {}
        self._lock = threading.RLock()
        self._old_handlers = {}
        self._watcher = None
        self._watched = []
        self._closed = threading.Event()

    # -- being told to stop -------------------------------------------------------------------------------
    def install(self, watch_ancestors=True):
        for name in STOP_SIGNALS:
            sig = getattr(signal, name)
            self._old_handlers[sig] = signal.signal(sig, self._on_signal)
        parent = os.getppid()
        # the module itself gets SIGTERM when its parent ends (an SSH session's shell, the local sh)
        self._pdeathsig = set_parent_death_signal(signal.SIGTERM)
        if self._pdeathsig and os.getppid() != parent:
            self.stop("its parent process ended before the run started")
        if watch_ancestors:
            watch = ancestors_to_watch()
            self._watched = watch
            self._watcher = threading.Thread(target=self._watch, args=(watch,), name="lifeline")
            self._watcher.daemon = True
            self._watcher.start()
        return self

    def _on_signal(self, signum, frame):
        try:
            name = signal.Signals(signum).name
        except (ValueError, AttributeError):
            name = "signal %d" % signum
        self.stop("%s received" % name)

    def _watch(self, watch):
        """Stop the run when a watched ancestor ends, or when whoever reads the result is gone: the pipe on
        stdout has no reader any more (Ansible's worker ended; an SSH session without a tty closed)."""
        try:
            import select
            poller = select.poll()
            poller.register(1, select.POLLOUT)
            gone_mask = select.POLLERR | select.POLLHUP
        except (ImportError, AttributeError, OSError, ValueError):
            poller = None
        while not self._closed.wait(self.poll_interval):
            if self._ancestor_ended(watch):
                return
            if poller is not None:
                try:
                    events = poller.poll(0)
                except (OSError, ValueError):
                    events = []
                if any(mask & gone_mask for fd, mask in events):
                    self.stop("the reader of the module's output is gone")
                    return

    def _ancestor_ended(self, watch):
        for pid, start, what in watch:
            stat = proc_stat(pid)
            if stat is None or stat[1] != start:
                self.stop("%s (pid %d) ended" % (what.split(" ")[-1].rsplit("/", 1)[-1] or what, pid))
                return True
        return False

    @property
    def stopped(self):
        """Why the run must stop, or None. Asked before every step that changes something, so it also looks at
        the watched ancestors itself: the watcher thread polls only every ``poll_interval`` (and may be starved
        on a busy host), and a hand-off must never happen after ansible-playbook ended."""
        if self.reason is None and self._watched:
            self._ancestor_ended(self._watched)
        return self.reason

    def check(self):
        """Raise Stopped when the run was told to stop."""
        if self.reason:
            raise Stopped(self.reason)

    def stop(self, reason):
        """Stop the run: remember why (the first reason wins), kill every child. Safe in a signal handler."""
        with self._lock:
            first = self.reason is None
            if first:
                self.reason = reason
            self.event.set()
            procs = list(self._children.values())
        if first and self.log:
            try:
                self.log("stopping: %s" % reason)
            except Exception:   # a log that fails must not keep the children alive
                pass
        targets = []
        for proc in procs:
            targets += self._signal_tree(proc, signal.SIGTERM)
        if targets:
            killer = threading.Thread(target=self._finish_off, args=(procs, targets), name="lifeline-kill")
            killer.daemon = True
            killer.start()

    # -- children -----------------------------------------------------------------------------------------
    def popen(self, args, **kwargs):
        """subprocess.Popen with the child in its own session and process group, dying with this process
        (PR_SET_PDEATHSIG), and killed when the run stops. Raises Stopped after a stop."""
        kwargs.setdefault("close_fds", True)
        with self._lock:
            self.check()
            # Not run_command: the child must get its own process group and a parent-death signal before it
            # runs, and be registered here so that a stop kills its whole tree; run_command offers neither.
            proc = subprocess.Popen(  # pylint: disable=ansible-bad-function
                args, start_new_session=True, preexec_fn=child_preexec(os.getpid()), **kwargs)
            self._children[proc.pid] = proc
        if self.reason:   # stopped while it started
            self._signal_tree(proc, signal.SIGKILL)
        return proc

    def release(self, proc):
        """Forget a child that has ended (after wait/communicate)."""
        with self._lock:
            self._children.pop(proc.pid, None)

    def kill(self, proc):
        """Kill one child with everything it started (its own stop, e.g. a timeout)."""
        self._signal_tree(proc, signal.SIGKILL)

    @staticmethod
    def _signal_tree(proc, sig, known=()):
        """Send ``sig`` to a child, its process group and every descendant (lftp's ssh processes sit in
        sessions of their own); returns [(pid, start time)] of what was signalled."""
        targets = list(known)
        if proc.poll() is None:
            targets += [(pid, (proc_stat(pid) or (0, 0))[1]) for pid in [proc.pid] + descendants(proc.pid)]
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
        for pid, start in targets:
            stat = proc_stat(pid)
            if stat is not None and stat[1] == start:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
        return targets

    def _finish_off(self, procs, targets):
        deadline = time.time() + self.grace
        while time.time() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.05)
        for proc in procs:
            self._signal_tree(proc, signal.SIGKILL, known=targets)

    def close(self):
        """Kill any child left, stop watching, give the signals back their old handlers."""
        self._closed.set()
        with self._lock:
            procs = list(self._children.values())
        for proc in procs:
            self._signal_tree(proc, signal.SIGKILL)
        deadline = time.time() + 5
        while time.time() < deadline and any(proc.poll() is None for proc in procs):
            time.sleep(0.02)
        if getattr(self, "_pdeathsig", False):
            set_parent_death_signal(0)
            self._pdeathsig = False
        for sig, handler in self._old_handlers.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass
        self._old_handlers = {}
