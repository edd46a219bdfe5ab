# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A lab of real services on 127.0.0.1 for the tests and the demo.

    python3 tests/lab/lab.py start [--dir DIR]   # prints the path of DIR/lab.json
    python3 tests/lab/lab.py stop  [--dir DIR]
    python3 tests/lab/lab.py inventory [--dir DIR] [--python PY] > inventory.yml

Starts rTorrent 0.9.8 (SCGI on a TCP port) with torrents whose data is in place, lighttpd serving it over HTTPS
with Digest auth at /RPC2 (straight to rTorrent's SCGI) and a ruTorrent stand-in (rutorrent_standin.py: ruTorrent
5.3.12's httprpc, erasedata and XML-RPC proxy) behind the same lighttpd at /rutorrent/ (and /ui/), OpenSSH sshd for SFTP (key login as the
user running the lab), Radarr and Sonarr doubles (arr_double.py), a Jellyfin double (jellyfin_double.py), and
a NAS folder with an import folder, its staging folder and a library with extras in it (library.py). Everything the tests need to connect is
written to DIR/lab.json. ``stop`` ends every process the lab started and leaves nothing running.
"""
import argparse
import getpass
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from torrentfile import make_torrent  # noqa: E402
import library  # noqa: E402
import scenario  # noqa: E402

DEFAULT_DIR = "/tmp/servarr-lab"
ANCHOR = ".servarr-anchor"
REALM = "seedbox"


_HANDED_OUT = set()


def free_port():
    """A port nothing listens on, never the same twice in one process: the kernel may give a closed port
    out again at once, and two services of one lab on one port is a test that talks to the wrong one."""
    while True:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def wait_port(port, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


def collection_path(state_dir):
    """An ansible_collections/mediaops/servarr tree that points at this checkout."""
    base = os.path.join(state_dir, "collections")
    link = os.path.join(base, "ansible_collections", "mediaops", "servarr")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO, link)
    if base not in sys.path:
        sys.path.insert(0, base)
    return base


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def make_tls(d):
    key, cert = os.path.join(d, "tls.key"), os.path.join(d, "tls.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "30",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    with open(os.path.join(d, "tls.pem"), "w") as out:
        out.write(open(cert).read() + open(key).read())
    return cert


def write_htdigest(path, user, password):
    ha1 = hashlib.md5(("%s:%s:%s" % (user, REALM, password)).encode()).hexdigest()
    with open(path, "w") as handle:
        handle.write("%s:%s:%s\n" % (user, REALM, ha1))


def bind_into(root, d):
    """Make the lab folder ``d`` visible at the same path inside the chroot ``root`` (a bind mount), so that
    rTorrent there and every tool here agree on every path. Undone by stop()."""
    inside = root.rstrip("/") + d
    os.makedirs(inside, exist_ok=True)
    run(["mount", "--bind", d, inside])
    with open(os.path.join(d, "bind-mount"), "w") as handle:
        handle.write(inside)


def rtorrent_version(root=None):
    """The rTorrent version a lab would run (Debian 12's, or the one in ``root``)."""
    cmd = (["chroot", root] if root else []) + ["dpkg-query", "-W", "-f", "${Version}", "rtorrent"]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=False).stdout


def start_rtorrent(d, port, root=None):
    session = os.path.join(d, "rtorrent-session")
    os.makedirs(session, exist_ok=True)
    rc = os.path.join(d, "rtorrent.rc")
    peer = free_port()
    with open(rc, "w") as handle:
        handle.write("\n".join([
            "session.path.set = %s" % session,
            "directory.default.set = %s" % os.path.join(d, "seedbox", "downloads"),
            "network.scgi.open_port = 127.0.0.1:%d" % port,
            "network.port_range.set = %d-%d" % (peer, peer),
            "network.port_random.set = no",
            "network.bind_address.set = 127.0.0.1",
            "dht.mode.set = disable",
            "protocol.pex.set = no",
            "trackers.use_udp.set = no",
            "system.daemon.set = true",
            "",
        ]))
    log = open(os.path.join(d, "rtorrent.log"), "w")
    cmd = ["rtorrent", "-n", "-o", "import=%s" % rc]
    if root:   # a newer rTorrent from Debian sid, in its own root (the lab folder bound in at the same path)
        bind_into(root, d)
        cmd = ["chroot", root] + cmd
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(d, "rtorrent.pid"), "w") as handle:
        handle.write(str(proc.pid))
    wait_port(port)
    return proc.pid


