# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keeping a Jellyfin collection's membership equal to a list of items: every read first, then the writes.

* Reads: the collections (``GET /Items?IncludeItemTypes=BoxSet&Recursive=true``), the collection's members
  (``ParentId`` and ``Recursive=true``) and, when items are wanted, the library's movies and series with their
  ``ProviderIds`` (paged). Any failed read raises before anything is written: a read that fails is never taken for
  "the collection is gone" (which would create a second one, or replace it with an empty one).
* Writes: the collection is created once (``POST /Collections?name=`` without ids; never again for a name that
  exists: Jellyfin would replace it, members and all), then members are added and removed in batches
  (``POST|DELETE /Collections/{id}/Items?ids=``). Jellyfin refuses a whole batch with 400 when one id is unknown
  (an item deleted since it was read): the collection is checked to still exist, then that batch is sent again
  one id at a time and the refused ids are reported.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import collection_plan


class CollectionError(JellyfinError):
    """A failure after some writes: ``done`` says which."""

    def __init__(self, message, done=None):
        super(CollectionError, self).__init__(message)
        self.done = done or {}


def read(client, name, items, state="present", page_size=5000):
    """Every read and the decision. Returns the work: {collection, members, add, remove, unchanged, not_found,
    create, delete, delete_refused, before, after}."""
    wanted_items = collection_plan.normalise(items) if state == "present" else []
    collection = collection_plan.find_collection(client.collections(page_size=page_size), name)
    members = client.members(collection["Id"], name, page_size=page_size) if collection else []
    wanted, not_found = {}, []
    if wanted_items:
        entries = []
        for page in client.items(None, ("Movie", "Series"), page_size=page_size):
            entries.extend(e for e in page if isinstance(e, dict))
        wanted, not_found = collection_plan.resolve(wanted_items, collection_plan.index_library(entries))
    decided = collection_plan.plan(wanted, members)
    work = dict(decided, collection=collection, members=members, not_found=not_found,
                create=collection is None and bool(wanted), delete=False, delete_refused=None,
                before=[collection_plan.label(m) for m in members], after=sorted(wanted.values()))
    if state == "absent" and collection is not None:
        # DELETE /Items/{id} deletes the item's folder too: only for a collection in Jellyfin's own collections
        # folder (a "[boxset]" folder inside a media library holds films)
        locations = client.boxset_locations()
        if collection_plan.under_folder(collection.get("Path"), locations):
            work["delete"] = True
        else:
            work["delete_refused"] = ("the collection's folder %s is not in Jellyfin's collections folder (%s): it "
                                      "was emptied, not deleted" % (collection.get("Path") or "(unknown)",
                                                                    ", ".join(locations) or "none"))
    return work


def _send(client, method, collection_id, batch, refused, done, key, name):
    """One batch; on Jellyfin's whole-batch 400, the ids one at a time."""
    try:
        client.collection_items(method, collection_id, [e["id"] for e in batch])
        done[key].extend(batch)
        return
    except JellyfinError as exc:
        if getattr(exc, "status", None) != 400:
            raise
    # 400 for the batch: the collection itself may be gone (a person deleted it since it was read)
    if not any(c["Id"] == collection_id for c in client.collections()):
        raise CollectionError("%s: the collection %s disappeared while it was changed; run again" % (client.name, name),
                              done)
    for entry in batch:
        try:
            client.collection_items(method, collection_id, [entry["id"]])
            done[key].append(entry)
        except JellyfinError as exc:
            if getattr(exc, "status", None) != 400:
                raise
            refused.append(dict(entry, reason="Jellyfin refused the id (HTTP 400: no such item any more?)"))


def write(client, name, work, batch_size=100):
    """Carry the work out. Returns {collection_id, created, deleted, added, removed, refused}. A failure raises
    CollectionError whose ``done`` says what was changed before it."""
    add_batches = collection_plan.batches(work["add"], batch_size)
    remove_batches = collection_plan.batches(work["remove"], batch_size)
    done = {"collection_id": (work["collection"] or {}).get("Id"), "created": False, "deleted": False,
            "added": [], "removed": [], "refused": []}
    try:
        if work["create"]:
            done["collection_id"] = client.create_collection(name)
            done["created"] = True
        if work["delete"]:   # its members leave with it
            client.delete_item(done["collection_id"])
            done["deleted"] = True
            done["removed"] = list(work["remove"])
            return done
        for batch in remove_batches:
            _send(client, "DELETE", done["collection_id"], batch, done["refused"], done, "removed", name)
        for batch in add_batches:
            _send(client, "POST", done["collection_id"], batch, done["refused"], done, "added", name)
    except CollectionError:
        raise
    except ServiceError as exc:
        raise CollectionError(str(exc), done)
    return done
