# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ruTorrent stand-in: the parts of ruTorrent the collection talks to, behaving as ruTorrent does.

ruTorrent is PHP and is not packaged for Debian, and its code must not enter this repository, so the lab runs
this instead, behind the same lighttpd (HTTPS + Digest) as rTorrent's own paths, talking SCGI to the lab's real
rTorrent. It follows ruTorrent 5.3.12 (``"version": "5.3.12"``, the default) as read in its sources
(plugins/httprpc/action.php, plugins/erasedata/init.php, removewithdata.php and update.php, php/xmlrpc.php,
php/xmlrpc_proxy.php, php/settings.php), and with ``"version": "4.3.11"`` a ruTorrent before 5.3.0 (the same
files at v4.3.11 and v5.2.10, which agree on everything modelled here). What it models:

* ``POST .../plugins/httprpc/action.php`` reads the form as action.php does (``&`` and ``=`` split by hand, the
  last ``mode`` wins, ``hash`` taken verbatim). A body that is no known mode is raw XML-RPC: forwarded to
  rTorrent and answered with rTorrent's own answer, faults included, as HTTP 200 ``text/xml``. In 5.3.12 it goes
  through the XML-RPC proxy first (``"proxy"``: ``sanitize``, the default, forwards calls untrusted - the SCGI
  header ``UNTRUSTED_CONNECTION=1`` - except the few it re-emits trusted, and refuses the ``execute``/
  ``schedule``/``method.``... families; ``passthrough_unsafe`` forwards trusted; ``off`` refuses everything);
  4.3.11 forwards everything untrusted.
* rTorrent unreachable: the forwarded call gets no answer and the page answers HTTP 200 with the JSON ``false``
  (both versions). A call the 5.3.12 proxy refuses (``off``, or a refused family) answers HTTP 500 ``Could not
  reach rTorrent over XMLRPC. Is rTorrent running?``, whatever the state of rTorrent.
