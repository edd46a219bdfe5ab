# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    # Modules that change Radarr/Sonarr and ask each instance for a backup of its own first.
    DOCUMENTATION = r"""
options:
  backup:
    description:
      - Before the first change in an instance, ask it for a backup of its own (C(POST /api/v3/command) with the
        command name C(Backup), as System > Backup > Backup Now does), wait for the command to end
        (C(GET /api/v3/command/{id})) and find the new backup in C(GET /api/v3/system/backup).
      - Only instances that will change are asked, and all of them before anything changes. A backup that fails,
        is aborted or does not end within O(backup_timeout) fails the task and nothing is changed anywhere.
      - V(false) changes without a backup. Check mode never asks for one.
    type: bool
    default: true
  backup_timeout:
    description:
      - Seconds to wait for one instance's backup to end (the app writes its database and C(config.xml)
        into a zip; a large database takes a while).
    type: int
    default: 600
"""
