# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Prometheus side of the metrics: the textfile passes promtool check metrics, the alerting rules pass promtool
check rules and their unit tests (promtool test rules), and every metric the rules and the Grafana dashboard use
is one the collection writes, with labels it writes.

promtool comes from Debian's prometheus package (scripts/bootstrap.sh installs it). The promtool tests are skipped
only when it is missing and SERVARR_REQUIRE_PROMTOOL is unset; tests/run.sh sets it, so there they fail instead."""
import fnmatch
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.mediaops.servarr.plugins.module_utils.runs import metrics

from metrics_fixtures import full_state, rec  # tests/lab

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDER = os.path.join(REPO, "files", "prometheus")
RULES = os.path.join(FOLDER, "servarr.rules.yml")
RULES_TEST = os.path.join(FOLDER, "servarr.rules.test.yml")
DASHBOARD = os.path.join(FOLDER, "servarr.dashboard.json")
# the labels Prometheus itself puts on a scraped series (node_exporter's address and the scrape job), and the
# ones the shipped rules add to their alerts and recorded series
PROMETHEUS_LABELS = {"instance", "job", "alertname", "severity", "le"}


def promtool():
    path = shutil.which("promtool")
    if path:
        return path
    if os.environ.get("SERVARR_REQUIRE_PROMTOOL"):
        pytest.fail("promtool is missing (Debian's prometheus package; scripts/bootstrap.sh installs it) and "
                    "SERVARR_REQUIRE_PROMTOOL is set")
    pytest.skip("promtool is missing (apt-get install prometheus); set SERVARR_REQUIRE_PROMTOOL=1 to fail instead")


def run(args, text=None, cwd=None):
    proc = subprocess.run(args, input=text, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=120, check=False)
    return proc.returncode, proc.stdout


def test_the_textfile_the_callback_writes_passes_promtool_check_metrics(tmp_path):
    tool = promtool()
    state_dir = tmp_path / "state"
    textfile = tmp_path / "servarr.prom"
    state = full_state()
    state = metrics.merge(state, metrics.job_update("purge", 900, 930, True, [
        rec("rtorrent_purge", {"removed_torrents": 1, "freed_bytes": 5, "unfinished_intents": 1}, "box-a")]))
    state = metrics.merge(state, metrics.job_update("jellyfin", 940, 941, False, [
        rec("jellyfin_refresh", {"jellyfin_folders": 2}),
        rec("library_analyze", {"candidates": 1, "instances": {"sonarr": {"candidates": 1, "candidate_bytes": 7}}})]))
    state_dir.mkdir()
    (state_dir / metrics.STATE_NAME).write_text(json.dumps(state))
    metrics.write([metrics.job_update("sync", 1000, 1001, False, [
        rec("lftp_mirror", {"fetched_items": 1, "fetched_bytes": 10}, "box-a")])], str(state_dir), None,
        str(textfile))
    text = textfile.read_text()
    written = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    assert written == set(metrics.FAMILIES)   # the state above makes every family appear at least once
    code, out = run([tool, "check", "metrics"], text)
    assert (code, out) == (0, ""), out


def test_the_alerting_rules_pass_promtool_check_rules():
    code, out = run([promtool(), "check", "rules", RULES])
    assert code == 0 and "SUCCESS" in out, out
    print(out)


def test_the_alerting_rules_pass_their_promtool_unit_tests():
    code, out = run([promtool(), "test", "rules", os.path.basename(RULES_TEST)], cwd=FOLDER)
    assert code == 0 and "SUCCESS" in out, out
    print(out)


def _expressions():
    """(where, PromQL) of every expression in the rules and the dashboard."""
    with open(RULES) as handle:
        rules = yaml.safe_load(handle)
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield "rule %s" % (rule.get("alert") or rule.get("record")), rule["expr"]
    with open(DASHBOARD) as handle:
        dashboard = json.load(handle)
    panels = list(dashboard["panels"])
    for panel in panels:
        panels.extend(panel.get("panels") or [])
        for target in panel.get("targets") or []:
            yield "panel %r" % panel["title"], target["expr"]
    for variable in dashboard["templating"]["list"]:
        yield "variable %s" % variable["name"], variable["definition"]


def _recorded():
    with open(RULES) as handle:
        rules = yaml.safe_load(handle)
    return dict((rule["record"], set(rule.get("labels") or {})) for group in rules["groups"]
                for rule in group["rules"] if "record" in rule)


def _names_and_labels(expr):
    """The metric names an expression reads and the label names it matches or groups on."""
    labels = set()
    # label_values(metric{...}, label)
    for found in re.finditer(r"label_values\((?:[^,()]|\([^()]*\))*,\s*(\w+)\s*\)", expr):
        labels.add(found.group(1))
    expr = re.sub(r",\s*\w+\s*\)", ")", expr) if "label_values(" in expr else expr
    for found in re.finditer(r"\{([^}]*)\}", expr):
        labels.update(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", re.sub(r'"(?:[^"\\]|\\.)*"', '""', found.group(1))))
    expr = re.sub(r"\{[^}]*\}", "", expr)
    for found in re.finditer(r"\b(?:on|ignoring|by|without|group_left|group_right)\s*\(([^)]*)\)", expr):
        labels.update(x.strip() for x in found.group(1).split(",") if x.strip())
    expr = re.sub(r"\b(?:on|ignoring|by|without|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set(re.findall(r"\b[a-zA-Z_:][a-zA-Z0-9_:]*\b", expr))
    return names, labels


def test_the_rules_and_the_dashboard_use_only_metrics_and_labels_the_collection_writes():
    recorded = _recorded()
    assert set(recorded) == {"servarr:job_schedule_interval_seconds"}
    written_labels = set(label for _kind, labels, _help in metrics.FAMILIES.values() for label in labels)
    used = set()
    for where, expr in _expressions():
        names, labels = _names_and_labels(expr)
        servarr = set(n for n in names if n.startswith("servarr"))
        assert servarr or where.startswith("rule servarr:"), "%s reads no servarr metric: %s" % (where, expr)
        for name in servarr:
            assert name in metrics.FAMILIES or name in recorded, "%s reads %s, which the collection does not " \
                                                                 "write: %s" % (where, name, expr)
        unknown = labels - written_labels - PROMETHEUS_LABELS
        assert not unknown, "%s uses labels %s that no series has: %s" % (where, sorted(unknown), expr)
        used |= servarr
    # and the other way round: everything the textfile carries has a panel or a rule
    assert set(metrics.FAMILIES) - used == set()
    # the recorded schedule table is joined on a label the textfile writes
    assert recorded["servarr:job_schedule_interval_seconds"] == {metrics.JOB_LABEL}


def test_the_rules_templates_name_only_labels_their_alerts_carry():
    with open(RULES) as handle:
        rules = yaml.safe_load(handle)
    written_labels = set(label for _kind, labels, _help in metrics.FAMILIES.values() for label in labels)
    for group in rules["groups"]:
        for rule in group["rules"]:
            for text in (rule.get("annotations") or {}).values():
                for label in re.findall(r"\$labels\.(\w+)", text):
                    assert label in written_labels | PROMETHEUS_LABELS, (rule.get("alert"), label)


def test_the_dashboard_is_an_importable_grafana_dashboard():
    with open(DASHBOARD) as handle:
        dashboard = json.load(handle)
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 30
    assert [i["pluginId"] for i in dashboard["__inputs"]] == ["prometheus"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert set(panel["gridPos"]) == {"h", "w", "x", "y"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
            assert panel["targets"] and len(set(t["refId"] for t in panel["targets"])) == len(panel["targets"])
            for target in panel["targets"]:
                names, _labels = _names_and_labels(target["expr"])
                [name] = [n for n in names if n.startswith("servarr_")]
                carried = set(metrics.FAMILIES[name][1]) | {"instance", "job"}
                legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat") or ""))
                assert legend <= carried, (panel["title"], target["expr"], legend - carried)


def test_the_collection_artifact_carries_the_prometheus_files():
    """ansible-galaxy collection build leaves out what build_ignore matches (fnmatch on the path from the
    collection's root, and on the file's name): files/prometheus must not be among them."""
    with open(os.path.join(REPO, "galaxy.yml")) as handle:
        ignore = yaml.safe_load(handle).get("build_ignore") or []
    for name in os.listdir(FOLDER):
        path = os.path.join("files", "prometheus", name)
        parts = [os.path.join(*path.split(os.sep)[:i]) for i in range(1, 4)]
        for pattern in ignore:
            assert not [p for p in parts + [name] if fnmatch.fnmatch(p, pattern)], (path, pattern)
