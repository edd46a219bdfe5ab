# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)),
      when in diff mode.
"""

    ACTIONGROUP_RTORRENT = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/mediaops.servarr.rtorrent) in C(module_defaults) to set the rTorrent
      connection options once for every module of the group.
    support: full
    membership:
      - mediaops.servarr.rtorrent
"""

    ACTIONGROUP_ARR = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/mediaops.servarr.arr) in C(module_defaults) to set O(instances) once.
    support: full
    membership:
      - mediaops.servarr.arr
"""

    IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice with the same options and nothing new on the services, the second run reports
        C(changed=false) and changes nothing.
    support: full
"""

    NOT_IDEMPOTENT = r"""
options: {}
attributes:
  idempotent:
    description:
      - When run twice with the same options and nothing new on the services, the second run reports
        C(changed=false) and changes nothing.
    support: none
    details: Every run sends its message.
"""

    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: This module only reads; it does the same in check mode.
  diff_mode:
    support: none
"""
