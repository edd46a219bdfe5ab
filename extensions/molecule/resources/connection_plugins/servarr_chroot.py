# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A chroot connection for the role's molecule scenarios only (community.general.chroot needs Galaxy or the
``ansible`` PyPI package, and neither is part of this project's test venv).

Every command, and every file copied in or out, goes through ``chroot ROOT`` (``dd`` inside the root), so a
symbolic link inside the root can never make a write land on the test machine itself."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = """
name: servarr_chroot
short_description: Run tasks inside a folder with chroot (tests of the servarr role only)
description:
  - Runs commands with C(chroot ROOT /bin/sh -c) and copies files with C(dd) inside the root.
author: mediaops.servarr contributors
options:
  remote_addr:
    description: The root folder.
    type: str
    vars:
      - name: ansible_host
  nsenter_pid:
    description:
      - When the root is booted (systemd-nspawn), the pid of its init on this machine - commands then run inside the
        booted system with C(nsenter), so the role sees a running systemd.
    type: str
    vars:
      - name: ansible_servarr_nsenter_pid
"""

import os
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase

BUFSIZE = 65536


class Connection(ConnectionBase):
    transport = "servarr_chroot"
    has_pipelining = True
    has_tty = False
    default_user = "root"

    def _root(self):
        root = self.get_option("remote_addr")
        if not root or not os.path.isabs(root) or not os.path.isfile(os.path.join(root, "bin", "sh")):
            raise AnsibleConnectionFailure("servarr_chroot: %r is not a root folder with /bin/sh" % (root,))
        return root

    def _connect(self):
        self._root()
        self._connected = True
        return self

    def _enter(self):
        """The command prefix that runs a program inside the root: chroot, or nsenter into the booted system."""
        pid = self.get_option("nsenter_pid")
        if pid:
            return ["nsenter", "-t", str(int(pid)), "-m", "-u", "-i", "-n", "-p", "-r", "-w"]
        return ["chroot", self._root()]

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super(Connection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        proc = subprocess.Popen(self._enter() + ["/bin/sh", "-c", cmd], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._env())
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    @staticmethod
    def _env():
        return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
                "HOME": "/root"}

    def put_file(self, in_path, out_path):
        super(Connection, self).put_file(in_path, out_path)
        with open(in_path, "rb") as source:
            proc = subprocess.Popen(self._enter() + ["dd", "of=" + out_path, "bs=%d" % BUFSIZE, "status=none"],
                                    stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self._env())
            dummy, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError("servarr_chroot: cannot write %s: %s" % (out_path, stderr.decode("utf-8", "replace")))

    def fetch_file(self, in_path, out_path):
        super(Connection, self).fetch_file(in_path, out_path)
        with open(out_path, "wb") as target:
            proc = subprocess.Popen(self._enter() + ["dd", "if=" + in_path, "bs=%d" % BUFSIZE, "status=none"],
                                    stdout=target, stderr=subprocess.PIPE, env=self._env())
            dummy, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError("servarr_chroot: cannot read %s: %s" % (in_path, stderr.decode("utf-8", "replace")))

    def close(self):
        self._connected = False
