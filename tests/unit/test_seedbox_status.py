# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""seedbox_status: capacity with and without a quota, states, shared data counted once; against the real rTorrent."""
from ansible_collections.mediaops.servarr.plugins.module_utils.runs.seedbox_status import read_torrents, summarize
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient

GB = 10 ** 9


def torrent(name, size, complete=1, state=1, active=1, hashing=0, free=500 * GB, directory="/dl", multi=1):
    return {"hash": name.upper(), "name": name, "directory": "%s/%s" % (directory, name) if multi else directory,
            "is_multi_file": multi, "size_bytes": size, "complete": complete, "state": state, "is_active": active,
            "hashing": hashing, "free_diskspace": free}


def test_states_and_shared_data_counted_once():
    torrents = [torrent("a", 10 * GB), torrent("a", 10 * GB),  # a cross-seed of the same folder
                torrent("b", 5 * GB, complete=0, free=400 * GB), torrent("c", 1 * GB, state=0, free=0), torrent("d", 2 * GB, active=0),
                torrent("e", 3 * GB, hashing=1, free=0)]
    s = summarize(torrents)
    assert s["torrents"] == {"seeding": 2, "downloading": 1, "stopped": 1, "paused": 1, "checking": 1, "total": 6}
    assert s["used_bytes"] == 21 * GB and s["free_bytes"] == 400 * GB and s["size_bytes"] == 421 * GB
    assert s["quota_bytes"] is None and s["used_ratio"] == round(21 / 421.0, 4)


def test_quota_is_the_size_and_free_never_exceeds_the_disk():
    s = summarize([torrent("a", 248 * GB, free=1800 * GB)], quota_bytes=750 * GB)
    assert s["size_bytes"] == 750 * GB and s["free_bytes"] == 502 * GB and s["used_ratio"] == round(248 / 750.0, 4)
    s = summarize([torrent("a", 248 * GB, free=100 * GB)], quota_bytes=750 * GB)
    assert s["free_bytes"] == 100 * GB and s["disk_free_bytes"] == 100 * GB
    s = summarize([torrent("a", 800 * GB)], quota_bytes=750 * GB)
    assert s["free_bytes"] == 0 and s["used_ratio"] > 1


def test_nothing_loaded_or_started():
    assert summarize([])["free_bytes"] is None and summarize([])["size_bytes"] is None
    assert summarize([torrent("a", GB, state=0, free=0)])["free_bytes"] is None
    s = summarize([], quota_bytes=750 * GB)
    assert s["free_bytes"] == 750 * GB and s["used_ratio"] == 0


def test_real_rtorrent(lab):
    client = RTorrentClient(lab["scgi_url"])
    torrents = read_torrents(client)
    assert client.request_count == 1
    s = summarize(torrents)
    assert s["torrents"]["total"] == len(torrents) > 0
    assert s["torrents"]["seeding"] >= 1 and s["free_bytes"] > 0 and s["used_bytes"] > 0
