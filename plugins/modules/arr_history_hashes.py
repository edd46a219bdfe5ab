#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arr_history_hashes
short_description: Info-hashes that Radarr and Sonarr have really imported
version_added: 0.2.0
description:
  - Reads the whole history and the whole queue of any number of Radarr and Sonarr instances and returns the
    torrent info-hashes that are safe to remove from the seedbox.
  - What a run read from a history is kept in a state file per instance (O(state_dir)); the next run reads
    only the newest pages, until the newest record it knows, so an unchanged history costs one request (and
    the queue one more). The new records are used only when the read proves nothing is missing (the newest
    known record found, nothing older appearing, the history's record count exactly the known count plus the
    new records); otherwise, and when the state file is missing, unreadable or of another instance (name,
    type and URL), the whole history is read again.
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
  - mediaops.servarr.attributes.IDEMPOTENT
  - mediaops.servarr.attributes.ACTIONGROUP_ARR
attributes:
  check_mode:
    support: full
    details: Reads the services and the state files as a real run does; writes no state file.
  diff_mode:
    support: none
options:
  page_size:
    description:
      - Records asked for per page. Every page is read whatever the value.
    type: int
    default: 1000
  state_dir:
    description:
      - Folder on the managed host for the history state files, C(arr-history-<name>.json) per instance.
        Created (mode 0700) when its parent exists. Check mode reads them but writes none.
      - A folder that cannot be created or written only costs requests (every history is read in full) and gives
        a warning; the answer is the same.
    type: path
    default: /var/lib/servarr
    version_added: 0.3.0
  incremental:
    description:
      - Read only what is new since the last run (see above). V(false) reads every history page on every run
        and neither reads nor writes the state files.
    type: bool
    default: true
    version_added: 0.3.0
  verbose_results:
    description:
      - Also return RV(evidence), the import that proves each imported hash (large, an entry per imported hash of
        the whole history). By default only RV(counts) and RV(held_back) describe the decision.
    type: bool
    default: false
    version_added: 0.3.0
seealso:
  - module: mediaops.servarr.rtorrent_purge
  - module: mediaops.servarr.jellyfin_refresh
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

- name: Keep the history state elsewhere, and return the evidence for every hash (large on years of history)
  mediaops.servarr.arr_history_hashes:
    instances:
      - {name: radarr, type: radarr, url: "http://127.0.0.1:7878", api_key_file: /opt/arr-stack/radarr/config.xml}
    state_dir: /srv/servarr/state
    verbose_results: true
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
  sample: ["89ABCDEF0123456789ABCDEF0123456789ABCDEF"]
  elements: str
regrabbed_hashes:
  description: Hashes imported once but grabbed again since, and not imported again yet.
  returned: success
  type: list
  sample: ["FEDCBA9876543210FEDCBA9876543210FEDCBA98"]
  elements: str
counts:
  description:
    - History hashes by what was decided about them. V(queued) counts every hash in some queue.
  returned: success
  type: dict
  version_added: 0.3.0
  sample: {"imported": 1180, "queued": 3, "regrabbed": 1, "undated_import": 0, "not_imported": 12}
  contains:
    imported:
      description: Imported after their latest grab and in no queue (RV(imported_hashes)).
      type: int
      sample: 1180
    queued:
      description: In some instance's queue.
      type: int
      sample: 3
    regrabbed:
      description: Imported once, grabbed again since and not imported again yet.
      type: int
      sample: 1
    undated_import:
      description: Their import has a date that cannot be read, so it proves nothing.
      type: int
      sample: 0
    not_imported:
      description: Grabbed and not imported (by at least one instance that grabbed them).
      type: int
      sample: 12
held_back:
  description:
    - Hashes that were imported somewhere and still are not safe to remove, with why (the reason of
      RV(counts)) and the import and grab in question.
  returned: success
  type: list
  version_added: 0.3.0
  elements: dict
  sample:
    - hash: 89ABCDEF0123456789ABCDEF0123456789ABCDEF
      reason: regrabbed
      instance: radarr
      imported_at: "2026-11-20T03:04:05Z"
      last_grab_at: "2026-11-22T10:00:00Z"
      source_title: Some.Movie.2020.2160p.WEB-DL-GRP
  contains:
    hash:
      description: Upper-case info-hash.
      type: str
      sample: "89ABCDEF0123456789ABCDEF0123456789ABCDEF"
    reason:
      description: V(regrabbed), V(queued), V(undated_import) or V(not_imported).
      type: str
      sample: regrabbed
    instance:
      description: The instance the reason comes from (for V(queued), every instance that has it queued).
      type: str
      sample: radarr
    imported_at:
      description: Date of the import.
      type: str
      sample: "2026-11-20T03:04:05Z"
    last_grab_at:
      description: Date of the latest grab, when it matters.
      type: str
      sample: "2026-11-22T10:00:00Z"
    source_title:
      description: The release name the instance recorded.
      type: str
      sample: Some.Movie.2020.2160p.WEB-DL-GRP
