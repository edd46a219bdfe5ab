# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a job did, from its modules' results (their documented RETURN keys): pure functions shared by the
``ntfy`` and ``metrics`` callback plugins and the ``ntfy_send`` module.

``extract(action, result)`` turns one task result into records ``{"module", "seedbox", "figures"}``; a looped
task (one item per seedbox) gives one record per item, labelled with the item's name. Results under ``no_log``
(``_ansible_no_log``, or censored by Ansible) are never read. ``describe(records, check_mode)`` makes the
phrases of a summary ("seedbox1: fetched 2 items (3.1 GB)", "removed 3 torrents, 41.0 GB freed").
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mediaops.servarr.plugins.module_utils.text import human_bytes, shorten_line

# Modules whose results this file reads, by short name.
KNOWN_MODULES = ("lftp_mirror", "rtorrent_purge", "arr_history_hashes", "video_extras_clean", "jellyfin_refresh",
                 "seedbox_info", "library_analyze", "arr_tag", "seedbox_orphans", "state_backup", "library_grace")


def short_name(action):
    return str(action or "").rsplit(".", 1)[-1]


def is_hidden(result):
    """A result Ansible hides (no_log): never read anything from it."""
    if not isinstance(result, dict):
        return True
    return bool(result.get("_ansible_no_log")) or "censored" in result


def _int(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _count(value):
    """A list's length or a number."""
    if isinstance(value, (list, tuple, dict)):
        return len(value)
    return _int(value)


def item_label(result):
    """The seedbox (or other) name of one loop item: the item itself when it is a string, else its ``name``."""
    item = result.get(result.get("ansible_loop_var") or "item")
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("name"), str):
        return item["name"]
    return None


def iter_results(result):
    """(label, result) for each item of a looped task, or (None, result) once."""
    if isinstance(result, dict) and isinstance(result.get("results"), list) and result.get("results") \
            and all(isinstance(r, dict) for r in result["results"]):
        for sub in result["results"]:
            yield item_label(sub), sub
    else:
        yield None, result


def _figures_lftp_mirror(r):
    fetched = [i for i in r.get("fetched") or [] if isinstance(i, dict) and not i.get("error")]
    return {"fetched_items": len(fetched), "fetched_bytes": _int(r.get("bytes")),
            "failed_items": _count(r.get("failed_items")), "not_fetched": _count(r.get("not_fetched")),
            "locked": bool(r.get("locked"))}


def _figures_rtorrent_purge(r):
    figures = {"removed_torrents": _count(r.get("removed")), "freed_bytes": _int(r.get("bytes_freed"))}
    for key in ("used_bytes_after", "free_bytes_after", "torrents_total", "unfinished_intents"):
        if r.get(key) is not None:
            figures[key] = _int(r.get(key))
    counts = r.get("removed_counts")
    if isinstance(counts, dict):
        for trigger in ("policy", "capacity", "free_space"):
            figures["removed_%s" % trigger] = _int(counts.get(trigger))
    space = r.get("free_space")
    if isinstance(space, dict) and space.get("floor_bytes") is not None:
        figures["free_floor_bytes"] = _int(space["floor_bytes"])
        # after a real run the measured free space; in check mode (or a run stopped early) the computed one
        after = space.get("after_bytes")
        if after is None:
            after = space.get("planned_after_bytes")
        for key, value in (("free_before_bytes", space.get("before_bytes")), ("free_after_bytes", after)):
            if value is not None:
                figures[key] = _int(value)
        figures["free_short_bytes"] = _int(space.get("short_bytes"))
        blocked = space.get("blocked")
        if isinstance(blocked, dict) and figures["free_short_bytes"]:
            figures["free_blocked"] = dict((str(code), {"torrents": _int(v.get("torrents")), "bytes": _int(v.get("bytes"))})
                                           for code, v in blocked.items() if isinstance(v, dict))
    return figures


