# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the purge decision at real size, against the original plan's way, in the same run.

3,000 torrents in a real rTorrent behind lighttpd (HTTPS + Digest), 10,000 Radarr history records, and a proxy
that adds 25 ms to every HTTP request. Measures:
  * ours: arr history (every page) + queue, one d.multicall2 over `main`, the policy (file paths come in
    the same call) — counting HTTP requests to rTorrent;
  * baseline, as the plan does it: download_list('', 'seeding'), then d.name / d.ratio / d.size_bytes /
    d.timestamp.finished / d.directory per hash, each over a new connection and a new Digest handshake
    (urllib's HTTPDigestAuthHandler); one Radarr history page of 1000. The per-hash part runs on a sample
    (--baseline-sample, default 150 torrents) and is extrapolated to all of them; --baseline-sample 0 runs it
    on every torrent (about 35 minutes).

And the history read of a scheduled run (arr_history_hashes): a first run, which reads every page and keeps
what it read in a state file, against a repeated run over the unchanged history, which reads only what is new
(requests and seconds for history + queue, state file written and read included).

    <venv>/bin/python scripts/bench_purge.py [--torrents 3000] [--history 10000] [--latency-ms 25]
"""
import argparse
import asyncio
import json
import os
import ssl
import sys
import tempfile
import threading
import time
import urllib.request
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import lab  # noqa: E402
import scenario  # noqa: E402
from torrentfile import make_torrent  # noqa: E402


class DelayProxy(threading.Thread):
    """TCP proxy on 127.0.0.1 that delays every HTTP request (each chunk the client sends) by ``delay`` s."""

    def __init__(self, target_port, delay):
        super().__init__(daemon=True)
        self.target_port, self.delay, self.port = target_port, delay, lab.free_port()
        self.ready = threading.Event()

    async def _pipe(self, reader, writer, delay):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, c_reader, c_writer):
        s_reader, s_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(self._pipe(c_reader, s_writer, self.delay), self._pipe(s_reader, c_writer, 0))

    def run(self):
        loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", self.port))
        self.ready.set()
        loop.run_until_complete(server.serve_forever())


def build_lab(d, n_torrents, n_history):
    os.makedirs(os.path.join(d, "seedbox", "downloads"))
    lab.collection_path(d)
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    ports = dict((k, lab.free_port()) for k in ("scgi", "https", "radarr"))
    lab.make_tls(d)
    lab.write_htdigest(os.path.join(d, "htdigest"), "seeduser", "bench-pass")
    lab.start_rtorrent(d, ports["scgi"])
    lab.start_lighttpd(d, ports["https"], ports["scgi"])
    client = RTorrentClient("scgi://127.0.0.1:%d" % ports["scgi"])
    root = os.path.join(d, "seedbox", "downloads")
    hashes, calls = [], []
    for n in range(n_torrents):
        path = os.path.join(root, "Bench.Movie.%04d.1080p.mkv" % n)
        with open(path, "wb") as handle:
            handle.write(b"%08d" % n * 16)
        info_hash, meta = make_torrent(path)
        hashes.append(info_hash)
        calls.append(("load.raw_start", ["", meta, "d.directory.set=" + root, "d.custom1.set=radarr"]))
    client.multicall(calls)
    lab.wait_checked(client, n_torrents, timeout=300)
    now = time.time()
    history = []
    for n in range(n_history):
        h = hashes[n // 2] if n // 2 < len(hashes) else scenario._fake_hash(n)
        event = "grabbed" if n % 2 == 0 else "downloadFolderImported"
        history.append(scenario.history_record("radarr", n + 1, event, h, now - 5 * 86400 + n, "Bench %d" % n, n // 2))
    state = {"kind": "radarr", "api_key": "b" * 32, "history": history, "queue": [], "faults": {}}
    with open(os.path.join(d, "radarr.json"), "w") as handle:
        json.dump(state, handle)
    lab.start_double(d, "radarr", ports["radarr"])
    return ports, root


def ours(rt_url, arr_url, ca, root):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import evaluate
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import plan
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    start = time.perf_counter()
    arr = ArrClient("radarr", "radarr", arr_url, "b" * 32)
    history, pages = arr.history()
    queue, _pages = arr.queue()
    evidence = evaluate([{"name": "radarr", "history": history, "queue": queue}])
    rt = RTorrentClient(rt_url, "seeduser", "bench-pass", ca_path=ca)
    torrents = rt.list_torrents()
    decision = plan(torrents, evidence["imported"], evidence["queued"], min_ratio=1.5, min_seed_days=0,
                    download_root=root, now=time.time())
    assert all(e["torrent"]["files"] for e in decision["remove"])  # paths captured in the same call
    elapsed = time.perf_counter() - start
    # what rtorrent_purge returns about the torrents that stay, all of them (verbose_results) or the imported
    # ones, on a seedbox where a tenth of the torrents are imported and none has seeded long enough yet
    imported = set(t["hash"] for t in torrents[:len(torrents) // 10]) & set(evidence["imported"])
    kept_plan = plan(torrents, imported, min_ratio=1.5, min_seed_days=30, download_root=root, now=time.time())
    kept = [{"hash": k["torrent"]["hash"], "name": k["torrent"]["name"], "reason": k["reason"], "code": k["code"]}
            for k in kept_plan["keep"]]
    sizes = (len(json.dumps(kept)), len(json.dumps([k for k in kept if k["hash"] in imported])),
             len(json.dumps(evidence["evidence"])), len(json.dumps(evidence["held_back"]) + json.dumps(evidence["counts"])))
    return elapsed, rt.request_count, len(torrents), len(decision["remove"]), pages, sizes


def baseline(rt_url, arr_url, ca, sample):
    """The plan's code path: a new urllib opener (new connection, new Digest handshake) for every call."""
    context = ssl.create_default_context(cafile=ca)
    requests = [0]

    def call(method, *params):
        mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        mgr.add_password(None, rt_url, "seeduser", "bench-pass")
        opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(mgr),
                                             urllib.request.HTTPSHandler(context=context))
        body = xmlrpc.client.dumps(params, method).encode()
        requests[0] += 2  # the 401 challenge, then the request
        with opener.open(urllib.request.Request(rt_url, data=body, headers={"Content-Type": "text/xml"})) as resp:
            return xmlrpc.client.loads(resp.read())[0][0]

    start = time.perf_counter()
    req = urllib.request.Request(arr_url + "/api/v3/history?eventType=3&pageSize=1000", headers={"X-Api-Key": "b" * 32})
    with urllib.request.urlopen(req) as resp:
        json.load(resp)
    seeding = call("download_list", "", "seeding")
    fixed = time.perf_counter() - start
    subset = seeding if not sample else seeding[:sample]
    start = time.perf_counter()
    for h in subset:
        for method in ("d.name", "d.ratio", "d.size_bytes", "d.timestamp.finished", "d.directory"):
            call(method, h)
    per_torrent = (time.perf_counter() - start) / max(1, len(subset))
    return fixed + per_torrent * len(seeding), len(subset), len(seeding), requests[0], per_torrent


