# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side helpers of the ntfy and metrics callback plugins: inventory variables as options, and the
values of secret variables (to mask them in anything a plugin sends or prints)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

SECRET_NAME = re.compile(r"password|token|api_key|apikey|secret", re.I)


def explicit_option(plugin, name):
    """True when ansible.cfg or the environment set the plugin's option (not just its default)."""
    try:
        from ansible import constants as C
        _value, origin = C.config.get_config_value_and_origin(name, plugin_type="callback",
                                                              plugin_name=plugin._load_name)
        return origin != "default"
    except Exception:
        return plugin.get_option(name) is not None


def play_host_vars(play):
    """(variables of the play's first host, a Templar over them), or (None, None)."""
    try:
        from ansible.template import Templar
        manager = play.get_variable_manager()
        hosts = manager._inventory.get_hosts(play.hosts)
        if not hosts:
            return None, None
        variables = manager.get_vars(play=play, host=hosts[0])
        return variables, Templar(loader=play._loader, variables=variables)
    except Exception:  # reading variables is a convenience; never let it break the run
        return None, None


def secret_values(variables, templar):
    """Values of the servarr_* variables (and their nested keys) whose names say they are secrets."""
    found = []

    def walk(value, secret):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(sub, secret or bool(SECRET_NAME.search(str(key))))
        elif isinstance(value, (list, tuple)):
            for sub in value:
                walk(sub, secret)
        elif secret and value is not None:
            found.append(str(value))

    for name in list(variables or {}):
        if not str(name).startswith("servarr_"):
            continue
        try:
            value = templar.template(variables[name])
        except Exception:
            continue
        walk(value, bool(SECRET_NAME.search(str(name))))
    return found
