#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arr_history_hashes
short_description: Info-hashes that Radarr and Sonarr have really imported
version_added: 0.2.0
description:
  - Reads the whole history (every page) and the whole queue of any number of Radarr and Sonarr instances
    and returns the torrent info-hashes that are safe to remove from the seedbox.
  - A hash is imported when an instance recorded an import (V(downloadFolderImported)) after its latest grab of
    that hash, no instance grabbed it without importing it since, and it is in no instance's queue (a season
    pack stays queued until every episode is imported).
  - Hashes are compared without regard to case and returned upper-case, as rTorrent writes them. Download ids
    that are not BitTorrent v1 info-hashes (usenet clients, blackhole) are ignored and counted.
  - If any instance or any page fails the task fails and returns no hashes, so a partial history never
    drives a deletion.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.arr
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.READ_ONLY
  - mediaops.servarr.attributes.ACTIONGROUP_ARR
options:
  page_size:
    description:
      - Records asked for per page. Every page is read whatever the value.
    type: int
    default: 1000
"""

EXAMPLES = r"""
- name: Hashes Radarr and Sonarr have imported
  mediaops.servarr.arr_history_hashes:
    instances:
      - name: radarr
        type: radarr
        url: http://127.0.0.1:7878
        api_key_file: /opt/arr-stack/radarr/config.xml
      - name: sonarr
        type: sonarr
        url: http://127.0.0.1:8989
        api_key: "{{ vault_sonarr_api_key }}"
  register: imported

- name: Show how many are safe to purge
  ansible.builtin.debug:
    msg: "{{ imported.imported_hashes | length }} imported, {{ imported.queued_hashes | length }} still queued"
"""

RETURN = r"""
imported_hashes:
  description: Upper-case info-hashes with proof of import and in no queue.
  returned: success
  type: list
  elements: str
  sample: ["0123456789ABCDEF0123456789ABCDEF01234567"]
queued_hashes:
  description: Upper-case info-hashes still in some instance's queue (never safe to remove).
  returned: success
  type: list
  elements: str
regrabbed_hashes:
  description: Hashes imported once but grabbed again since, and not imported again yet.
  returned: success
  type: list
  elements: str
evidence:
  description: Per imported hash, the import that proves it.
  returned: success
  type: dict
  sample:
    0123456789ABCDEF0123456789ABCDEF01234567:
      instance: radarr
      imported_at: "2026-11-20T03:04:05Z"
      last_grab_at: "2026-11-19T22:00:00Z"
      source_title: Some.Movie.2020.1080p.BluRay.x264-GRP
      imported_path: /mnt/media/movies/Some Movie (2020)/Some Movie (2020).mkv
instances:
  description: What was read from each instance.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The instance's name.
      type: str
    history_records:
      description: History records read (grabs and imports).
      type: int
    history_pages:
      description: History pages read.
      type: int
    queue_records:
      description: Queue records read.
      type: int
    grabs:
      description: Grab records with an info-hash.
      type: int
    imports:
      description: Import records with an info-hash.
      type: int
    ignored_ids:
      description: Records whose download id is not an info-hash (usenet, blackhole).
      type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client, arr_instances_spec
from ansible_collections.mediaops.servarr.plugins.module_utils.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.import_evidence import evaluate


def main():
    argument_spec = arr_instances_spec()
    argument_spec.update(page_size=dict(type="int", default=1000))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["page_size"] < 1:
        module.fail_json(msg="page_size must be at least 1", instances=[])
    names = [i["name"] for i in module.params["instances"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="instance names must be unique", instances=[])

    raw, pages = [], {}
    for instance in module.params["instances"]:
        client = None
        try:
            client = arr_client(instance)
            history, history_pages = client.history(page_size=module.params["page_size"])
            queue, _queue_pages = client.queue(page_size=module.params["page_size"])
        except ServiceError as exc:
            module.fail_json(msg="%s; no hashes returned, nothing may be purged" % exc, instances=[])
        finally:
            if client is not None:
                client.close()
        raw.append({"name": instance["name"], "history": history, "queue": queue})
        pages[instance["name"]] = history_pages

    decision = evaluate(raw)
    for stats in decision["stats"]:
        stats["history_pages"] = pages[stats["name"]]
        stats.pop("undated", None)
    module.exit_json(changed=False, imported_hashes=decision["imported"], queued_hashes=decision["queued"],
                     regrabbed_hashes=decision["regrabbed"], evidence=decision["evidence"],
                     instances=decision["stats"])


if __name__ == "__main__":
    main()
