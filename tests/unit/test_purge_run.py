# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carrying out a purge with fake rTorrent and remover: order, journal, verification, and the stop on failure."""
import json
import time

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.data_removal import RemovalError
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import (
    Journal, JournalError, PurgeStopped, execute, resume)


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


class FakeStat:
    def __init__(self, size=1, mtime=0, ino=None):
        self.st_size, self.st_mtime, self.st_ino = size, mtime, ino


class FakeRemover:
    def __init__(self, present, undeletable=()):
        self.present = set(present)
        self.undeletable = set(undeletable)
        self.stats = {}   # path -> FakeStat when not the default (size 1, mtime 0)

    def check_parents(self, paths, data_path):
        return paths

    def lstat(self, path):
        return self.stats.get(path, FakeStat()) if path in self.present else None

    def identity(self, paths):
        return dict((p, [self.lstat(p).st_size, int(self.lstat(p).st_mtime), self.lstat(p).st_ino])
                    for p in paths if p in self.present)

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


# -- the intent journal and what the next run finishes ------------------------------------------------------

def intent(h, paths, data="removed", seedbox="https://seedbox/RPC2", root="/dl", **extra):
    extra.setdefault("identity", dict((p, [1, 0, None]) for p in paths))
    extra.setdefault("time", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    record = dict(entry(h, data=data), event="removing", paths=paths, seedbox=seedbox, download_root=root,
                  data_removal="sftp", size_bytes=10, shared_with=[])
    record.update(extra)
    return record


def torrent(h, data_path, files):
    return {"hash": h, "name": "loaded " + h, "data_path": data_path, "files": files}


def test_pending_is_every_intent_no_later_record_closes(tmp_path):
    journal = Journal(str(tmp_path / "j.jsonl"))
    journal.write(intent("A", FILES["A"]))
    journal.write({"hash": "A", "event": "removed"})
    journal.write(intent("B", FILES["B"]))
    journal.write(intent("C", FILES["C"]))
    journal.write({"hash": "C", "event": "abandoned"})
    journal.write(intent("C", FILES["C"]))   # a later run started C again
    assert [r["hash"] for r in journal.pending()] == ["B", "C"]
    journal.compact(journal.pending())
    assert [r["hash"] for r in journal.read()] == ["B", "C"]


def test_a_torn_last_line_is_ignored_and_never_glued_to_the_next_record(tmp_path):
    path = tmp_path / "j.jsonl"
    journal = Journal(str(path))
    journal.write(intent("A", FILES["A"]))
    with open(str(path), "a") as handle:
        handle.write('{"hash": "B", "event": "remo')   # the run was killed while writing
    assert [r["hash"] for r in journal.read()] == ["A"]
    journal.write({"hash": "A", "event": "removed"})
    assert [(r["hash"], r["event"]) for r in journal.read()] == [("A", "removing"), ("A", "removed")]


def test_a_damaged_line_inside_the_journal_stops_the_run(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"hash": "A", "event": "removing"}\nnot json\n{"hash": "A", "event": "removed"}\n')
    with pytest.raises(JournalError, match="line 2 is not a journal record; fix or remove it"):
        Journal(str(path)).read()


def test_resume_deletes_the_captured_paths_of_an_erased_torrent_and_verifies(tmp_path):
    journal = Journal(str(tmp_path / "j.jsonl"))
    remover = FakeRemover(FILES["A"] + FILES["B"])
    report = resume(journal, [intent("A", FILES["A"])], [torrent("B", "/dl/B", FILES["B"])], remover,
                    "https://seedbox/RPC2", "/dl")
    assert report[0]["outcome"] == "finished" and report[0]["data_verified"] is True
    assert report[0]["why"] == "deleted the 1 of its 1 files still there"
    assert remover.present == set(FILES["B"])
    assert journal.pending([intent("A", FILES["A"])] + journal.read()) == []


def test_resume_in_check_mode_reports_and_changes_nothing(tmp_path):
    path = tmp_path / "j.jsonl"
    remover = FakeRemover(FILES["A"])
    report = resume(Journal(str(path)), [intent("A", FILES["A"])], [], remover, "https://seedbox/RPC2", "/dl",
                    check_mode=True)
    assert report[0]["outcome"] == "would finish" and report[0]["paths_left"] == 1
    assert remover.present == set(FILES["A"]) and not path.exists()


@pytest.mark.parametrize("loaded, record, outcome, why", [
    ([torrent("A", "/dl/A", FILES["A"])], intent("A", FILES["A"]), "abandoned", "still loaded in rTorrent"),
    ([torrent("X", "/dl/X", ["/dl/A/a.mkv"])], intent("A", FILES["A"]), "abandoned",
     "/dl/A/a.mkv is used by the loaded torrent loaded X now; data kept"),
    ([torrent("X", "/dl/A", ["/dl/A/other.mkv"])], intent("A", FILES["A"]), "abandoned",
     "used by the loaded torrent loaded X"),
    ([], intent("A", ["/elsewhere/a.mkv"]), "abandoned", "/elsewhere/a.mkv is not inside download_root /dl"),
    ([], intent("A", FILES["A"], seedbox="https://other/RPC2"), "left", "journalled against https://other/RPC2"),
    ([], intent("A", FILES["A"], root="/dl2"), "left", "download_root /dl2"),
    ([], intent("A", FILES["A"], data="kept", shared_with=["X"], shared_with_names=["Movie.X"]), "finished",
     "its data stays (shared with Movie.X)"),
])
def test_resume_deletes_nothing_a_loaded_torrent_uses_or_another_seedbox_owns(
        tmp_path, loaded, record, outcome, why):
    remover = FakeRemover(FILES["A"] + ["/elsewhere/a.mkv"])
    report = resume(Journal(str(tmp_path / "j.jsonl")), [record], loaded, remover, "https://seedbox/RPC2", "/dl")
    assert report[0]["outcome"] == outcome and why in report[0]["why"], report
    assert remover.present == set(FILES["A"] + ["/elsewhere/a.mkv"])


def test_resume_stops_when_the_data_cannot_be_deleted(tmp_path):
    remover = FakeRemover(FILES["A"], undeletable=FILES["A"])
    with pytest.raises(RemovalError, match="removal interrupted in an earlier run"):
        resume(Journal(str(tmp_path / "j.jsonl")), [intent("A", FILES["A"])], [], remover, "https://seedbox/RPC2",
               "/dl")


def test_the_intent_carries_what_the_next_run_needs(tmp_path):
    journal = Journal(str(tmp_path / "j.jsonl"))
    execute(FakeRTorrent("A"), FakeRemover(FILES["A"]), [entry("A")], FILES, "sftp", 60, journal,
            context={"seedbox": "https://seedbox/RPC2", "download_root": "/dl"})
    first = journal.read()[0]
    assert (first["event"], first["paths"], first["data_path"], first["download_root"], first["data_removal"],
            first["seedbox"]) == ("removing", FILES["A"], "/dl/A", "/dl", "sftp", "https://seedbox/RPC2")


def test_a_stop_signal_lets_the_torrent_in_hand_finish_and_starts_no_other():
    import os
    import signal
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import StopRequest

    class SignalledRemover(FakeRemover):
        def remove(self, paths, data_path):
            os.kill(os.getpid(), signal.SIGTERM)   # arrives while A's data is being deleted
            FakeRemover.remove(self, paths, data_path)

    client = FakeRTorrent("ABC")
    remover = SignalledRemover([p for paths in FILES.values() for p in paths])
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(PurgeStopped) as stop:
        with StopRequest() as request:
            execute(client, remover, [entry("A"), entry("B")], FILES, "sftp", 60, Journal(None), stop=request)
    assert [e["hash"] for e in stop.value.done] == ["A"] and stop.value.done[0]["data_verified"] is True
    assert str(stop.value.cause) == "SIGTERM received; stopped before the next removal, nothing is half done"
    assert client.loaded == {"B", "C"} and remover.present == set(FILES["B"] + FILES["C"])
    assert signal.getsignal(signal.SIGTERM) == before   # the handlers are put back


# -- a lying rTorrent, and intents that no longer match (issue 15 #9, #10, #11) ------------------------------

def test_a_path_another_loaded_torrent_lists_is_never_deleted():
    """rTorrent listed T's file as /dl/T/../O/o.mkv: normalised, it is O's file. Nothing of T is deleted."""
    files = {"T": ["/dl/O/o.mkv"]}
    client, remover = FakeRTorrent("TO"), FakeRemover(["/dl/O/o.mkv"])
    loaded = [torrent("T", "/dl/T", ["/dl/O/o.mkv"]), torrent("O", "/dl/O", ["/dl/O/o.mkv"])]
    for one in loaded:
        one["hash"] = one["hash"].replace("loaded ", "")
    with pytest.raises(PurgeStopped) as stop:
        execute(client, remover, [dict(entry("T"), data_path="/dl/T")], files, "sftp", 60, Journal(None),
                loaded=loaded)
    assert "also used by the loaded torrent" in str(stop.value.cause)
    assert remover.present == {"/dl/O/o.mkv"} and client.calls == []   # not even erased


def test_rutorrent_is_not_asked_when_a_parent_resolves_outside_the_root():
    class Refusing(FakeRemover):
        def check_parents(self, paths, data_path):
            raise RemovalError("refusing to delete in /dl/B: it resolves to /etc, outside download_root")
    client, remover = FakeRTorrent("B"), Refusing(FILES["B"])
    with pytest.raises(PurgeStopped, match="resolves to /etc"):
        execute(client, remover, [entry("B")], FILES, "rutorrent", 30, Journal(None))
    assert client.calls == [] and remover.present == set(FILES["B"])


def test_the_intent_records_the_identity_of_each_file(tmp_path):
    client, remover = FakeRTorrent("A"), FakeRemover(FILES["A"])
    remover.stats["/dl/A/a.mkv"] = FakeStat(size=7, mtime=1234, ino=99)
    journal = Journal(str(tmp_path / "j.jsonl"))
    execute(client, remover, [entry("A")], FILES, "local", 60, journal)
    assert journal.read()[0]["identity"] == {"/dl/A/a.mkv": [7, 1234, 99]}


@pytest.mark.parametrize("change, why", [
    ("old_format", "recorded without the identity of its files"),
    ("too_old", "more than 30 days ago"),
    ("size", "is not the file the removal was decided for"),
    ("inode", "is not the file the removal was decided for"),
])
def test_an_intent_is_finished_only_while_its_files_are_the_ones_recorded(tmp_path, change, why):
    remover = FakeRemover(FILES["A"])
    record = intent("A", FILES["A"], identity={"/dl/A/a.mkv": [1, 0, 5]})
    remover.stats["/dl/A/a.mkv"] = FakeStat(ino=5)
    if change == "old_format":
        del record["identity"]
    elif change == "too_old":
        record["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 31 * 86400))
    elif change == "size":
        remover.stats["/dl/A/a.mkv"] = FakeStat(size=2, ino=5)
    elif change == "inode":
        remover.stats["/dl/A/a.mkv"] = FakeStat(ino=6)
    report = resume(Journal(str(tmp_path / "j.jsonl")), [record], [], remover, "https://seedbox/RPC2", "/dl")
    assert report[0]["outcome"] == "abandoned" and why in report[0]["why"]
    assert remover.present == set(FILES["A"])   # nothing deleted


def test_a_matching_intent_is_finished(tmp_path):
    remover = FakeRemover(FILES["A"])
    remover.stats["/dl/A/a.mkv"] = FakeStat(ino=5)
    record = intent("A", FILES["A"], identity={"/dl/A/a.mkv": [1, 0, 5]})
    report = resume(Journal(str(tmp_path / "j.jsonl")), [record], [], remover, "https://seedbox/RPC2", "/dl")
    assert report[0]["outcome"] == "finished" and remover.present == set()


# -- ruTorrent removals asked together, verified together (issue 16 #2, speed) -------------------------------

class CleanUpJob:
    """ruTorrent's erasedata clean-up as the fakes see it: removewithdata erases at once and queues the data; the
    job deletes everything queued every ``interval`` seconds of the fake clock (the data of ``stays`` never goes:
    a file the job cannot delete)."""

    def __init__(self, client, remover, interval=15, stays=()):
        self.client, self.remover, self.interval, self.stays = client, remover, interval, set(stays)
        self.now, self.queued, self.runs = 0.0, [], 0
        client.rutorrent_remove_with_data = self.ask

    def ask(self, h):
        self.client.calls.append(("removewithdata", h))
        self.client.loaded.discard(h)
        self.queued.append(h)

    def clock(self):
        return self.now

    def sleep(self, seconds):
        before = self.now
        self.now += seconds
        if int(self.now // self.interval) > int(before // self.interval):
            self.runs += 1
            for h in self.queued:
                self.remover.present -= set(FILES5[h]) - set(FILES5.get(h) if h in self.stays else ())
            self.queued = []


FILES5 = dict((h, ["/dl/%s/%s.mkv" % (h, h.lower()), "/dl/%s/%s.nfo" % (h, h.lower())]) for h in "ABCDE")


def five(stays=(), interval=15):
    client = FakeRTorrent("ABCDE")
    remover = FakeRemover(p for paths in FILES5.values() for p in paths)
    return client, remover, CleanUpJob(client, remover, interval=interval, stays=stays)


def test_removals_are_asked_together_and_verified_within_one_clean_up_interval(tmp_path):
    client, remover, job = five()
    path = tmp_path / "j.jsonl"
    journal = Journal(str(path))
    written_before_ask = []
    ask = client.rutorrent_remove_with_data

    def ask_after_intent(h):
        written_before_ask.append([(r["hash"], r["event"]) for r in journal.read()][-1] == (h, "removing"))
        ask(h)
    client.rutorrent_remove_with_data = ask_after_intent

    done = execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 60, journal, clock=job.clock,
                   sleep=job.sleep, batch_size=10)
    assert [e["hash"] for e in done] == list("ABCDE") and all(e["data_verified"] for e in done)
    assert written_before_ask == [True] * 5   # each intent on disk before its own request
    assert client.calls == [("removewithdata", h) for h in "ABCDE"] and remover.present == set()
    assert job.runs == 1 and job.now <= 15   # one clean-up interval for all five, not five
    events = [(r["hash"], r["event"]) for r in journal.read()]
    assert events == [(h, "removing") for h in "ABCDE"] + [(h, "removed") for h in "ABCDE"]
    assert journal.pending() == []


def test_one_at_a_time_costs_one_interval_each():
    client, remover, job = five()
    execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 60, Journal(None), clock=job.clock,
            sleep=job.sleep, batch_size=1)
    assert job.runs == 5 and remover.present == set()


def test_the_batch_size_bounds_how_many_are_asked_before_waiting():
    client, remover, job = five()
    order = []
    ask = client.rutorrent_remove_with_data
    client.rutorrent_remove_with_data = lambda h: (order.append(h), ask(h))

    def job_sleep(seconds):
        if order[-1] != "wait":
            order.append("wait")
        job.sleep(seconds)
    execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 60, Journal(None), clock=job.clock,
            sleep=job_sleep, batch_size=2)
    assert order == ["A", "B", "wait", "C", "D", "wait", "E", "wait"]
    assert remover.present == set()


