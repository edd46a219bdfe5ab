# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A hostile seedbox: an SFTP server (paramiko, in this process) whose listing holds names that would lead
outside staging_dir - '../x', '/abs', 'a/b', '..', '' and NUL, at the top and nested. Nothing outside staging is
read, written or deleted; each such item is skipped with its reason; a plain item beside them still syncs."""
import os
import socket
import stat
import threading
import time

import paramiko
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients import ssh
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.mirror_plan import Item, select
from ansible_collections.mediaops.servarr.plugins.module_utils.runs import mirror

NOW = time.time() - 3600


def attr(name, mode, size=0):
    a = paramiko.SFTPAttributes()
    a.filename = name
    a.st_mode = mode
    a.st_size = size
    a.st_mtime = int(NOW)
    a.st_atime = int(NOW)
    return a


DIR, REG = stat.S_IFDIR | 0o755, stat.S_IFREG | 0o644

# what the hostile server lists, folder by folder
TREE = {
    "/dl": [attr("../victim", DIR), attr("/abs", DIR), attr("a/b", REG, 5), attr("..", DIR), attr(".", DIR),
            attr("", REG, 1), attr("nul\0name", REG, 1), attr("Nested.Evil", DIR), attr("Deep.Evil", DIR),
            attr("Good.Release", DIR), attr(".lftp_mirror.lock", REG, 1)],
    "/dl/Nested.Evil": [attr("ok.mkv", REG, 10), attr("sub", DIR)],
    "/dl/Nested.Evil/sub": [attr("../../../state/.ansible/plugins/vars/x.py", REG, 10)],
    "/dl/Good.Release": [attr("movie.mkv", REG, 100), attr("Subs", DIR)],
    "/dl/Good.Release/Subs": [attr("en.srt", REG, 10)],
}
# Deep.Evil nests 40 folders
TREE["/dl/Deep.Evil"] = [attr("d", DIR)]
for depth in range(1, 41):
    TREE["/dl/Deep.Evil" + "/d" * depth] = [attr("d", DIR)]


class Server(paramiko.ServerInterface):
    def check_auth_password(self, username, password):
        return paramiko.AUTH_SUCCESSFUL

    def get_allowed_auths(self, username):
        return "password"

    def check_channel_request(self, kind, chanid):
        return paramiko.OPEN_SUCCEEDED


class HostileSFTP(paramiko.SFTPServerInterface):
    def list_folder(self, path):
        return list(TREE.get(path.rstrip("/") or "/", []))

    def stat(self, path):
        return attr(os.path.basename(path), DIR)

    lstat = stat


@pytest.fixture
def hostile_sftp():
    key = paramiko.Ed25519Key.generate() if hasattr(paramiko.Ed25519Key, "generate") else paramiko.RSAKey.generate(2048)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    transports = []

    def serve():
        conn, _addr = listener.accept()
        transport = paramiko.Transport(conn)
        transport.add_server_key(key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, HostileSFTP)
        transport.start_server(server=Server())
        transports.append(transport)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=port, username="u", password="p", allow_agent=False, look_for_keys=False)
    sftp = client.open_sftp()
    try:
        yield sftp
    finally:
        sftp.close()
        client.close()
        for transport in transports:
            transport.close()
        listener.close()


def test_listing_refuses_every_name_that_is_not_one_component(hostile_sftp):
    items = ssh.list_items(hostile_sftp, "/dl", Item)
    by_name = dict((i.name, i) for i in items)
    # paramiko's listdir_attr drops '.' and '..' itself; every other hostile name reaches the listing
    assert "." not in by_name and ".." not in by_name
    for name in ("../victim", "/abs", "a/b", "", "nul\0name"):
        assert by_name[name].problem and by_name[name].problem.startswith("refused"), name
        assert by_name[name].files == {}
    assert "Nested.Evil" in by_name and "../../../state" in by_name["Nested.Evil"].problem
    assert by_name["Nested.Evil"].files == {}
    assert "deeper than 32" in by_name["Deep.Evil"].problem
    assert by_name["Good.Release"].problem is None
    assert by_name["Good.Release"].files == {"movie.mkv": (100, int(NOW)), "Subs/en.srt": (10, int(NOW))}

    fetch, skipped = select(items, now=time.time())
    assert [i.name for i in fetch] == ["Good.Release"]
    reasons = dict(skipped)
    assert set(reasons) == {"../victim", "/abs", "a/b", "", "nul\0name", "Nested.Evil", "Deep.Evil",
                            ".lftp_mirror.lock"}
    assert all(reason.startswith("refused") for reason in reasons.values())


def test_listing_is_bounded(hostile_sftp):
    with pytest.raises(ssh.SshError, match="max_listing_entries"):
        ssh.list_items(hostile_sftp, "/dl", Item, max_entries=20)


class FakeSync(mirror.Sync):
    """The sync's local side alone: no SFTP session, no lftp (the run must refuse before either)."""

    def __init__(self, params):   # pylint: disable=super-init-not-called
        self.p = params
        self.lifeline = None
        self.log_to = None
        import threading as _t
        self.log_lock = _t.Lock()
        self.state_lock = _t.Lock()
        self.fetched = []

    def session(self, **overrides):
        raise AssertionError("lftp must never start for a refused item")