* ``mode=removewithdata`` (5.3.12 only; 4.3.11 has no such mode, so the form body itself goes to rTorrent as
  XML-RPC and comes back as rTorrent's fault, HTTP 200): for each hash the files are read over XML-RPC
  (``d.base_path``, ``d.is_multi_file``, ``f.frozen_path``; when those are empty - a torrent not opened since
  rTorrent started - ``d.directory`` and ``f.path``), written to ``<share>/settings/erasedata/<HASH>.list``
  (the files, then the base path, is-multi-file and the force flag, one a line), and the torrent is erased
  (``d.custom5.set``, ``d.delete_tied``, ``d.erase``). Answer: a JSON list of the values rTorrent answered, or
  ``false`` when no torrent could be read (unknown hash, rTorrent down) or the erase failed. Nothing is deleted
  yet.
* The delayed deletion: a periodic clean-up job (update.php: every list file is applied - each file unlinked,
  then the emptied folders of a multi-file torrent, deepest first, then its base folder - and removed) every
  ``"interval"`` seconds (ruTorrent's ``$garbageCheckInterval``, 15 by default), first run aligned as
  ``getAlignedStart`` aligns it. ruTorrent schedules it in rTorrent (``schedule``) from the erasedata plugin's
  init.php, which runs when the web UI loads its plugins (``php/getplugins.php``): it runs only once the UI was
  opened since rTorrent started, and stops when rTorrent restarts (the schedule lived in rTorrent). Here the job
  is bound to rTorrent's ``system.pid`` at the time the UI was opened.
* A ruTorrent whose UI was never opened has no settings cache (``rtorrent.dat``, written by getplugins.php), so
  its command alias map is empty and it spells every renamed command the pre-0.9 way (``d.get_base_path``...),
  which rTorrent refuses: ``removewithdata`` then answers ``false`` and nothing is erased.

Not modelled: the other modes (list, fls, setsettings...), multi-user installs, the UI itself, force deletion
($enableForceDeletion is off by default), ruTorrent 4.3's erase hooks (event.download.erased writing the list).

State, a JSON file re-read at each request (tests change it while the stand-in runs):

    {"scgi": "127.0.0.1:5000", "version": "5.3.12", "proxy": "sanitize", "interval": 15, "share": "/lab/share"}

Run: ``python3 rutorrent_standin.py STATE_FILE PORT``. ``GET .../php/getplugins.php`` opens the "UI".
"""
import json
import os
import socket
import sys
import threading
import time
import xmlrpc.client
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

STATE = {"path": None}
_lock = threading.Lock()
# The clean-up job as rTorrent would hold it: {"pid": rTorrent's pid when scheduled, "next": time, "interval": s}
_schedule = {}

# pre-0.9 spellings ruTorrent uses when it has no alias map (no settings cache: the UI was never opened)
OLD_NAMES = {"d.base_path": "d.get_base_path", "d.directory": "d.get_directory", "f.frozen_path=": "f.get_frozen_path=",
             "f.path=": "f.get_path=", "d.custom5.set": "d.set_custom5"}
# xmlrpc_proxy.php (5.3.12): families refused outright in sanitize mode, and the calls it re-emits trusted
DENY_PREFIXES = ("execute", "method.", "import", "try_import", "schedule", "log.", "network.scgi", "session.path.set",
                 "directory.default.set", "catch", "system.env", "system.shutdown")
ELEVATED = ("d.open", "d.start", "d.stop", "d.custom1.set", "d.custom2.set", "d.custom3.set", "d.custom4.set",
            "d.custom5.set", "d.custom.set", "d.priority.set", "d.delete_tied", "network.xmlrpc.size_limit.set")
NOT_REACHED = b"Could not reach rTorrent over XMLRPC. Is rTorrent running?"


def state():
    with open(STATE["path"]) as handle:
        found = json.load(handle)
    found.setdefault("version", "5.3.12")
    found.setdefault("proxy", "sanitize")
    found.setdefault("interval", 15)
    return found


def version_at_least(st, wanted):
    return tuple(int(x) for x in st["version"].split(".")) >= wanted


def settings_dir(st):
    return os.path.join(st["share"], "settings")


def list_dir(st):
    return os.path.join(settings_dir(st), "erasedata")


def scgi_send(st, body, trusted=True):
    """rXMLRPCRequest::send: the answer's bytes (SCGI headers included), or False when rTorrent cannot be
    reached."""
    host, port = st["scgi"].rsplit(":", 1)
    header = b"CONTENT_LENGTH\0%d\0CONTENT_TYPE\0text/xml\0SCGI\0001\0UNTRUSTED_CONNECTION\0%s\0" % (
        len(body), b"0" if trusted else b"1")
    try:
        sock = socket.create_connection((host, int(port)), timeout=30)
    except OSError:
        return False
    try:
        sock.sendall(b"%d:%s,%s" % (len(header), header, body))
        chunks = []
        while True:
            chunk = sock.recv(262144)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError:
        return b""
    finally:
        sock.close()
    return b"".join(chunks)


def _payload(answer):
    head, sep, rest = answer.partition(b"\r\n\r\n")
    return rest if sep else answer


def _flatten(value, out):
    """rXMLRPCRequest keeps every string and integer of an answer, in order, as strings."""
    if isinstance(value, (list, tuple)):
        for item in value:
            _flatten(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            _flatten(item, out)
    elif isinstance(value, bool):
        out.append("1" if value else "0")
    else:
        out.append(str(value))
    return out


def request(st, calls):
    """rXMLRPCRequest::success() with ``calls`` [(method, params)]: one call alone, several in a system.multicall;
    the flattened values, or None when rTorrent could not be reached or any call faulted."""
    if len(calls) == 1:
        body = xmlrpc.client.dumps(tuple(calls[0][1]), calls[0][0])
    else:
        body = xmlrpc.client.dumps(([{"methodName": m, "params": list(p)} for m, p in calls],), "system.multicall")
    answer = scgi_send(st, body.encode("utf-8"))
    if not answer:
        return None
    try:
        values = xmlrpc.client.loads(_payload(answer), use_builtin_types=True)[0]
    except (xmlrpc.client.Fault, Exception):   # a fault, or no XML-RPC at all
        return None
    if len(calls) > 1:
        values = values[0]
        if any(isinstance(v, dict) and "faultCode" in v for v in values):
            return None
    return _flatten(values, [])


def settings(st):
    """The settings cache php/getplugins.php stores; None when the UI was never opened."""
    try:
        with open(os.path.join(settings_dir(st), "rtorrent.dat")) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def cmd(st, name):
    """getCmd(): the current spelling with an alias map, the pre-0.9 one without."""
    return name if settings(st) is not None else OLD_NAMES.get(name, name)


def collect_paths(st, h):
    """erasedataCollectPaths: {"base", "multi", "files"} or None."""
    frozen = request(st, [(cmd(st, "d.base_path"), [h]), ("d.is_multi_file", [h]),
                          ("f.multicall", [h, "", cmd(st, "f.frozen_path=")])])
    if frozen is not None and len(frozen) >= 3:
        files = [p for p in frozen[2:] if p]
        if files:
            return {"base": frozen[0], "multi": "1" if frozen[1] not in ("0", "") else "0", "files": files}
    stored = request(st, [(cmd(st, "d.directory"), [h]), ("d.is_multi_file", [h]),
                          ("f.multicall", [h, "", cmd(st, "f.path=")])])
    if stored is None or len(stored) < 3:
        return None
    folder = stored[0].rstrip("/")
    if not folder:
        return None
    multi = "1" if stored[1] not in ("0", "") else "0"
    files = [folder + "/" + p for p in stored[2:] if p]
    if not files:
        return None
    return {"base": folder if multi == "1" else files[0], "multi": multi, "files": files}


def remove_with_data(st, hashes, force):
    """erasedataRemoveWithData: the list files, then the erase; the flattened answer or False."""
    os.makedirs(list_dir(st), exist_ok=True)
    erasable = []
    for h in hashes:
        paths = collect_paths(st, h)
        if paths is None:   # erasing now would leave its data with nothing to identify it: kept
            continue
        lines = paths["files"] + [paths["base"], paths["multi"], force]
        with open(os.path.join(list_dir(st), h + ".list"), "w") as handle:
            handle.write("\n".join(lines) + "\n")
        erasable.append(h)
    if not erasable:
        return False
    calls = []
    for h in erasable:
        calls += [(cmd(st, "d.custom5.set"), [h, ""]), ("d.delete_tied", [h]), ("d.erase", [h])]
    answer = request(st, calls)
    return False if answer is None else answer


def clean_up(st):
    """update.php: apply and remove every list file (force deletion stays off, as in conf.php)."""
    try:
        names = sorted(os.listdir(list_dir(st)))
    except OSError:
        return
    for name in names:
        item = os.path.join(list_dir(st), name)
        if not (name.endswith(".list") and os.path.isfile(item)):
            continue
        with open(item) as handle:
            lines = [line for line in handle.read().split("\n") if line]
        if len(lines) > 3:
            is_multi, base, files = int(lines[-2] or 0), lines[-3], lines[:-3]
            dirs = []
            for path in files:
                try:
                    os.unlink(path)
                except OSError:
                    pass
                if is_multi:
                    pieces = path[len(base) + 1:].split("/")
                    folder = base
                    for piece in pieces[:-1]:
                        folder += "/" + piece
                        dirs.append(folder)
            if is_multi:
                for folder in sorted(set(dirs), key=lambda d: -d.rfind("/")) + [base]:
                    try:
                        os.rmdir(folder)
                    except OSError:
                        pass
        os.unlink(item)


def rtorrent_pid(st):
    answer = request(st, [("system.pid", [])])
    return answer[0] if answer else None


def open_ui(st):
    """php/getplugins.php: probe rTorrent, store the settings cache, run erasedata's init.php (schedule the
    clean-up job in this rTorrent). Returns the JavaScript-ish text the page would answer."""
    probe = request(st, [("system.client_version", [])])
    pid = rtorrent_pid(st)
    if probe is None or pid is None:
        return "noty(theUILang.badLinkTorTorrent,'error');"   # the UI says it cannot reach rTorrent
    os.makedirs(list_dir(st), exist_ok=True)
    with open(os.path.join(settings_dir(st), "rtorrent.dat"), "w") as handle:
        json.dump({"version": probe[0], "linkExist": True}, handle)
    interval = int(st["interval"])
    now = time.time()
    offset = abs(zlib.crc32(b"erasedata")) % 11
    start = ((offset - int(now)) % interval + interval) % interval
    with _lock:
        _schedule.clear()
        _schedule.update(pid=pid, next=now + (start if start >= 1 else interval), interval=interval)
    return "theWebUI.deltaTime = 0; plugin.enableForceDeletion = 0;"


def scheduler():
    """rTorrent running the scheduled job: only while the rTorrent that scheduled it runs."""
    while True:
        time.sleep(0.1)
        with _lock:
            due = _schedule and time.time() >= _schedule["next"]
            if not due:
                continue
            st = state()
            if rtorrent_pid(st) != _schedule["pid"]:   # rTorrent restarted or stopped: its schedule is gone
                _schedule.clear()
                continue
            clean_up(st)
            _schedule["next"] += _schedule["interval"]


def proxy_decision(st, body):
    """XMLRPCProxy::decide (5.3.12), as far as the collection's calls go: (send?, trusted?)."""
    if st["proxy"] == "off":
        return False, False
    if st["proxy"] == "passthrough_unsafe":
        return True, True
    try:
        params, method = xmlrpc.client.loads(body)
    except Exception:   # not XML-RPC: forwarded untrusted, rTorrent answers it
        return True, False
    method = method or ""
    if method.startswith(DENY_PREFIXES):
        return False, False
    if method in ("d.multicall", "d.multicall2", "d.multicall.filtered", "t.multicall", "f.multicall", "p.multicall"):
        commands = [p for p in params[2:] if isinstance(p, str)]
        if any(c.split("=", 1)[0].strip().startswith(DENY_PREFIXES) for c in commands if "=" in c):
            return False, False
        return True, False
    if method == "system.multicall":
        members = [m.get("methodName", "") for m in (params[0] if params else []) if isinstance(m, dict)]
        if any(str(m).startswith(DENY_PREFIXES) for m in members):
            return False, False
    return True, method in ELEVATED


def parse_form(body):
    """action.php's own reading of the body."""
    fields = {"mode": "raw", "hash": [], "v": []}
    for var in body.decode("latin-1").split("&"):
        parts = var.split("=")
        value = parts[1] if len(parts) > 1 else ""
        if parts[0] == "hash":
            fields["hash"].append(value)
        elif parts[0] == "v":
            fields["v"].append(unquote(value))
        elif parts[0] == "mode":
            fields["mode"] = value
    return fields


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def send(self, status, body, ctype):
        self.send_response(status, "Server Error" if status == 500 else None)   # header("HTTP/1.0 500 Server Error")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        st = state()
        if self.path.split("?")[0].endswith("/php/getplugins.php"):
            return self.send(200, open_ui(st).encode(), "application/javascript")
        return self.send(200, b"<html><body>ruTorrent stand-in</body></html>", "text/html")

    def do_POST(self):
        st = state()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if path.endswith("/php/getplugins.php"):
            return self.send(200, open_ui(st).encode(), "application/javascript")
        if not path.endswith("/plugins/httprpc/action.php"):
            return self.send(404, b"Not found", "text/html")
        form = parse_form(body)
        result = None
        if form["mode"] == "removewithdata" and version_at_least(st, (5, 3, 0)):
            result = remove_with_data(st, form["hash"], form["v"][0] if form["v"] else "1")
        elif form["mode"] == "remove":
            answer = request(st, [("d.erase", [h]) for h in form["hash"]])
            result = False if answer is None else answer
        else:   # default: raw XML-RPC (a mode this version does not know lands here too)
            send, trusted = (True, False) if not version_at_least(st, (5, 3, 0)) else proxy_decision(st, body)
            if send:
                answer = scgi_send(st, body, trusted)
                if answer:
                    return self.send(200, _payload(answer), "text/xml")
                result = False
        if result is None:
            return self.send(500, NOT_REACHED, "text/html")
        return self.send(200, json.dumps(result).encode(), "application/json")


def main():
    STATE["path"] = sys.argv[1]
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
    server.daemon_threads = True
    threading.Thread(target=scheduler, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