def _free_space_words(f, check_mode):
    """The purge's free space against its floor, one phrase: before -> after, met or how short and what stays."""
    before, after, floor = f.get("free_before_bytes"), f.get("free_after_bytes"), f["free_floor_bytes"]
    if before is None:
        return "free space unknown, floor %s not applied" % human_bytes(floor)
    text = "free space %s" % human_bytes(before)
    if after is not None and after != before:
        text += " -> %s%s" % (human_bytes(after), " (would be)" if check_mode else "")
    if not f.get("free_short_bytes"):
        return text + ", floor %s met" % human_bytes(floor)
    text += ", %s short of the floor %s" % (human_bytes(f["free_short_bytes"]), human_bytes(floor))
    blocked = sorted((f.get("free_blocked") or {}).items(), key=lambda item: -item[1]["bytes"])
    if blocked:
        text += "; what stays may not be removed: %s" % ", ".join(
            "%s %s (%s)" % (v["torrents"], code.replace("_", " "), human_bytes(v["bytes"])) for code, v in blocked[:4])
        if len(blocked) > 4:
            text += " and more"
    return text


def _figures_arr_history_hashes(r):
    instances = {}
    for inst in r.get("instances") or []:
        if isinstance(inst, dict) and inst.get("name"):
            instances[str(inst["name"])] = {"queue_items": _int(inst.get("queue_records"))}
    return {"imported_hashes": _count(r.get("imported_hashes")), "queued_hashes": _count(r.get("queued_hashes")),
            "instances": instances}


def _figures_video_extras_clean(r):
    return {"extras_removed": _count(r.get("extras")), "extras_bytes": _int(r.get("bytes_freed")),
            "extras_recycled": _count(r.get("recycled"))}


def _figures_jellyfin_refresh(r):
    mode = r.get("mode") or "none"
    return {"jellyfin_mode": mode, "jellyfin_folders": _count(r.get("paths")) if mode == "targeted" else 0,
            "jellyfin_imports": _count(r.get("imports")), "jellyfin_sent": bool(r.get("sent"))}


def _figures_seedbox_info(r):
    figures = {}
    for key in ("used_bytes", "free_bytes", "size_bytes", "quota_bytes"):
        if r.get(key) is not None:
            figures[key] = _int(r.get(key))
    if r.get("used_ratio") is not None:
        figures["used_ratio"] = float(r["used_ratio"])
    torrents = r.get("torrents")
    if isinstance(torrents, dict):
        figures["torrents"] = dict((str(k), _int(v)) for k, v in torrents.items())
    return figures


def _figures_library_analyze(r):
    # library_analyze's totals: items, bytes, candidates, candidate_bytes, per_instance {name: {items, bytes,
    # candidates, candidate_bytes}}; read what is there, tolerate what is not.
    totals = r.get("totals") if isinstance(r.get("totals"), dict) else {}
    candidates = totals.get("candidates", r.get("candidates"))
    figures = {"candidates": _count(candidates)}
    size = totals.get("candidate_bytes", r.get("candidate_bytes"))
    if size is not None:
        figures["candidate_bytes"] = _int(size)
    instances = {}
    per_instance = totals.get("per_instance") or totals.get("instances") or r.get("instances")
    if isinstance(per_instance, dict):
        per_instance = [dict(v, name=k) for k, v in per_instance.items() if isinstance(v, dict)]
    for inst in per_instance or []:
        if isinstance(inst, dict) and inst.get("name"):
            entry = {}
            for key, target in (("library_items", "library_items"), ("items", "library_items"),
                                ("library_bytes", "library_bytes"), ("bytes", "library_bytes"),
                                ("candidates", "candidates"), ("candidate_bytes", "candidate_bytes")):
                if key in inst and target not in entry:
                    entry[target] = _count(inst[key])
            instances[str(inst["name"])] = entry
    if instances:
        figures["instances"] = instances
    return figures


def _figures_arr_tag(r):
    return {"tagged": _count(r.get("tagged", r.get("added"))), "untagged": _count(r.get("untagged", r.get("removed")))}


def _figures_seedbox_orphans(r):
    figures = {}
    for key in ("orphaned_bytes", "orphaned_files", "quarantine_bytes", "moved_bytes", "expired_bytes"):
        if r.get(key) is not None:
            figures[key] = _int(r.get(key))
    if r.get("partial") or r.get("locked"):
        figures["partial"] = True   # a cut listing: its orphan figures are not the seedbox's
    return figures


