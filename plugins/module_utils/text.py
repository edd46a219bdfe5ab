# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text for people: lengths cut safely, sizes in words. Pure; the decisions and the clients share it (a decision
never imports a client)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SHORTENED_MARK = u"\u2026 [shortened]"


def shorten(text, limit, mark=SHORTENED_MARK):
    """``text`` cut to at most ``limit`` bytes of UTF-8 (never inside a character), ending in ``mark`` when cut.
    ntfy trims surrounding white space before it measures, and so does this."""
    text = (text or u"").strip()
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    room = max(0, limit - len(mark.encode("utf-8")))
    return raw[:room].decode("utf-8", "ignore").rstrip() + mark


def shorten_line(text, limit):
    """One line for a summary: white space folded, cut to ``limit`` characters."""
    text = " ".join(str(text or "").split())
    if len(text) <= limit:
        return text
    return text[:max(0, limit - 1)].rstrip() + u"\u2026"


def human_bytes(value):
    value = float(value or 0)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1000.0
    return "%.1f PB" % value  # pragma: no cover
