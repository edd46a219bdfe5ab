# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Metrics: merge rules, the Prometheus textfile (parsed by prometheus_client's own parser), concurrent writers."""
import json
import multiprocessing
import os
import re
import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import metrics
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import StateError
from metrics_fixtures import full_state, rec  # tests/lab: shared with test_prometheus (tests never import each other)


def parse(text):
    return list(text_string_to_metric_families(text))


def test_textfile_parses_and_follows_prometheus_conventions():
    text = metrics.prometheus_text(full_state())
    families = parse(text)
    names = {f.name: f for f in families}
    allowed_labels = {"servarr_job", "seedbox", "state", "arr_instance", "outcome"}
    for family in families:
        assert re.match(r"^servarr_[a-z][a-z0-9_]*$", family.name)
        assert family.documentation
        for sample in family.samples:
            assert set(sample.labels) <= allowed_labels
            if "bytes" in sample.name:
                assert sample.name.endswith(("_bytes", "_bytes_total"))
            if "timestamp" in sample.name:
                assert sample.name.endswith("_timestamp_seconds")
            if sample.name.endswith("_total"):
                assert family.type == "counter"
            else:
                assert family.type == "gauge"
    # prometheus_client names a counter family without _total; its samples keep it
    assert names["servarr_purge_freed_bytes"].type == "counter"
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}
    assert samples[("servarr_purge_freed_bytes_total", (("seedbox", 'we"ird\\box\nname'),))] == 500
    assert samples[("servarr_sync_fetched_bytes_total", (("seedbox", "box-a"),))] == 3000
    assert samples[("servarr_job_last_success_timestamp_seconds", (("servarr_job", "sync"),))] == 112.5
    assert samples[("servarr_job_last_run_duration_seconds", (("servarr_job", "purge"),))] == 30
    assert samples[("servarr_job_last_run_success", (("servarr_job", "purge"),))] == 0
    assert ("servarr_job_last_success_timestamp_seconds", (("servarr_job", "purge"),)) not in samples
    assert samples[("servarr_torrents", (("seedbox", "box-a"), ("state", "seeding")))] == 3
    assert samples[("servarr_seedbox_used_ratio", (("seedbox", "box-a"),))] == 0.1
    assert samples[("servarr_arr_queue_items", (("arr_instance", "sonarr"),))] == 1
    assert samples[("servarr_library_bytes", (("arr_instance", "radarr"),))] == 9 * 10 ** 12
    assert samples[("servarr_extras_removed_files_total", ())] == 4
    assert samples[("servarr_job_runs_total", (("outcome", "failure"), ("servarr_job", "purge")))] == 1


def test_one_job_never_erases_another_and_check_mode_changes_nothing():
    state = full_state()
    before = json.loads(json.dumps(state))
    again = metrics.merge(state, metrics.job_update("sync", 500, 510, False, [
        rec("lftp_mirror", {"fetched_items": 1, "fetched_bytes": 100}, "box-a")]))
    assert again["jobs"]["purge"] == before["jobs"]["purge"]
    assert again["jobs"]["cleanup"] == before["jobs"]["cleanup"]
    assert again["seedboxes"] == before["seedboxes"]
    assert again["counters"]["sync_fetched_bytes"]["box-a"] == 3100
    assert again["jobs"]["sync"]["runs"] == {"success": 2, "failure": 0}
    dry = metrics.merge(state, metrics.job_update("sync", 500, 510, True, [
        rec("lftp_mirror", {"fetched_items": 9, "fetched_bytes": 9}, "box-a")], check_mode=True))
    assert dry == before


def test_a_failed_task_counts_what_it_did_but_sets_no_capacity():
    state = metrics.merge(None, metrics.job_update("purge", 0, 1, True, [
        rec("rtorrent_purge", {"removed_torrents": 1, "freed_bytes": 9, "used_bytes_after": 0}, "beta", failed=True)]))
    assert state["counters"]["purge_freed_bytes"] == {"beta": 9}
    assert "beta" not in state["seedboxes"]


