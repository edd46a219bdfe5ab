#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arr_tag_revert
short_description: Put Radarr/Sonarr tags back as they were before an arr_tag run
version_added: 0.3.0
description:
  - Reads the journal M(mediaops.servarr.arr_tag) wrote before it changed anything (O(journal_dir)) and sets the
    tags of every item that run changed back to the exact set the item had before it, with the bulk editors
    (C(PUT /api/v3/movie/editor), C(PUT /api/v3/series/editor) with C(applyTags) V(replace)), one request per
    instance and tag set. A tag the run created is deleted again when nothing holds it any more
    (C(DELETE /api/v3/tag/{id}); the app keeps a tag still used elsewhere and says so).
  - Touches nothing else. An item whose tags someone changed since the run is a conflict and left alone (unless
    O(force)); an item deleted since is reported as missing.
  - Reverting the same run twice changes nothing the second time. Reverting an older run (O(run)) also reverts
    every later run, newest first, so the items end exactly as they were before it.
  - The revert itself writes no journal; like arr_tag it asks each instance that will change for a backup first.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.arr
  - mediaops.servarr.arr_backup
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Reads the journal and the items and reports what would be put back; asks for no backup and edits nothing.
  diff_mode:
    support: full
    details: Lists each item whose tags change, with the tag labels before and after, by instance, title and id.
  action_group:
    description: Use C(group/mediaops.servarr.arr) in C(module_defaults) for O(instances).
    support: full
    membership:
      - mediaops.servarr.arr
