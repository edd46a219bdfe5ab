#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: servarr_preflight
short_description: Check that the seedbox, Radarr/Sonarr, Jellyfin and the local folders fit together
version_added: 0.3.0
description:
  - A read-only check of the whole chain before the first dry run, one result per check (V(ok), V(warning) or
    V(failure)), each naming what it found, what it expected and the option to change. Fails when any check
    fails; changes nothing, in check mode or not.
  - B(rTorrent) - reachable (TLS verified unless told otherwise), the authentication the server asks for, the
    version, every command this collection sends answered, and the data of every loaded torrent under
    O(download_root).
  - B(Seedbox over SFTP) (when O(sftp_host) is set) - the host key matches the pinned one, the login works,
    O(download_root) and O(remote_dir) exist as the SFTP account sees them, and whether C(sha256sum) runs there.
  - B(Radarr/Sonarr), each instance - the key works, the version; an enabled rTorrent download client pointing at
    the host of O(rtorrent_url); Completed Download Handling on; a remote path mapping from O(remote_dir) (the
    seedbox's path) to O(dest) (where the sync delivers), unless the two are the same path; root folders
    accessible.
  - B(Jellyfin) - the key is an administrator's; every Radarr/Sonarr root folder and every O(library_roots) entry
    lies in a Jellyfin library through O(jellyfin_path_map).
  - B(Local folders) - O(staging_dir) and O(dest) exist, are writable and on one file system (so the hand-off is
    a rename); no two of the folders overlap; every library root is mounted (not empty, the O(anchor_file)
    there); the state folder is usable.
  - A fixed number of requests per service (no request per title or torrent) - 3 to rTorrent, 5 per Radarr/Sonarr
    instance, 1 to Jellyfin, one SSH login.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.rtorrent
  - mediaops.servarr.sftp
  - mediaops.servarr.arr
  - mediaops.servarr.jellyfin
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
  - mediaops.servarr.attributes.READ_ONLY
options:
  download_root:
    description:
      - The folder on the seedbox where rTorrent keeps its data (the purge's O(mediaops.servarr.rtorrent_purge#module:download_root)).
    type: str
  remote_dir:
    description:
      - The seedbox folder of finished downloads the sync fetches from (the sync's
        O(mediaops.servarr.lftp_mirror#module:remote_dir)); what Radarr/Sonarr see as the download's path.
    type: str
  staging_dir:
    description:
      - The sync's local staging folder.
    type: path
  dest:
    description:
      - The local folder Radarr/Sonarr import from, where the sync delivers.
    type: path
  library_roots:
    description:
      - The library folders the extras clean-up works in.
    type: list
    elements: path
    default: []
  anchor_file:
    description:
      - A file that must exist in every O(library_roots) entry (the clean-up's own setting).
    type: str
  jellyfin_path_map:
    description:
      - Prefixes from this host's paths (C(from)) to Jellyfin's (C(to)), as for
        M(mediaops.servarr.jellyfin_refresh).
    type: list
    elements: dict
    default: []
    suboptions:
      from:
        description: A path prefix as this host sees it.
        type: str
        required: true
      to:
        description: The same place as Jellyfin sees it.
        type: str
        required: true
  state_dir:
    description:
      - The jobs' state folder.
    type: path
    default: /var/lib/servarr
  check_sha256:
    description:
      - Try C(sha256sum --version) over SSH to learn whether checksums can be computed on the seedbox.
    type: bool
    default: true
seealso:
  - module: mediaops.servarr.lftp_mirror
  - module: mediaops.servarr.rtorrent_purge
  - module: mediaops.servarr.jellyfin_refresh
"""

EXAMPLES = r"""
- name: Check every service and folder before the first dry run
  mediaops.servarr.servarr_preflight:
    rtorrent_url: https://seedbox.example.com/rutorrent/plugins/httprpc/action.php
    rtorrent_username: seeduser
    rtorrent_password: "{{ vault_rtorrent_password }}"
    sftp_host: seedbox.example.com
    sftp_username: seeduser
    sftp_key_file: /etc/servarr/seedbox_ed25519
    sftp_known_hosts: /etc/servarr/known_hosts
    download_root: /home/seeduser/downloads
    remote_dir: /home/seeduser/downloads/completed
    staging_dir: /mnt/media/downloads/_staging
    dest: /mnt/media/downloads/_done
    instances:
      - {name: radarr, type: radarr, url: "http://127.0.0.1:7878", api_key_file: /opt/arr-stack/radarr/config.xml}
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    jellyfin_path_map: [{from: /mnt/media, to: /media}]
    library_roots: [/mnt/media/movies, /mnt/media/series]
"""

RETURN = r"""
checks:
  description: Every check, in order.
  returned: always
  type: list
  elements: dict
  contains:
    area:
      description: What was checked (C(rtorrent), C(sftp), C(radarr NAME), C(sonarr NAME), C(jellyfin), C(local)).
      type: str
    check:
      description: The check's name.
      type: str
    status:
      description: V(ok), V(warning) or V(failure).
      type: str
    message:
      description: What was found and, when not ok, what to change.
      type: str
  sample:
    - area: radarr radarr
      check: remote path mapping
      status: failure
      message: radarr maps the seedbox's /home/seeduser/downloads/completed to /downloads, but the sync delivers
        to dest /mnt/media/downloads/_done; change the remote path mapping's local path to /mnt/media/downloads/_done
lines:
  description: One line per check (status, area, check and message), for a person to read.
  returned: always
  type: list
  elements: str
  sample:
    - "ok       rtorrent - reachable: rTorrent 0.9.8 at https://seedbox.example.com/RPC2 answers (HTTP Digest authentication)"
failures:
  description: How many checks failed.
  returned: always
  type: int
  sample: 1
warnings_count:
  description: How many checks passed with a warning.
  returned: always
  type: int
  sample: 0
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    arr_client, arr_instances_spec, jellyfin_argument_spec, jellyfin_client, rtorrent_argument_spec,
    rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import preflight as decide
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import preflight as gather
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError


def run(module):
    p = module.params
    checks = decide.local_checks(gather.local_facts(
        staging_dir=p["staging_dir"], dest=p["dest"], library_roots=p["library_roots"],
        anchor_file=p["anchor_file"], state_dir=p["state_dir"]))

    try:
        client = rtorrent_client(module)
    except ServiceError as exc:
        checks += [decide.check("rtorrent", "reachable", decide.FAILURE, str(exc))]
    else:
        try:
            checks += decide.rtorrent_checks(gather.rtorrent_facts(client), download_root=p["download_root"])
        finally:
            client.close()

    if p["sftp_host"]:
        from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import connect

        def login():
            return connect(timeout=30, **sftp_connection_args(module))
        checks += decide.sftp_checks(gather.sftp_facts(login, p["sftp_host"], download_root=p["download_root"],
                                                       remote_dir=p["remote_dir"], check_sha256=p["check_sha256"]),
                                     download_root=p["download_root"], remote_dir=p["remote_dir"])

    root_folders = []
    for instance in p["instances"]:
        try:
            arr = arr_client(instance)
        except (ServiceError, OSError, ValueError) as exc:
            checks.append(decide.check("%s %s" % (instance["type"], instance["name"]), "reachable", decide.FAILURE,
                                       str(exc)))
            continue
        try:
            facts = gather.arr_facts(instance, arr)
        finally:
            arr.close()
        checks += decide.arr_checks(facts, rtorrent_url=p["rtorrent_url"], remote_dir=p["remote_dir"],
                                    dest=p["dest"])
        root_folders += [(instance["name"], f.get("path")) for f in facts.get("root_folders") or [] if f.get("path")]

    try:
        jellyfin = jellyfin_client(module)
    except ServiceError as exc:
        checks.append(decide.check("jellyfin", "administrator key", decide.FAILURE, str(exc)))
    else:
        try:
            checks += decide.jellyfin_checks(gather.jellyfin_facts(jellyfin), root_folders,
                                             p["jellyfin_path_map"], p["library_roots"])
        finally:
            jellyfin.close()
    return checks


def main():
    argument_spec = dict(
        download_root=dict(type="str"),
        remote_dir=dict(type="str"),
        staging_dir=dict(type="path"),
        dest=dict(type="path"),
        library_roots=dict(type="list", elements="path", default=[]),
        anchor_file=dict(type="str"),
        jellyfin_path_map=dict(type="list", elements="dict", default=[], options=dict(
            **{"from": dict(type="str", required=True), "to": dict(type="str", required=True)})),
        state_dir=dict(type="path", default="/var/lib/servarr"),
        check_sha256=dict(type="bool", default=True),
    )
    argument_spec.update(rtorrent_argument_spec())
    argument_spec.update(sftp_argument_spec())
    argument_spec.update(arr_instances_spec(required=True))
    argument_spec.update(jellyfin_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    checks = run(module)
    failures = [c for c in checks if c["status"] == decide.FAILURE]
    warnings = [c for c in checks if c["status"] == decide.WARNING]
    for item in warnings:
        module.warn("%s: %s" % (item["area"], item["message"]))
    lines = ["%-8s %s - %s: %s" % (c["status"], c["area"], c["check"], c["message"]) for c in checks]
    result = dict(changed=False, checks=checks, lines=lines, failures=len(failures), warnings_count=len(warnings),
                  msg=decide.summary(checks))
    if failures:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
