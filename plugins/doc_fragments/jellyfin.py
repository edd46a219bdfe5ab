# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  jellyfin_url:
    description:
      - Base URL of Jellyfin, including its base URL if one is set (for example V(http://127.0.0.1:8096) or
        V(https://media.example.com/jellyfin)).
      - If not set, the value of the E(JELLYFIN_URL) environment variable is used.
    type: str
    required: true
  jellyfin_api_key:
    description:
      - An API key (Dashboard > API Keys). Sent in the C(Authorization) header as C(MediaBrowser Token="..."),
        which every current Jellyfin accepts; the legacy C(X-Emby-Token) header is off on current Jellyfin.
        Never logged.
      - If not set, the value of the E(JELLYFIN_API_KEY) environment variable is used.
    type: str
    required: true
  jellyfin_validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) URL. Prefer O(jellyfin_ca_path) to turning this off.
    type: bool
    default: true
  jellyfin_ca_path:
    description:
      - PEM file of the certificate authority that signed Jellyfin's certificate.
    type: path
  jellyfin_timeout:
    description:
      - Seconds to wait for one answer. Failed requests are retried with backoff before the task fails.
    type: int
    default: 30
"""
