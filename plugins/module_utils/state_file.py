# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small JSON state files (checkpoints): read strictly, written atomically (temporary file, fsync, rename)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile


class StateError(Exception):
    pass


def load(path, default=None):
    """The JSON object in ``path``, or ``default`` if the file does not exist. A file that exists but is not a
    JSON object raises: guessing would skip or repeat work."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as exc:
        raise StateError("state file %s cannot be read (%s); fix or remove it" % (path, exc))
    if not isinstance(data, dict):
        raise StateError("state file %s does not hold a JSON object; fix or remove it" % path)
    return data


def save(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise StateError("folder of state file %s does not exist" % path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
