#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: arr_tag
short_description: Tag movies and series in Radarr/Sonarr for a person to review, by id
version_added: 0.3.0
description:
  - Takes the rows of M(mediaops.servarr.library_analyze) (O(rows)) or its CSV after a person reviewed it
    (O(csv), rows deleted or kept by hand) and puts the tag O(tag) on the items that score at least O(threshold),
    in the instance each row names, by Radarr/Sonarr id. The row's TMDb/TVDB/IMDb ids must match the app's item,
    so a CSV applied to the wrong instance tags nothing. Titles are never looked up.
  - Creates the tag if the app does not have it (C(POST /api/v3/tag)), then uses the bulk editors
    (C(PUT /api/v3/movie/editor), C(PUT /api/v3/series/editor) with C(applyTags) V(add) or V(remove)) - one
    request per instance and change, listing only the items whose tags really change.
  - An item with the keep tag (O(keep_tag)) is never tagged, and loses the tag if it has it.
  - O(exclusive=true) also removes the tag from the items no longer listed, so the tag always shows the latest
    review. O(state=absent) removes the tag from the listed items, or from every item when no rows are given.
  - Never deletes, unmonitors or changes anything else. Reads every instance before changing any.
  - Before the first change, each instance that will change makes a backup of its own (O(backup)), then the exact
    tag set of every item that changes is written to a journal (O(journal_dir)), atomically. M(mediaops.servarr.arr_tag_revert)
    puts the tags back from it (playbook C(mediaops.servarr.library_revert)).
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
    details: Reads the tags and items and reports who would gain or lose the tag; creates no tag and edits nothing.
  diff_mode:
    support: full
    details: Lists the items that gain (C(+)) or lose (C(-)) the tag, by instance, title and id.
  action_group:
    description: Use C(group/mediaops.servarr.arr) in C(module_defaults) for O(instances).
    support: full
    membership:
      - mediaops.servarr.arr
options:
  rows:
    description:
      - Rows as M(mediaops.servarr.library_analyze) returns them; each needs C(instance), C(id) and C(score),
        and may carry C(tmdb_id), C(tvdb_id), C(imdb_id) and C(title).
      - Mutually exclusive with O(csv).
    type: list
    elements: dict
  csv:
    description:
      - A library_analyze CSV report, possibly edited by hand. Columns C(Instance), C(Id) and C(Score) are
        required; C(TMDb), C(TVDB), C(IMDb) are checked when present.
    type: path
  threshold:
    description:
      - Rows that score below this are not tagged (with O(state=present)). Rows marked protected never are.
    type: float
    default: 80
  tag:
    description:
      - The tag label. Lower-case letters, digits and C(-) only; checked here, since some Radarr/Sonarr versions
        accept anything and others refuse.
    type: str
    default: deletion-candidate-80
  keep_tag:
    description:
      - Label of the tag that protects an item from being tagged, matched as the apps match labels (lower-case).
      - It must exist in at least one instance; a label no instance has (a typo) fails and names every
        instance's tags, as it would protect nothing.
    type: str
    default: keep
  exclusive:
    description:
      - Remove the tag from every item of the instances that is not (or no longer) listed.
    type: bool
    default: false
  state:
    description:
      - V(present) tags the listed items, V(absent) removes the tag (from the listed items, or from every item
        when neither O(rows) nor O(csv) is given; the threshold does not apply).
    type: str
    choices: [present, absent]
    default: present
  journal_dir:
    description:
      - Folder of the tag journal, one file per run that changed something (C(arr_tag-<run>.json)), written
        before the first change; created when its parent exists. Check mode and a run that changes nothing write
        none.
      - Under the role it is the reduce job's own state folder (C(servarr_tag_journal_dir)).
    type: path
    default: /var/lib/servarr/arr_tag-journal
  journal_keep:
    description:
      - How many runs' journals to keep (the oldest beyond go); a run older than these cannot be reverted.
    type: int
    default: 30
seealso:
  - module: mediaops.servarr.library_analyze
  - module: mediaops.servarr.arr_tag_revert