@pytest.mark.parametrize("name", ["../victim", "/abs/victim", "a/b", "..", "", "x\0y"])
def test_an_item_that_escapes_staging_touches_nothing_outside(tmp_path, name):
    """Defence in depth: even if such an item reached the sync, its paths are checked after joining."""
    staging, dest, victim = tmp_path / "staging", tmp_path / "dest", tmp_path / "victim"
    for folder in (staging, dest, victim):
        folder.mkdir()
    (victim / "precious.mkv").write_text("x")
    params = {"staging_dir": str(staging), "dest": str(dest), "log_file": None, "state_file": None,
              "verify_checksum": False, "remove_source": False, "free_space_reserve_gb": 0}
    item = Item(name, True, {"other.mkv": (1, NOW)}, NOW)
    entry = FakeSync(params)._sync_item(item, {}, (1, 1, 1))
    assert entry["error"] and "refused" in entry["error"]
    assert (victim / "precious.mkv").read_text() == "x"
    assert os.listdir(str(staging)) == [] and os.listdir(str(dest)) == []


def test_a_resumed_folder_the_module_did_not_create_is_not_emptied(tmp_path):
    staging, dest = tmp_path / "staging", tmp_path / "dest"
    (staging / "Release").mkdir(parents=True)
    dest.mkdir()
    (staging / "Release" / "someone-elses.txt").write_text("keep")
    params = {"staging_dir": str(staging), "dest": str(dest), "log_file": None, "state_file": None,
              "verify_checksum": False, "remove_source": False, "free_space_reserve_gb": 0}
    entry = FakeSync(params)._sync_item(Item("Release", True, {"movie.mkv": (1, NOW)}, NOW), {}, (1, 1, 1))
    assert "did not create it" in entry["error"]
    assert (staging / "Release" / "someone-elses.txt").read_text() == "keep"


def test_a_symlink_in_staging_is_never_followed(tmp_path):
    staging, dest, victim = tmp_path / "staging", tmp_path / "dest", tmp_path / "victim"
    for folder in (staging, dest, victim):
        folder.mkdir()
    (victim / "stale.txt").write_text("keep")
    os.symlink(str(victim), str(staging / "Release"))
    params = {"staging_dir": str(staging), "dest": str(dest), "log_file": None, "state_file": None,
              "verify_checksum": False, "remove_source": False, "free_space_reserve_gb": 0}
    entry = FakeSync(params)._sync_item(Item("Release", True, {"movie.mkv": (1, NOW)}, NOW), {}, (1, 1, 1))
    assert "symbolic link" in entry["error"]
    assert (victim / "stale.txt").read_text() == "keep"


def test_not_enough_free_space_fetches_nothing(tmp_path):
    staging, dest = tmp_path / "staging", tmp_path / "dest"
    staging.mkdir()
    dest.mkdir()
    params = {"staging_dir": str(staging), "dest": str(dest), "log_file": None, "state_file": None,
              "verify_checksum": False, "remove_source": False, "free_space_reserve_gb": 10 ** 9}
    entry = FakeSync(params)._sync_item(Item("Release", True, {"movie.mkv": (1, NOW)}, NOW), {}, (1, 1, 1))
    assert "not enough free space in staging_dir" in entry["error"]
    assert "free_space_reserve_gb" in entry["error"]
    assert os.listdir(str(staging)) == []
