#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: seedbox_info
short_description: How full a seedbox is and how many torrents it holds, by state
version_added: 0.3.0
description:
  - Reads every loaded torrent from rTorrent in one C(d.multicall2) (view C(main)) and returns the space they use,
    the free space, the seedbox's size and the number of torrents by state. Read only.
  - The used space is the sum of the torrents' sizes (C(d.size_bytes)), data shared by cross-seeded torrents counted
    once.
  - rTorrent reports the free space of the disk a torrent's folder is on (C(d.free_diskspace)), not a rented
    seedbox's quota. Give O(quota_gb) (the plan's 750 GB seedbox) and the size is the quota and the free space what
    is left of it, never more than the disk has. Without a quota the size is used plus free.
  - States are C(seeding) (complete, started), C(downloading) (incomplete, started), C(paused) (started, not
    active), C(stopped) and C(checking) (hash check running).
  - The playbooks call it after the sync and the purge; the C(mediaops.servarr.metrics) callback writes its figures
    (C(servarr_seedbox_used_bytes), C(servarr_torrents{state=...}), ...), labelled with O(name).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.rtorrent
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
  - mediaops.servarr.attributes.READ_ONLY
  - mediaops.servarr.attributes.ACTIONGROUP_RTORRENT
options:
  name:
    description:
      - The seedbox's name, returned as RV(seedbox) (the label of its metrics).
    type: str
    default: default
  quota_gb:
    description:
      - The seedbox's size in GB (10^9 bytes) when rTorrent cannot tell it, for example a rented plan's quota.
    type: float
seealso:
  - module: mediaops.servarr.rtorrent_purge
  - module: mediaops.servarr.servarr_preflight
"""

EXAMPLES = r"""
- name: How full is the seedbox
  mediaops.servarr.seedbox_info:
    rtorrent_url: https://seedbox.example.com/rutorrent/plugins/httprpc/action.php
    rtorrent_username: seeduser
    rtorrent_password: "{{ vault_rtorrent_password }}"
    name: main
    quota_gb: 750
  register: seedbox

- name: Warn when it is over 90 %
  ansible.builtin.debug:
    msg: "Seedbox {{ (seedbox.used_ratio * 100) | round }} % full"
  when: seedbox.used_ratio is not none and seedbox.used_ratio > 0.9
"""

RETURN = r"""
seedbox:
  description: O(name).
  returned: always
  type: str
  sample: main
used_bytes:
  description: Size of the loaded torrents' data, shared data counted once.
  returned: always
  type: int
  sample: 248000000000
free_bytes:
  description: Free space, what is left of O(quota_gb) (at most RV(disk_free_bytes)) or, without a quota,
    RV(disk_free_bytes). Null without a quota when no torrent is loaded.
  returned: always
  type: int
  sample: 502000000000
size_bytes:
  description: O(quota_gb) in bytes, else RV(used_bytes) plus RV(free_bytes). Null when neither is known.
  returned: always
  type: int
  sample: 750000000000
quota_bytes:
  description: O(quota_gb) in bytes, or null.
  returned: always
  type: int
  sample: 750000000000
disk_free_bytes:
  description: The free space rTorrent reports for the disk of the torrents' folders (the least of the started
    torrents; a stopped one reports 0); null when no torrent is started.
  returned: always
  type: int
  sample: 1830000000000
used_ratio:
  description: RV(used_bytes) divided by RV(size_bytes), 0 to 1 (above 1 when over the quota); null when the size is
    unknown.
  returned: always
  type: float
  sample: 0.3307
torrents:
  description: Loaded torrents by state, and C(total).
  returned: always
  type: dict
  sample: {"seeding": 10, "downloading": 1, "paused": 0, "stopped": 2, "checking": 0, "total": 13}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import rtorrent_argument_spec, rtorrent_client
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.seedbox_status import read_torrents, summarize


def main():
    argument_spec = rtorrent_argument_spec()
    argument_spec.update(name=dict(type="str", default="default"), quota_gb=dict(type="float"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    quota = module.params["quota_gb"]
    if quota is not None and quota <= 0:
        module.fail_json(msg="quota_gb must be a positive number of GB, got %s" % quota)
    client = None
    try:
        client = rtorrent_client(module)
        torrents = read_torrents(client)
    except ServiceError as exc:
        module.fail_json(msg=str(exc), seedbox=module.params["name"])
    finally:
        if client is not None:
            client.close()
    status = summarize(torrents, int(round(quota * 1e9)) if quota else None)
    module.exit_json(changed=False, seedbox=module.params["name"], **status)


if __name__ == "__main__":
    main()