def start_lighttpd(d, port, scgi_port, standin_port=None):
    www = os.path.join(d, "www")
    os.makedirs(www, exist_ok=True)
    conf = os.path.join(d, "lighttpd.conf")
    scgi = '( "rt" => ( "host" => "127.0.0.1", "port" => %d, "check-local" => "disable" ) )' % scgi_port
    with open(conf, "w") as handle:
        handle.write("\n".join([
            'server.modules = ( "mod_auth", "mod_authn_file", "mod_setenv", "mod_scgi", "mod_proxy", "mod_openssl" )',
            'server.document-root = "%s"' % www,
            'server.bind = "127.0.0.1"',
            "server.port = %d" % port,
            'server.pid-file = "%s"' % os.path.join(d, "lighttpd.pid"),
            'server.errorlog = "%s"' % os.path.join(d, "lighttpd.error.log"),
            'ssl.engine = "enable"',
            'ssl.pemfile = "%s"' % os.path.join(d, "tls.pem"),
            'auth.backend = "htdigest"',
            'auth.backend.htdigest.userfile = "%s"' % os.path.join(d, "htdigest"),
            'auth.require = ( "" => ( "method" => "digest", "realm" => "%s", "require" => "valid-user" ) )' % REALM,
            ('scgi.server = ( "/RPC2" => %s, "/RPC2-untrusted" => %s )' % (scgi, scgi)) if standin_port else
            ('scgi.server = ( "/RPC2" => %s, "/rutorrent/plugins/httprpc/action.php" => %s, "/RPC2-untrusted" => %s )'
             % (scgi, scgi, scgi)),
            # as current ruTorrent sends its requests: rTorrent 0.15+ refuses some commands to such a connection
            '$HTTP["url"] =~ "^/RPC2-untrusted" { setenv.add-environment = ( "UNTRUSTED_CONNECTION" => "1" ) }',
            # the ruTorrent stand-in (rutorrent_standin.py), as a PHP ruTorrent sits behind the same front end
            # at /rutorrent/ (what the inventories use) and at /ui/ (the tests that drive it by hand)
            ('proxy.server = ( "/ui/" => ( ( "host" => "127.0.0.1", "port" => %d ) ), '
             '"/rutorrent/" => ( ( "host" => "127.0.0.1", "port" => %d ) ) )' % (standin_port, standin_port))
            if standin_port else "",
            "",
        ]))
    run(["lighttpd", "-t", "-f", conf])
    run(["lighttpd", "-f", conf])
    wait_port(port)


def start_sshd(d, port):
    os.makedirs("/run/sshd", exist_ok=True)
    hostkey = os.path.join(d, "ssh_host_ed25519_key")
    client_key = os.path.join(d, "client_ed25519")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hostkey])
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", client_key])
    shutil.copy(client_key + ".pub", os.path.join(d, "authorized_keys"))
    conf = os.path.join(d, "sshd_config")
    with open(conf, "w") as handle:
        handle.write("\n".join([
            "Port %d" % port, "ListenAddress 127.0.0.1", "HostKey %s" % hostkey,
            "PidFile %s" % os.path.join(d, "sshd.pid"),
            "AuthorizedKeysFile %s" % os.path.join(d, "authorized_keys"),
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            "PermitRootLogin prohibit-password", "Subsystem sftp internal-sftp", "LogLevel ERROR", "",
        ]))
    run(["/usr/sbin/sshd", "-f", conf, "-E", os.path.join(d, "sshd.log")])
    wait_port(port)
    pub = open(hostkey + ".pub").read().split()
    with open(os.path.join(d, "known_hosts"), "w") as handle:
        handle.write("[127.0.0.1]:%d %s %s\n" % (port, pub[0], pub[1]))
    return client_key


