# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: removals through ruTorrent (data_removal rutorrent), asked one at a time against asked together.

The lab's real rTorrent behind lighttpd (HTTPS + Digest), the ruTorrent stand-in (tests/lab/rutorrent_standin.py,
ruTorrent 5.3.12: removewithdata erases at once and its erasedata clean-up job deletes the data every --interval
seconds; ruTorrent's default is 15) and SFTP for the verification. 2 x --torrents torrents are loaded; the same
purge code (purge_run.execute, journal included) removes one half with rutorrent_batch_size 1 (the baseline: each
removal waits for the next clean-up run) and the other half with rutorrent_batch_size --torrents, in the same run.

    <venv>/bin/python scripts/bench_rutorrent.py [--torrents 5] [--interval 2]
"""
import argparse
import os
import ssl
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
import lab  # noqa: E402
from torrentfile import make_torrent  # noqa: E402


def open_ui(info, interval):
    lab.set_rutorrent(info, interval=interval)
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, info["rutorrent_ui_url"], info["rtorrent_username"], info["rtorrent_password"])
    opener = urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPSHandler(
        context=ssl.create_default_context(cafile=info["ca_path"])))
    with opener.open(info["rutorrent_ui_url"], timeout=30) as page:
        page.read()


def load_bench_torrents(info, count):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    client = RTorrentClient(info["scgi_url"])
    root = info["download_root"]
    hashes = []
    for n in range(count):
        folder = os.path.join(root, "Bench.Removal.%03d.1080p" % n)
        os.makedirs(folder)
        for part in ("movie.mkv", "movie.nfo"):
            with open(os.path.join(folder, part), "wb") as handle:
                handle.write(os.urandom(64 * 1024))
        info_hash, meta = make_torrent(folder)
        client.call("load.raw_start", "", meta, "d.directory.set=%s" % root, "d.custom1.set=radarr")
        hashes.append(info_hash)
    deadline = time.time() + 60
    while not all(client.call("d.is_hash_checked", h) for h in hashes):   # the data in place, seeding
        if time.time() > deadline:
            raise RuntimeError("rTorrent did not finish hash-checking the bench torrents")
        time.sleep(0.2)
    return hashes


def remove(info, hashes, batch_size, journal_path):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.data_removal import SftpRemover
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.purge_run import Journal, execute
    client = RTorrentClient(info["rutorrent_standin_url"], info["rtorrent_username"], info["rtorrent_password"],
                            ca_path=info["ca_path"])
    sftp = info["sftp"]
    remover = SftpRemover(info["download_root"], host=sftp["host"], port=sftp["port"], username=sftp["username"],
                          key_file=sftp["key_file"], known_hosts=sftp["known_hosts"])
    try:
        torrents = client.list_torrents()
        by_hash = dict((t["hash"], t) for t in torrents)
        planned = [{"hash": h, "name": by_hash[h]["name"], "data": "removed", "data_path": by_hash[h]["data_path"],
                    "size_bytes": by_hash[h]["size_bytes"], "data_verified": None} for h in hashes]
        files = dict((h, by_hash[h]["files"]) for h in hashes)
        start = time.perf_counter()
        done = execute(client, remover, planned, files, "rutorrent", 120, Journal(journal_path), loaded=torrents,
                       context={"seedbox": info["rutorrent_standin_url"], "download_root": info["download_root"]},
                       batch_size=batch_size)
        elapsed = time.perf_counter() - start
    finally:
        remover.close()
        client.close()
    assert [e["hash"] for e in done] == hashes and all(e["data_verified"] for e in done)
    assert not any(os.path.exists(by_hash[h]["data_path"]) for h in hashes)
    return elapsed, client.request_count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torrents", type=int, default=5, help="removals per way (default 5)")
    parser.add_argument("--interval", type=int, default=2, help="the clean-up job's interval in seconds (default 2)")
    args = parser.parse_args()
    d = tempfile.mkdtemp(prefix="servarr-bench-rutorrent-")
    try:
        t0 = time.time()
        info = lab.start(os.path.join(d, "lab"))
        hashes = load_bench_torrents(info, 2 * args.torrents)
        open_ui(info, args.interval)
        print("lab: %d torrents to remove, ruTorrent clean-up every %ds, built in %.1fs"
              % (2 * args.torrents, args.interval, time.time() - t0))
        base_s, base_n = remove(info, hashes[:args.torrents], 1, os.path.join(d, "serial.jsonl"))
        print("baseline: %.1fs  (one at a time: %d removals, %.1fs each, %d requests to ruTorrent)"
              % (base_s, args.torrents, base_s / args.torrents, base_n))
        ours_s, ours_n = remove(info, hashes[args.torrents:], args.torrents, os.path.join(d, "batched.jsonl"))
        print("ours:     %.1fs  (asked together, verified together: %d removals, %d requests to ruTorrent)"
              % (ours_s, args.torrents, ours_n))
        print("ratio:    %.1fx faster; %.2f clean-up intervals for %d removals (baseline %.2f)"
              % (base_s / ours_s, ours_s / args.interval, args.torrents, base_s / args.interval))
    finally:
        lab.stop(os.path.join(d, "lab"))


if __name__ == "__main__":
    main()