"""

EXAMPLES = r"""
- name: Tag the analysis' candidates for review
  mediaops.servarr.arr_tag:
    instances: "{{ servarr_arr_instances }}"
    rows: "{{ analysis.rows }}"
    threshold: 80
    exclusive: true

- name: Tag what a person kept in the reviewed CSV
  mediaops.servarr.arr_tag:
    instances: "{{ servarr_arr_instances }}"
    csv: /var/lib/servarr/reports/library_analysis_2026-11-25.reviewed.csv
    tag: deletion-candidate-80

- name: Take the tag off everything
  mediaops.servarr.arr_tag:
    instances: "{{ servarr_arr_instances }}"
    state: absent
"""

RETURN = r"""
instances:
  description: Per instance, what was (in check mode, would be) done.
  returned: always
  type: dict
  contains:
    tag_id:
      description: Id of the tag in that instance (null when it does not exist yet).
      type: int
      sample: 7
    tag_created:
      description: The tag was (would be) created.
      type: bool
      sample: false
    add:
      description: Items that gain the tag, each C(id) and C(title).
      type: list
      elements: dict
      sample: [{id: 12, title: Dune}]
    remove:
      description: Items that lose the tag.
      type: list
      elements: dict
      sample: [{id: 40, title: Cats}]
    unchanged:
      description: Listed items that already are as asked.
      type: list
      elements: dict
      sample: [{id: 3, title: Waterworld}]
    kept:
      description: Listed items that have the keep tag, so are not tagged.
      type: list
      elements: dict
      sample: [{id: 8, title: Heat, reason: has the keep tag}]
    missing:
      description: Listed ids the instance does not have (deleted since the analysis).
      type: list
      elements: dict
      sample: [{id: 99, title: Old film, reason: no such id in the app}]
    mismatch:
      description: Listed ids whose TMDb/TVDB/IMDb id differs from the row's; not tagged.
      type: list
      elements: dict
      sample: [{id: 5, title: Dune, reason: tmdbId is 438631 in the app, 841 in the row}]
    requests:
      description: HTTP requests sent to the instance to read and tag (the backup's are in RV(instances.backup)).
      type: int
      sample: 3
    backup:
      description:
        - The backup the instance made before the change; null when none was asked (in check mode, with nothing to
          change there, or with O(backup=false)). C(time) is the app's own time of the zip, C(path) what
          C(system/backup) lists.
      type: dict
      sample: {name: radarr_backup_v5.14.0.9383_2026.11.25_10.15.02.zip, path: /backup/manual/radarr_backup_v5.14.0.9383_2026.11.25_10.15.02.zip,
               type: manual, size: 4718592, time: "2026-11-25T10:15:02Z", command_id: 1412, seconds: 2.5, requests: 5}
  sample:
    radarr: {tag_id: 7, tag_created: false, add: [{id: 12, title: Dune}], remove: [], unchanged: [], kept: [],
             missing: [], mismatch: [], requests: 3, backup: null}
tagged:
  description:
    - Every item that carries the tag after the run (in check mode, after a real run), all instances - what
      M(mediaops.servarr.jellyfin_collection) mirrors into a collection and M(mediaops.servarr.library_grace)
      counts the grace period of.
  returned: always
  type: list
  elements: dict
  sample: [{instance: radarr, id: 1, title: Dune, type: movie, year: 1984, tmdb_id: "841", tvdb_id: null,
            imdb_id: tt0087182, size_bytes: 64424509440}]
added:
  description: Number of items that gain the tag, all instances.
  returned: always
  type: int
  sample: 12
removed:
  description: Number of items that lose the tag, all instances.
  returned: always
  type: int
  sample: 0
run:
  description: Id of this run in the journal (give it to M(mediaops.servarr.arr_tag_revert) as O(mediaops.servarr.arr_tag_revert#module:run));
    null when nothing was changed.
  returned: always
  type: str
  sample: 20261125T101500123456Z
journal:
  description: The journal file of this run, null when nothing was changed.
  returned: always
  type: str
  sample: /var/lib/servarr/jobs/reduce/arr_tag-journal/arr_tag-20261125T101500123456Z.json
journals_removed:
  description: Runs whose journals went because more than O(journal_keep) are kept.
  returned: when something was changed
  type: list
  elements: str
  sample: [20260901T030000000000Z]
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import arr_client, arr_instances_spec
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import tag_journal
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import DEFAULT_STATE_DIR, StateError, ensure_folder
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.tag_plan import (
    TagPlanError, check_label, missing_keep_tag, normalise, plan, read_csv, select, tagged_after)


def main():
    argument_spec = arr_instances_spec(required=True)
    argument_spec.update(
        rows=dict(type="list", elements="dict"),
        csv=dict(type="path"),
        threshold=dict(type="float", default=80),
        tag=dict(type="str", default="deletion-candidate-80"),
        keep_tag=dict(type="str", default="keep"),
        exclusive=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        backup=dict(type="bool", default=True),
        backup_timeout=dict(type="int", default=600),
        journal_dir=dict(type="path", default=os.path.join(DEFAULT_STATE_DIR, "arr_tag-journal")),
        journal_keep=dict(type="int", default=30),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("rows", "csv")])
    p = module.params
    result = dict(changed=False, instances={}, added=0, removed=0, tagged=[], run=None, journal=None)
    given = p["rows"] is not None or p["csv"] is not None
    try:
        p["tag"] = check_label(p["tag"])
        p["keep_tag"] = check_label(p["keep_tag"], "keep_tag")
        if p["tag"] == p["keep_tag"]:
            raise TagPlanError("tag and keep_tag must differ")
        if p["state"] == "present" and not given:
            raise TagPlanError("state=present needs rows or csv")
        if p["backup_timeout"] < 1 or p["journal_keep"] < 1:
            raise TagPlanError("backup_timeout and journal_keep must be at least 1")
        rows = normalise(read_csv(p["csv"]), p["csv"]) if p["csv"] else normalise(p["rows"] or [])
    except TagPlanError as exc:
        module.fail_json(msg=str(exc), **result)
    chosen = select(rows, p["threshold"], ignore_threshold=p["state"] == "absent")
    names = [i["name"] for i in p["instances"]]
    unknown = sorted(set(r["instance"] for r in rows) - set(names))
    if unknown:
        module.fail_json(msg="rows name instances that are not in instances: %s (given: %s); nothing was tagged"
                         % (", ".join(unknown), ", ".join(names)), **result)

    # read every instance first: a failure anywhere changes nothing anywhere
    work = []
    try:
        for instance in p["instances"]:
            client = arr_client(instance)
            try:
                tags = client.tags()
                records = client.library()
                decided = plan(records, chosen.get(instance["name"], {}), tags.get(p["tag"]), tags.get(p["keep_tag"]),
                               state=p["state"], exclusive=p["exclusive"], everything=not given)
            finally:
                client.close()
            decided["tag_id"] = tags.get(p["tag"])
            decided["tags"] = tags
            decided["tagged"] = tagged_after(records, decided, decided["tag_id"], instance["name"],
                                             instance["type"])
            decided["records"] = records
            decided["tag_created"] = bool(decided["add"]) and decided["tag_id"] is None
            decided["requests"] = client.http.request_count
            decided["backup"] = None
            work.append((instance, decided))
    except ServiceError as exc:
        module.fail_json(msg="%s; nothing was tagged" % exc, **result)
    missing = missing_keep_tag(p["keep_tag"], dict((instance["name"], decided["tags"]) for instance, decided in work))
    if missing:
        module.fail_json(msg=missing, **result)
    records = {}
    for instance, decided in work:
        decided.pop("tags")
        records[instance["name"]] = decided.pop("records")

    for instance, decided in work:
        result["tagged"].extend(decided.pop("tagged"))
        result["instances"][instance["name"]] = decided
        result["added"] += len(decided["add"])
        result["removed"] += len(decided["remove"])
    result["changed"] = bool(result["added"] or result["removed"])
    if module._diff:
        result["diff"] = diff(work, p["tag"])
    if module.check_mode or not result["changed"]:
        module.exit_json(**result)

    changing = [(instance, decided) for instance, decided in work if decided["add"] or decided["remove"]]
    try:
        ensure_folder(p["journal_dir"])
    except StateError as exc:
        module.fail_json(msg="%s; nothing was tagged" % exc, **result)
    # before anything changes, each instance that will change makes a backup of its own (fail closed)
    if p["backup"]:
        for instance, decided in changing:
            client = arr_client(instance)
            try:
                decided["backup"] = client.backup(timeout=p["backup_timeout"])
            except ServiceError as exc:
                module.fail_json(msg="%s; no backup, so nothing was tagged (see System > Backup in %s, or set "
                                 "backup: false to tag without one)" % (exc, instance["name"]), **result)
            finally:
                if decided["backup"] is not None:
                    decided["backup"]["requests"] = client.http.request_count
                client.close()

    # the exact tag sets of every item that changes, written before the first change
    journal = {"version": tag_journal.VERSION, "run": tag_journal.new_run_id(), "tag": p["tag"], "state": "planned",
               "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "instances": {}}
    for instance, decided in changing:
        journal["instances"][instance["name"]] = {
            "type": instance["type"], "tag_id": decided["tag_id"], "tag_created": False, "backup": decided["backup"],
            "items": journal_items(records[instance["name"]], decided)}
    result["run"] = journal["run"]
    result["journal"] = tag_journal.path_of(p["journal_dir"], journal["run"])
    try:
        tag_journal.save(p["journal_dir"], journal)
    except (OSError, StateError) as exc:
        module.fail_json(msg="cannot write the tag journal %s: %s; nothing was tagged" % (result["journal"], exc),
                         **result)

    for instance, decided in changing:
        client = arr_client(instance)
        entry = journal["instances"][instance["name"]]
        try:
            if decided["add"] and decided["tag_id"] is None:
                decided["tag_id"] = client.create_tag(p["tag"])
                entry.update(tag_id=decided["tag_id"], tag_created=True,
                             items=journal_items(records[instance["name"]], decided))
                tag_journal.save(p["journal_dir"], journal)
            if decided["add"]:
                client.edit_tags([e["id"] for e in decided["add"]], decided["tag_id"], "add")
            if decided["remove"]:
                client.edit_tags([e["id"] for e in decided["remove"]], decided["tag_id"], "remove")
        except (ServiceError, OSError, StateError) as exc:
            journal["state"] = "failed"
            try:
                tag_journal.save(p["journal_dir"], journal)
            except (OSError, StateError):
                pass
            module.fail_json(msg="%s; instances before %s were tagged, the next run finishes the rest (arr_tag_revert "
                             "run %s puts back what was done)" % (exc, instance["name"], journal["run"]), **result)
        finally:
            decided["requests"] += client.http.request_count
            client.close()
    journal["state"] = "done"
    try:
        tag_journal.save(p["journal_dir"], journal)
        result["journals_removed"] = tag_journal.prune(p["journal_dir"], p["journal_keep"])
    except (OSError, StateError) as exc:
        module.warn("the tags were changed but the journal %s could not be finished: %s" % (result["journal"], exc))
    module.exit_json(**result)


def journal_items(records, decided):
    """``{id: {title, before, after}}`` of the items that change; ``after`` is ``before`` while the tag does not
    exist yet (nothing can have changed)."""
    by_id = dict((r.get("id"), r) for r in records)
    items = {}
    for action in ("add", "remove"):
        for found in decided[action]:
            record = by_id[found["id"]]
            if decided["tag_id"] is None:
                entry = tag_journal.item_entry(record, None, "remove")
            else:
                entry = tag_journal.item_entry(record, decided["tag_id"], action)
            items[str(found["id"])] = entry
    return items


def diff(work, tag):
    lines = []
    for instance, decided in work:
        for sign, key in (("+", "add"), ("-", "remove")):
            for entry in decided[key]:
                lines.append("%s %s: %s (id %s)\n" % (sign, instance["name"], entry["title"], entry["id"]))
    return {"before_header": "tag %s" % tag, "after_header": "tag %s" % tag,
            "prepared": "".join(lines) or "no change\n"}


if __name__ == "__main__":
    main()