def test_report_has_the_plans_fields():
    out = metrics.report(full_state())
    assert out["seedboxes"]["box-a"]["percent"] == 10.0 and out["seedboxes"]["box-a"]["torrents_seeding"] == 3
    assert out["instances"]["radarr"]["queue_size"] == 3 and out["instances"]["radarr"]["total_items"] == 1250
    assert out["jobs"]["purge"]["last_outcome"] == "failure" and out["timestamp"].endswith("Z")


def _writer(state_dir, json_path, textfile, job, rounds, start):
    start.wait()
    for i in range(rounds):
        figures = {"fetched_items": 1, "fetched_bytes": 10}
        update = metrics.job_update(job, i, i + 1, False, [rec("lftp_mirror", figures, "box")])
        metrics.write([update], state_dir, json_path, textfile)


def test_concurrent_writers_lose_nothing_and_readers_never_see_half_a_file(tmp_path):
    state_dir = str(tmp_path / "state")
    json_path = str(tmp_path / "state" / "reports" / "metrics.json")
    textfile = str(tmp_path / "servarr.prom")
    rounds = 40
    stop = threading.Event()
    bad = []

    def reader():
        while not stop.is_set():
            try:
                with open(textfile) as handle:
                    text = handle.read()
            except FileNotFoundError:
                continue
            try:
                parse(text)
                assert text.endswith("\n")
            except Exception as exc:  # a torn file
                bad.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(state_dir, json_path, textfile, job, rounds, start))
             for job in ("a", "b")]
    for proc in procs:
        proc.start()
    start.set()  # both create the state and report folders at the same instant
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    stop.set()
    thread.join()
    assert bad == []
    state = json.load(open(os.path.join(state_dir, metrics.STATE_NAME)))
    assert state["counters"]["sync_fetched_bytes"]["box"] == 2 * rounds * 10
    assert state["jobs"]["a"]["runs"]["success"] == rounds and state["jobs"]["b"]["runs"]["success"] == rounds
    samples = {(s.name, tuple(s.labels.items())): s.value for f in parse(open(textfile).read()) for s in f.samples}
    assert samples[("servarr_sync_fetched_items_total", (("seedbox", "box"),))] == 2 * rounds
    assert oct(os.stat(textfile).st_mode & 0o777) == "0o644"
    assert [n for n in os.listdir(str(tmp_path)) if n.startswith(".servarr.prom")] == []


def test_missing_folders_are_clear_errors(tmp_path):
    update = metrics.job_update("sync", 0, 1, False, [])
    with pytest.raises(StateError, match="parent"):
        metrics.write([update], str(tmp_path / "no" / "state"))
    with pytest.raises(StateError, match="textfile folder"):
        metrics.write([update], str(tmp_path / "state"), str(tmp_path / "state" / "r" / "m.json"),
                      str(tmp_path / "nope" / "servarr.prom"))
    assert os.path.exists(str(tmp_path / "state" / "r" / "m.json"))  # the JSON report was still written
    assert metrics.write([dict(update, check_mode=True)], str(tmp_path / "other")) == []
    assert not os.path.exists(str(tmp_path / "other"))


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def test_no_label_collides_with_the_labels_prometheus_attaches_to_a_scrape():
    """A scraped 'job' or 'instance' becomes exported_job/exported_instance under the default honor_labels: false,
    so a rule on {job="sync"} matched nothing. Every family declares its labels and uses exactly those."""
    for name, (kind, labels, help_text) in metrics.FAMILIES.items():
        assert not set(labels) & {"job", "instance"}, name
        assert not [label for label in labels if label.startswith(("__", "exported_"))], name
        assert re.match(r"^[a-z_][a-z0-9_]*$", name) and help_text and kind in ("gauge", "counter")
    text = metrics.prometheus_text(full_state())
    written = {f.name: f for f in parse(text)}
    for family in written.values():
        declared = "%s_total" % family.name if family.type == "counter" else family.name
        assert declared in metrics.FAMILIES, family.name
        for sample in family.samples:
            assert set(sample.labels) == set(metrics.FAMILIES[declared][1]), sample
    assert not re.search(r'[{,](job|instance)="', text)


