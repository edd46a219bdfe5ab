# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run lftp over SFTP safely: no secret on a command line, only the verified host key trusted, every path quoted.

* The password reaches lftp only through its environment (``open --env-password`` reads ``LFTP_PASSWORD``),
  never argv, and never a file. lftp's output is scrubbed of it before anyone sees it.
* lftp's ssh trusts exactly one host key: the one the SFTP connection (paramiko) already verified against
  known_hosts or a pinned fingerprint, written to a private known_hosts file under a fixed alias.
* The SSH private key is never copied to a file: it is held in a memfd (memory only, mode 0600, sealed) of
  this process, which ssh opens as ``/proc/<pid>/fd/<n>``. It vanishes with this process, however it ends.
  (ssh closes every inherited descriptor above 2 at start, so ``/dev/fd/N`` cannot work.)
* lftp dies with this process (``Lifeline``: PR_SET_PDEATHSIG in the child), and each ssh lftp starts dies
  with lftp (``setpriv --pdeathsig KILL``, util-linux). The private folder (script, known_hosts, lftp's
  home) is named after this process, and ``sweep_stale`` removes those of runs that have ended.
* Commands go to lftp in a script file (``lftp -f``), never through a shell; names are double-quoted with
  lftp's own escapes, and paths are absolute so that no name can be read as an option.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

HOST_ALIAS = "servarr-seedbox"
DIR_PREFIX = "servarr-lftp-"
_F_ADD_SEALS = 1033
_SEALS = 0x1 | 0x2 | 0x4 | 0x8   # F_SEAL_SEAL, SHRINK, GROW, WRITE


class LftpError(Exception):
    pass


def quote(text):
    """``text`` as one lftp word: double-quoted, with backslash and double quote escaped."""
    if any(ch in text for ch in "\n\r\0"):
        raise LftpError("%r holds a line break or NUL, which lftp commands cannot address" % text)
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _url_host(host):
    return "[%s]" % host if ":" in host and not host.startswith("[") else host