def test_data_that_stays_stops_the_run_after_the_others_are_finished_and_names_each(tmp_path):
    client, remover, job = five(stays="C")
    journal = Journal(str(tmp_path / "j.jsonl"))
    with pytest.raises(PurgeStopped) as stop:
        execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 30, journal, clock=job.clock,
                sleep=job.sleep, batch_size=10)
    assert [e["hash"] for e in stop.value.done] == list("ABDE")
    assert [e["hash"] for e in stop.value.pending] == ["C"]
    message = str(stop.value.cause)
    assert "removewithdata of name C: 2 paths still there after 30s" in message
    assert "ruTorrent erased the torrent" in message
    assert "verified gone and finished in the same batch: name A, name B, name D, name E" in message
    assert "not verified, left to the journal (the next run finishes them): name C" in message
    assert [r["hash"] for r in journal.pending()] == ["C"]   # the next run's resume finishes it
    assert remover.present == set(FILES5["C"])


def test_a_removal_that_fails_to_be_asked_stops_asking_and_the_asked_ones_are_still_verified(tmp_path):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentError
    client, remover, job = five()
    ask = client.rutorrent_remove_with_data

    def refusing(h):
        if h == "C":
            raise RTorrentError("ruTorrent at x answered false to removewithdata")
        ask(h)
    client.rutorrent_remove_with_data = refusing
    journal = Journal(str(tmp_path / "j.jsonl"))
    with pytest.raises(PurgeStopped) as stop:
        execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 60, journal, clock=job.clock,
                sleep=job.sleep, batch_size=10)
    assert [e["hash"] for e in stop.value.done] == ["A", "B"] and stop.value.pending == []
    assert "answered false to removewithdata" in str(stop.value.cause)
    assert client.loaded == set("CDE") and remover.present == set(FILES5["C"] + FILES5["D"] + FILES5["E"])
    assert [r["hash"] for r in journal.pending()] == ["C"]   # still loaded: the next run abandons the intent


