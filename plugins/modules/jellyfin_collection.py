#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: jellyfin_collection
short_description: Keep a Jellyfin collection's members exactly equal to a list of movies and series
version_added: 0.3.0
description:
  - Makes the Jellyfin collection O(name) hold exactly the movies and series of O(items) - adds what is missing,
    removes what is not listed - so that everyone who watches the library sees the list (for example what is up
    for removal) where they browse.
  - Items are matched by provider ids only - TMDb or IMDb for a movie, TVDB or IMDb for a series, as Jellyfin's
    C(ProviderIds) hold them - never by title. A title Jellyfin holds twice (two libraries) is listed twice. A
    listed item Jellyfin does not have is reported in RV(not_found), not an error.
  - Looks the collection up first (C(GET /Items?IncludeItemTypes=BoxSet&Recursive=true)) and reads its members
    (C(GET /Items?ParentId=<id>&Recursive=true); with an API key and neither C(Recursive) nor a user, Jellyfin
    answers an empty list) and the library's movies and series (paged, with C(ProviderIds)). Every read comes
    before any write, and a read that fails fails the task - it is never taken for "the collection is gone".
  - Creates the collection only when it does not exist and something is to be listed (C(POST /Collections?name=),
    locked against metadata renames). A second C(POST /Collections) with the same name would get the same Id
    (Jellyfin derives it from the collection's folder) and replace the collection with an empty one, so it is
    never sent for a name that exists. Two collections with the name fail the task and name their ids.
  - Adds and removes in batches of O(batch_size) (C(POST) and C(DELETE /Collections/{id}/Items?ids=)). Jellyfin
    refuses a whole batch (HTTP 400) when one id is unknown - an item deleted since it was read; that batch is sent
    again one id at a time and the refused ids are returned in RV(refused).
  - An existing collection whose list becomes empty is emptied, not deleted, so it keeps its Id (and a person's
    pins) from one run to the next. O(state=absent) deletes it (C(DELETE /Items/{id})), but only when it lies in
    Jellyfin's own collections folder (the C(boxsets) library); a collection elsewhere (a C([boxset]) folder in a
    media library holds files) is only emptied, with a warning.
  - The first collection makes Jellyfin add a C(Collections) library to C(/Library/VirtualFolders).
  - A write that fails part-way (a 5xx, a timeout, the collection deleted meanwhile) leaves the collection as it was;
    the run undoes what it applied (removes what it added, adds back what it removed, in batches with the same
    one-at-a-time fallback; the failed request is undone too, since Jellyfin may have applied it) and fails, saying
    what failed and that the collection was put back (RV(rolled_back)). If the undo fails as well, the message and
    RV(left_changed) name exactly the ids still changed; the next run reads the collection afresh and converges.
    A member added back goes to the end of Jellyfin's list of members (which Jellyfin shows sorted by name).
  - When the run created the collection and then failed, the (emptied) collection is deleted again, but only
    when it lies in Jellyfin's own collections folder, the rule of O(state=absent), since C(DELETE /Items/{id})
    deletes the folder too; otherwise, or if that delete fails, it is kept empty, the message says so, and the
    next run finds and uses it (never creates a second one). The C(Collections) library Jellyfin added for it
    stays. A failed C(POST /Collections) is not undone (it is never retried; if Jellyfin created the collection
    anyway, the next run finds it).
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.jellyfin
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Does every read and returns what would change (created, added, removed, deleted); writes nothing.
  diff_mode:
    support: full
    details: The members' titles before and after, one a line.
  action_group:
    description: Use C(group/mediaops.servarr.jellyfin) in C(module_defaults) for the Jellyfin connection.
    support: full
    membership:
      - mediaops.servarr.jellyfin
