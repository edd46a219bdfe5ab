#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ntfy_send
short_description: Send one message to an ntfy topic
version_added: 0.3.0
description:
  - Publishes one message to an L(ntfy,https://ntfy.sh) topic (self-hosted or ntfy.sh) with ntfy's JSON publish
    API, on the same client as the C(mediaops.servarr.ntfy) callback plugin.
  - A message longer than ntfy's 4,096-byte limit is shortened (ending in C(... [shortened])), never refused.
  - In check mode nothing is sent; the result says what would be sent. (The C(mediaops.servarr.ntfy) callback,
    which reports the run itself, does send for check-mode runs.)
  - A refusal (401 wrong credentials, 403 no permission, 429 rate limit) or an unreachable ntfy fails the task
    with the cause, unless O(fail_on_error=false), which turns it into a warning.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.NOT_IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Sends nothing; returns the message it would send.
  diff_mode:
    support: none
options:
  url:
    description:
      - The topic's URL, for example C(https://ntfy.example.com/servarr-alerts).
      - If not set, the value of the E(SERVARR_NTFY_URL) environment variable is used.
    type: str
    required: true
  body:
    description:
      - The message (the option cannot be called C(message), a name Ansible keeps for itself).
    type: str
    required: true
  title:
    description:
      - The title (shortened to 200 characters).
    type: str
  priority:
    description:
      - C(1)-C(5) or C(min), C(low), C(default), C(high), C(max), C(urgent).
    type: str
    default: default
  tags:
    description:
      - Tags; ntfy shows known ones as emojis (C(warning), C(white_check_mark)).
    type: list
    elements: str
    default: []
  click:
    description:
      - A URL opened when the notification is tapped.
    type: str
  token:
    description:
      - Access token (C(tk_...)) for a protected topic. Never logged.
      - If not set, the value of the E(SERVARR_NTFY_TOKEN) environment variable is used.
    type: str
  token_file:
    description:
      - A file on the managed host whose first line is the access token.
    type: path
  username:
    description:
      - User for a protected topic (HTTP Basic), instead of a token.
    type: str
  password:
    description:
      - Password of O(username). Never logged.
    type: str
  password_file:
    description:
      - A file on the managed host whose first line is the password of O(username).
    type: path
  ca_path:
    description:
      - PEM file of the certificate authority of a self-hosted ntfy's certificate. TLS is always verified.
    type: path
  timeout:
    description:
      - Seconds to wait for ntfy.
    type: int
    default: 10
  fail_on_error:
    description:
      - Fail the task when the message cannot be sent. With V(false), the task succeeds with a warning and
        RV(sent=false).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Tell the phone the library review is ready
  mediaops.servarr.ntfy_send:
    url: https://ntfy.example.com/servarr
    token: "{{ vault_ntfy_token }}"
    title: Library review ready
    body: "{{ analysis.rows | length }} titles to review, {{ analysis.totals.bytes | human_readable }}"
    tags: [clipboard]

- name: A message that must never fail the play
  mediaops.servarr.ntfy_send:
    url: https://ntfy.sh/my-servarr-topic-3f9a
    body: Sync finished
    fail_on_error: false
"""

RETURN = r"""
sent:
  description: ntfy accepted the message (false in check mode and when it could not be sent).
  returned: always
  type: bool
  sample: true
id:
  description: The id ntfy gave the message.
  returned: when sent
  type: str
  sample: hwQ2YpKdmg
body:
  description: The message as sent (or that would be sent), after shortening to ntfy's limit.
  returned: always
  type: str
  sample: Sync finished
title:
  description: The title as sent (or that would be sent).
  returned: always
  type: str
  sample: Library review ready
priority:
  description: The priority as a number, 1 to 5.
  returned: always
  type: int
  sample: 3
tags:
  description: The tags sent.
  returned: always
  type: list
  elements: str
  sample: [clipboard]
shortened:
  description: The message was longer than ntfy's 4,096-byte limit and was shortened.
  returned: always
  type: bool
  sample: false
error:
  description: Why the message was not sent, with O(fail_on_error=false).
  returned: when it could not be sent
  type: str
  sample: "ntfy: http://127.0.0.1:8080: ntfy's rate limit is reached (too many requests or messages); try later"
"""

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import (
    MESSAGE_LIMIT, NtfyClient, NtfyError, build_payload, read_secret_file, split_topic_url)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True, fallback=(env_fallback, ["SERVARR_NTFY_URL"])),
            body=dict(type="str", required=True),
            title=dict(type="str"),
            priority=dict(type="str", default="default"),
            tags=dict(type="list", elements="str", default=[]),
            click=dict(type="str"),
            token=dict(type="str", no_log=True, fallback=(env_fallback, ["SERVARR_NTFY_TOKEN"])),
            token_file=dict(type="path"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            password_file=dict(type="path"),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=10),
            fail_on_error=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("token", "token_file", "username"), ("password", "password_file")],
        supports_check_mode=True,
    )
    p = module.params
    try:
        _base, topic = split_topic_url(p["url"])
        payload = build_payload(topic, p["body"], p["title"], p["priority"], p["tags"], p["click"])
    except (NtfyError, ValueError) as exc:
        module.fail_json(msg=str(exc), sent=False)
    result = dict(changed=False, sent=False, body=payload["message"], title=payload.get("title") or "",
                  priority=payload["priority"], tags=payload.get("tags", []),
                  shortened=len((p["body"] or "").strip().encode("utf-8")) > MESSAGE_LIMIT)
    if module.check_mode:
        module.exit_json(**result)
    client = None
    try:
        token = p["token"] or (read_secret_file(p["token_file"], "token") if p["token_file"] else None)
        password = p["password"] or (read_secret_file(p["password_file"], "password") if p["password_file"] else None)
        client = NtfyClient(p["url"], token=token, username=p["username"], password=password, ca_path=p["ca_path"],
                            timeout=p["timeout"])
        _sent, answer = client.publish(p["body"], title=p["title"], priority=p["priority"], tags=p["tags"],
                                       click=p["click"])
    except NtfyError as exc:
        if p["fail_on_error"]:
            module.fail_json(msg=str(exc), **result)
        module.warn("ntfy: the message was not sent: %s" % exc)
        module.exit_json(error=str(exc), **result)
    finally:
        if client is not None:
            client.close()
    result.update(changed=True, sent=True, id=str(answer.get("id") or ""))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