def test_a_stop_signal_mid_batch_asks_nothing_more_and_verifies_what_was_asked():
    class Request:
        signum = None

        def describe(self):
            return "SIGTERM"
    client, remover, job = five()
    request = Request()
    ask = client.rutorrent_remove_with_data

    def signalled(h):
        ask(h)
        if h == "B":
            request.signum = 15
    client.rutorrent_remove_with_data = signalled
    with pytest.raises(PurgeStopped) as stop:
        execute(client, remover, [entry(h) for h in "ABCDE"], FILES5, "rutorrent", 60, Journal(None),
                clock=job.clock, sleep=job.sleep, batch_size=10, stop=request)
    assert [e["hash"] for e in stop.value.done] == ["A", "B"] and stop.value.pending == []
    assert str(stop.value.cause).startswith("SIGTERM received")
    assert client.loaded == set("CDE") and remover.present == set(p for h in "CDE" for p in FILES5[h])


def test_a_run_killed_mid_batch_is_finished_by_the_next_run(tmp_path):
    class Killed(BaseException):
        pass

    client, remover, job = five()
    journal = Journal(str(tmp_path / "j.jsonl"))

    def killed(seconds):
        raise Killed()   # the run dies while waiting: three asked, erased, their data not deleted yet
    with pytest.raises(Killed):
        execute(client, remover, [entry(h) for h in "ABC"], FILES5, "rutorrent", 60, journal, clock=job.clock,
                sleep=killed, batch_size=10, context={"seedbox": "https://seedbox/RPC2", "download_root": "/dl"})
    assert client.loaded == set("DE") and [r["hash"] for r in journal.pending()] == list("ABC")
    # the next run: the journal's intents, the torrents still loaded, the data deleted by the remover
    loaded = [torrent(h, "/dl/" + h, FILES5[h]) for h in "DE"]
    report = resume(journal, journal.pending(), loaded, remover, "https://seedbox/RPC2", "/dl")
    assert [(r["hash"], r["outcome"], r["data_verified"]) for r in report] == [(h, "finished", True) for h in "ABC"]
    assert remover.present == set(p for h in "DE" for p in FILES5[h]) and journal.pending() == []