options:
  name:
    description:
      - The collection's name, matched exactly as Jellyfin shows it.
    type: str
    required: true
  items:
    description:
      - The movies and series the collection holds - the rows of M(mediaops.servarr.library_analyze) or the
        RV(mediaops.servarr.arr_tag#module:tagged) list of M(mediaops.servarr.arr_tag). Each needs C(type)
        (V(movie) or V(series)) and at least one provider id - C(tmdb_id) or C(imdb_id) for a movie, C(tvdb_id)
        or C(imdb_id) for a series; C(title) is only shown.
      - An empty list empties the collection (and creates none).
    type: list
    elements: dict
    default: []
  state:
    description:
      - V(present) makes the members equal to O(items); V(absent) deletes the collection (see above).
    type: str
    choices: [present, absent]
    default: present
  batch_size:
    description:
      - Ids per add or remove request, 1 to 200 (a request line stays under Kestrel's 8 KiB limit).
    type: int
    default: 100
  page_size:
    description:
      - Items per C(/Items) page when the library and the members are read.
    type: int
    default: 5000
seealso:
  - module: mediaops.servarr.library_analyze
  - module: mediaops.servarr.arr_tag
"""

EXAMPLES = r"""
- name: Show the household what is up for removal
  mediaops.servarr.jellyfin_collection:
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    name: Up for removal
    items: "{{ tagging.tagged }}"

- name: A hand-made list, by provider ids
  mediaops.servarr.jellyfin_collection:
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    name: Movie night
    items:
      - {type: movie, tmdb_id: "841", title: Dune}
      - {type: series, tvdb_id: "73739", title: Lost}

- name: Remove the collection
  mediaops.servarr.jellyfin_collection:
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    name: Up for removal
    state: absent
"""

RETURN = r"""
collection_id:
  description: The collection's Jellyfin id (null when it does not exist, or would be created in check mode).
  returned: always
  type: str
  sample: 5dac1af4a948c5326dfbdfa76f70adf8
created:
  description: The collection was (in check mode, would be) created.
  returned: always
  type: bool
  sample: false
deleted:
  description: The collection was (would be) deleted (O(state=absent)).
  returned: always
  type: bool
  sample: false
added:
  description:
    - Items that joined (would join) the collection, each Jellyfin C(id) and C(title).
    - After a failed write, only those the undo could not take out again (see RV(left_changed)).
  returned: always
  type: list
  elements: dict
  sample: [{id: 9a72812874dfb85dcbe0bf35cf8a0ab7, title: Dune (1984)}]
removed:
  description:
    - Items that left (would leave) the collection.
    - After a failed write, only those the undo could not add back (see RV(left_changed)).
  returned: always
  type: list
  elements: dict
  sample: [{id: 0e5b8c1d2f3a4b5c6d7e8f9a0b1c2d3e, title: Hook (1991)}]
refused:
  description: Items Jellyfin refused one by one after refusing their batch (HTTP 400), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{id: 4f0c7e6d5b4a49382716a5b4c3d2e1f0, title: Gigli (2003), reason: "Jellyfin refused the id (HTTP 400: no such item any more?)"}]
not_found:
  description: Listed items Jellyfin does not have under these provider ids (not in the collection).
  returned: always
  type: list
  elements: dict
  sample: [{title: Plan 9 from Outer Space, type: movie, ids: {tmdb_id: "10513"}}]
unchanged:
  description: Listed items that already were members.
  returned: always
  type: int
  sample: 12
members:
  description: Members after the run (in check mode, after a real run).
  returned: always
  type: int
  sample: 14
rolled_back:
  description: After a failed write, the collection is as it was before the run (what was applied was undone).
  returned: when a write failed
  type: bool
  sample: true
left_changed:
  description:
    - After a failed write, the items the undo could not put back - C(was) V(added) or V(removed) by this run;
      C(uncertain) for the ids of the request that failed, which Jellyfin may or may not have applied. RV(added)
      and RV(removed) then list these same items.
  returned: when a write failed
  type: list
  elements: dict
  sample: [{id: 9a72812874dfb85dcbe0bf35cf8a0ab7, title: Dune (1984), was: removed, uncertain: false}]
warning:
  description: Why O(state=absent) only emptied the collection.
  returned: when the collection could not be deleted safely
  type: str
  sample: >-
    the collection's folder /media/movies/Trilogy [boxset] is not in Jellyfin's collections folder
    (/config/data/collections): it was emptied, not deleted
requests:
  description: HTTP requests sent to Jellyfin.
  returned: always
  type: int
  sample: 5
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import jellyfin_argument_spec, jellyfin_client
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.collection_plan import (
    CollectionPlanError, MAX_BATCH, diff)
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.collection_run import CollectionError, read, write


def _perhaps(entry):
    return " (perhaps: its request failed)" if entry.get("uncertain") else ""


def _after_failure(name, done):
    """What a failed write left: the collection put back, or exactly which ids are still changed."""
    if done.get("left"):
        said = "; ".join("%s %s (%s)%s" % (e["was"], e["title"], e["id"], _perhaps(e)) for e in done["left"])
        text = ("putting the collection back failed (%s), %d item(s) remain changed: %s"
                % (done.get("undo_error") or "Jellyfin refused them", len(done["left"]), said))
    else:
        text = "the collection was put back as it was"
        if done.get("deleted_created"):
            text = "the collection was put back as it was (the collection this run created was deleted again)"
        if done.get("kept_created"):
            text = ("the collection was emptied again, but the collection %s this run created (id %s) was kept: %s"
                    % (name, done.get("collection_id"), done["kept_created"]))
    return text + " - the next run reads the collection afresh and finishes the job"


def main():
    argument_spec = jellyfin_argument_spec()
    argument_spec.update(
        name=dict(type="str", required=True),
        items=dict(type="list", elements="dict", default=[]),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        batch_size=dict(type="int", default=100),
        page_size=dict(type="int", default=5000),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False, collection_id=None, created=False, deleted=False, added=[], removed=[], refused=[],
                  not_found=[], unchanged=0, members=0, requests=0)
    name = (p["name"] or "").strip()
    if not name or name != p["name"] or any(ord(ch) < 32 for ch in name):
        module.fail_json(msg="name must be non-empty, without surrounding spaces or control characters "
                         "(Jellyfin matches it exactly)", **result)
    if not 1 <= p["batch_size"] <= MAX_BATCH or p["page_size"] < 1:
        module.fail_json(msg="batch_size must be 1 to %d and page_size positive" % MAX_BATCH, **result)

    client = None
    try:
        try:
            client = jellyfin_client(module)
            work = read(client, name, p["items"], state=p["state"], page_size=p["page_size"])
        except (ServiceError, CollectionPlanError) as exc:
            module.fail_json(msg="%s; the collection was not changed" % exc, **result)
        result.update(collection_id=(work["collection"] or {}).get("Id"), created=work["create"],
                      deleted=work["delete"], added=work["add"], removed=work["remove"], not_found=work["not_found"],
                      unchanged=work["unchanged"],
                      members=0 if work["delete"] else len(work["members"]) + len(work["add"]) - len(work["remove"]))
        result["changed"] = bool(work["create"] or work["delete"] or work["add"] or work["remove"])
        if work["delete_refused"]:
            result["warning"] = work["delete_refused"]
            module.warn(work["delete_refused"])
        if module._diff:
            result["diff"] = diff(name, work["before"], [] if work["delete"] else work["after"])
        if module.check_mode or not result["changed"]:
            result["requests"] = client.http.request_count
            module.exit_json(**result)
        try:
            done = write(client, name, work, batch_size=p["batch_size"])
        except CollectionError as exc:
            done = exc.done
            left = done.get("left", [])
            result.update(collection_id=done.get("collection_id"), created=done.get("created", False),
                          added=[e for e in left if e["was"] == "added"],
                          removed=[e for e in left if e["was"] == "removed"],
                          refused=done.get("refused", []), rolled_back=done.get("rolled_back", False),
                          left_changed=left, requests=client.http.request_count)
            result["changed"] = bool(left or result["created"])
            module.fail_json(msg="%s; %s" % (exc, _after_failure(name, done)), **result)
        result.update(collection_id=done["collection_id"], created=done["created"], deleted=done["deleted"],
                      added=done["added"], removed=done["removed"], refused=done["refused"],
                      members=0 if done["deleted"] else
                      len(work["members"]) + len(done["added"]) - len(done["removed"]))
        if done["refused"]:
            module.warn("Jellyfin refused %d item(s): %s" % (len(done["refused"]), ", ".join(
                "%s (%s)" % (e["title"], e["id"]) for e in done["refused"])))
        result["requests"] = client.http.request_count
    finally:
        if client is not None:
            client.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