def start_double(d, name, port, script="arr_double.py"):
    """Start a service double (``arr_double.py``, ``jellyfin_double.py``) on DIR/NAME.json; pid in DIR/NAME.pid."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        raise RuntimeError("port %d is already in use: %s double cannot start there" % (port, name))
    except OSError:
        pass
    log = open(os.path.join(d, "%s.log" % name), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, script), os.path.join(d, "%s.json" % name),
                             str(port)], stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(os.path.join(d, "%s.pid" % name), "w") as handle:
        handle.write(str(proc.pid))
    wait_port(port)
    time.sleep(0.05)
    if proc.poll() is not None:   # something else answered on that port
        raise RuntimeError("%s double exited (%s); see %s.log" % (name, proc.returncode, name))


def start_rutorrent(d, port, scgi_port, interval=15):
    """The ruTorrent stand-in on ``port`` (state DIR/rutorrent.json, its share folder DIR/rutorrent-share)."""
    with open(os.path.join(d, "rutorrent.json"), "w") as handle:
        json.dump({"scgi": "127.0.0.1:%d" % scgi_port, "version": "5.3.12", "proxy": "sanitize", "interval": interval,
                   "share": os.path.join(d, "rutorrent-share")}, handle)
    start_double(d, "rutorrent", port, script="rutorrent_standin.py")


def set_rutorrent(lab, **changes):
    """Change the stand-in's state (version, proxy, interval, scgi) while it runs."""
    path = os.path.join(lab["dir"], "rutorrent.json")
    with open(path) as handle:
        st = json.load(handle)
    st.update(changes)
    with open(path + ".tmp", "w") as handle:
        json.dump(st, handle)
    os.rename(path + ".tmp", path)


def load_torrents(client, d, specs):
    """Write each torrent's data, make its .torrent, load it started with the data in place."""
    root = os.path.join(d, "seedbox", "downloads")
    loaded = {}
    for spec in specs:
        path = os.path.join(root, spec["name"])
        if not os.path.exists(path):
            scenario.write_data(path, spec)
        info_hash, meta = make_torrent(path, source=spec.get("source"))
        if spec.get("corrupt"):
            scenario.corrupt(path)
        cmds = ["d.directory.set=%s" % root, "d.custom1.set=%s" % spec.get("label", "")]
        client.call("load.raw_start", "", meta, *cmds)
        loaded[spec["key"]] = {"hash": info_hash, "name": spec["name"], "data_path": path}
    return loaded


