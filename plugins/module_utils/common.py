# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs shared by the modules; they mirror the doc fragments in plugins/doc_fragments."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.basic import env_fallback


def rtorrent_argument_spec():
    return dict(
        rtorrent_url=dict(type="str", required=True, fallback=(env_fallback, ["RTORRENT_URL"])),
        rtorrent_username=dict(type="str", fallback=(env_fallback, ["RTORRENT_USERNAME"])),
        rtorrent_password=dict(type="str", no_log=True, fallback=(env_fallback, ["RTORRENT_PASSWORD"])),
        rtorrent_validate_certs=dict(type="bool", default=True),
        rtorrent_ca_path=dict(type="path"),
        rtorrent_timeout=dict(type="int", default=60),
        rtorrent_allow_basic_over_http=dict(type="bool", default=False),
    )


def warn_plain_http(module, url, option, what):
    """Credentials over http:// to another host cross the network readable: say so (loopback is this host)."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import is_loopback
    from ansible.module_utils.six.moves.urllib.parse import urlsplit
    parts = urlsplit(url or "")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        module.warn("%s %s is plain http:// to another host: %s crosses the network readable; use https://"
                    % (option, url, what))


def rtorrent_client(module):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient
    params = module.params
    if params["rtorrent_username"]:
        warn_plain_http(module, params["rtorrent_url"], "rtorrent_url", "the rTorrent login")
    return RTorrentClient(params["rtorrent_url"], username=params["rtorrent_username"],
                          password=params["rtorrent_password"], validate_certs=params["rtorrent_validate_certs"],
                          ca_path=params["rtorrent_ca_path"], timeout=params["rtorrent_timeout"],
                          ca_option="rtorrent_ca_path",
                          allow_basic_over_http=params.get("rtorrent_allow_basic_over_http", False))


def _check_ca_file(path, option):
    """A CA file option that names nothing usable is a configuration error: say which option."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
    if path and not os.path.isfile(path):
        raise ServiceError("%s %s does not exist or is not a file" % (option, path))


def sftp_argument_spec():
    return dict(
        sftp_host=dict(type="str"),
        sftp_port=dict(type="int", default=22),
        sftp_username=dict(type="str"),
        sftp_password=dict(type="str", no_log=True),
        sftp_key_file=dict(type="path"),
        sftp_known_hosts=dict(type="path"),
        sftp_host_fingerprint=dict(type="str"),
        sftp_accept_new_host_key=dict(type="bool", default=False),
    )


def sftp_connection_args(module):
    """Keyword arguments for ssh.connect (and SftpRemover) from the sftp_* options. In check mode a new host
    key accepted with sftp_accept_new_host_key is trusted for the run but not written to known_hosts."""
    params = module.params
    return dict(host=params["sftp_host"], port=params["sftp_port"], username=params["sftp_username"],
                password=params["sftp_password"], key_file=params["sftp_key_file"],
                known_hosts=params["sftp_known_hosts"], host_fingerprint=params["sftp_host_fingerprint"],
                accept_new=params["sftp_accept_new_host_key"], save_new_key=not module.check_mode)


def arr_instances_spec(required=True):
    return dict(
        instances=dict(type="list", elements="dict", required=required, options=dict(
            name=dict(type="str", required=True),
            type=dict(type="str", required=True, choices=["radarr", "sonarr"]),
            url=dict(type="str", required=True),
            api_key=dict(type="str", no_log=True),
            api_key_file=dict(type="path"),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=30),
        ), mutually_exclusive=[("api_key", "api_key_file")], required_one_of=[("api_key", "api_key_file")]),
    )


def arr_client(instance):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import ArrClient, api_key_from_config_xml
    key = instance["api_key"] or api_key_from_config_xml(instance["api_key_file"])
    option = "ca_path of instance %s" % instance["name"]
    _check_ca_file(instance["ca_path"], option)
    client = ArrClient(instance["name"], instance["type"], instance["url"], key,
                       validate_certs=instance["validate_certs"], ca_path=instance["ca_path"],
                       timeout=instance["timeout"])
    client.http.ca_option = option
    return client


def jellyfin_argument_spec():
    return dict(
        jellyfin_url=dict(type="str", required=True, fallback=(env_fallback, ["JELLYFIN_URL"])),
        jellyfin_api_key=dict(type="str", required=True, no_log=True, fallback=(env_fallback, ["JELLYFIN_API_KEY"])),
        jellyfin_validate_certs=dict(type="bool", default=True),
        jellyfin_ca_path=dict(type="path"),
        jellyfin_timeout=dict(type="int", default=30),
    )


def jellyfin_client(module):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import JellyfinClient
    params = module.params
    warn_plain_http(module, params["jellyfin_url"], "jellyfin_url", "Jellyfin's administrator API key")
    _check_ca_file(params["jellyfin_ca_path"], "jellyfin_ca_path")
    client = JellyfinClient(params["jellyfin_url"], params["jellyfin_api_key"],
                            validate_certs=params["jellyfin_validate_certs"], ca_path=params["jellyfin_ca_path"],
                            timeout=params["jellyfin_timeout"])
    client.http.ca_option = "jellyfin_ca_path"
    return client


def prowlarr_argument_spec():
    return dict(
        prowlarr_url=dict(type="str", fallback=(env_fallback, ["PROWLARR_URL"])),
        prowlarr_api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["PROWLARR_API_KEY"])),
        prowlarr_api_key_file=dict(type="path"),
        prowlarr_validate_certs=dict(type="bool", default=True),
        prowlarr_ca_path=dict(type="path"),
        prowlarr_timeout=dict(type="int", default=120),
    )


def prowlarr_client(module, min_interval=2.0):
    """The Prowlarr client, or None when ``prowlarr_url`` is not set."""
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.arr import api_key_from_config_xml
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.prowlarr import ProwlarrClient, ProwlarrError
    params = module.params
    if not params["prowlarr_url"]:
        return None
    if params["prowlarr_api_key"] and params["prowlarr_api_key_file"]:
        raise ProwlarrError("give prowlarr_api_key or prowlarr_api_key_file, not both")
    key = params["prowlarr_api_key"]
    if not key:
        if not params["prowlarr_api_key_file"]:
            raise ProwlarrError("prowlarr_url is set: give prowlarr_api_key or prowlarr_api_key_file")
        key = api_key_from_config_xml(params["prowlarr_api_key_file"])
    _check_ca_file(params["prowlarr_ca_path"], "prowlarr_ca_path")
    client = ProwlarrClient(params["prowlarr_url"], key, validate_certs=params["prowlarr_validate_certs"],
                            ca_path=params["prowlarr_ca_path"], timeout=params["prowlarr_timeout"],
                            min_interval=min_interval)
    client.http.ca_option = "prowlarr_ca_path"
    return client