def test_a_family_given_other_labels_than_it_declares_is_refused():
    state = full_state()
    state["instances"]["radarr"]["queue_items"] = 1
    family = metrics._Family("servarr_arr_queue_items")
    with pytest.raises(ValueError, match="takes the labels"):
        family.add({"instance": "radarr"}, 1)


def test_a_state_file_from_before_the_label_rename_keeps_its_counters(tmp_path):
    """fixtures/metrics.state.v1.json is the state as the callback wrote it with the labels job and instance
    (fixtures/servarr.v1.prom its textfile). The new code reads it as it is: the counters go on from their values
    under the new label names, nothing resets, and the old textfile is replaced whole."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    with open(os.path.join(FIXTURES, "metrics.state.v1.json")) as handle:
        (state_dir / metrics.STATE_NAME).write_text(handle.read())
    textfile = tmp_path / "servarr.prom"
    with open(os.path.join(FIXTURES, "servarr.v1.prom")) as handle:
        old_text = handle.read()
    textfile.write_text(old_text)
    old = {(s.name, frozenset(s.labels.items())): s.value for f in parse(old_text) for s in f.samples}
    assert old[("servarr_sync_fetched_bytes_total", frozenset({("seedbox", "box-a")}))] == 3100
    assert old[("servarr_job_runs_total", frozenset({("job", "sync"), ("outcome", "success")}))] == 2

    metrics.write([metrics.job_update("sync", 600, 610, False, [
        rec("lftp_mirror", {"fetched_items": 1, "fetched_bytes": 5}, "box-a")])], str(state_dir), None, str(textfile))
    text = textfile.read_text()
    new = {(s.name, frozenset(s.labels.items())): s.value for f in parse(text) for s in f.samples}
    assert not re.search(r'[{,](job|instance)="', text)
    assert new[("servarr_sync_fetched_bytes_total", frozenset({("seedbox", "box-a")}))] == 3105
    assert new[("servarr_sync_fetched_items_total", frozenset({("seedbox", "box-a")}))] == 4
    assert new[("servarr_job_runs_total", frozenset({("servarr_job", "sync"), ("outcome", "success")}))] == 3
    assert new[("servarr_job_runs_total", frozenset({("servarr_job", "purge"), ("outcome", "failure")}))] == 1
    assert new[("servarr_purge_freed_bytes_total", frozenset({("seedbox", 'we"ird\\box\nname')}))] == 500
    assert new[("servarr_extras_removed_files_total", frozenset())] == 4
    assert new[("servarr_arr_queue_items", frozenset({("arr_instance", "radarr")}))] == 3
    assert new[("servarr_library_bytes", frozenset({("arr_instance", "radarr")}))] == 9 * 10 ** 12
    assert new[("servarr_job_last_success_timestamp_seconds", frozenset({("servarr_job", "cleanup")}))] == 301
    # every old series is there under its new labels, with a value at least the old one (the counters only grew)
    rename = {"job": "servarr_job", "instance": "arr_instance"}
    for (name, labels), value in old.items():
        key = (name, frozenset((rename.get(k, k), v) for k, v in labels))
        assert key in new, key
        if name.endswith("_total"):
            assert new[key] >= value


def test_unfinished_purge_intents_are_kept_per_seedbox_from_failed_runs_too():
    state = metrics.merge(None, metrics.job_update("purge", 0, 1, True, [
        rec("rtorrent_purge", {"removed_torrents": 1, "freed_bytes": 9, "unfinished_intents": 2}, "beta",
            failed=True)]))
    assert state["seedboxes"]["beta"] == {"unfinished_intents": 2}   # and no capacity from a failed task
    text = metrics.prometheus_text(state)
    samples = {(s.name, tuple(s.labels.items())): s.value for f in parse(text) for s in f.samples}
    assert samples[("servarr_purge_unfinished_intents", (("seedbox", "beta"),))] == 2
    state = metrics.merge(state, metrics.job_update("purge", 10, 11, False, [
        rec("rtorrent_purge", {"removed_torrents": 0, "unfinished_intents": 0, "used_bytes_after": 5}, "beta")]))
    assert state["seedboxes"]["beta"]["unfinished_intents"] == 0
    samples = {(s.name, tuple(s.labels.items())): s.value
               for f in parse(metrics.prometheus_text(state)) for s in f.samples}
    assert samples[("servarr_purge_unfinished_intents", (("seedbox", "beta"),))] == 0
    # a failed run's count: kept where one is kept already; a seedbox never reached gets no series
    state = metrics.merge(state, metrics.job_update("purge", 20, 21, True, [
        rec("rtorrent_purge", {"removed_torrents": 0, "unfinished_intents": 0}, "gamma", failed=True),
        rec("rtorrent_purge", {"removed_torrents": 0, "unfinished_intents": 3}, "beta", failed=True)]))
    assert "gamma" not in state["seedboxes"] and state["seedboxes"]["beta"]["unfinished_intents"] == 3
    state = metrics.merge(state, metrics.job_update("purge", 30, 31, True, [
        rec("rtorrent_purge", {"removed_torrents": 0, "unfinished_intents": 0}, "beta", failed=True)]))
    assert state["seedboxes"]["beta"]["unfinished_intents"] == 0
    # the seedbox_info read that follows the purge in its playbook replaces the capacity, not the purge's count
    state = metrics.merge(state, metrics.job_update("purge", 40, 41, False, [
        rec("rtorrent_purge", {"removed_torrents": 0, "unfinished_intents": 1}, "beta"),
        rec("seedbox_info", {"used_bytes": 1, "free_bytes": 2, "size_bytes": 3}, "beta")]))
    assert state["seedboxes"]["beta"]["unfinished_intents"] == 1 and state["seedboxes"]["beta"]["size_bytes"] == 3


def test_the_sweep_the_floor_the_backup_and_the_review_reach_the_textfile():
    """Issues 18, 20, 21: orphaned bytes, the free-space floor, the last backup and what is up for removal."""
    state = full_state()
    text = metrics.prometheus_text(state)
    for line in ('servarr_seedbox_orphaned_bytes{seedbox="box-a"} 7000',
                 'servarr_seedbox_quarantine_bytes{seedbox="box-a"} 2000',
                 'servarr_orphans_moved_bytes_total{seedbox="box-a"} 2000',
                 'servarr_seedbox_free_floor_bytes{seedbox="box-a"} 50000000000',
                 'servarr_seedbox_free_short_bytes{seedbox="box-a"} 0',
                 'servarr_purge_removed_for_free_space_total{seedbox="box-a"} 1',
                 "servarr_backup_last_success_timestamp_seconds 604.5",
                 "servarr_backup_last_size_bytes 1843200",
                 "servarr_library_review_items 3", "servarr_library_review_past_grace 1"):
        assert line in text, line
    # a seedbox_info read replaces the capacity, not the sweep's or the floor's figures
    after = metrics.merge(state, metrics.job_update("sync", 900, 901, False, [
        rec("seedbox_info", {"used_bytes": 1, "free_bytes": 2, "size_bytes": 3}, "box-a")]))
    box = after["seedboxes"]["box-a"]
    assert box["orphaned_bytes"] == 7000 and box["free_floor_bytes"] == 50 * 10 ** 9 and box["used_bytes"] == 1
    # a cut listing says nothing about the orphans; a new analysis keeps the review's figures
    after = metrics.merge(after, metrics.job_update("orphans", 910, 911, False, [
        rec("seedbox_orphans", {"orphaned_bytes": 1, "partial": True}, "box-a")]))
    assert after["seedboxes"]["box-a"]["orphaned_bytes"] == 7000
    after = metrics.merge(after, metrics.job_update("analysis", 920, 921, False, [
        rec("library_analyze", {"candidates": 9})]))
    assert after["library"]["review_items"] == 3 and after["library"]["candidates"] == 9


def test_a_backup_in_check_mode_or_a_restore_gives_no_backup_figures():
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import run_summary
    assert run_summary.extract("mediaops.servarr.state_backup", {"archive": "/b/x.tar.gz", "size": None})[0]["figures"] == {}
    written = {"archive": "/b/x.tar.gz", "size": 10, "time": 5.0, "files": 2}
    [record] = run_summary.extract("mediaops.servarr.state_backup", written)
    assert record["figures"] == {"backup_bytes": 10, "backup_time": 5.0, "backup_files": 2}