class ListingRTorrent:
    """rTorrent's d.multicall2 after the removals: what is still loaded, with the free space it reports."""

    def __init__(self, torrents):
        self.torrents = torrents
        self.listings = 0

    def list_torrents(self):
        self.listings += 1
        return self.torrents


def _loaded(h, size, free, path=None, state=1):
    return {"hash": h, "name": "name " + h, "size_bytes": size, "data_path": path or "/dl/" + h, "state": state,
            "free_diskspace": free}


def _report(before, planned_after, floor, quota=None, disk_before=None):
    return {"floor_bytes": floor, "before_bytes": before, "planned_after_bytes": planned_after,
            "disk_free_before_bytes": before if disk_before is None else disk_before, "quota_bytes": quota,
            "met": planned_after >= floor, "short_bytes": max(0, floor - planned_after), "blocked": {},
            "message": "planned", "after_bytes": None, "disk_free_after_bytes": None}


def test_the_free_space_after_is_measured_by_asking_rtorrent_again():
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import measure_after
    client = ListingRTorrent([_loaded("C", 300, 650), _loaded("D", 100, 0, state=0)])   # a closed one reports 0
    report = _report(before=400, planned_after=650, floor=600)
    after = measure_after(client, [entry("A"), entry("B")], report)
    assert client.listings == 1 and [t["hash"] for t in after] == ["C", "D"]
    assert (report["after_bytes"], report["disk_free_after_bytes"], report["met"], report["short_bytes"]) == (
        650, 650, True, 0)
    assert report["planned_after_bytes"] == 650
    assert report["message"] == "free space 400 B -> 650 B (measured), floor 600 B: met"