def _start_time(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as handle:
            data = handle.read()
        return int(data[data.rfind(b")") + 2:].split()[19])
    except (IOError, OSError, IndexError, ValueError):
        return None


def session_prefix(pid=None):
    """The name prefix of this process's private folders: the pid and its start time (a reused pid is not
    mistaken for a live run)."""
    pid = pid or os.getpid()
    return "%s%d.%s-" % (DIR_PREFIX, pid, _start_time(pid) or 0)


def sweep_stale(tmp=None):
    """Remove the private folders of lftp sessions whose process has ended (a run that was killed), and
    those of older versions (no pid in the name, which may hold a key copy) that no process names on its
    command line. Returns the folders removed."""
    tmp = tmp or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(tmp)
    except OSError:
        return removed
    names = [n for n in names if n.startswith(DIR_PREFIX)]
    if not names:
        return removed
    cmdlines = None
    for name in names:
        path = os.path.join(tmp, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if not os.path.isdir(path) or os.path.islink(path) or st.st_uid != os.getuid():
            continue
        match = re.match(re.escape(DIR_PREFIX) + r"(\d+)\.(\d+)-", name)
        if match:
            start = _start_time(int(match.group(1)))
            alive = start is not None and str(start) == match.group(2)
        else:
            if cmdlines is None:
                cmdlines = []
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        try:
                            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                                cmdlines.append(handle.read())
                        except (IOError, OSError):
                            pass
            alive = any(path.encode() in c for c in cmdlines)
        if not alive:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class KeyInMemory:
    """The SSH private key in a sealed memfd of this process, for ssh to open as ``path``; never on disk."""

    def __init__(self, key_file):
        try:
            with open(key_file, "rb", buffering=0) as handle:
                # a bytearray, read in place, so that the key's bytes can be cleared once they are in the memfd
                data = bytearray(os.fstat(handle.fileno()).st_size + 1)
                size = handle.readinto(data)
                if size == len(data):
                    raise LftpError("the SSH key file %s grew while it was read" % key_file)
        except (IOError, OSError) as exc:
            raise LftpError("cannot read the SSH key file %s: %s" % (key_file, exc.strerror or exc))
        try:
            self._seal(bytes_view=memoryview(data)[:size])
        finally:
            data[:] = b"\0" * len(data)

    def _seal(self, bytes_view):
        self.fd = None
        self.path = None
        if not hasattr(os, "memfd_create"):
            raise LftpError("this host cannot hold the SSH key in memory (no memfd_create): Linux 3.17 and "
                            "Python 3.8 or later are needed for lftp with sftp_key_file")
        fd = os.memfd_create("servarr-ssh-key", os.MFD_CLOEXEC | getattr(os, "MFD_ALLOW_SEALING", 2))
        try:
            os.fchmod(fd, 0o600)   # ssh refuses a key others could read
            view = bytes_view
            while view:
                view = view[os.write(fd, view):]
            try:
                fcntl.fcntl(fd, _F_ADD_SEALS, _SEALS)
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EINVAL, errno.EPERM):
                    raise
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd
        self.path = "/proc/%d/fd/%d" % (os.getpid(), fd)

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class LftpSession:
    """A private folder with lftp's script, ssh settings and host key, and the key in memory; removed by
    ``close``. ``lifeline``: the run's Lifeline (children die with the run); ``rate_file``: with a
    bandwidth limit, lftp re-reads its share of it every second (``set_rate``)."""

    def __init__(self, host, port, username, host_key, password=None, key_file=None, settings=None,
                 lftp_binary="lftp", lifeline=None):
        if not username or any(ch in username for ch in ', \t\n\r"\\@:'):
            raise LftpError("the SFTP user name %r cannot be given to lftp (no commas, spaces, quotes, @ or :)"
                            % (username,))
        if not password and not key_file:
            raise LftpError("give an SSH key (preferred) or a password")
        self.binary = shutil.which(lftp_binary) if not os.path.isabs(lftp_binary) else lftp_binary
        if not self.binary or not os.access(self.binary, os.X_OK):
            raise LftpError("lftp is not installed on the managed host (Debian: apt install lftp)")
        self.host, self.port, self.username, self.password = host, port, username, password
        self.settings = dict(settings or {})
        self.lifeline = lifeline
        self.setpriv = shutil.which("setpriv")
        self.key = KeyInMemory(key_file) if key_file else None
        self.identity = self.key.path if self.key else None
        self.dir = tempfile.mkdtemp(prefix=session_prefix())
        os.chmod(self.dir, 0o700)
        with open(os.path.join(self.dir, "known_hosts"), "w") as handle:
            handle.write("%s %s %s\n" % (HOST_ALIAS, host_key.get_name(), host_key.get_base64()))
        self.rate_file = os.path.join(self.dir, "rate.lftp") if self.settings.get("limit_rate") else None
        self.rate_lock = threading.Lock()
        self.rate_generation = 0
        self.running = False
        if self.rate_file:
            self._write_rate("")   # the script sets the first share itself

    def set_rate(self, rate):
        """This lftp's share of the bandwidth limit, in bytes per second. Before lftp starts, its script sets
        it; while lftp runs, lftp applies it within a second.

        lftp re-reads the rate file every second, and every ``set`` refills its rate bucket (a file that always
        held the setting doubled the real rate), so the file holds a new value only long enough to be read,
        then is emptied again."""
        if not self.rate_file:
            return
        rate = max(1, int(rate))
        with self.rate_lock:
            changed = rate != self.settings.get("limit_rate")
            self.settings["limit_rate"] = rate
            if not (changed and self.running):
                return
            self.rate_generation += 1
            generation = self.rate_generation
            self._write_rate("set net:limit-total-rate %d\n" % rate)
        timer = threading.Timer(1.2, self._clear_rate, args=(generation,))
        timer.daemon = True
        timer.start()

    def _clear_rate(self, generation):
        with self.rate_lock:
            if generation == self.rate_generation and os.path.isdir(self.dir):
                self._write_rate("")

    def _write_rate(self, text):
        temp = self.rate_file + ".new"
        try:
            with open(temp, "w") as handle:
                handle.write(text)
            os.rename(temp, self.rate_file)
        except (IOError, OSError):
            if os.path.isdir(self.dir):
                raise

    def close(self):
        with self.rate_lock:
            self.rate_generation += 1
            shutil.rmtree(self.dir, ignore_errors=True)
        if self.key:
            self.key.close()

    def connect_program(self):
        # lftp runs this with sh -c: exec, so that ssh is lftp's own child and dies with it
        opts = ["exec"] + ([self.setpriv, "--pdeathsig", "KILL", "--"] if self.setpriv else [])
        opts += ["ssh", "-a", "-x", "-F", "/dev/null",
                 "-o", "HostKeyAlias=%s" % HOST_ALIAS,
                 "-o", "UserKnownHostsFile=%s" % os.path.join(self.dir, "known_hosts"),
                 "-o", "GlobalKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
                 "-o", "UpdateHostKeys=no", "-o", "ConnectTimeout=%d" % self.settings.get("timeout", 10),
                 "-o", "ServerAliveInterval=15"]
        if self.identity:
            opts += ["-i", self.identity, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
                     "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"]
        else:
            opts += ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password,keyboard-interactive",
                     "-o", "NumberOfPasswordPrompts=1"]
        return " ".join(opts)

    def script(self, commands):
        s = self.settings
        lines = [
            "set cmd:interactive no",
            "set net:timeout %d" % s.get("timeout", 10),
            "set net:max-retries %d" % s.get("max_retries", 3),
            "set net:reconnect-interval-base %d" % s.get("reconnect_interval_base", 5),
            "set net:reconnect-interval-multiplier %s" % s.get("reconnect_interval_multiplier", 1),
            "set net:limit-total-rate %d" % s.get("limit_rate", 0),
            "set pget:min-chunk-size %s" % s.get("min_chunk_size", "1M"),
            # no preallocation: the blocks on disk are the bytes received, which progress counts
            "set file:use-fallocate no",
            "set xfer:use-temp-file yes",
            "set xfer:temp-file-name .in.*",
            "set sftp:auto-confirm no",
            "set sftp:connect-program %s" % quote(self.connect_program()),
            "open %s-u %s sftp://%s:%d" % ("--env-password " if self.password else "",
                                           quote(self.username + ("" if self.password else ",")),
                                           _url_host(self.host), self.port),
        ]
        if self.rate_file:
            # a background job re-reads this lftp's share of the bandwidth every second
            lines.append("repeat -d 1 source %s &" % quote(self.rate_file))
        # exit code: the last command's; "kill" ends the background job
        return "\n".join(lines + list(commands) + ["exit kill"]) + "\n"

    def mirror_command(self, remote, local, is_dir, dry_run=False):
        s = self.settings
        if not remote.startswith("/") or not local.startswith("/"):
            raise LftpError("lftp paths must be absolute")
        if is_dir:
            return "mirror -c --no-perms --no-symlinks%s -P %d --use-pget-n=%d %s %s" % (
                " --dry-run" if dry_run else "", s.get("parallel_files", 6), s.get("segments", 8),
                quote(remote), quote(local))
        if dry_run:
            return "cls -l %s" % quote(remote)
        return "pget -c -n %d %s -o %s" % (s.get("segments", 8), quote(remote), quote(local))

    def scrub(self, text):
        if self.password:
            text = text.replace(self.password, "********")
        # lftp prints URLs with user:password@host; never show what is between ':' and '@'
        return re.sub(r"(sftp://[^:/@\s]*):[^@\s]*@", r"\1:********@", text)

    def run(self, commands, timeout=None, progress=None, progress_interval=10.0):
        """Run lftp on ``commands``; returns (exit code, stdout, stderr), scrubbed. ``progress()`` is called
        every ``progress_interval`` seconds while lftp runs. lftp's exit code is returned, not trusted: the
        caller checks the result on disk."""
        path = os.path.join(self.dir, "script.lftp")
        with self.rate_lock:   # a share set from now on goes through the rate file
            with open(path, "w") as handle:
                handle.write(self.script(commands))
            self.running = True
        env = dict(os.environ, LFTP_HOME=self.dir, HOME=self.dir, LC_ALL="C")
        env.pop("LFTP_PASSWORD", None)
        if self.password:
            env["LFTP_PASSWORD"] = self.password
        args = [self.binary, "-f", path]
        options = dict(env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if self.lifeline is not None:
            proc = self.lifeline.popen(args, **options)
        else:
            # Not run_command: lftp runs for hours, in its own process group so that a stop can end its whole
            # tree, while this loop polls its progress file and the lifeline; run_command can do neither.
            proc = subprocess.Popen(args, start_new_session=True, **options)  # pylint: disable=ansible-bad-function
        self.pid = proc.pid
        started = time.time()
        out = err = b""
        try:
            while True:
                try:
                    out, err = proc.communicate(timeout=progress_interval)
                    break
                except subprocess.TimeoutExpired:
                    if timeout and time.time() - started > timeout:
                        if self.lifeline is not None:
                            self.lifeline.kill(proc)
                        else:
                            proc.kill()
                        out, err = proc.communicate()
                        err += b"\nstopped after %d s (transfer_timeout)" % timeout
                        break
                    if progress:
                        progress()
        finally:
            self.running = False
            if self.lifeline is not None:
                self.lifeline.release(proc)
        return proc.returncode, self.scrub(out.decode("utf-8", "replace")), self.scrub(err.decode("utf-8", "replace"))


def dry_run_counts(output):
    """Files lftp's ``mirror --dry-run`` would fetch, counted from its ``get``/``pget`` lines."""
    return sum(1 for line in output.splitlines() if line.startswith(("get ", "pget ", "get1 ")))