options:
  journal_dir:
    description:
      - The folder of arr_tag's journal (its O(mediaops.servarr.arr_tag#module:journal_dir)).
    type: path
    default: /var/lib/servarr/arr_tag-journal
  run:
    description:
      - The run to revert, as arr_tag returned it (RV(mediaops.servarr.arr_tag#module:run)), or V(last) for the
        newest journal. Every run after it is reverted too.
    type: str
    default: last
  force:
    description:
      - Also put back the items whose tags changed since the run (conflicts), to their set before the run.
    type: bool
    default: false
seealso:
  - module: mediaops.servarr.arr_tag
"""

EXAMPLES = r"""
- name: Undo the last review's tags (dry run first)
  mediaops.servarr.arr_tag_revert:
    instances: "{{ servarr_arr_instances }}"
    journal_dir: /var/lib/servarr/jobs/reduce/arr_tag-journal
  check_mode: true
  diff: true

- name: Put the tags back as they were before a given run (and every later one)
  mediaops.servarr.arr_tag_revert:
    instances: "{{ servarr_arr_instances }}"
    journal_dir: /var/lib/servarr/jobs/reduce/arr_tag-journal
    run: 20261125T101500123456Z
"""

RETURN = r"""
runs:
  description: The runs reverted, newest first.
  returned: always
  type: list
  elements: str
  sample: [20261125T101500123456Z]
instances:
  description: Per instance, what was (in check mode, would be) put back.
  returned: always
  type: dict
  contains:
    revert:
      description: Items whose tags are (would be) set back, each C(id), C(title), C(tags) (now) and C(to).
      type: list
      elements: dict
      sample: [{id: 12, title: Dune, tags: [3, 7], to: [3]}]
    unchanged:
      description: Items already as they were before the run.
      type: list
      elements: dict
      sample: [{id: 40, title: Cats, tags: [], to: []}]
    conflict:
      description: Items whose tags changed since the run; left alone unless O(force).
      type: list
      elements: dict
      sample: [{id: 5, title: Heat, tags: [1, 7], to: [], reason: "its tags are [1, 7], not [7] as the run left them"}]
    missing:
      description: Items the instance no longer has.
      type: list
      elements: dict
      sample: [{id: 99, title: Old film, reason: no such id in the app}]
    tags_deleted:
      description: Ids of tags the runs created that were (would be) deleted again.
      type: list
      elements: int
      sample: [7]
    tags_kept:
      description: Tags the runs created that stay, with the reason (still used).
      type: list
      elements: dict
      sample: [{id: 7, reason: "'deletion-candidate-80' cannot be deleted since it's still in use"}]
    backup:
      description: The backup the instance made first (null when none was asked).
      type: dict
      sample: {name: radarr_backup_v5.14.0.9383_2026.11.25_11.00.02.zip, path: /backup/manual/radarr_backup_v5.14.0.9383_2026.11.25_11.00.02.zip,
               type: manual, size: 4718592, time: "2026-11-25T11:00:02Z", command_id: 1420, seconds: 2.1, requests: 5}
    requests:
      description: HTTP requests sent to the instance to read and edit.
      type: int
      sample: 4
  sample:
    radarr: {revert: [{id: 12, title: Dune, tags: [3, 7], to: [3]}], unchanged: [], conflict: [], missing: [],
             tags_deleted: [], tags_kept: [], backup: null, requests: 3}
reverted:
  description: Number of items whose tags are (would be) set back, all instances.
  returned: always
  type: int
  sample: 12
conflicts:
  description: Number of items left alone because they changed since the run.
  returned: always
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client, arr_instances_spec
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import tag_journal
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import DEFAULT_STATE_DIR, StateError


def main():
    argument_spec = arr_instances_spec(required=True)
    argument_spec.update(
        journal_dir=dict(type="path", default=DEFAULT_STATE_DIR + "/arr_tag-journal"),
        run=dict(type="str", default="last"),
        force=dict(type="bool", default=False),
        backup=dict(type="bool", default=True),
        backup_timeout=dict(type="int", default=600),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False, runs=[], instances={}, reverted=0, conflicts=0)
    try:
        result["runs"] = tag_journal.select(p["journal_dir"], p["run"])
        planned = tag_journal.plan_revert([tag_journal.load(p["journal_dir"], run) for run in result["runs"]])
    except StateError as exc:
        module.fail_json(msg="%s; nothing was changed" % exc, **result)
    given = dict((i["name"], i) for i in p["instances"])
    absent = sorted(set(planned) - set(given))
    if absent:
        module.fail_json(msg="the journal names instances that are not in instances: %s (given: %s); nothing was "
                         "changed" % (", ".join(absent), ", ".join(sorted(given))), **result)

    # read every instance first: a failure anywhere changes nothing anywhere
    work = []
    try:
        for name in sorted(planned):
            instance = given[name]
            if planned[name]["type"] and planned[name]["type"] != instance["type"]:
                module.fail_json(msg="%s is a %s in the journal but a %s in instances; nothing was changed"
                                 % (name, planned[name]["type"], instance["type"]), **result)
            client = arr_client(instance)
            try:
                labels = dict((tag_id, label) for label, tag_id in client.tags().items())
                records = client.library()
            finally:
                client.close()
            decided = tag_journal.decide(planned[name], records, force=p["force"])
            after = dict((e["id"], e["to"]) for e in decided["revert"])
            still = set()
            for record in records:
                still.update(after.get(record.get("id"), record.get("tags") or []))
            decided["tags_deleted"] = sorted(t for t in set(planned[name]["tags_created"])
                                             if t in labels and t not in still)
            decided["tags_kept"] = []
            decided["backup"] = None
            decided["requests"] = client.http.request_count
            decided["labels"] = labels
            work.append((instance, decided))
    except ServiceError as exc:
        module.fail_json(msg="%s; nothing was changed" % exc, **result)

    for instance, decided in work:
        labels = decided.pop("labels")
        result["instances"][instance["name"]] = decided
        result["reverted"] += len(decided["revert"])
        result["conflicts"] += len(decided["conflict"])
        decided["_labels"] = labels
    result["changed"] = any(d["revert"] or d["tags_deleted"] for _i, d in work)
    if module._diff:
        result["diff"] = diff(work)
    for _instance, decided in work:
        decided.pop("_labels")
    if result["conflicts"]:
        module.warn("%d items changed since the run and were left alone (force: true puts them back too)"
                    % result["conflicts"])
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)

    changing = [(i, d) for i, d in work if d["revert"] or d["tags_deleted"]]
    if p["backup"]:
        for instance, decided in changing:
            client = arr_client(instance)
            try:
                decided["backup"] = client.backup(timeout=p["backup_timeout"])
                decided["backup"]["requests"] = client.http.request_count
            except ServiceError as exc:
                module.fail_json(msg="%s; no backup, so nothing was changed (see System > Backup in %s, or set "
                                 "backup: false)" % (exc, instance["name"]), **result)
            finally:
                client.close()
    for instance, decided in changing:
        client = arr_client(instance)
        try:
            groups = {}
            for entry in decided["revert"]:
                groups.setdefault(tuple(entry["to"]), []).append(entry["id"])
            for tags in sorted(groups):
                client.replace_tags(groups[tags], list(tags))
            deleted = []
            for tag_id in decided["tags_deleted"]:
                kept = client.delete_tag(tag_id)
                if kept:
                    decided["tags_kept"].append({"id": tag_id, "reason": kept})
                else:
                    deleted.append(tag_id)
            decided["tags_deleted"] = deleted
        except ServiceError as exc:
            module.fail_json(msg="%s; instances before %s were reverted, run the revert again for the rest"
                             % (exc, instance["name"]), **result)
        finally:
            decided["requests"] += client.http.request_count
            client.close()
    module.exit_json(**result)


def diff(work):
    lines = []
    for instance, decided in work:
        labels = decided["_labels"]

        def names(ids):
            return "[%s]" % ", ".join(labels.get(t, str(t)) for t in ids)
        for entry in decided["revert"]:
            lines.append("%s: %s (id %s): tags %s -> %s\n"
                         % (instance["name"], entry["title"], entry["id"], names(entry["tags"]), names(entry["to"])))
        for tag_id in decided["tags_deleted"]:
            lines.append("%s: tag %s (id %d) deleted\n" % (instance["name"], labels.get(tag_id, "?"), tag_id))
    return {"before_header": "tags", "after_header": "tags as before the run", "prepared": "".join(lines) or "no change\n"}


if __name__ == "__main__":
    main()