evidence:
  description: Per imported hash, the import that proves it.
  returned: when O(verbose_results=true)
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
  sample:
    - name: radarr
      history_records: 2500
      history_pages: 1
      history_read: incremental
      history_read_why: 3 new records
      history_requests: 1
      new_records: 3
      queue_records: 4
      grabs: 1270
      imports: 1228
      ignored_ids: 2
  elements: dict
  contains:
    name:
      description: The instance's name.
      type: str
      sample: radarr
    history_records:
      description: History records read (grabs and imports).
      type: int
      sample: 2500
    history_pages:
      description: History pages read by this run.
      type: int
      sample: 1
    history_read:
      description: V(full) (every page) or V(incremental) (only what is new since the last run).
      type: str
      version_added: 0.3.0
      sample: incremental
    history_read_why:
      description: Why the history was read so, for example C(no usable cache) or C(3 new records).
      type: str
      version_added: 0.3.0
      sample: "3 new records"
    history_requests:
      description: HTTP requests the history took (the queue takes one per page more).
      type: int
      version_added: 0.3.0
      sample: 1
    new_records:
      description: History records this run read that the last run had not.
      type: int
      version_added: 0.3.0
      sample: 3
    queue_records:
      description: Queue records read.
      type: int
      sample: 4
    grabs:
      description: Grab records with an info-hash.
      type: int
      sample: 1270
    imports:
      description: Import records with an info-hash.
      type: int
      sample: 1228
    ignored_ids:
      description: Records whose download id is not an info-hash (usenet, blackhole).
      type: int
      sample: 2
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.runs.arr_history import (
    cache_path, load_cache, read_history, save_cache)
from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client, arr_instances_spec
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import evaluate
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, StateError, ensure_folder)


def main():
    argument_spec = arr_instances_spec()
    argument_spec.update(page_size=dict(type="int", default=1000),
                         state_dir=dict(type="path", default=DEFAULT_STATE_DIR),
                         incremental=dict(type="bool", default=True),
                         verbose_results=dict(type="bool", default=False))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    if p["page_size"] < 1:
        module.fail_json(msg="page_size must be at least 1 (got %d)" % p["page_size"], instances=[])
    seen = set()
    for instance in p["instances"]:
        if instance["name"] in seen:
            module.fail_json(msg="instance names must be unique: %r is given twice" % instance["name"], instances=[])
        seen.add(instance["name"])
        if instance["timeout"] < 1:
            module.fail_json(msg="instance %s: timeout must be at least 1 second (got %d)"
                             % (instance["name"], instance["timeout"]), instances=[])
        if not instance["name"].strip():
            module.fail_json(msg="instance names must not be empty", instances=[])
    state_dir = p["state_dir"]
    keep_state = p["incremental"] and not module.check_mode
    if p["incremental"]:
        if not os.path.isabs(state_dir):
            module.fail_json(msg="state_dir must be an absolute path, not %r" % state_dir, instances=[])
        try:
            ensure_folder(state_dir, module.check_mode)
        except StateError as exc:
            # the state only saves requests: without it every history is read in full, the answer is the same
            module.warn("%s; every history is read in full until it can be kept" % exc)
            keep_state = False

    raw, reads, caches = [], {}, []
    for instance in p["instances"]:
        client = None
        path = cache_path(state_dir, instance["name"])
        try:
            client = arr_client(instance)
            cache, why = load_cache(path, instance) if p["incremental"] else (None, "incremental: false")
            folded, fresh, info = read_history(client, cache, page_size=p["page_size"], why_no_cache=why)
            queue, _queue_pages = client.queue(page_size=p["page_size"])
        except ServiceError as exc:
            module.fail_json(msg="%s; no hashes returned, nothing may be purged" % exc, instances=[])
        finally:
            if client is not None:
                client.close()
        raw.append({"name": instance["name"], "digest": folded, "queue": queue})
        reads[instance["name"]] = info
        if keep_state and fresh is not None and (info["history_read"] == "full" or info["new_records"]):
            caches.append((path, instance, fresh))

    decision = evaluate(raw)
    for stats in decision["stats"]:
        info = reads[stats["name"]]
        stats.update(history_pages=info["history_pages"], history_read=info["history_read"],
                     history_read_why=info["why"], history_requests=info["history_requests"],
                     new_records=info["new_records"])
        stats.pop("undated", None)
    try:
        for path, instance, fresh in caches:
            save_cache(path, instance, fresh)
    except (StateError, OSError, IOError) as exc:
        module.warn("cannot write the history state file (%s); the next run reads every history in full" % exc)
    result = dict(changed=False, imported_hashes=decision["imported"], queued_hashes=decision["queued"],
                  regrabbed_hashes=decision["regrabbed"], counts=decision["counts"], held_back=decision["held_back"],
                  instances=decision["stats"])
    if p["verbose_results"]:
        result["evidence"] = decision["evidence"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