def wait_checked(client, expected, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        # queued torrents are not "checking" yet either: wait until every one has been checked
        rows = client.call("d.multicall2", "", "main", "d.hash=", "d.is_hash_checking=", "d.is_hash_checked=")
        if len(rows) >= expected and all(row[2] and not row[1] for row in rows):
            return rows
        time.sleep(0.2)
    raise RuntimeError("rTorrent did not finish hash-checking %d torrents" % expected)


def start(d, rtorrent_root=None):
    if os.path.exists(os.path.join(d, "lab.json")):
        stop(d)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "seedbox", "downloads"))
    collection_path(d)
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import RTorrentClient

    ports = dict((name, free_port()) for name in ("scgi", "https", "ssh", "radarr", "sonarr", "jellyfin", "rutorrent"))
    password = "digest-" + hashlib.sha1(os.urandom(8)).hexdigest()[:12]
    make_tls(d)
    write_htdigest(os.path.join(d, "htdigest"), "seeduser", password)
    start_rtorrent(d, ports["scgi"], root=rtorrent_root)
    start_rutorrent(d, ports["rutorrent"], ports["scgi"])
    start_lighttpd(d, ports["https"], ports["scgi"], standin_port=ports["rutorrent"])
    client_key = start_sshd(d, ports["ssh"])

    client = RTorrentClient("scgi://127.0.0.1:%d" % ports["scgi"])
    torrents = load_torrents(client, d, scenario.TORRENTS)
    wait_checked(client, len(torrents))
    for key in scenario.STOP_AFTER_CHECK:
        client.call("d.stop", torrents[key]["hash"])
        client.call("d.close", torrents[key]["hash"])

    apps = scenario.arr_states(torrents)
    for name in ("radarr", "sonarr"):
        with open(os.path.join(d, "%s.json" % name), "w") as handle:
            json.dump(apps[name], handle)
        start_double(d, name, ports[name])

    # the NAS: the folder Radarr/Sonarr import from, its staging folder, and a library with extras in it
    nas = os.path.join(d, "nas")
    for sub in ("_staging", "_done", "movies", "series"):
        os.makedirs(os.path.join(nas, sub), exist_ok=True)
    library.build(os.path.join(nas, "movies"), library.MOVIES)
    library.build(os.path.join(nas, "series"), library.SERIES)
    for sub in ("movies", "series"):
        open(os.path.join(nas, sub, ANCHOR), "w").close()
    jellyfin = {"api_key": hashlib.md5(b"jellyfin-lab").hexdigest(),
                "libraries": [{"Name": "Movies", "CollectionType": "movies", "Locations": ["/media/movies"]},
                              {"Name": "Shows", "CollectionType": "tvshows", "Locations": ["/media/series"]}]}
    with open(os.path.join(d, "jellyfin.json"), "w") as handle:
        json.dump(jellyfin, handle)
    start_double(d, "jellyfin", ports["jellyfin"], script="jellyfin_double.py")

    lab = {
        "dir": d,
        "collections_path": collection_path(d),
        "download_root": os.path.join(d, "seedbox", "downloads"),
        "scgi_url": "scgi://127.0.0.1:%d" % ports["scgi"],
        "rpc2_url": "https://localhost:%d/RPC2" % ports["https"],
        "rutorrent_url": "https://127.0.0.1:%d/rutorrent/plugins/httprpc/action.php" % ports["https"],
        "untrusted_url": "https://127.0.0.1:%d/RPC2-untrusted" % ports["https"],
        # the ruTorrent stand-in: its httprpc, and the page whose loading runs the plugins' init (opens the UI)
        "rutorrent_standin_url": "https://127.0.0.1:%d/ui/plugins/httprpc/action.php" % ports["https"],
        "rutorrent_ui_url": "https://127.0.0.1:%d/ui/php/getplugins.php" % ports["https"],
        "rtorrent_version": rtorrent_version(rtorrent_root),
        "rtorrent_username": "seeduser",
        "rtorrent_password": password,
        "ca_path": os.path.join(d, "tls.crt"),
        "sftp": {"host": "127.0.0.1", "port": ports["ssh"], "username": getpass.getuser(), "key_file": client_key,
                 "known_hosts": os.path.join(d, "known_hosts")},
        "radarr": {"url": "http://127.0.0.1:%d" % ports["radarr"], "api_key": apps["radarr"]["api_key"],
                   "state": os.path.join(d, "radarr.json")},
        "sonarr": {"url": "http://127.0.0.1:%d" % ports["sonarr"], "api_key": apps["sonarr"]["api_key"],
                   "state": os.path.join(d, "sonarr.json")},
        "torrents": torrents,
        "nas": nas,
        "jellyfin": {"url": "http://127.0.0.1:%d" % ports["jellyfin"], "api_key": jellyfin["api_key"],
                     "state": os.path.join(d, "jellyfin.json")},
    }
    with open(os.path.join(d, "lab.json"), "w") as handle:
        json.dump(lab, handle, indent=2)
    return lab


