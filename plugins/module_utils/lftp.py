# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run lftp over SFTP safely: no secret on a command line, only the verified host key trusted, every path quoted.

* The password reaches lftp only through its environment (``open --env-password`` reads ``LFTP_PASSWORD``),
  never argv, and never a file. lftp's output is scrubbed of it before anyone sees it.
* lftp's ssh trusts exactly one host key: the one the SFTP connection (paramiko) already verified against
  known_hosts or a pinned fingerprint, written to a private known_hosts file under a fixed alias.
* Commands go to lftp in a script file (``lftp -f``), never through a shell; names are double-quoted with
  lftp's own escapes, and paths are absolute so that no name can be read as an option.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import tempfile
import time

HOST_ALIAS = "servarr-seedbox"


class LftpError(Exception):
    pass


def quote(text):
    """``text`` as one lftp word: double-quoted, with backslash and double quote escaped."""
    if any(ch in text for ch in "\n\r\0"):
        raise LftpError("%r holds a line break or NUL, which lftp commands cannot address" % text)
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def _url_host(host):
    return "[%s]" % host if ":" in host and not host.startswith("[") else host


class LftpSession:
    """A private folder with lftp's script, ssh settings, host key and key copy; removed by ``close``."""

    def __init__(self, host, port, username, host_key, password=None, key_file=None, settings=None,
                 lftp_binary="lftp"):
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
        self.dir = tempfile.mkdtemp(prefix="servarr-lftp-")
        os.chmod(self.dir, 0o700)
        with open(os.path.join(self.dir, "known_hosts"), "w") as handle:
            handle.write("%s %s %s\n" % (HOST_ALIAS, host_key.get_name(), host_key.get_base64()))
        self.identity = None
        if key_file:
            # ssh wants a private key file only its owner can read, at a path with no spaces to quote
            self.identity = os.path.join(self.dir, "identity")
            fd = os.open(self.identity, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out, open(key_file, "rb") as src:
                out.write(src.read())

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def connect_program(self):
        opts = ["ssh", "-a", "-x", "-F", "/dev/null",
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
            "set xfer:use-temp-file yes",
            "set xfer:temp-file-name .in.*",
            "set sftp:auto-confirm no",
            "set sftp:connect-program %s" % quote(self.connect_program()),
            "open %s-u %s sftp://%s:%d" % ("--env-password " if self.password else "",
                                           quote(self.username + ("" if self.password else ",")),
                                           _url_host(self.host), self.port),
        ]
        return "\n".join(lines + list(commands)) + "\n"

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
        with open(path, "w") as handle:
            handle.write(self.script(commands))
        env = dict(os.environ, LFTP_HOME=self.dir, HOME=self.dir, LC_ALL="C")
        env.pop("LFTP_PASSWORD", None)
        if self.password:
            env["LFTP_PASSWORD"] = self.password
        proc = subprocess.Popen([self.binary, "-f", path], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.pid = proc.pid
        started = time.time()
        out = err = b""
        while True:
            try:
                out, err = proc.communicate(timeout=progress_interval)
                break
            except subprocess.TimeoutExpired:
                if timeout and time.time() - started > timeout:
                    proc.kill()
                    out, err = proc.communicate()
                    err += b"\nstopped after %d s (transfer_timeout)" % timeout
                    break
                if progress:
                    progress()
        return proc.returncode, self.scrub(out.decode("utf-8", "replace")), self.scrub(err.decode("utf-8", "replace"))


def dry_run_counts(output):
    """Files lftp's ``mirror --dry-run`` would fetch, counted from its ``get``/``pget`` lines."""
    return sum(1 for line in output.splitlines() if line.startswith(("get ", "pget ", "get1 ")))
