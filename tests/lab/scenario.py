# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the lab holds: torrents on the seedbox and what Radarr/Sonarr know about them.

Every case the purge must get right is here once, by key:
  movie_a      imported by Radarr, seeding                         -> purged
  movie_b      imported, completed and then stopped               -> purged (the `seeding` view misses it)
  movie_lower  imported, history downloadId in lower case          -> purged
  movie_old    imported, the import is on page 3 of 2,500 records  -> purged
  movie_regrab imported, then grabbed again, not re-imported       -> kept
  xseed_orig   imported; its cross-seed sibling shares the data    -> torrent purged, data kept
  xseed_copy   cross-seed of xseed_orig, never in any history       -> kept
  show_pack    season pack, two episodes imported, still queued    -> kept
  show_done    season pack, fully imported, out of the queue       -> purged
  not_imported nothing in history                                  -> kept
  incomplete   grabbed, data partly missing (hash check fails)     -> kept
plus usenet download ids and history filler that match no torrent.
"""
import hashlib
import os
import random
import time
from datetime import datetime, timezone

TORRENTS = [
    {"key": "movie_a", "name": "Movie.A.2020.1080p.BluRay.x264-GRP",
     "files": {"Movie.A.2020.1080p.mkv": 300000, "movie.a.nfo": 900}, "label": "radarr"},
    {"key": "movie_b", "name": "Movie.B.2021.720p.WEB.mkv", "size": 120000, "label": "radarr"},
    {"key": "movie_lower", "name": "Movie.Lower.2019.1080p", "files": {"Movie.Lower.2019.mkv": 90000},
     "label": "radarr"},
    {"key": "movie_old", "name": "Movie.Old.1999.DVDRip",
     "files": {"Movie.Old.1999.avi": 70000, "Subs/eng.srt": 500}, "label": "radarr"},
    {"key": "movie_regrab", "name": "Movie.Regrab.2022.2160p", "files": {"Movie.Regrab.2022.mkv": 80000},
     "label": "radarr"},
    {"key": "xseed_orig", "name": "Movie.Shared.2018.1080p", "files": {"Movie.Shared.2018.mkv": 150000},
     "label": "radarr"},
    {"key": "xseed_copy", "name": "Movie.Shared.2018.1080p", "files": {"Movie.Shared.2018.mkv": 150000},
     "label": "cross-seed", "source": "other-tracker"},
    {"key": "show_pack", "name": "Show.Pack.S01.1080p.WEB", "files": dict(
        ("Show.Pack.S01E%02d.mkv" % e, 40000) for e in range(1, 5)), "label": "sonarr"},
    {"key": "show_done", "name": "Show.Done.S02.720p.HDTV", "files": dict(
        ("Show.Done.S02E%02d.mkv" % e, 30000) for e in range(1, 4)), "label": "sonarr"},
    {"key": "not_imported", "name": "Not.Imported.Yet.2023.1080p", "files": {"Not.Imported.Yet.mkv": 60000},
     "label": "radarr"},
    {"key": "incomplete", "name": "Incomplete.Download.2024", "files": {"Incomplete.Download.2024.mkv": 200000},
     "label": "radarr", "corrupt": True},
]
STOP_AFTER_CHECK = ["movie_b"]
EXPECTED_PURGED = ["movie_a", "movie_b", "movie_lower", "movie_old", "xseed_orig", "show_done"]
EXPECTED_KEPT = ["movie_regrab", "xseed_copy", "show_pack", "not_imported", "incomplete"]


def write_data(path, spec):
    rng = random.Random(spec["key"])
    if "size" in spec:
        with open(path, "wb") as handle:
            handle.write(rng.randbytes(spec["size"]))
        return
    for rel, size in spec["files"].items():
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as handle:
            handle.write(rng.randbytes(size))


def corrupt(path):
    """Overwrite the start of the first file so its pieces fail the hash check (an incomplete download)."""
    target = path
    if os.path.isdir(path):
        target = os.path.join(path, sorted(os.listdir(path))[0])
    with open(target, "r+b") as handle:
        handle.write(b"\0" * 65536)


def iso(ts):
    """.NET-style UTC date as Radarr/Sonarr write it."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


QUALITY_RADARR = {"quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080,
                              "modifier": "none"}, "revision": {"version": 1, "real": 0, "isRepack": False}}
