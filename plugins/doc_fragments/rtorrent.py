# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  rtorrent_url:
    description:
      - rTorrent XML-RPC endpoint.
      - A seedbox's ruTorrent C(https://host/rutorrent/plugins/httprpc/action.php) or a web server's
        C(https://host/RPC2); HTTP Digest or Basic authentication is chosen from the server's challenge
        and the connection is kept alive for every call of the task.
      - C(scgi://127.0.0.1:5000) or C(scgi:///run/rtorrent.sock) for an rTorrent on the managed host.
      - An C(https://) or C(http://) endpoint is reached through the proxy the environment names (E(https_proxy),
        E(http_proxy), an C(https://) one through a C(CONNECT) tunnel), unless E(no_proxy) names the host.
      - If not set, the value of the E(RTORRENT_URL) environment variable is used.
    type: str
    required: true
  rtorrent_username:
    description:
      - User name for the web server in front of rTorrent. Not used with C(scgi://).
      - If not set, the value of the E(RTORRENT_USERNAME) environment variable is used.
    type: str
  rtorrent_password:
    description:
      - Password for O(rtorrent_username). Never logged.
      - If not set, the value of the E(RTORRENT_PASSWORD) environment variable is used.
    type: str
  rtorrent_validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) endpoint.
      - Give the seedbox's CA with O(rtorrent_ca_path) instead of switching this off.
    type: bool
    default: true
  rtorrent_ca_path:
    description:
      - PEM file of the certificate authority (or the self-signed certificate) that signed the seedbox's
        certificate.
    type: path
  rtorrent_timeout:
    description:
      - Seconds to wait for rTorrent to answer one request.
    type: int
    default: 60
  rtorrent_allow_basic_over_http:
    description:
      - Answer a server that asks for HTTP Basic authentication over plain C(http://) to another host, which sends
        the password readable to anyone on the way. Off by default - use C(https://). Basic is never sent after
        Digest was agreed (a downgrade), and always allowed to this host's own loopback address.
    type: bool
    default: false
    version_added: 0.3.0
"""
