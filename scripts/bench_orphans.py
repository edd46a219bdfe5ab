# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the seedbox orphan sweep against one `ssh find` of the same tree, measured in the same run.

A real rTorrent (behind lighttpd, HTTPS + Digest) with --torrents torrents loaded (stopped: the sweep reads started
and stopped ones alike, and rTorrent need not hash-check 100,000 files) holding --files files in all, plus
--orphans orphans (half lone files in the download root, half unlisted files inside torrent folders), on a real
sshd. Every SSH and HTTPS request goes through a proxy that adds --latency-ms to each request (each chunk the
client sends). Measures:
  * baseline: one `ssh host find ROOT -printf ...` of the whole tree with the OpenSSH client (connection included),
    and the same single find over one paramiko connection (what the module pays for its own login);
  * ours, shell: the sweep of runs/orphans.py in check mode (rTorrent's torrents and files in one d.multicall2,
    rTorrent's session.path, one find over SSH, the decision), then a real run that also moves every orphan into
    the quarantine (one more SSH command for all the renames, journal fsynced first);
  * ours, SFTP only (an account without a shell): the same check-mode sweep listing with one SFTP listdir per
    folder; --sftp-real also moves the orphans over SFTP (one rename and a few stats each).
Prints seconds, SSH round trips and rTorrent requests, and the ratios ours / baseline (target: within 1.5x with a
shell).

    <venv>/bin/python scripts/bench_orphans.py [--torrents 3000] [--files 100000] [--orphans 500] [--latency-ms 25]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))
sys.path.insert(0, HERE)
import lab  # noqa: E402
from torrentfile import make_torrent  # noqa: E402
from bench_purge import DelayProxy  # noqa: E402

FIND = "%y %s %T@ %C@ %D %P\\0"


def build(d, n_torrents, n_files, n_orphans):
    root = os.path.join(d, "seedbox", "downloads")
    os.makedirs(root)
    lab.collection_path(d)
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    ports = dict((k, lab.free_port()) for k in ("scgi", "https", "ssh"))
    lab.make_tls(d)
    lab.write_htdigest(os.path.join(d, "htdigest"), "seeduser", "bench-pass")
    lab.start_rtorrent(d, ports["scgi"])
    lab.start_lighttpd(d, ports["https"], ports["scgi"])
    key = lab.start_sshd(d, ports["ssh"])
    client = RTorrentClient("scgi://127.0.0.1:%d" % ports["scgi"])
    per, extra = divmod(n_files, n_torrents)
    calls, folders = [], []
    for n in range(n_torrents):
        name = "Bench.Release.%04d.1080p" % n
        folder = os.path.join(root, name)
        os.makedirs(os.path.join(folder, "Extras"))
        for f in range(per + (1 if n < extra else 0)):
            sub = "Extras/" if f % 10 == 9 else ""
            with open(os.path.join(folder, "%sfile.%03d.mkv" % (sub, f)), "wb") as handle:
                handle.write(b"%08d" % (n * 1000 + f))
        _hash, meta = make_torrent(folder)
        calls.append(("load.raw", ["", meta, "d.directory.set=" + root]))
        folders.append(folder)
        if len(calls) == 200:
            client.multicall(calls)
            calls = []
    if calls:
        client.multicall(calls)
    old = time.time() - 5 * 86400
    orphans = []
    for n in range(n_orphans):
        path = os.path.join(root, "Leftover.%04d.mkv" % n) if n % 2 == 0 else \
            os.path.join(folders[n % len(folders)], "unlisted.%04d.nfo" % n)
        with open(path, "wb") as handle:
            handle.write(b"orphan %d" % n)
        os.utime(path, (old, old))
        orphans.append(os.path.relpath(path, root))
    deadline = time.time() + 300
    while len(client.call("download_list", "", "main")) < n_torrents and time.time() < deadline:
        time.sleep(0.5)
    return ports, root, key, orphans


def options(root, quarantine, method):
    return dict(download_root=root, remote_root=root, quarantine=quarantine, method=method, max_depth=16,
                max_entries=1000000, min_age_seconds=0, max_files=100000, max_bytes=10 ** 12, patterns=[],
                exclude_paths=[], dotfiles=True, retention_seconds=14 * 86400, seedbox="bench")


def sweep_once(d, rt_url, ca, ssh_args, root, method, check_mode, tag):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    from ansible_collections.mediaops.servarr.plugins.module_utils.runs.orphans import Seedbox, Sweep, SweepJournal
    start = time.perf_counter()
    client = RTorrentClient(rt_url, "seeduser", "bench-pass", ca_path=ca)
    box = Seedbox(timeout=120, **ssh_args)
    try:
        sweep = Sweep(client, box, SweepJournal(os.path.join(d, "journal-%s.jsonl" % tag)),
                      options(root, os.path.join(root, ".servarr-quarantine"), method), check_mode=check_mode)
        result = sweep.run()
    finally:
        box.close()
        client.close()
    elapsed = time.perf_counter() - start
    return elapsed, result


def ssh_find(ssh_port, key, known_hosts, root):
    cmd = ["ssh", "-p", str(ssh_port), "-i", key, "-o", "UserKnownHostsFile=" + known_hosts,
           "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
           "127.0.0.1", "find %s -printf '%s' | wc -c" % (root, FIND)]
    start = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    # the listing itself, not only its size, must cross the wire: a second run without wc
    return time.perf_counter() - start, int(out.strip())