def test_a_measured_free_space_under_what_was_planned_says_so():
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import measure_after
    # the removals were to free 250 bytes, the disk shows 100 more (a hard link elsewhere kept the rest)
    report = _report(before=400, planned_after=650, floor=600)
    measure_after(ListingRTorrent([_loaded("C", 300, 500)]), [entry("A")], report)
    assert report["met"] is False and report["short_bytes"] == 100 and report["after_bytes"] == 500
    assert "500 B measured after the run, 100 B short of the floor 600 B although the removals were to free 250 B" \
        in report["message"] and report["message"].endswith("the next run removes more")


def test_the_free_space_after_against_a_quota_is_the_quota_less_what_is_still_loaded():
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import measure_after
    report = _report(before=100, planned_after=700, floor=500, quota=1000, disk_before=10 ** 6)
    measure_after(ListingRTorrent([_loaded("C", 300, 10 ** 6), _loaded("D", 200, 10 ** 6, path="/dl/C/x")]),
                  [entry("A")], report, quota_bytes=1000)
    assert (report["after_bytes"], report["disk_free_after_bytes"], report["met"]) == (700, 10 ** 6, True)


def test_a_removed_torrent_still_listed_after_the_run_fails_it():
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import measure_after
    with pytest.raises(RemovalError, match="rTorrent still lists A after the erase"):
        measure_after(ListingRTorrent([_loaded("A", 1, 1)]), [entry("A")], _report(0, 1, 1))


