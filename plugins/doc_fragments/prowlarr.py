# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  prowlarr_url:
    description:
      - Base URL of Prowlarr, including its URL base if one is set (for example V(http://127.0.0.1:9696)).
        Without it, Prowlarr is not asked.
      - If not set, the value of the E(PROWLARR_URL) environment variable is used.
    type: str
  prowlarr_api_key:
    description:
      - Prowlarr's API key (Settings > General). Never logged.
      - If not set, the value of the E(PROWLARR_API_KEY) environment variable is used.
      - Mutually exclusive with O(prowlarr_api_key_file).
    type: str
  prowlarr_api_key_file:
    description:
      - Path of Prowlarr's C(config.xml); the key is read from its C(<ApiKey>) element.
    type: path
  prowlarr_validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) URL.
    type: bool
    default: true
  prowlarr_ca_path:
    description:
      - PEM file of the certificate authority that signed Prowlarr's certificate.
    type: path
  prowlarr_timeout:
    description:
      - Seconds to wait for one search; a search waits for every indexer, so this is long.
    type: int
    default: 120
"""