QUALITY_SONARR = {"quality": {"id": 3, "name": "WEBDL-1080p", "source": "web", "resolution": 1080},
                  "revision": {"version": 1, "real": 0, "isRepack": False}}
LANGUAGES = [{"id": 1, "name": "English"}]


def history_record(kind, rec_id, event, download_id, ts, title, item_id, data=None):
    record = {"id": rec_id, "sourceTitle": title, "languages": LANGUAGES,
              "quality": QUALITY_RADARR if kind == "radarr" else QUALITY_SONARR, "customFormats": [],
              "customFormatScore": 0, "qualityCutoffNotMet": False, "date": iso(ts), "eventType": event,
              "data": data or {}}
    if download_id is not None:  # null fields are left out, as the apps do
        record["downloadId"] = download_id
    if kind == "radarr":
        record["movieId"] = item_id
    else:
        record["seriesId"] = item_id
        record["episodeId"] = item_id * 100 + rec_id % 100
    return record


def queue_record(kind, rec_id, download_id, title, item_id, state, output_path, episode=None):
    record = {"id": rec_id, "languages": LANGUAGES, "quality": QUALITY_RADARR if kind == "radarr" else QUALITY_SONARR,
              "customFormats": [], "customFormatScore": 0, "size": 160000.0, "title": title, "status": "completed",
              "trackedDownloadStatus": "warning" if state == "importBlocked" else "ok",
              "trackedDownloadState": state, "statusMessages": [], "downloadId": download_id, "protocol": "torrent",
              "downloadClient": "rTorrent", "downloadClientHasPostImportCategory": False, "indexer": "Lab",
              "outputPath": output_path, "sizeleft": 0.0, "added": iso(time.time() - 86400)}
    if kind == "radarr":
        record["movieId"] = item_id
    else:
        record.update(seriesId=item_id, episodeId=episode or 1, seasonNumber=1, episodeHasFile=False)
    return record


def _fake_hash(n):
    return hashlib.sha1(b"filler-%d" % n).hexdigest().upper()