def _figures_state_backup(r):
    if r.get("size") is None or r.get("time") is None:
        return {}   # check mode, or a restore: no archive was written
    return {"backup_bytes": _int(r.get("size")), "backup_time": float(r["time"]), "backup_files": _int(r.get("files"))}


def _figures_library_grace(r):
    totals = r.get("totals") or {}
    return dict(("review_%s" % key, _int(totals.get(key))) for key in ("items", "bytes", "past_grace", "past_grace_bytes")
                if totals.get(key) is not None)


_EXTRACTORS = {
    "lftp_mirror": _figures_lftp_mirror,
    "rtorrent_purge": _figures_rtorrent_purge,
    "arr_history_hashes": _figures_arr_history_hashes,
    "video_extras_clean": _figures_video_extras_clean,
    "jellyfin_refresh": _figures_jellyfin_refresh,
    "seedbox_info": _figures_seedbox_info,
    "library_analyze": _figures_library_analyze,
    "arr_tag": _figures_arr_tag,
    "seedbox_orphans": _figures_seedbox_orphans,
    "state_backup": _figures_state_backup,
    "library_grace": _figures_library_grace,
}


def extract(action, result, label=None, failed=False):
    """Records of what one task result did: [{"module", "seedbox", "figures"}]. Skipped and hidden results and
    modules this file does not know give none. A failed module's partial result (what was done before the
    error) is read like any other. ``label``: the seedbox the task ran for (``servarr_seedbox_name`` of the
    playbooks' per-seedbox tasks) when the result is not a loop's. ``failed``: the task failed (Ansible 2.19 hands
    callbacks a failed result without its ``failed`` key); a loop item's own ``failed`` wins."""
    module = short_name(action)
    extractor = _EXTRACTORS.get(module)
    if extractor is None or is_hidden(result):
        return []
    records = []
    for item, sub in iter_results(result):
        if is_hidden(sub) or sub.get("skipped"):
            continue
        try:
            figures = extractor(sub)
        except (AttributeError, TypeError, ValueError):
            continue  # a result of an unexpected shape says nothing; never let it break the report
        seedbox = item if item is not None else (label or sub.get("seedbox"))
        if module not in ("lftp_mirror", "rtorrent_purge", "seedbox_info", "seedbox_orphans"):
            seedbox = None
        records.append({"module": module, "seedbox": seedbox, "figures": figures, "failed": bool(sub.get("failed", failed))})
    return records


def failure_text(result, limit=300, label=None):
    """The failed task's message, one line, shortened; hidden results say only that they are hidden."""
    if is_hidden(result):
        return "(details hidden by no_log)"
    for item, sub in iter_results(result):
        if item is not None and isinstance(sub, dict) and (sub.get("failed") or sub.get("unreachable")):
            if is_hidden(sub):
                return "%s: (details hidden by no_log)" % item
            return shorten_line("%s: %s" % (item, sub.get("msg") or sub.get("stderr") or "failed"), limit)
    msg = result.get("msg") or result.get("stderr") or result.get("reason") or "failed"
    if not isinstance(msg, str):
        msg = str(msg)
    return shorten_line(("%s: %s" % (label, msg)) if label else msg, limit)


def _prefix(record):
    return ("%s: " % record["seedbox"]) if record.get("seedbox") else ""


def plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def describe(records, check_mode=False):
    """(phrases of what was done, phrases of state). Work phrases are empty when nothing was done."""
    work, state = [], []

    def verb(real, dry):
        return dry if check_mode else real

    for rec in records:
        f, m, p = rec["figures"], rec["module"], _prefix(rec)
        if m == "lftp_mirror":
            if f.get("fetched_items"):
                work.append("%s%s %s (%s)" % (p, verb("fetched", "would fetch"), plural(f["fetched_items"], "item"),
                                              human_bytes(f.get("fetched_bytes"))))
            if f.get("failed_items"):
                work.append("%s%s failed" % (p, plural(f["failed_items"], "item")))
            if f.get("locked"):
                state.append("%ssync skipped: another run holds the lock" % p)
        elif m == "rtorrent_purge":
            if f.get("removed_torrents"):
                rules = [(f.get("removed_capacity"), "for the capacity cap"),
                         (f.get("removed_free_space"), "for the free-space floor")]
                rules = ", ".join("%d %s" % (n, words) for n, words in rules if n)
                work.append("%s%s %s, %s freed%s" % (
                    p, verb("removed", "would remove"), plural(f["removed_torrents"], "torrent"),
                    human_bytes(f.get("freed_bytes")), (" (%s)" % rules) if rules else ""))
            if f.get("free_floor_bytes") is not None:
                state.append("%s%s" % (p, _free_space_words(f, check_mode)))
        elif m == "video_extras_clean" and f.get("extras_removed"):
            work.append("%s %s (%s)" % (verb("removed", "would remove"), plural(f["extras_removed"], "extra"),
                                        human_bytes(f.get("extras_bytes"))))
        elif m == "jellyfin_refresh":
            if f.get("jellyfin_mode") == "targeted" and f.get("jellyfin_folders"):
                work.append("%s %s to Jellyfin" % (verb("sent", "would send"), plural(f["jellyfin_folders"], "folder")))
            elif f.get("jellyfin_mode") == "full":
                work.append("%s a full Jellyfin library refresh" % verb("asked for", "would ask for"))
        elif m == "library_analyze" and f.get("candidates"):
            size = (" (%s)" % human_bytes(f["candidate_bytes"])) if f.get("candidate_bytes") else ""
            work.append("found %s for review%s" % (plural(f["candidates"], "candidate"), size))
        elif m == "arr_tag":
            if f.get("tagged"):
                work.append("%s %s" % (verb("tagged", "would tag"), plural(f["tagged"], "item")))
            if f.get("untagged"):
                work.append("%s the tag from %s" % (verb("removed", "would remove"), plural(f["untagged"], "item")))
        elif m == "seedbox_info" and f.get("used_bytes") is not None:
            text = "%sseedbox %s used" % (p, human_bytes(f["used_bytes"]))
            if f.get("size_bytes"):
                text += " of %s (%d%%)" % (human_bytes(f["size_bytes"]), round(100.0 * (f.get("used_ratio") or 0)))
            seeding = (f.get("torrents") or {}).get("seeding")
            if seeding is not None:
                text += ", %s seeding" % plural(seeding, "torrent")
            state.append(text)
    return work, state


class RunRecorder:
    """What one ansible-playbook run did, per job (one job per play: ``servarr_job``), fed by a callback plugin.

    ``plays`` holds, in order, per play: ``job``, ``started``, ``ended``, ``hosts``, ``records`` (see
    ``extract``), ``failures`` (task, host, text) and ``failed_hosts``. Failures under ``ignore_errors`` are not
    failures of the job."""

    def __init__(self, clock):
        self.clock = clock
        self.started = clock()
        self.plays = []

    @property
    def current(self):
        if not self.plays:
            self.start_play("unknown")
        return self.plays[-1]

    def start_play(self, job, hosts=()):
        now = self.clock()
        if self.plays and self.plays[-1]["ended"] is None:
            self.plays[-1]["ended"] = now
        self.plays.append({"job": job, "started": now, "ended": None, "hosts": list(hosts), "records": [],
                           "failures": [], "failed_hosts": set()})

    def add_result(self, action, host, result, task_name, failed=False, unreachable=False, label=None):
        play = self.current
        if host and host not in play["hosts"]:
            play["hosts"].append(host)
        for rec in extract(action, result, label, failed=failed or unreachable):
            rec["host"] = host
            rec["job"] = play["job"]
            play["records"].append(rec)
        if failed or unreachable:
            play["failures"].append({"task": task_name, "host": host, "unreachable": unreachable,
                                     "text": ("host unreachable: " if unreachable else "") + failure_text(result, label=label)})
            play["failed_hosts"].add(host)

    def finish(self, failed_hosts=None):
        """Close the last play. ``failed_hosts``: hosts Ansible's stats count as failed or unreachable (a
        failure a ``rescue`` handled is not one)."""
        now = self.clock()
        if self.plays and self.plays[-1]["ended"] is None:
            self.plays[-1]["ended"] = now
        if failed_hosts is not None:
            for play in self.plays:
                play["failed_hosts"] &= set(failed_hosts)
                play["failures"] = [f for f in play["failures"] if f["host"] in play["failed_hosts"]]

    def jobs(self):
        """Per job name, in order: started, ended, failed, records, failures, hosts."""
        out = {}
        for play in self.plays:
            job = out.setdefault(play["job"], {"job": play["job"], "started": play["started"], "ended": play["ended"],
                                               "failed": False, "records": [], "failures": [], "hosts": []})
            job["ended"] = play["ended"]
            job["failed"] = job["failed"] or bool(play["failures"])
            job["records"].extend(play["records"])
            job["failures"].extend(play["failures"])
            job["hosts"].extend(h for h in play["hosts"] if h not in job["hosts"])
        return list(out.values())

    @property
    def failed(self):
        return any(play["failures"] for play in self.plays)


