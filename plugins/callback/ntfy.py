# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: ntfy
type: notification
author:
  - mediaops.servarr maintainers (@mediaops)
short_description: One ntfy message per playbook run - failures always, success summaries when asked
version_added: 0.3.0
description:
  - Sends one message per C(ansible-playbook) run to an ntfy topic (L(ntfy,https://ntfy.sh), self-hosted or
    ntfy.sh), never one per task.
  - B(Failure) (a task failed or a host was unreachable, and no C(rescue) handled it; C(ignore_errors) failures
    do not count) is sent with priority C(high) (or O(priority) if that is higher), the tags of O(tags) plus
    C(warning). The title names the job and the host; the body names the failed task, its message (one line,
    shortened) and what the job had done before it failed, from the modules' results, for example
    C(Before that it had removed 3 torrents, 41.0 GB freed).
  - B(Success) is sent only with O(send_on_success), as a one-paragraph summary (items and bytes fetched,
    torrents removed and bytes freed, extras removed, folders sent to Jellyfin, candidates found, seedbox use),
    and only when something was done unless O(send_when_idle) is on.
  - B(Dry runs) (C(--check)) this plugin reports the run, so it sends for check-mode runs too (a scheduled dry run
    that fails must not be silent) - failures always, success summaries under the same conditions as a real run.
    Such a message says C([dry run]) in its title, has the tag C(dry-run), and its body says nothing was changed.
    (The M(mediaops.servarr.ntfy_send) module, a task of the run, sends nothing in check mode.)
  - The job is O(job), else the play variable C(servarr_job) (each playbook of this collection sets it to sync, purge,
    cleanup, jellyfin, analysis, reduce), else the playbook's file name. For C(site.yml) every play's job is in
    the message.
  - Results under C(no_log) are never read. The access token and password are sent only in the
    C(Authorization) header; they and every C(servarr_*) variable whose name holds C(password), C(token),
    C(api_key) or C(secret) are masked in any text this plugin sends or prints.
  - ntfy down, a 401/403, a 429 (rate limit) or any other refusal never fails the play; it is shown as a warning
    (and so written to C(log_path) when Ansible logs to a file). A message longer than ntfy's 4,096-byte limit is
    shortened, never refused.
  - Options come from C(ansible.cfg) (section C([callback_ntfy])) or the environment. Where neither sets an
    option, the variable C(servarr_ntfy_<option>) of the play's first host is used (inventory, group_vars, vault),
    for example C(servarr_ntfy_url) and C(servarr_ntfy_token).
requirements:
  - Enable it with C(callbacks_enabled = mediaops.servarr.ntfy) in C(ansible.cfg) (or E(ANSIBLE_CALLBACKS_ENABLED)).
options:
  url:
    description:
      - The topic's URL, for example C(https://ntfy.example.com/servarr-alerts).
      - Without a URL nothing is sent (a warning says so).
    type: str
    env:
      - name: SERVARR_NTFY_URL
    ini:
      - section: callback_ntfy
        key: url
  token:
    description:
      - ntfy access token (C(tk_...)) for a protected topic, sent in the C(Authorization) header (C(Bearer)).
    type: str
    env:
      - name: SERVARR_NTFY_TOKEN
    ini:
      - section: callback_ntfy
        key: token
  token_file:
    description:
      - A file whose first line is the access token (for example a systemd credential), so that the token is
        neither in C(ansible.cfg) nor in the environment.
    type: path
    env:
      - name: SERVARR_NTFY_TOKEN_FILE
    ini:
      - section: callback_ntfy
        key: token_file
  username:
    description:
      - User for a protected topic (HTTP Basic), instead of a token.
    type: str
    env:
      - name: SERVARR_NTFY_USERNAME
    ini:
      - section: callback_ntfy
        key: username
  password:
    description:
      - Password of O(username).
    type: str
    env:
      - name: SERVARR_NTFY_PASSWORD
    ini:
      - section: callback_ntfy
        key: password
  password_file:
    description:
      - A file whose first line is the password of O(username).
    type: path
    env:
      - name: SERVARR_NTFY_PASSWORD_FILE
    ini:
      - section: callback_ntfy
        key: password_file
  priority:
    description:
      - Priority of success messages, C(1)-C(5) or C(min), C(low), C(default), C(high), C(max)/C(urgent).
        Failures are sent with C(high) or this, whichever is higher.
    type: str
    default: default
    env:
      - name: SERVARR_NTFY_PRIORITY
    ini:
      - section: callback_ntfy
        key: priority
  tags:
    description:
      - Tags of every message (ntfy shows known ones as emojis), a comma-separated list.
    type: list
    elements: str
    default: [servarr]
    env:
      - name: SERVARR_NTFY_TAGS
    ini:
      - section: callback_ntfy
        key: tags
  send_on_success:
    description:
      - Send a summary when the run succeeded. Off by default, as in the plan.
    type: bool
    default: false
    env:
      - name: SERVARR_NTFY_SEND_ON_SUCCESS
    ini:
      - section: callback_ntfy
        key: send_on_success
  send_on_error:
    description:
      - Send a message when the run failed.
    type: bool
    default: true
    env:
      - name: SERVARR_NTFY_SEND_ON_ERROR
    ini:
      - section: callback_ntfy
        key: send_on_error
  send_when_idle:
    description:
      - With O(send_on_success), also send when the run succeeded but did nothing (nothing fetched, removed, sent).
    type: bool
    default: false
    env:
      - name: SERVARR_NTFY_SEND_WHEN_IDLE
    ini:
      - section: callback_ntfy
        key: send_when_idle
  ca_path:
    description:
      - PEM file of the certificate authority of a self-hosted ntfy's certificate. TLS is always verified.
    type: path
    env:
      - name: SERVARR_NTFY_CA_PATH
    ini:
      - section: callback_ntfy
        key: ca_path
  timeout:
    description:
      - Seconds to wait for ntfy.
    type: int
    default: 10
    env:
      - name: SERVARR_NTFY_TIMEOUT
    ini:
      - section: callback_ntfy
        key: timeout
  job:
    description:
      - The job's name in messages. Default the play variable C(servarr_job), else the playbook file's name
        without C(.yml).
    type: str
    env:
      - name: SERVARR_JOB
    ini:
      - section: callback_ntfy
        key: job
"""

import time

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import (
    NtfyClient, NtfyError, parse_priority, parse_tags, read_secret_file, redact)
from ansible_collections.mediaops.servarr.plugins.plugin_utils.run_recording import RecordingCallback
from ansible_collections.mediaops.servarr.plugins.plugin_utils.callback_vars import (
    explicit_option, play_host_vars, secret_values)
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.run_summary import compose_message, job_name

OPTION_NAMES = ("url", "token", "token_file", "username", "password", "password_file", "priority", "tags",
                "send_on_success", "send_on_error", "send_when_idle", "ca_path", "timeout", "job")
BOOL_TRUE = ("1", "true", "yes", "on")


class CallbackModule(RecordingCallback):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "mediaops.servarr.ntfy"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self.var_options = {}
        self.secrets = []

    # -- options ----------------------------------------------------------------------------------------------
    def option(self, name):
        if explicit_option(self, name) or name not in self.var_options:
            return self.get_option(name)
        value = self.var_options[name]
        if name in ("send_on_success", "send_on_error", "send_when_idle") and not isinstance(value, bool):
            value = str(value).strip().lower() in BOOL_TRUE
        if name == "tags":
            value = parse_tags(value)
        return value

    # -- events -----------------------------------------------------------------------------------------------
    def v2_playbook_on_play_start(self, play):
        self.note_play_check_mode(play)
        if not self.var_options:
            variables, templar = play_host_vars(play)
            if variables is not None:
                for name in OPTION_NAMES:
                    key = "servarr_ntfy_" + name
                    if key in variables:
                        try:
                            self.var_options[name] = templar.template(variables[key])
                        except Exception as exc:
                            self._display.warning("ntfy: cannot read the variable %s: %s" % (key, type(exc).__name__))
                self.secrets.extend(secret_values(variables, templar))
        self.recorder.start_play(job_name(play.get_vars(), self.get_option("job"), self.playbook_name))

    def v2_playbook_on_stats(self, stats):
        self.finish(stats)
        try:
            self.notify()
        except Exception as exc:  # the report must never fail the run
            self._display.warning("ntfy: could not notify: %s" % self._mask("%s" % exc))

    # -- sending ----------------------------------------------------------------------------------------------
    def _mask(self, text):
        return redact(text, self.secrets)

    def notify(self):
        url = self.option("url")
        title, body, failed, idle = compose_message(
            self.recorder, self.check_mode,
            footer="ansible-playbook %s, %d s." % (self.playbook_name or "?", int(time.time() - self.recorder.started)))
        if failed and not self.option("send_on_error"):
            return
        if not failed and (not self.option("send_on_success") or (idle and not self.option("send_when_idle"))):
            return
        if not url:
            self._display.warning("ntfy: no url set ([callback_ntfy] url, SERVARR_NTFY_URL or servarr_ntfy_url); "
                                  "the %s was not sent" % ("failure alert" if failed else "summary"))
            return
        token = self.option("token")
        if not token and self.option("token_file"):
            token = read_secret_file(self.option("token_file"), "token")
        password = self.option("password")
        if not password and self.option("password_file"):
            password = read_secret_file(self.option("password_file"), "password")
        username = self.option("username")
        self.secrets.extend(s for s in (token, password) if s)
        priority = parse_priority(self.option("priority"))
        tags = parse_tags(self.option("tags"))
        if failed:
            priority = max(priority, 4)
            tags.append("warning")
        if self.check_mode:
            tags.append("dry-run")
        client = NtfyClient(url, token=token, username=username, password=password, ca_path=self.option("ca_path"),
                            timeout=int(self.option("timeout") or 10))
        try:
            client.publish(self._mask(body), title=self._mask(title), priority=priority, tags=tags)
        except NtfyError as exc:
            self._display.warning("ntfy: could not notify (%s was not sent): %s"
                                  % ("failure alert" if failed else "summary", self._mask(str(exc))))
            return
        finally:
            client.close()
        self._display.display("ntfy: %s sent to %s" % ("failure alert" if failed else "summary", client.describe()))