def test_nothing_removed_the_listing_read_before_is_the_measure():
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import measured_after
    report = _report(before=400, planned_after=400, floor=600)
    report["message"] = "free space 400 B is 200 B short of the floor 600 B (min_free_gb 0.0000006): nothing else " \
                        "may be removed; what stays: 1 not_imported (300 B)"
    measured_after(report, None)
    assert (report["after_bytes"], report["met"], report["short_bytes"]) == (400, False, 200)
    assert report["message"].endswith("what stays: 1 not_imported (300 B)")   # as planned: nothing to add
    report.update(planned_after_bytes=450)
    measured_after(report, {"free": 420, "disk_free": 420})
    assert report["message"].endswith("what stays: 1 not_imported (300 B) (measured after the run: 420 B free, "
                                      "180 B short)")


# --- keeping the metainfo of what the purge erases -------------------------------------------------------------

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import purge_metainfo  # noqa: E402

HASH_A = "0123456789ABCDEF0123456789ABCDEF01234567"
HASH_B = "89ABCDEF0123456789ABCDEF0123456789ABCDEF"


class FakeSftp:
    """A seedbox session folder: path -> bytes (a str value is a symlink's target)."""

    def __init__(self, files):
        self.files = files

    def lstat(self, path):
        import stat as stat_mod
        if path not in self.files:
            raise IOError(2, "No such file")
        value = self.files[path]
        st = FakeStat(size=len(value))
        st.st_mode = (stat_mod.S_IFLNK if isinstance(value, str) else stat_mod.S_IFREG) | 0o600
        return st

    def open(self, path, mode):
        import io
        return io.BytesIO(self.files[path])


