# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make real .torrent files (BitTorrent v1 metainfo) for data that is already on disk.

A few lines of bencode instead of a dependency: the lab and the benchmark create thousands of tiny torrents
whose data is in place, so rTorrent hash-checks them straight into the seeding state.
"""
import hashlib
import os


def bencode(value):
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode("utf-8")
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode("utf-8") if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError("cannot bencode %r" % type(value))


def _pieces(paths, piece_length):
    pieces = []
    buf = b""
    for path in paths:
        with open(path, "rb") as handle:
            while True:
                chunk = handle.read(piece_length - len(buf))
                if not chunk:
                    break
                buf += chunk
                if len(buf) == piece_length:
                    pieces.append(hashlib.sha1(buf).digest())
                    buf = b""
    if buf:
        pieces.append(hashlib.sha1(buf).digest())
    return b"".join(pieces)


def make_torrent(path, piece_length=16384, source=None, tracker="http://127.0.0.1:9/announce"):
    """Return (info_hash_upper, metainfo_bytes) for a file or a folder at ``path``.

    ``source`` goes into the info dict, so the same data gives another info-hash (what cross-seed tools do).
    """
    name = os.path.basename(os.path.normpath(path))
    info = {"name": name, "piece length": piece_length}
    if os.path.isdir(path):
        files = []
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for fname in sorted(names):
                full = os.path.join(root, fname)
                rel = os.path.relpath(full, path).split(os.sep)
                files.append((rel, full))
        info["files"] = [{"length": os.path.getsize(full), "path": rel} for rel, full in files]
        info["pieces"] = _pieces([full for _rel, full in files], piece_length)
    else:
        info["length"] = os.path.getsize(path)
        info["pieces"] = _pieces([path], piece_length)
    if source:
        info["source"] = source
    info_hash = hashlib.sha1(bencode(info)).hexdigest().upper()
    return info_hash, bencode({"announce": tracker, "info": info})
