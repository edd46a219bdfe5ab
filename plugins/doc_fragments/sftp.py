# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  sftp_host:
    description:
      - Seedbox host for SFTP (the account lftp syncs with).
    type: str
  sftp_port:
    description:
      - SSH port of the seedbox.
    type: int
    default: 22
  sftp_username:
    description:
      - SSH user on the seedbox.
    type: str
  sftp_password:
    description:
      - SSH password. Prefer O(sftp_key_file). Never logged and never put on a command line.
    type: str
  sftp_key_file:
    description:
      - Private key file for the SSH user.
    type: path
  sftp_known_hosts:
    description:
      - C(known_hosts) file that holds the seedbox's host key. Unknown host keys are always rejected.
      - The user's C(~/.ssh/known_hosts) when not set.
    type: path
  sftp_host_fingerprint:
    description:
      - Pin the seedbox's host key by its fingerprint instead of a C(known_hosts) file, as C(ssh-keygen -lf)
        prints it (V(SHA256:...)). Any other key is rejected.
    type: str
  sftp_accept_new_host_key:
    description:
      - Trust a host key seen for the first time and add it to O(sftp_known_hosts) (trust on first use). A key
        that differs from a known one is always rejected. In check mode the new key is trusted for that run but
        not written.
    type: bool
    default: false
requirements:
  - paramiko (only when SFTP is used; Debian package C(python3-paramiko))
"""