def test_metainfo_file_names_are_the_upper_case_hash_and_nothing_else():
    assert purge_metainfo.file_names(HASH_A.lower()) == (HASH_A + ".torrent", HASH_A + ".json")
    for hostile in ("../" + HASH_A[3:], HASH_A + "/x", HASH_A[:39], HASH_A + "0", "G" * 40, HASH_A + "\n", None):
        with pytest.raises(purge_metainfo.MetainfoError):
            purge_metainfo.file_names(hostile)


def test_metainfo_is_kept_before_the_intent_and_the_intent_names_it(tmp_path):
    folder = str(tmp_path / "purged-metainfo")
    purge_metainfo.ensure_folder(folder)
    torrent = b"d8:announce3:url4:infod4:name1:aee"
    sftp = FakeSftp({"/session/%s.torrent" % HASH_A: torrent})
    keeper = purge_metainfo.Keeper(folder, sftp=sftp, session_dir="/session/", clock=lambda: 0)
    files = {HASH_A: ["/dl/%s/a.mkv" % HASH_A], HASH_B: ["/dl/%s/b.mkv" % HASH_B]}
    client = FakeRTorrent([HASH_A, HASH_B])
    remover = FakeRemover(p for paths in files.values() for p in paths)
    journal = str(tmp_path / "journal.jsonl")
    done = execute(client, remover, [entry(HASH_A), entry(HASH_B)], files, "sftp", 60, Journal(journal),
                   keeper=keeper, context={"seedbox": "https://seedbox/RPC2", "download_root": "/dl"})
    saved = str(tmp_path / "purged-metainfo" / (HASH_A + ".torrent"))
    assert done[0]["metainfo"] == saved and "metainfo_not_kept" not in done[0]
    assert open(saved, "rb").read() == torrent
    record = json.load(open(str(tmp_path / "purged-metainfo" / (HASH_A + ".json"))))
    assert record["files"] == files[HASH_A] and record["hash"] == HASH_A and record["seedbox"] == "https://seedbox/RPC2"
    assert record["torrent_bytes"] == len(torrent) and record["session_file"] == "/session/%s.torrent" % HASH_A
    # the second one's .torrent is not in the session folder: said, and removed all the same
    assert "metainfo" not in done[1] and done[1]["metainfo_not_kept"].startswith("metainfo not kept: cannot find")
    assert client.loaded == set()
    lines = [json.loads(line) for line in open(journal)]
    removing = dict((r["hash"], r) for r in lines if r["event"] == "removing")
    assert removing[HASH_A]["metainfo"] == saved
    assert removing[HASH_B]["metainfo_not_kept"] == done[1]["metainfo_not_kept"]
    assert sorted(__import__("os").listdir(folder)) == [HASH_A + ".json", HASH_A + ".torrent"]


