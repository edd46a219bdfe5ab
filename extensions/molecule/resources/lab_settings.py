# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start the lab of real services with its folder inside the test root (ROOT/srv/lab), so the jobs run inside the
root (chroot) reach its files at /srv/lab and its services on 127.0.0.1, and write the jobs' settings for the
role (paths as the root sees them; the seedbox's own paths stay the test machine's, which is what sshd serves).

lab_settings.py start ROOT SETTINGS_JSON   |   lab_settings.py stop ROOT"""
import json
import os
import socket
import sys

REPO = os.environ.get("MOLECULE_PROJECT_DIRECTORY") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

import lab as lab_mod  # noqa: E402  pylint: disable=wrong-import-position
import scenario  # noqa: E402  pylint: disable=wrong-import-position

LAB = "srv/lab"
REMOTE = ("servarr_sync_remote_dir", "servarr_seedbox_download_root")  # paths on the seedbox (sshd): unchanged
STATE = {  # written by the jobs: under the role's state folder
    "servarr_purge_journal": "/var/lib/servarr/purge-journal.jsonl",
    "servarr_sync_state_file": "/var/lib/servarr/lftp_mirror.json",
    "servarr_jellyfin_checkpoint": "/var/lib/servarr/jellyfin.checkpoint.json",
}


def inside(root, value):
    if isinstance(value, str) and value.startswith(root + "/"):
        return value[len(root):]
    if isinstance(value, list):
        return [inside(root, item) for item in value]
    if isinstance(value, dict):
        return dict((key, inside(root, item)) for key, item in value.items())
    return value


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def start(root, settings_path):
    root = os.path.realpath(root)
    info = lab_mod.start(os.path.join(root, LAB))
    host = lab_mod.inventory(info)["all"]["children"]["servarr"]["hosts"]["lab"]
    settings = {}
    for key, value in host.items():
        if key.startswith("ansible_") or key == "servarr_sftp_key_file":
            continue
        settings[key] = value if key in REMOTE else inside(root, value)
    settings.update(STATE)
    # Radarr and Sonarr set up for this seedbox as a user would (download client, remote path mapping to the import
    # folder as the root sees it, root folders in Jellyfin's libraries), so the preflight job passes against the lab
    nas = inside(root, info["nas"])
    for kind, folder in (("radarr", "movies"), ("sonarr", "series")):
        path = info[kind]["state"]
        with open(path) as handle:
            state = json.load(handle)
        state.update(scenario.arr_settings(kind, "127.0.0.1", info["download_root"], nas + "/_done",
                                           [nas + "/" + folder]))
        with open(path + ".new", "w") as handle:
            json.dump(state, handle)
        os.replace(path + ".new", path)   # a new inode: the double reloads it
    settings["servarr_jellyfin_path_map"] = [{"from": nas, "to": "/media"}]
    out = {
        "settings": settings,
        "sftp_key": info["sftp"]["key_file"],
        "secrets": [info["rtorrent_password"], info["radarr"]["api_key"], info["sonarr"]["api_key"],
                    info["jellyfin"]["api_key"]],
        "ntfy_port": free_port(),
        "ntfy_token": "tk_" + os.urandom(12).hex(),
        "nas": inside(root, info["nas"]),
    }
    with open(settings_path, "w") as handle:
        json.dump(out, handle, indent=2)


def main():
    if sys.argv[1] == "start":
        start(sys.argv[2], sys.argv[3])
    else:
        lab_mod.stop(os.path.join(os.path.realpath(sys.argv[2]), LAB))


if __name__ == "__main__":
    main()
