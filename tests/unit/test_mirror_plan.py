# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seedbox sync decisions and lftp quoting, without a seedbox."""
import subprocess

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients.lftp import LftpError, LftpSession, quote
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import (
    Item, check_staged, select, waiting_for_rtorrent)

NOW = 1_800_000_000


def item(name, files, newest=NOW - 3600, is_dir=True):
    return Item(name, is_dir, files, newest)


def test_select_filters_and_says_why():
    items = [item("Dune (2021)", {"a.mkv": (10, 1)}), item("Fresh", {"a.mkv": (1, 1)}, newest=NOW - 60),
             item("sample stuff", {"x": (1, 1)}), item("Empty", {}), item("new\nline", {"a": (1, 1)}),
             item("Done", {"a.mkv": (5, 7)})]
    handed = {"Done": items[-1].signature()}
    fetch, skipped = select(items, exclude=["sample*"], min_age_seconds=900, now=NOW, handed_off=handed)
    assert [i.name for i in fetch] == ["Dune (2021)"]
    reasons = dict(skipped)
    assert "min_age" in reasons["Fresh"] and reasons["sample stuff"] == "matched by exclude"
    assert reasons["Empty"] == "holds no files" and "line break" in reasons["new\nline"]
    assert reasons["Done"] == "already handed off by an earlier run"
    fetch, skipped = select(items[:1], include=["*.S0?E*"])
    assert fetch == [] and dict(skipped)["Dune (2021)"] == "not matched by include"


def test_signature_changes_with_the_content_listing():
    one = item("X", {"a": (1, 1), "b/c": (2, 2)})
    assert one.signature() == item("X", {"b/c": (2, 2), "a": (1, 1)}).signature()
    assert one.signature() != item("X", {"a": (1, 1), "b/c": (3, 2)}).signature()


def test_check_staged_wants_every_file_with_its_size_and_no_lftp_leftovers():
    it = item("Dune", {"Dune.mkv": (100, 1), "Subs/en.srt": (10, 1)})
    assert check_staged(it, {"Dune.mkv": 100, "Subs/en.srt": 10}) == []
    assert check_staged(it, {"Dune.mkv": 100}) == ["Subs/en.srt is missing"]
    assert check_staged(it, {"Dune.mkv": 99, "Subs/en.srt": 10}) == ["Dune.mkv has 99 of 100 bytes"]
    problems = check_staged(it, {"Dune.mkv": 100, "Subs/en.srt": 10, ".in.x.mkv": 5, "x.mkv.lftp-pget-status": 1,
                                 "stray.txt": 1})
    assert problems == ["lftp left .in.x.mkv (an unfinished transfer)", "stray.txt is not on the seedbox",
                        "lftp left x.mkv.lftp-pget-status (an unfinished transfer)"]
    single = item("Show.S01E01.mkv", {"": (5, 1)}, is_dir=False)
    assert check_staged(single, {"": 5}) == [] and check_staged(single, {}) == ["Show.S01E01.mkv is missing"]


@pytest.mark.parametrize("name", ["It's \"quoted\"", "$(touch pwned) `id`; x", "back\\slash", "-rf", "*?[a]",
                                  "Amélie 映画"])
def test_quote_round_trips_through_real_lftp(name, tmp_path):
    """lftp's own parser reads the quoted word back unchanged (echo is an lftp built-in: nothing runs)."""
    script = tmp_path / "s.lftp"
    script.write_text("echo %s\n" % quote(name), encoding="utf-8")
    out = subprocess.run(["lftp", "-f", str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    assert out.stdout.decode("utf-8").rstrip("\n") == name
    assert not (tmp_path / "pwned").exists()


def test_quote_refuses_line_breaks():
    with pytest.raises(LftpError, match="line break"):
        quote("a\nb")


class FakeKey:
    def get_name(self):
        return "ssh-ed25519"

    def get_base64(self):
        return "AAAA"


def test_session_scrubs_the_password_and_refuses_odd_user_names(tmp_path):
    session = LftpSession("127.0.0.1", 22, "seeduser", FakeKey(), password="s3cret")
    try:
        assert session.scrub("sftp://seeduser:s3cret@127.0.0.1/x and s3cret") == \
            "sftp://seeduser:********@127.0.0.1/x and ********"
        script = session.script(["ls"])
        assert "s3cret" not in script and "--env-password" in script
    finally:
        session.close()
    with pytest.raises(LftpError, match="user name"):
        LftpSession("h", 22, "a,b", FakeKey(), password="x")


def test_items_an_unfinished_download_still_writes_to_wait_whatever_their_age():
    def torrent(name, data_path, complete, done=50, size=200):
        return {"name": name, "data_path": data_path, "complete": complete, "completed_bytes": done,
                "size_bytes": size}

    items = [item("Dune (2021)", {"a.mkv": (1, 1)}), item("Heat.1995.mkv", {"": (1, 1)}, is_dir=False),
             item("radarr", {"X/x.mkv": (1, 1)}), item("Alien (1979)", {"a.mkv": (1, 1)}),
             item("Done (2020)", {"a.mkv": (1, 1)})]
    torrents = [
        # rTorrent sees the seedbox's home where SFTP is chrooted: /home/seed/downloads == /downloads
        torrent("Dune (2021)", "/home/seed/downloads/Dune (2021)", 0),
        torrent("Heat", "/home/seed/downloads/Heat.1995.mkv", 0, done=199),
        # a category folder holding an unfinished release is itself unfinished
        torrent("Other", "/home/seed/downloads/radarr/Other", 0),
        torrent("Done", "/home/seed/downloads/Done (2020)", 1),
        # same name, other folder: not this item
        torrent("Alien", "/srv/Alien (1979)x", 0),
    ]
    waiting = waiting_for_rtorrent(items, "/downloads", torrents)
    assert waiting == {"Dune (2021)": "rTorrent has not finished downloading Dune (2021) (25%)",
                       "Heat.1995.mkv": "rTorrent has not finished downloading Heat (99%)",
                       "radarr": "rTorrent has not finished downloading Other (25%)"}
    fetch, skipped = select(items, waiting=waiting, now=NOW)
    assert [i.name for i in fetch] == ["Alien (1979)", "Done (2020)"]
    assert dict(skipped)["Dune (2021)"].startswith("rTorrent has not finished")
    # remote_dir inside a torrent's folder: its files are inside unfinished data
    inner = [item("a.mkv", {"": (1, 1)}, is_dir=False)]
    assert waiting_for_rtorrent(inner, "/downloads/Dune (2021)", torrents)["a.mkv"].endswith("(25%)")