def history_runs(arr_url, d):
    """(seconds, requests, how) for a first run without state and a repeated run with it."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.arr_history import (
        cache_path, load_cache, read_history, save_cache)
    from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_evidence import evaluate
    instance = {"name": "radarr", "type": "radarr", "url": arr_url}
    path = cache_path(d, "radarr")
    runs = []
    for dummy in range(2):
        start = time.perf_counter()
        arr = ArrClient("radarr", "radarr", arr_url, "b" * 32)
        cache, _why = load_cache(path, instance)
        folded, fresh, info = read_history(arr, cache, page_size=1000)
        queue, _pages = arr.queue()
        imported = evaluate([{"name": "radarr", "digest": folded, "queue": queue}])["imported"]
        if info["history_read"] == "full" or info["new_records"]:
            save_cache(path, instance, fresh)
        arr.close()
        runs.append((time.perf_counter() - start, arr.http.request_count, info["history_read"], len(imported)))
    assert runs[0][3] == runs[1][3], "the repeated run decided differently"
    return runs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torrents", type=int, default=3000)
    parser.add_argument("--history", type=int, default=10000)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--baseline-sample", type=int, default=150)
    args = parser.parse_args()
    d = tempfile.mkdtemp(prefix="servarr-bench-")
    try:
        t0 = time.time()
        ports, root = build_lab(d, args.torrents, args.history)
        print("lab: %d torrents, %d history records, built in %.1fs" % (args.torrents, args.history, time.time() - t0))
        proxies = dict((k, DelayProxy(ports[k], args.latency_ms / 1000.0)) for k in ("https", "radarr"))
        for proxy in proxies.values():
            proxy.start()
            proxy.ready.wait()
        rt_url = "https://localhost:%d/rutorrent/plugins/httprpc/action.php" % proxies["https"].port
        arr_url = "http://127.0.0.1:%d" % proxies["radarr"].port
        ca = os.path.join(d, "tls.crt")
        (first_s, first_n, first_how, hashes), (again_s, again_n, again_how, _h) = history_runs(arr_url, d)
        print("history first run:    %.2fs  (%d requests to Radarr: %s read of %d records + queue; %d imported)"
              % (first_s, first_n, first_how, args.history, hashes))
        print("history repeated run: %.2fs  (%d requests to Radarr: %s read + queue; same %d imported)"
              % (again_s, again_n, again_how, hashes))
        print("history ratio:        %.1fx faster, %.1fx fewer requests (target: <= 2 requests per instance)"
              % (first_s / again_s, first_n / float(again_n)))
        ours_s, rt_requests, n, removable, pages, sizes = ours(rt_url, arr_url, ca, root)
        print("ours:     %.2fs  (%d HTTP requests to rTorrent, %d torrents, %d to remove, %d history pages)"
              % (ours_s, rt_requests, n, removable, pages))
        print("results:  rtorrent_purge kept %.1f KB with verbose_results, %.1f KB by default; arr_history_hashes "
              "evidence %.1f KB with verbose_results, counts + held_back %.1f KB by default"
              % tuple(x / 1024.0 for x in sizes))
        base_s, sampled, seeding, base_requests, per = baseline(rt_url, arr_url, ca, args.baseline_sample)
        how = "measured" if sampled == seeding else "%d of %d torrents measured, %.0f ms each, extrapolated" % (
            sampled, seeding, per * 1000)
        print("baseline: %.1fs  (%s; %d HTTP requests to rTorrent for the sample)" % (base_s, how, base_requests))
        print("ratio:    %.0fx faster; rTorrent requests: %d (target <= 5)" % (base_s / ours_s, rt_requests))
    finally:
        lab.stop(d)


if __name__ == "__main__":
    main()