def compose_message(recorder, check_mode, footer=""):
    """(title, body, failed, idle) for one run. ``idle``: nothing was done (no work phrase)."""
    jobs = recorder.jobs()
    names = [j["job"] for j in jobs]
    hosts = []
    for j in jobs:
        hosts.extend(h for h in j["hosts"] if h not in hosts)
    failed_jobs = [j for j in jobs if j["failed"]]
    several = len(jobs) > 1
    lines, any_work = [], False
    dry = "[dry run] " if check_mode else ""
    where = " on %s" % ", ".join(hosts) if hosts else ""
    if failed_jobs:
        title = "%sservarr %s FAILED%s" % (dry, ", ".join(j["job"] for j in failed_jobs), where)
    else:
        title = "%sservarr %s OK%s" % (dry, ", ".join(names), where)
    # a seedbox's state is said once, from the last job that read it (site.yml reads it after sync and purge)
    last_status = {}
    for index, job in enumerate(jobs):
        for rec in job["records"]:
            if rec["module"] == "seedbox_info":
                last_status[rec.get("seedbox")] = index
    for index, job in enumerate(jobs):
        records = [r for r in job["records"]
                   if r["module"] != "seedbox_info" or last_status.get(r.get("seedbox")) == index]
        work, state = describe(records, check_mode)
        any_work = any_work or bool(work)
        head = ("%s: " % job["job"]) if several else ""
        if job["failed"]:
            for fail in job["failures"][:5]:
                lines.append('%sTask "%s" failed on %s: %s' % (head, fail["task"], fail["host"], fail["text"]))
            if len(job["failures"]) > 5:
                lines.append("%s(and %d more failures)" % (head, len(job["failures"]) - 5))
            lines.append("%sBefore that it had %s." % (head, "; ".join(work) if work else "done nothing"))
        elif work:
            lines.append("%s%s." % (head, "; ".join(work)))
        else:
            lines.append("%s%s." % (head, "nothing to do" if not check_mode else "nothing would be done"))
        for text in state:
            lines.append("%s%s." % (head, text))
    if check_mode:
        lines.append("Dry run (--check): nothing was changed.")
    if footer:
        lines.append(footer)
    return title, "\n".join(lines), bool(failed_jobs), not any_work


def task_label(task):
    """The seedbox a task runs for: the playbooks' loop variable ``servarr_seedbox_name`` (a plain string)."""
    try:
        value = task.get_vars().get("servarr_seedbox_name")
    except Exception:
        return None
    if isinstance(value, str) and value and "{{" not in value:
        return value
    return None


def job_name(play_vars, option_job, playbook_name):
    """The job: the ``job`` option (ansible.cfg, SERVARR_JOB) when set, else the play's literal ``servarr_job``,
    else the playbook file's name without .yml."""
    if option_job:
        return option_job
    value = (play_vars or {}).get("servarr_job")
    if isinstance(value, str) and value and "{{" not in value:
        return value
    return playbook_name or "playbook"
