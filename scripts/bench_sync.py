# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: lftp_mirror against a plain `lftp mirror` with the same settings, in the same run.

About 2 GB in 40 files (8 release folders: a 240 MiB video and 4 small files each) on a real sshd on 127.0.0.1.
Alternately, --repeat times each:
  * baseline: one `lftp mirror -c -P 6 --use-pget-n=8` of the whole remote folder, with the settings and the ssh
    command lftp_mirror uses (same cipher, same host-key file), into an empty folder;
  * ours: the lftp_mirror module run by ansible-playbook (playbooks/seedbox_sync.yml), fetching every item
    into staging, checking each file and renaming each release into the import folder. Its time is the
    module's own `seconds` (transfer + verification + hand-off); the playbook's wall time is printed too.
    It keeps to its default max_connections (8 SSH logins at once, its own included: two items with 4 and
    3 segments), where the baseline may open up to 48;
  * a second baseline with about the same login budget (`mirror -P 2 --use-pget-n=3`, at most 6), which
    shows the module's own overhead apart from the number of connections.
Prints the medians and the ratio ours / baseline (the target is at most 1.25).

    <venv>/bin/python scripts/bench_sync.py [--repeat 3] [--dir DIR]
"""
import argparse
import json
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
import lab  # noqa: E402

MB = 1024 * 1024


def build(remote):
    block = os.urandom(MB)
    files = 0
    for n in range(8):
        folder = os.path.join(remote, "Release %d (20%02d) 1080p" % (n, n))
        os.makedirs(os.path.join(folder, "Subs"))
        specs = [("Release %d.mkv" % n, 240), ("Release %d.nfo" % n, 1), ("Subs/en.srt", 1), ("Subs/fr.srt", 1),
                 ("sample.mkv", 8)]
        for name, size in specs:
            with open(os.path.join(folder, name), "wb") as handle:
                for dummy in range(size):
                    handle.write(block)
            files += 1
    old = time.time() - 3600
    for folder, dirs, names in os.walk(remote):
        for name in names + dirs:
            os.utime(os.path.join(folder, name), (old, old))
    return files


def plain_lftp(sftp, known_hosts_file, remote, target, files=6, segments=8):
    """The baseline: lftp's own mirror over the whole folder, settings as the module's."""
    sys.path.insert(0, lab.collection_path(tempfile.mkdtemp(prefix="bench-sync-coll-")))
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.lftp import LftpSession

    class Key:
        def __init__(self, line):
            self.kind, self.b64 = line.split()[1:3]

        def get_name(self):
            return self.kind

        def get_base64(self):
            return self.b64

    session = LftpSession("127.0.0.1", sftp["port"], "root", Key(open(known_hosts_file).read()),
                          key_file=sftp["key"], settings={"parallel_files": files, "segments": segments})
    try:
        start = time.perf_counter()
        rc, out, err = session.run(["mirror -c --no-perms --no-symlinks -P %d --use-pget-n=%d %s %s"
                                    % (files, segments, remote, target)])
        elapsed = time.perf_counter() - start
    finally:
        session.close()
    if rc != 0:
        raise SystemExit("plain lftp failed: %s" % err)
    return elapsed


def module_run(work, sftp, remote, staging, dest):
    capture = os.path.join(work, "results.json")
    inventory = os.path.join(work, "inventory.json")
    host = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "servarr_sftp_host": "127.0.0.1", "servarr_sftp_port": sftp["port"], "servarr_sftp_username": "root",
            "servarr_sftp_key_file": sftp["key"], "servarr_sftp_known_hosts": sftp["known_hosts"],
            "servarr_sync_remote_dir": remote, "servarr_sync_staging_dir": staging, "servarr_sync_dest": dest}
    with open(inventory, "w") as handle:
        json.dump({"all": {"children": {"servarr": {"hosts": {"bench": host}}}}}, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=lab.collection_path(work), RESULT_CAPTURE_FILE=capture,
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(REPO, "tests", "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="result_capture", ANSIBLE_HOME=os.path.join(work, "ansible-home"))
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                           os.path.join(REPO, "playbooks", "seedbox_sync.yml")], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("lftp_mirror failed:\n" + proc.stdout[-3000:])
    with open(capture) as handle:
        tasks = json.load(handle)["plays"][0]["tasks"]
    result = next(t["hosts"]["bench"] for t in tasks if t["task"]["name"].startswith("Mirror"))
    return result["seconds"], wall, result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir")
    args = parser.parse_args()
    base = args.dir or tempfile.mkdtemp(prefix="bench-sync-")
    labdir = os.path.join(base, "lab")
    os.makedirs(labdir, exist_ok=True)
    port = lab.free_port()
    key = lab.start_sshd(labdir, port)
    sftp = {"port": port, "key": key, "known_hosts": os.path.join(labdir, "known_hosts")}
    try:
        remote = os.path.join(base, "seedbox")
        files = build(remote)
        size = sum(os.path.getsize(os.path.join(f, n)) for f, d, names in os.walk(remote) for n in names)
        print("seedbox: %d files, %.2f GB on sshd 127.0.0.1:%d" % (files, size / 1e9, port))
        baselines, budget_baselines, ours, walls = [], [], [], []
        for run in range(args.repeat):
            target = os.path.join(base, "plain")
            shutil.rmtree(target, ignore_errors=True)
            baselines.append(plain_lftp(sftp, sftp["known_hosts"], remote, target))
            shutil.rmtree(target, ignore_errors=True)
            # the same login budget as lftp_mirror's default (7 for lftp): 2 files x 3 segments
            budget_baselines.append(plain_lftp(sftp, sftp["known_hosts"], remote, target, files=2, segments=3))
            shutil.rmtree(target, ignore_errors=True)
            staging, dest = os.path.join(base, "nas", "_staging"), os.path.join(base, "nas", "_done")
            shutil.rmtree(os.path.join(base, "nas"), ignore_errors=True)
            os.makedirs(staging)
            os.makedirs(dest)
            seconds, wall, result = module_run(labdir, sftp, remote, staging, dest)
            assert len(result["fetched"]) == 8 and all(i["verified"] for i in result["fetched"]), result
            ours.append(seconds)
            walls.append(wall)
            print("run %d: plain lftp %.2f s, plain lftp -P 2 -n 3 %.2f s, lftp_mirror %.2f s (playbook %.2f s)"
                  % (run + 1, baselines[-1], budget_baselines[-1], seconds, wall))
        print("lftp_mirror's connections (max_connections default): %s" % json.dumps(result.get("connections")))
        b, o, w = statistics.median(baselines), statistics.median(ours), statistics.median(walls)
        print("baseline  plain lftp mirror -P 6 --use-pget-n=8 : median %.2f s (%.0f MB/s)" % (b, size / b / 1e6))
        print("ours      lftp_mirror (transfer+check+hand-off) : median %.2f s (%.0f MB/s); playbook wall %.2f s"
              % (o, size / o / 1e6, w))
        bb = statistics.median(budget_baselines)
        print("same budget plain lftp mirror -P 2 --use-pget-n=3  : median %.2f s (%.0f MB/s)" % (bb, size / bb / 1e6))
        print("ratio ours/baseline: %.2f (target <= 1.25); ours/same-budget baseline: %.2f" % (o / b, o / bb))
        return 0 if o / b <= 1.25 else 1
    finally:
        lab._kill_pidfile(os.path.join(labdir, "sshd.pid"))
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