@pytest.mark.parametrize("files, why", [
    ({"/s/%s.torrent" % HASH_A: "/etc/shadow"}, "not a regular file"),
    ({"/s/%s.torrent" % HASH_A: b"d" + b"x" * purge_metainfo.MAX_METAINFO_BYTES + b"e"}, "more than"),
    ({"/s/%s.torrent" % HASH_A: b"<html>"}, "not a .torrent file"),
])
def test_a_hostile_session_file_is_not_kept(tmp_path, files, why):
    folder = str(tmp_path / "m")
    purge_metainfo.ensure_folder(folder)
    keeper = purge_metainfo.Keeper(folder, sftp=FakeSftp(files), session_dir="/s")
    got = keeper.keep(entry(HASH_A), ["/dl/a"])
    assert why in got["metainfo_not_kept"] and "metainfo" not in got
    assert __import__("os").listdir(folder) == []


def test_no_sftp_connection_keeps_nothing_and_says_why(tmp_path):
    keeper = purge_metainfo.Keeper(str(tmp_path), why="no SFTP connection to the seedbox (data_removal local)")
    got = keeper.keep(entry(HASH_A), ["/dl/a"])
    assert got["metainfo_not_kept"] == "metainfo not kept: no SFTP connection to the seedbox (data_removal local)"


def test_the_metainfo_folder_is_never_a_symlink(tmp_path):
    import os
    os.mkdir(str(tmp_path / "elsewhere"))
    os.symlink(str(tmp_path / "elsewhere"), str(tmp_path / "purged-metainfo"))
    with pytest.raises(purge_metainfo.MetainfoError):
        purge_metainfo.ensure_folder(str(tmp_path / "purged-metainfo"))
    keeper = purge_metainfo.Keeper(str(tmp_path / "purged-metainfo"),
                                   sftp=FakeSftp({"/s/%s.torrent" % HASH_A: b"de"}), session_dir="/s")
    assert "not a folder" in keeper.keep(entry(HASH_A), [])["metainfo_not_kept"]
    assert os.listdir(str(tmp_path / "elsewhere")) == []
    with pytest.raises(purge_metainfo.MetainfoError):
        purge_metainfo.expire(str(tmp_path / "purged-metainfo"), 30)


def test_metainfo_older_than_the_retention_expires_and_nothing_else(tmp_path):
    import os
    folder = str(tmp_path / "purged-metainfo")
    os.mkdir(folder)
    now = 1000 * 86400.0
    names = {HASH_A + ".torrent": 31, HASH_A + ".json": 31, HASH_B + ".torrent": 29, HASH_B + ".json": 29,
             "notes.txt": 99, HASH_A.lower() + ".json": 99, ".%s.torrent.tmp" % HASH_A: 99}
    for name, age in names.items():
        path = os.path.join(folder, name)
        open(path, "w").write("x")
        os.utime(path, (now - age * 86400, now - age * 86400))
    os.mkdir(os.path.join(folder, "F" * 40 + ".json"))
    os.utime(os.path.join(folder, "F" * 40 + ".json"), (0, 0))
    outside = str(tmp_path / "outside")
    open(outside, "w").write("x")
    os.utime(outside, (0, 0))
    os.symlink(outside, os.path.join(folder, "E" * 40 + ".torrent"))
    os.utime(os.path.join(folder, "E" * 40 + ".torrent"), (0, 0), follow_symlinks=False)

    before = sorted(os.listdir(folder))
    assert purge_metainfo.expire(folder, 30, now=now, check_mode=True) == [HASH_A + ".json", HASH_A + ".torrent"]
    assert sorted(os.listdir(folder)) == before   # check mode deletes nothing
    assert purge_metainfo.expire(folder, 30, now=now) == [HASH_A + ".json", HASH_A + ".torrent"]
    assert sorted(os.listdir(folder)) == sorted(set(before) - {HASH_A + ".json", HASH_A + ".torrent"})
    assert os.path.exists(outside)
    assert purge_metainfo.expire(folder, 30, now=now) == []
    assert purge_metainfo.expire(str(tmp_path / "none"), 30, now=now) == []
