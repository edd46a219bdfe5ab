#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: library_grace
short_description: Count down the grace period of what is up for removal, and write the weekly digest
version_added: 0.3.0
description:
  - Takes the items that carry the review tag (RV(mediaops.servarr.arr_tag#module:tagged) of
    M(mediaops.servarr.arr_tag)), remembers in O(state_file) the day each was first seen tagged, and returns each
    with the days left of O(grace_days) and whether the grace period is over.
  - An item that no longer carries the tag - a person made it a favourite in Jellyfin or gave it the keep tag, so
    the review dropped it, or deleted it - is forgotten; if it is tagged again later, its countdown starts again.
    An item is remembered by instance and Radarr/Sonarr id, with its provider ids (an id that now names another
    title starts again).
  - Deletes nothing. Past the grace period an item is listed in RV(past_grace), for a person to delete in
    Radarr/Sonarr.
  - Returns the digest for ntfy (RV(digest)) - a title with the count and size, how to keep an item (make it a
    favourite) first, then every item with its size and days left, what is past its grace period first, cut
    whole lines at a time to ntfy's 4,095 bytes.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Reads the state file and returns the countdown as a real run would see it (an item seen for the first
      time has the whole period left); writes nothing, so no countdown starts. Fails, as the real run would, when
      the state file's folder is missing or not writable.
  diff_mode:
    support: none
options:
  items:
    description:
      - The items that carry the review tag - each C(instance), C(id), C(title), and optionally C(type), C(year),
        C(tmdb_id), C(tvdb_id), C(imdb_id) and C(size_bytes) (RV(mediaops.servarr.arr_tag#module:tagged)).
    type: list
    elements: dict
    required: true
  state_file:
    description:
      - JSON file that remembers when each item was first seen tagged (in the job's own state folder under the
        role). Its folder must exist.
    type: path
    required: true
  grace_days:
    description:
      - Days from the first tagging until an item may be deleted by a person.
    type: int
    default: 14
  collection_name:
    description:
      - The Jellyfin collection that lists the items, named in the digest.
    type: str
    default: Up for removal
  keep_tag:
    description:
      - The keep tag's label, named in the digest as the other way to keep an item.
    type: str
    default: keep
seealso:
  - module: mediaops.servarr.arr_tag
  - module: mediaops.servarr.jellyfin_collection
  - module: mediaops.servarr.ntfy_send
"""

EXAMPLES = r"""
- name: Count down the grace period
  mediaops.servarr.library_grace:
    items: "{{ tagging.tagged }}"
    state_file: /var/lib/servarr/jobs/review/library_grace.json
    grace_days: 14
  register: grace

- name: Send the digest
  mediaops.servarr.ntfy_send:
    url: https://ntfy.example.com/household
    title: "{{ grace.digest.title }}"
    body: "{{ grace.digest.body }}"
  when: not grace.digest.empty
"""

RETURN = r"""
countdown:
  description: The tagged items with their countdown, fewest days left (then largest) first.
  returned: always
  type: list
  elements: dict
  sample: [{instance: radarr, id: 1, title: Dune, year: 1984, type: movie, tmdb_id: "841", size_bytes: 64424509440,
            first_tagged: "2026-11-11", deletable_from: "2026-11-25", days_left: 0, past_grace: true}]
past_grace:
  description: The items whose grace period is over (a person may delete them in Radarr/Sonarr).
  returned: always
  type: list
  elements: dict
  sample: [{instance: radarr, id: 1, title: Dune, year: 1984, size_bytes: 64424509440, first_tagged: "2026-11-11",
            deletable_from: "2026-11-25", days_left: 0, past_grace: true}]
totals:
  description: Counts and bytes of the tagged items and of those past the grace period.
  returned: always
  type: dict
  sample: {items: 3, bytes: 311385128960, past_grace: 1, past_grace_bytes: 64424509440}
digest:
  description: The digest for ntfy - C(title), C(body), and C(empty) when nothing is up for removal.
  returned: always
  type: dict
  sample: {title: "Up for removal: 3 items, 290.0 GB (1 past the grace period)", empty: false,
           body: "To keep one, mark it a favourite in Jellyfin ...\n\nUp for removal:\n- Dune (1984), 60.0 GB, 3 days left"}
state_file:
  description: The state file.
  returned: always
  type: str
  sample: /var/lib/servarr/jobs/review/library_grace.json
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import review_grace
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    StateError, check_writable, load, save)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            items=dict(type="list", elements="dict", required=True),
            state_file=dict(type="path", required=True),
            grace_days=dict(type="int", default=14),
            collection_name=dict(type="str", default="Up for removal"),
            keep_tag=dict(type="str", default="keep"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, countdown=[], past_grace=[], totals={}, digest={}, state_file=p["state_file"])
    if p["grace_days"] < 0:
        module.fail_json(msg="grace_days must not be negative", **result)
    for number, item in enumerate(p["items"], 1):
        if not isinstance(item.get("instance"), str) or not isinstance(item.get("id"), int) \
                or isinstance(item.get("id"), bool):
            module.fail_json(msg="items[%d] needs an instance (text) and an id (a number)" % number, **result)
    try:
        check_writable(p["state_file"], "state_file", folder=False)
        previous = load(p["state_file"], default={}) or {}
    except StateError as exc:
        module.fail_json(msg="%s; no countdown was started" % exc, **result)
    today = datetime.date.today()
    state, rows = review_grace.update(previous.get("items") or {}, p["items"], today, p["grace_days"])
    result.update(countdown=rows, past_grace=[r for r in rows if r["past_grace"]], totals=review_grace.totals(rows),
                  digest=review_grace.digest(rows, p["collection_name"], p["keep_tag"]))
    data = {"version": 1, "items": state}
    if previous.get("version") == 1 and previous.get("items") == state:
        module.exit_json(**result)
    result["changed"] = True
    if module.check_mode:
        module.exit_json(**result)
    try:
        save(p["state_file"], data)
    except (OSError, StateError) as exc:
        module.fail_json(msg="cannot write state_file %s: %s" % (p["state_file"], exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