def arr_states(torrents, filler=2500):
    """Radarr and Sonarr states for the loaded torrents (``{key: {hash, name, data_path}}``)."""
    now = time.time()
    radarr, sonarr = [], []
    rid = [0]

    def add(lst, kind, event, h, ts, title, item, data=None):
        rid[0] += 1
        lst.append(history_record(kind, rid[0], event, h, ts, title, item, data))

    def imported(lst, kind, key, item, grab_ts, import_ts, download_id=None, path="/mnt/media/movies/x.mkv"):
        t = torrents[key]
        h = download_id or t["hash"]
        add(lst, kind, "grabbed", h, grab_ts, t["name"], item, {"indexer": "Lab", "downloadClient": "rTorrent"})
        add(lst, kind, "downloadFolderImported", h, import_ts, t["name"], item,
            {"droppedPath": t["data_path"], "importedPath": path, "downloadClient": "rTorrent"})

    day = 86400
    imported(radarr, "radarr", "movie_a", 1, now - 3 * day, now - 3 * day + 3600)
    imported(radarr, "radarr", "movie_b", 2, now - 2 * day, now - 2 * day + 3600)
    imported(radarr, "radarr", "movie_lower", 3, now - 2 * day, now - 2 * day + 600,
             download_id=torrents["movie_lower"]["hash"].lower())
    imported(radarr, "radarr", "movie_old", 4, now - 400 * day, now - 399 * day)
    imported(radarr, "radarr", "movie_regrab", 5, now - 5 * day, now - 5 * day + 600)
    add(radarr, "radarr", "grabbed", torrents["movie_regrab"]["hash"], now - 3600, "Movie.Regrab.2022.2160p", 5,
        {"indexer": "Lab"})
    imported(radarr, "radarr", "xseed_orig", 6, now - 4 * day, now - 4 * day + 600)
    add(radarr, "radarr", "grabbed", torrents["incomplete"]["hash"], now - 7200, "Incomplete.Download.2024", 7)
    # usenet and blackhole ids are not info-hashes and must be ignored
    add(radarr, "radarr", "grabbed", "SABnzbd_nzo_1a2b3c", now - day, "Usenet.Movie.2020", 8)
    add(radarr, "radarr", "downloadFolderImported", "SABnzbd_nzo_1a2b3c", now - day + 60, "Usenet.Movie.2020", 8,
        {"importedPath": "/mnt/media/movies/Usenet Movie (2020)/Usenet Movie (2020).mkv",
         "droppedPath": "/downloads/usenet/Usenet.Movie.2020/u.mkv", "downloadClient": "SABnzbd"})
    add(radarr, "radarr", "downloadFolderImported", None, now - day + 120, "Manual.Import.2020", 9,
        {"importedPath": "/mnt/media/movies/Manual Import (2020)/Manual Import (2020).mkv",
         "droppedPath": "/mnt/media/downloads/_done/Manual.Import.2020/m.mkv"})
    # filler, newer than movie_old's import, so that import lands on page 3 of 1000
    for n in range(filler - len(radarr)):
        event = "grabbed" if n % 2 else "downloadFolderImported"
        add(radarr, "radarr", event, _fake_hash(n), now - 300 * day + n * 60, "Filler.%d" % n, 100 + n)

    pack = torrents["show_pack"]
    for ep in (1, 2):  # one row per episode, as Sonarr writes them
        add(sonarr, "sonarr", "grabbed" if ep == 1 else "downloadFolderImported", pack["hash"],
            now - 2 * day + ep * 60, pack["name"], 1)
    add(sonarr, "sonarr", "downloadFolderImported", pack["hash"], now - 2 * day + 600, pack["name"], 1)
    done = torrents["show_done"]
    add(sonarr, "sonarr", "grabbed", done["hash"], now - 6 * day, done["name"], 2)
    for ep in (1, 2, 3):
        add(sonarr, "sonarr", "downloadFolderImported", done["hash"], now - 6 * day + 600 + ep, done["name"], 2,
            {"droppedPath": done["data_path"], "importedPath": "/mnt/media/series/Show Done/Season 02/E%02d.mkv" % ep})
    queue_sonarr = [queue_record("sonarr", 1000 + ep, pack["hash"], pack["name"], 1, "importPending",
                                 pack["data_path"], episode=ep) for ep in (3, 4)]
    queue_radarr = [queue_record("radarr", 2000, torrents["incomplete"]["hash"], "Incomplete.Download.2024", 7,
                                 "downloading", torrents["incomplete"]["data_path"])]
    return {
        "radarr": {"kind": "radarr", "api_key": hashlib.md5(b"radarr-lab").hexdigest(), "history": radarr,
                   "queue": queue_radarr, "faults": {}},
        "sonarr": {"kind": "sonarr", "api_key": hashlib.md5(b"sonarr-lab").hexdigest(), "history": sonarr,
                   "queue": queue_sonarr, "faults": {}},
    }


def arr_settings(kind, rtorrent_host, remote_dir, local_dir, root_folders, port=443):
    """The settings a correctly configured Radarr/Sonarr holds for this seedbox, as its API answers them: an
    rTorrent download client (the app's field names), a remote path mapping from the seedbox's folder to the
    folder the sync delivers to, its root folders. Merged into an arr double's state."""
    category = "movieCategory" if kind == "radarr" else "tvCategory"

    def field(order, name, value, ftype="textbox"):
        return {"order": order, "name": name, "label": name, "value": value, "type": ftype, "advanced": False,
                "privacy": "normal", "isFloat": False}

    client = {"id": 1, "name": "Seedbox", "enable": True, "protocol": "torrent", "priority": 1,
              "removeCompletedDownloads": False, "removeFailedDownloads": True,
              "implementation": "RTorrent", "implementationName": "rTorrent", "configContract": "RTorrentSettings",
              "infoLink": "https://wiki.servarr.com/%s/supported#rtorrent" % kind, "tags": [],
              "fields": [field(0, "host", rtorrent_host), field(1, "port", port, "number"),
                         field(2, "useSsl", True, "checkbox"), field(3, "urlBase", "rutorrent/plugins/httprpc/action.php"),
                         field(4, "username", "seeduser"), field(5, "password", "********", "password"),
                         field(6, category, kind)]}
    return {
        "download_clients": [client],
        "remote_path_mappings": [{"id": 1, "host": rtorrent_host, "remotePath": remote_dir.rstrip("/") + "/",
                                  "localPath": local_dir.rstrip("/") + "/"}],
        "root_folders": [{"id": i + 1, "path": path, "accessible": True, "freeSpace": 10 ** 12,
                          "unmappedFolders": []} for i, path in enumerate(root_folders)],
    }
