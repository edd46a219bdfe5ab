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
* A write that fails part-way is undone (``_undo``): what was added is removed, what was removed is added back, the
  failed request included (both writes are idempotent in Jellyfin), and a collection this run created is deleted
  again when it lies in Jellyfin's collections folder (``state: absent``'s rule). What could not be put back is
  named, id by id; the next run plans from a fresh read and converges.
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
    """One batch; on Jellyfin's whole-batch 400, the ids one at a time. ``done["inflight"]`` holds the ids of the
    request being sent: when it fails with anything but a 400 (a 5xx, a timeout), Jellyfin may have applied it."""
    done["inflight"] = (key, list(batch))
    try:
        client.collection_items(method, collection_id, [e["id"] for e in batch])
        done[key].extend(batch)
        done["inflight"] = None
        return
    except JellyfinError as exc:
        if getattr(exc, "status", None) != 400:
            raise
    done["inflight"] = None   # a 400 refuses the whole batch: nothing of it was applied
    # 400 for the batch: the collection itself may be gone (a person deleted it since it was read)
    if not any(c["Id"] == collection_id for c in client.collections()):
        raise CollectionError("%s: the collection %s disappeared while it was changed; run again" % (client.name, name),
                              done)
    for entry in batch:
        done["inflight"] = (key, [entry])
        try:
            client.collection_items(method, collection_id, [entry["id"]])
            done[key].append(entry)
        except JellyfinError as exc:
            if getattr(exc, "status", None) != 400:
                raise
            refused.append(dict(entry, reason="Jellyfin refused the id (HTTP 400: no such item any more?)"))
        done["inflight"] = None


def _undo(client, name, done, batch_size):
    """Put the collection back after a failed write: remove what this run added, then add back what it removed, in
    batches with the same one-at-a-time fallback (both writes are idempotent in Jellyfin, so the request that failed
    is undone too: it may have been applied). Stops at the first failure. Returns (left, error): ``left`` the
    entries still changed, each with ``was`` ("added" or "removed") and ``uncertain`` (the failed request's ids, which
    Jellyfin may or may not have applied); ``error`` the undo's failure or None."""
    inflight = done.get("inflight") or (None, [])
    steps = [("DELETE", "added", [dict(e, uncertain=False) for e in done["added"]]
              + [dict(e, uncertain=True) for e in inflight[1] if inflight[0] == "added"]),
             ("POST", "removed", [dict(e, uncertain=False) for e in done["removed"]]
              + [dict(e, uncertain=True) for e in inflight[1] if inflight[0] == "removed"])]
    left, error = [], None
    for method, was, entries in steps:
        for batch in collection_plan.batches(entries, batch_size):
            if error is not None:
                left.extend(dict(e, was=was) for e in batch)
                continue
            put_back, refused = {"back": [], "inflight": None}, []
            try:
                _send(client, method, done["collection_id"], batch, refused, put_back, "back", name)
            except ServiceError as exc:
                error = str(exc)
            undone = set(e["id"] for e in put_back["back"])
            # an id Jellyfin refuses on its own (an item deleted meanwhile) cannot be put back: it stays changed
            left.extend(dict(e, was=was) for e in batch if e["id"] not in undone)
    for entry in left:
        entry.pop("reason", None)
    return left, error


def _delete_created(client, done):
    """After a failed first run whose members were all taken out again: delete the (empty) collection this run
    created, so that Jellyfin is as it was. Only when it lies in Jellyfin's own collections folder - the rule of
    ``state: absent``, since ``DELETE /Items/{id}`` deletes the folder too. Returns None, or why it was kept."""
    try:
        mine = [c for c in client.collections() if c["Id"] == done["collection_id"]]
        if not mine:
            return None   # already gone
        locations = client.boxset_locations()
        if not collection_plan.under_folder(mine[0].get("Path"), locations):
            return ("its folder %s is not in Jellyfin's collections folder (%s)"
                    % (mine[0].get("Path") or "(unknown)", ", ".join(locations) or "none"))
        client.delete_item(done["collection_id"])
    except ServiceError as exc:
        return str(exc)
    return None


def write(client, name, work, batch_size=100):
    """Carry the work out. Returns {collection_id, created, deleted, added, removed, refused}. A failure puts back
    what this run changed (see ``_undo``; a collection this run created is deleted again when that is safe) and
    raises CollectionError whose ``done`` adds ``rolled_back`` (the collection is as it was), ``left`` (entries
    still changed), ``undo_error`` and ``kept_created`` (why a collection this run created was not deleted)."""
    add_batches = collection_plan.batches(work["add"], batch_size)
    remove_batches = collection_plan.batches(work["remove"], batch_size)
    done = {"collection_id": (work["collection"] or {}).get("Id"), "created": False, "deleted": False,
            "added": [], "removed": [], "refused": [], "inflight": None}
    try:
        if work["create"]:
            done["collection_id"] = client.create_collection(name)
            done["created"] = True
        if work["delete"]:   # its members leave with it
            client.delete_item(done["collection_id"])
            done["deleted"] = True
            done["removed"] = list(work["remove"])
            return _finished(done)
        for batch in remove_batches:
            _send(client, "DELETE", done["collection_id"], batch, done["refused"], done, "removed", name)
        for batch in add_batches:
            _send(client, "POST", done["collection_id"], batch, done["refused"], done, "added", name)
    except ServiceError as exc:
        _roll_back(client, name, done, batch_size)
        raise CollectionError(str(exc), done)
    return _finished(done)


def _finished(done):
    done.pop("inflight", None)
    return done


def _roll_back(client, name, done, batch_size):
    left, error = [], None
    if done["collection_id"] and not done["deleted"]:
        left, error = _undo(client, name, done, batch_size)
    done["left"], done["undo_error"], done["kept_created"], done["deleted_created"] = left, error, None, False
    if done["created"] and not left:
        done["kept_created"] = _delete_created(client, done)
        if done["kept_created"] is None:
            done["created"], done["deleted_created"] = False, True
            done["collection_id"] = None
    done["rolled_back"] = not left and done["kept_created"] is None
    _finished(done)