def inventory(lab, python=None, **overrides):
    """An inventory (JSON, which is YAML) that runs the playbooks on this host against the lab."""
    sftp = lab["sftp"]
    host_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": python or sys.executable,
        "servarr_rtorrent_url": lab["rutorrent_url"],
        "servarr_rtorrent_username": lab["rtorrent_username"],
        "servarr_rtorrent_password": lab["rtorrent_password"],
        "servarr_rtorrent_ca_path": lab["ca_path"],
        "servarr_sftp_host": sftp["host"],
        "servarr_sftp_port": sftp["port"],
        "servarr_sftp_username": sftp["username"],
        "servarr_sftp_key_file": sftp["key_file"],
        "servarr_sftp_known_hosts": sftp["known_hosts"],
        "servarr_seedbox_download_root": lab["download_root"],
        "servarr_purge_data_removal": "sftp",
        # the lab's torrents finished seconds ago and have uploaded nothing: age 0 days meets the policy
        "servarr_purge_min_seed_days": 0,
        "servarr_purge_journal": os.path.join(lab["dir"], "purge-journal.jsonl"),
        # the jobs' state (locks, caches) stays in the lab, never in this machine's /var/lib/servarr
        "servarr_state_dir": os.path.join(lab["dir"], "state"),
        "servarr_arr_instances": [
            {"name": "radarr", "type": "radarr", "url": lab["radarr"]["url"], "api_key": lab["radarr"]["api_key"]},
            {"name": "sonarr", "type": "sonarr", "url": lab["sonarr"]["url"], "api_key": lab["sonarr"]["api_key"]},
        ],
    }
    nas = lab.get("nas")
    if nas:
        host_vars.update({
            # seedbox sync: the rTorrent download folder over SFTP; the lab's data was written seconds ago
            "servarr_sync_remote_dir": lab["download_root"],
            "servarr_sync_staging_dir": os.path.join(nas, "_staging"),
            "servarr_sync_dest": os.path.join(nas, "_done"),
            "servarr_sync_min_age": 0,
            "servarr_sync_state_file": os.path.join(lab["dir"], "sync-state.json"),
            # video cleanup and Jellyfin
            "servarr_library_roots": [os.path.join(nas, "movies"), os.path.join(nas, "series")],
            "servarr_library_anchor_file": ANCHOR,
            "servarr_jellyfin_url": lab["jellyfin"]["url"],
            "servarr_jellyfin_api_key": lab["jellyfin"]["api_key"],
            "servarr_jellyfin_path_map": [{"from": "/mnt/media", "to": "/media"}],
            "servarr_jellyfin_checkpoint": os.path.join(lab["dir"], "jellyfin.checkpoint.json"),
            "servarr_state_dir": os.path.join(lab["dir"], "state"),   # locks and journals of the jobs
        })
    host_vars.update(overrides)
    return {"all": {"children": {"servarr": {"hosts": {"lab": host_vars}}}}}


def _kill_pidfile(path):
    try:
        pid = int(open(path).read().strip())
    except (OSError, ValueError):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        for dummy in range(20):  # a second to stop politely, then SIGKILL
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child: reap it, or it lingers as a zombie
                    return
            except ChildProcessError:
                pass
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def stop(d):
    for name in ("radarr.pid", "sonarr.pid", "jellyfin.pid", "rutorrent.pid", "lighttpd.pid", "sshd.pid", "rtorrent.pid"):
        _kill_pidfile(os.path.join(d, name))
    try:
        with open(os.path.join(d, "bind-mount")) as handle:
            inside = handle.read().strip()
    except OSError:
        inside = None
    if inside:
        subprocess.run(["umount", "-l", inside], check=False)
        os.unlink(os.path.join(d, "bind-mount"))
    try:
        os.unlink(os.path.join(d, "lab.json"))
    except OSError:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop", "inventory"])
    parser.add_argument("--python", help="interpreter for the modules (inventory)")
    parser.add_argument("--dir", default=os.environ.get("SERVARR_LAB_DIR", DEFAULT_DIR))
    args = parser.parse_args()
    d = os.path.abspath(args.dir)
    if args.action == "start":
        start(d)
        print(os.path.join(d, "lab.json"))
    elif args.action == "inventory":
        with open(os.path.join(d, "lab.json")) as handle:
            print(json.dumps(inventory(json.load(handle), python=args.python), indent=2))
    else:
        stop(d)


if __name__ == "__main__":
    main()
