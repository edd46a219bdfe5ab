# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The undo of a failed collection write (runs/collection_run.write), against a fake client: what is put back,
which ids are named when the undo fails, the request that failed undone too, and the created collection deleted
only in Jellyfin's collections folder."""
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import collection_run as cr

CID = "c" * 32


class FakeClient:
    """Members in a list, as Jellyfin keeps them; ``fail`` maps a write number (0-based) to a status to answer."""
    name = "jellyfin"

    def __init__(self, members, fail=None, path="/config/data/collections/X [boxset]", exists=True):
        self.members, self.fail, self.path, self.exists, self.sent = list(members), fail or {}, path, exists, []

    def _write(self, what):
        n = len(self.sent)
        self.sent.append(what)
        if n in self.fail:
            raise JellyfinError("jellyfin: %s answered HTTP %s" % (what[0], self.fail[n]), self.fail[n])

    def create_collection(self, name):
        self._write(("create",))
        self.exists = True
        return CID

    def collection_items(self, method, collection_id, ids):
        self._write((method,) + tuple(ids))
        if method == "POST":
            self.members.extend(i for i in ids if i not in self.members)
        else:
            self.members = [m for m in self.members if m not in ids]

    def collections(self, page_size=5000):
        return [{"Id": CID, "Name": "X", "Path": self.path}] if self.exists else []

    def boxset_locations(self):
        return ["/config/data/collections"]

    def delete_item(self, item_id):
        self._write(("delete", item_id))
        self.exists = False
        return True


def e(i):
    return {"id": i * 32, "title": "T%s" % i}


def work(add=(), remove=(), create=False):
    return {"collection": None if create else {"Id": CID}, "create": create, "delete": False,
            "add": [e(i) for i in add], "remove": [e(i) for i in remove]}


def test_a_failure_after_the_first_batch_is_undone_in_batches_and_the_order_of_added_members_kept():
    client = FakeClient(["1" * 32, "2" * 32], fail={1: 503})
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="345"), batch_size=2)
    assert client.members == ["1" * 32, "2" * 32]
    done = err.value.done
    assert done["rolled_back"] is True and done["left"] == [] and done["undo_error"] is None
    # the failed request (5) is taken out too: Jellyfin may have applied it
    assert client.sent[2:] == [("DELETE", "3" * 32, "4" * 32), ("DELETE", "5" * 32)]


def test_a_failed_undo_names_exactly_what_is_still_changed():
    # remove 1 and 2 (one at a time), the add of 3 fails, and adding 1 back fails: 1 and 2 stay removed
    client = FakeClient(["1" * 32, "2" * 32], fail={2: 500, 4: 500})
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="3", remove="12"), batch_size=1)
    done = err.value.done
    assert done["rolled_back"] is False and "HTTP 500" in done["undo_error"]
    assert [(x["id"], x["was"], x["uncertain"]) for x in done["left"]] == \
        [("1" * 32, "removed", False), ("2" * 32, "removed", False)]
    assert client.members == []


def test_the_failed_request_is_named_as_uncertain_when_its_undo_fails():
    client = FakeClient([], fail={0: 500, 1: 500})
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="1"), batch_size=5)
    assert [(x["id"], x["was"], x["uncertain"]) for x in err.value.done["left"]] == [("1" * 32, "added", True)]


def test_a_refused_id_in_the_undo_falls_back_one_by_one_and_stays_named():
    # 1 and 2 removed; adding 3 fails; adding 1,2 back is refused as a batch (2 was deleted meanwhile): one by one
    client = FakeClient(["1" * 32, "2" * 32], fail={1: 500, 3: 400, 5: 400})
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="3", remove="12"), batch_size=2)
    done = err.value.done
    assert client.members == ["1" * 32]
    assert [(x["id"], x["was"]) for x in done["left"]] == [("2" * 32, "removed")]
    assert done["rolled_back"] is False and done["undo_error"] is None


def test_a_created_collection_is_deleted_again_only_in_the_collections_folder():
    client = FakeClient([], fail={2: 500})
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="12", create=True), batch_size=1)
    done = err.value.done
    assert done["rolled_back"] and done["deleted_created"] and not done["created"] and done["collection_id"] is None
    assert client.sent[-1] == ("delete", CID) and not client.exists

    client = FakeClient([], fail={2: 500}, path="/media/movies/X [boxset]")
    with pytest.raises(cr.CollectionError) as err:
        cr.write(client, "X", work(add="12", create=True), batch_size=1)
    done = err.value.done
    assert not done["rolled_back"] and done["created"] and done["collection_id"] == CID
    assert "not in Jellyfin's collections folder" in done["kept_created"] and client.exists
    assert not any(s[0] == "delete" for s in client.sent) and client.members == []


def test_a_write_that_succeeds_returns_what_it_did_without_undo_keys():
    client = FakeClient(["1" * 32])
    done = cr.write(client, "X", work(add="2", remove="1"), batch_size=2)
    assert client.members == ["2" * 32] and "inflight" not in done and "rolled_back" not in done
