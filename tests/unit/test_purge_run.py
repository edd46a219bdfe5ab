"""Carrying out a purge with fake rTorrent and remover: order, journal, verification, and the stop on failure."""
import json

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.data_removal import RemovalError
from ansible_collections.mediaops.servarr.plugins.module_utils.purge_run import Journal, PurgeStopped, execute


class FakeRTorrent:
    def __init__(self, hashes, stuck=()):
        self.loaded = set(hashes)
        self.stuck = set(stuck)   # erase "succeeds" but the torrent stays
        self.calls = []

    def erase(self, h):
        self.calls.append(("erase", h))
        if h not in self.stuck:
            self.loaded.discard(h)

    def rutorrent_remove_with_data(self, h):
        self.calls.append(("removewithdata", h))
        self.loaded.discard(h)

    def exists(self, h):
        return h in self.loaded


class FakeRemover:
    def __init__(self, present, undeletable=()):
        self.present = set(present)
        self.undeletable = set(undeletable)

    def remove(self, paths, data_path):
        self.present -= set(paths) - self.undeletable

    def remaining(self, paths):
        return sorted(set(paths) & self.present)


def entry(h, data="removed"):
    return {"hash": h, "name": "name " + h, "data": data, "data_path": "/dl/" + h, "data_verified": None}


FILES = {"A": ["/dl/A/a.mkv"], "B": ["/dl/B/b.mkv"], "C": ["/dl/C/c.mkv"]}


def test_each_removal_is_journalled_before_and_after_and_verified(tmp_path):
    client, remover = FakeRTorrent("ABC"), FakeRemover(p for paths in FILES.values() for p in paths)
    journal = str(tmp_path / "journal.jsonl")
    done = execute(client, remover, [entry("A"), entry("B", data="kept")], FILES, "sftp", 60, Journal(journal))
    assert [e["hash"] for e in done] == ["A", "B"]
    assert done[0]["data_verified"] is True and done[1]["data_verified"] is None
    assert remover.present == {"/dl/B/b.mkv", "/dl/C/c.mkv"} and client.loaded == {"C"}
    lines = [json.loads(line) for line in open(journal)]
    events = [(r["hash"], r["event"]) for r in lines]
    assert events == [("A", "removing"), ("A", "removed"), ("B", "removing"), ("B", "removed")]
    assert lines[0]["paths"] == ["/dl/A/a.mkv"] and lines[0]["time"].endswith("Z")


@pytest.mark.parametrize("fault, message", [
    ("stuck", "rTorrent still has name B after d.erase"),
    ("undeletable", "name B: 1 paths still exist after deleting, e.g. /dl/B/b.mkv"),
])
def test_the_first_unverified_step_stops_the_run(fault, message):
    client = FakeRTorrent("ABC", stuck="B" if fault == "stuck" else ())
    remover = FakeRemover([p for paths in FILES.values() for p in paths],
                          undeletable=FILES["B"] if fault == "undeletable" else ())
    with pytest.raises(PurgeStopped) as stop:
        execute(client, remover, [entry("A"), entry("B"), entry("C")], FILES, "local", 60, Journal(None))
    assert [e["hash"] for e in stop.value.done] == ["A"]
    assert isinstance(stop.value.cause, RemovalError) and str(stop.value.cause) == message
    assert "C" in client.loaded and "/dl/C/c.mkv" in remover.present   # nothing after the failure


def test_rutorrent_removal_waits_for_the_data_to_go_then_gives_up_at_the_deadline():
    client, remover = FakeRTorrent("AB"), FakeRemover(FILES["A"] + FILES["B"])
    clock = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        clock[0] += seconds
        if len(sleeps) == 2:   # ruTorrent's plugin deletes the data a little later
            remover.present -= set(FILES["A"])

    done = execute(client, remover, [entry("A")], FILES, "rutorrent", 30, Journal(None), clock=lambda: clock[0],
                   sleep=sleep)
    assert done[0]["data_verified"] is True and sleeps == [1, 1]
    with pytest.raises(PurgeStopped, match="removewithdata of name B: 1 paths still there after 30s"):
        execute(client, remover, [entry("B")], FILES, "rutorrent", 30, Journal(None), clock=lambda: clock[0],
                sleep=sleep)
