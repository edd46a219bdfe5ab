#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

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
  - B(Prowlarr) (when O(prowlarr_url) is set) - reachable and the key works (C(/api/v1/system/status); no search,
    so no indexer is asked).
  - B(ntfy) (when O(ntfy_url) is set) - reachable, the credentials good and the topic readable (C(GET /<topic>/auth),
    which publishes nothing; ntfy has no such check for publishing); a test message only with O(ntfy_test_message).
  - B(Local folders) - O(staging_dir) and O(dest) exist, are writable and on one file system (so the hand-off is
    a rename); O(staging_dir) has room for the largest finished torrent now on the seedbox (in O(remote_dir) when
    any is there) plus O(free_space_reserve_gb); no two of the folders overlap; every library root is mounted (not
    empty, the O(anchor_file) there); the state folder is usable. A folder this run sees read-only (its own
    sandbox under the role) is judged by its owner and mode bits.
  - B(Several seedboxes) - run once per seedbox with O(seedbox_name) (the playbook does), the checks of rTorrent
    and SFTP named C(rtorrent NAME) and C(sftp NAME), every other check made for that seedbox C(... (seedbox NAME));
    O(shared_checks) false leaves out what does not depend on the seedbox (Jellyfin, Prowlarr, ntfy, the library
    roots, the state folder, the instances' own settings) after the first one.
  - A fixed number of requests per service (no request per title or torrent) - 3 to rTorrent, 5 per Radarr/Sonarr
    instance, 1 to Jellyfin, 1 to Prowlarr, 1 to ntfy (2 with O(ntfy_test_message)), one SSH login.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.rtorrent
  - mediaops.servarr.sftp
  - mediaops.servarr.arr
  - mediaops.servarr.jellyfin
  - mediaops.servarr.prowlarr
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
  free_space_reserve_gb:
    description:
      - The space the sync keeps free in O(staging_dir) (its own
        O(mediaops.servarr.lftp_mirror#module:free_space_reserve_gb)), in GB (10^9 bytes). Less free space than
        this is a failure (the sync fetches nothing); less than this plus the largest finished torrent on the
        seedbox a warning (that item may have been fetched already).
    type: float
    default: 1.0
  seedbox_name:
    description:
      - The seedbox's name when there are several (C(servarr_seedboxes)). It goes into the area of the rTorrent
        and SFTP checks and after the name of every other check made for this seedbox.
    type: str
  shared_checks:
    description:
      - Also check what every seedbox shares (Jellyfin, Prowlarr, ntfy, O(library_roots), O(state_dir), each
        instance's version, Completed Download Handling and root folders). The playbook sets it for the first
        seedbox only; the instances' download client and remote path mapping are checked for each.
    type: bool
    default: true
  ntfy_url:
    description:
      - The ntfy topic's URL the failure reports go to (the C(mediaops.servarr.ntfy) callback's C(url)). Without
        it, ntfy is not checked.
    type: str
  ntfy_token:
    description:
      - ntfy access token. Never logged.
    type: str
  ntfy_token_file:
    description:
      - A file whose first line is the access token (a systemd credential under the role).
    type: path
  ntfy_username:
    description:
      - ntfy user (HTTP Basic), instead of a token.
    type: str
  ntfy_password:
    description:
      - The ntfy user's password. Never logged.
    type: str
  ntfy_password_file:
    description:
      - A file whose first line is the password.
    type: path
  ntfy_ca_path:
    description:
      - PEM file of the authority that signed the ntfy server's certificate.
    type: path
  ntfy_timeout:
    description:
      - Seconds to wait for ntfy.
    type: int
    default: 10
  ntfy_test_message:
    description:
      - Also publish one short test message to the topic, which proves the credentials may publish there (the
        read-only check cannot). Never in check mode. The module still reports C(changed=false).
    type: bool
    default: false
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
    prowlarr_url: http://127.0.0.1:9696
    prowlarr_api_key_file: /opt/arr-stack/prowlarr/config.xml
    ntfy_url: https://ntfy.example.com/servarr-alerts
    ntfy_token: "{{ vault_ntfy_token }}"
"""

RETURN = r"""
checks:
  description: Every check, in order.
  returned: always
  type: list
  elements: dict
  contains:
    area:
      description: What was checked (C(rtorrent), C(sftp), C(radarr NAME), C(sonarr NAME), C(jellyfin),
        C(prowlarr), C(ntfy), C(local)); C(rtorrent SEEDBOX) and C(sftp SEEDBOX) with O(seedbox_name).
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
    - "ok       local - free space in staging: staging_dir /mnt/media/downloads/_staging has 812.4 GB free, room for
      the largest finished torrent on the seedbox (61.2 GB)"
    - "ok       prowlarr - reachable: Prowlarr 1.28.2.4885 at http://127.0.0.1:9696 answers with this key"
    - "warning  ntfy - reachable and authorized: https://ntfy.example.com takes the credentials but refuses reading
      the topic (HTTP 403 on /<topic>/auth); ..."
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
    arr_client, arr_instances_spec, jellyfin_argument_spec, jellyfin_client, prowlarr_argument_spec, prowlarr_client,
    rtorrent_argument_spec, rtorrent_client, sftp_argument_spec, sftp_connection_args)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions import preflight as decide
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import preflight as gather
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError

# the checks of an instance that depend on the seedbox: made again for every seedbox
SEEDBOX_CHECKS = ("download client", "remote path mapping")
TEST_MESSAGE = ("mediaops.servarr preflight: this topic receives the jobs' failure reports. (A test message, sent "
                "because ntfy_test_message is true.)")


def _secret(value, path, what):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import read_secret_file
    if value or not path:
        return value
    return read_secret_file(path, what)


def ntfy_part(module):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import NtfyClient
    p = module.params
    wanted = p["ntfy_test_message"] and not module.check_mode
    try:
        client = NtfyClient(p["ntfy_url"], token=_secret(p["ntfy_token"], p["ntfy_token_file"], "token"),
                            username=p["ntfy_username"] or None,
                            password=_secret(p["ntfy_password"], p["ntfy_password_file"], "password"),
                            ca_path=p["ntfy_ca_path"] or None, timeout=p["ntfy_timeout"])
    except ServiceError as exc:
        return decide.ntfy_checks({"error": str(exc)})
    try:
        facts = gather.ntfy_facts(client, TEST_MESSAGE if wanted else None)
    finally:
        client.close()
    return decide.ntfy_checks(facts, test_message=p["ntfy_test_message"], check_mode=module.check_mode)


def run(module):
    p = module.params
    shared = p["shared_checks"]
    local = gather.local_facts(
        staging_dir=p["staging_dir"], dest=p["dest"], library_roots=p["library_roots"] if shared else [],
        anchor_file=p["anchor_file"], state_dir=p["state_dir"] if shared else None)
    checks = decide.local_checks(local)

    try:
        client = rtorrent_client(module)
    except ServiceError as exc:
        checks += [decide.check("rtorrent", "reachable", decide.FAILURE, str(exc))]
    else:
        try:
            rtorrent = gather.rtorrent_facts(client)
        finally:
            client.close()
        checks += decide.rtorrent_checks(rtorrent, download_root=p["download_root"])
        checks += decide.free_space_checks(local, rtorrent, remote_dir=p["remote_dir"],
                                           reserve_gb=p["free_space_reserve_gb"])

    if p["sftp_host"]:
        from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ssh import connect

        def login():
            return connect(timeout=30, **sftp_connection_args(module))
        checks += decide.sftp_checks(gather.sftp_facts(login, p["sftp_host"], download_root=p["download_root"],
                                                       remote_dir=p["remote_dir"], check_sha256=p["check_sha256"]),
                                     download_root=p["download_root"], remote_dir=p["remote_dir"])

    root_folders = []
    for instance in p["instances"]:
        area = "%s %s" % (instance["type"], instance["name"])
        try:
            arr = arr_client(instance)
        except (ServiceError, OSError, ValueError) as exc:
            checks.append(decide.check(area, "reachable", decide.FAILURE, str(exc)))
            continue
        try:
            facts = gather.arr_facts(instance, arr)
        finally:
            arr.close()
        found = decide.arr_checks(facts, rtorrent_url=p["rtorrent_url"], remote_dir=p["remote_dir"], dest=p["dest"])
        if not shared:   # the instance's own settings were checked with the first seedbox
            found = [c for c in found if c["check"] in SEEDBOX_CHECKS or c["status"] == decide.FAILURE]
        checks += found
        root_folders += [(instance["name"], f.get("path")) for f in facts.get("root_folders") or [] if f.get("path")]
    checks = decide.name_seedbox(checks, p["seedbox_name"])
    if not shared:
        return checks

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

    if p["prowlarr_url"]:
        try:
            prowlarr = prowlarr_client(module, min_interval=0)
        except (ServiceError, OSError, ValueError) as exc:
            checks += decide.prowlarr_checks({"error": str(exc)}, p["prowlarr_url"])
        else:
            try:
                checks += decide.prowlarr_checks(gather.prowlarr_facts(prowlarr), prowlarr.http.describe())
            finally:
                prowlarr.close()

    if p["ntfy_url"]:
        checks += ntfy_part(module)
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
        free_space_reserve_gb=dict(type="float", default=1.0),
        seedbox_name=dict(type="str"),
        shared_checks=dict(type="bool", default=True),
        ntfy_url=dict(type="str"),
        ntfy_token=dict(type="str", no_log=True),
        ntfy_token_file=dict(type="path"),
        ntfy_username=dict(type="str"),
        ntfy_password=dict(type="str", no_log=True),
        ntfy_password_file=dict(type="path"),
        ntfy_ca_path=dict(type="path"),
        ntfy_timeout=dict(type="int", default=10),
        ntfy_test_message=dict(type="bool", default=False),
    )
    argument_spec.update(rtorrent_argument_spec())
    argument_spec.update(sftp_argument_spec())
    argument_spec.update(arr_instances_spec(required=True))
    argument_spec.update(jellyfin_argument_spec())
    argument_spec.update(prowlarr_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           mutually_exclusive=[("ntfy_token", "ntfy_token_file"),
                                               ("ntfy_password", "ntfy_password_file")])
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
