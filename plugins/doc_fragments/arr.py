# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  instances:
    description:
      - The Radarr and Sonarr instances to ask. Any number of each.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - A name for this instance, used in messages and results (for example V(radarr-4k)).
        type: str
        required: true
      type:
        description:
          - Which application this is.
        type: str
        required: true
        choices: [radarr, sonarr]
      url:
        description:
          - Base URL of the application, including its URL base if one is set (for example
            V(http://127.0.0.1:7878) or V(https://host/sonarr)).
          - A proxy set in the environment (E(https_proxy), E(http_proxy)) is used unless E(no_proxy) names the host.
        type: str
        required: true
      api_key:
        description:
          - API key (Settings > General). Never logged.
          - Exactly one of O(instances[].api_key) and O(instances[].api_key_file) is required.
        type: str
      api_key_file:
        description:
          - Path of the application's C(config.xml); the key is read from its C(<ApiKey>) element.
        type: path
      validate_certs:
        description:
          - Verify the TLS certificate of an C(https://) URL.
        type: bool
        default: true
      ca_path:
        description:
          - PEM file of the certificate authority that signed the application's certificate.
        type: path
      timeout:
        description:
          - Seconds to wait for one answer. Failed requests are retried with backoff before the task fails.
        type: int
        default: 30
"""

    # For modules that can also work without Radarr/Sonarr (the same, not required).
    OPTIONAL = r"""
options:
  instances:
    description:
      - The Radarr and Sonarr instances to ask. Any number of each.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - A name for this instance, used in messages and results (for example V(radarr-4k)).
        type: str
        required: true
      type:
        description:
          - Which application this is.
        type: str
        required: true
        choices: [radarr, sonarr]
      url:
        description:
          - Base URL of the application, including its URL base if one is set (for example
            V(http://127.0.0.1:7878) or V(https://host/sonarr)).
          - A proxy set in the environment (E(https_proxy), E(http_proxy)) is used unless E(no_proxy) names the host.
        type: str
        required: true
      api_key:
        description:
          - API key (Settings > General). Never logged.
          - Exactly one of O(instances[].api_key) and O(instances[].api_key_file) is required.
        type: str
      api_key_file:
        description:
          - Path of the application's C(config.xml); the key is read from its C(<ApiKey>) element.
        type: path
      validate_certs:
        description:
          - Verify the TLS certificate of an C(https://) URL.
        type: bool
        default: true
      ca_path:
        description:
          - PEM file of the certificate authority that signed the application's certificate.
        type: path
      timeout:
        description:
          - Seconds to wait for one answer. Failed requests are retried with backoff before the task fails.
        type: int
        default: 30
"""