def ssh_find_full(ssh_port, key, known_hosts, root):
    cmd = ["ssh", "-p", str(ssh_port), "-i", key, "-o", "UserKnownHostsFile=" + known_hosts,
           "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
           "127.0.0.1", "find %s -printf '%s'" % (root, FIND)]
    start = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    return time.perf_counter() - start, out.count(b"\0")


def paramiko_find(ssh_args, root):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import connect
    start = time.perf_counter()
    client = connect(**ssh_args)
    _stdin, stdout, _stderr = client.exec_command("find %s -printf '%s'" % (root, FIND))
    data = stdout.read()
    client.close()
    return time.perf_counter() - start, data.count(b"\0")


def restore(root, quarantine):
    """Put the quarantined orphans back (for the next measurement)."""
    for batch in os.listdir(quarantine):
        base = os.path.join(quarantine, batch)
        for folder, _dirs, files in os.walk(base):
            for name in files:
                src = os.path.join(folder, name)
                os.rename(src, os.path.join(root, os.path.relpath(src, base)))
        shutil.rmtree(base)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torrents", type=int, default=3000)
    parser.add_argument("--files", type=int, default=100000)
    parser.add_argument("--orphans", type=int, default=500)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sftp", action="store_true", default=True)
    parser.add_argument("--no-sftp", dest="sftp", action="store_false", help="skip the SFTP-only figure")
    parser.add_argument("--sftp-real", action="store_true", help="also move the orphans over SFTP (slow)")
    args = parser.parse_args()
    d = tempfile.mkdtemp(prefix="servarr-bench-orphans-")
    try:
        t0 = time.time()
        ports, root, key, orphans = build(d, args.torrents, args.files, args.orphans)
        print("lab: %d torrents, %d files, %d orphans, built in %.1fs"
              % (args.torrents, args.files, len(orphans), time.time() - t0))
        proxies = dict((k, DelayProxy(ports[k], args.latency_ms / 1000.0)) for k in ("https", "ssh"))
        for proxy in proxies.values():
            proxy.start()
            proxy.ready.wait()
        known = os.path.join(d, "known_hosts.proxy")
        pub = open(os.path.join(d, "ssh_host_ed25519_key.pub")).read().split()
        with open(known, "w") as handle:
            handle.write("[127.0.0.1]:%d %s %s\n" % (proxies["ssh"].port, pub[0], pub[1]))
        ssh_args = dict(host="127.0.0.1", port=proxies["ssh"].port, username=lab.getpass.getuser(), key_file=key,
                        known_hosts=known)
        rt_url = "https://localhost:%d/rutorrent/plugins/httprpc/action.php" % proxies["https"].port
        ca = os.path.join(d, "tls.crt")
        quarantine = os.path.join(root, ".servarr-quarantine")

        base_cli, base_py, ours_check, sftp_check = [], [], [], []
        for _n in range(args.repeat):
            seconds, entries = ssh_find_full(proxies["ssh"].port, key, known, root)
            base_cli.append(seconds)
            seconds, _entries = paramiko_find(ssh_args, root)
            base_py.append(seconds)
            seconds, result = sweep_once(d, rt_url, ca, ssh_args, root, "auto", True, "check")
            ours_check.append(seconds)
            assert len(result["moved"]) == len(orphans), (len(result["moved"]), result["partial"])
        check_result = result
        print("baseline, one `ssh find` (OpenSSH client):   %.2fs  (%d entries, 1 command)"
              % (statistics.median(base_cli), entries))
        print("baseline, one find over a paramiko login:   %.2fs" % statistics.median(base_py))
        print("ours, shell, check mode (list + decide):    %.2fs  (%d SSH round trip(s), %d rTorrent requests, "
              "%d orphans found)" % (statistics.median(ours_check), check_result["listing"]["round_trips"],
                                     check_result["listing"]["rtorrent_requests"], len(check_result["orphans"])))
        seconds, real = sweep_once(d, rt_url, ca, ssh_args, root, "auto", False, "real")
        moved = [m for m in real["moved"] if m["outcome"] == "moved"]
        assert len(moved) == len(orphans), (len(moved), real["partial"])
        print("ours, shell, real run (+ %d moves):        %.2fs  (%d SSH round trips, %d rTorrent requests)"
              % (len(moved), seconds, real["listing"]["round_trips"], real["listing"]["rtorrent_requests"]))
        real_s = seconds
        base = statistics.median(base_cli)
        print("ratio, shell: check %.2fx, real %.2fx of one `ssh find` (target <= 1.5x)"
              % (statistics.median(ours_check) / base, real_s / base))
        restore(root, quarantine)
        if args.sftp:
            seconds, result = sweep_once(d, rt_url, ca, ssh_args, root, "sftp", True, "sftp-check")
            assert len(result["moved"]) == len(orphans), (len(result["moved"]), result["partial"])
            print("ours, SFTP only, check mode:               %.2fs  (%d SFTP listdirs, %.1fx of one `ssh find`)"
                  % (seconds, result["listing"]["round_trips"], seconds / base))
            if args.sftp_real:
                seconds, result = sweep_once(d, rt_url, ca, ssh_args, root, "sftp", False, "sftp-real")
                print("ours, SFTP only, real run:                 %.2fs  (%d SFTP requests, %.1fx)"
                      % (seconds, result["listing"]["round_trips"], seconds / base))
    finally:
        lab.stop(d)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
