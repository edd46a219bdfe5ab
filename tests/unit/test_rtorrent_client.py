# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
import xmlrpc.client

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients import rtorrent as rt


class FakeTransport:
    description = "fake"

    def __init__(self):
        self.bodies = []
        self.request_count = 0

    def post(self, body):
        self.request_count += 1
        self.bodies.append(body)
        (calls,), method = xmlrpc.client.loads(body)
        if method == "system.multicall":
            out = []
            for call in calls:
                if call["params"][0] == "BAD":
                    out.append({"faultCode": -501, "faultString": "Could not find info-hash."})
                else:
                    out.append([call["methodName"] + ":" + call["params"][0]])
            return xmlrpc.client.dumps((out,), methodresponse=True).encode()
        raise AssertionError(method)


def client():
    c = rt.RTorrentClient("scgi://127.0.0.1:1")
    c.transport = FakeTransport()
    return c


def test_multicall_stays_under_the_size_limit_and_keeps_order():
    c = client()
    calls = [("d.name", ["%040X" % n]) for n in range(6000)]
    answers = c.multicall(calls)
    assert answers == ["d.name:%040X" % n for n in range(6000)]
    assert len(c.transport.bodies) > 1
    assert max(len(b) for b in c.transport.bodies) < rt.MAX_REQUEST_BYTES


def test_multicall_faults_come_back_per_call():
    answers = client().multicall([("d.name", ["OK"]), ("d.name", ["BAD"])])
    assert answers[0] == "d.name:OK"
    assert isinstance(answers[1], rt.RTorrentFault) and answers[1].code == -501


@pytest.mark.parametrize("url", ["ftp://x", "rtorrent.example.com:5000", "scgi://"])
def test_bad_urls(url):
    with pytest.raises(rt.RTorrentError):
        rt.RTorrentClient(url)


def test_data_path():
    assert rt.data_path({"directory": "/dl/Pack", "is_multi_file": 1, "name": "Pack"}) == "/dl/Pack"
    assert rt.data_path({"directory": "/dl/", "is_multi_file": 0, "name": "f.mkv"}) == "/dl/f.mkv"


class AnswerTransport:
    """Answers every call with one fixed XML-RPC response (a value or a fault)."""
    description = "fake"
    request_count = 0

    def __init__(self, response):
        self.response = response

    def post(self, body):
        return self.response


def answering(value=None, fault=None):
    c = rt.RTorrentClient("scgi://127.0.0.1:1")
    if fault:
        body = xmlrpc.client.dumps(xmlrpc.client.Fault(*fault), methodresponse=True)
    else:
        body = xmlrpc.client.dumps((value,), methodresponse=True)
    c.transport = AnswerTransport(body.encode())
    return c


HASH = "A" * 40


@pytest.mark.parametrize("fault", [(-501, "Could not find info-hash."),                     # rTorrent 0.9.8
                                   (-503, "invalid parameters: info-hash not found")])    # 0.15 and later
def test_a_torrent_that_is_gone_by_every_version(fault):
    assert answering(fault=fault).exists(HASH) is False


@pytest.mark.parametrize("fault", [(-501, "Unsupported target type found."),
                                   (-503, "could not find expected element params"),
                                   (-506, "method 'd.hash' not defined"),
                                   (-507, "d.hash not allowed for untrusted connections"),
                                   (-500, "info-hash not found")])
def test_any_other_fault_is_not_gone(fault):
    with pytest.raises(rt.RTorrentFault):
        answering(fault=fault).exists(HASH)


def test_a_loaded_torrent_exists_and_a_wrong_answer_is_an_error():
    assert answering(value=HASH).exists(HASH) is True
    assert answering(value=HASH.lower()).exists(HASH) is True
    with pytest.raises(rt.RTorrentError, match="answered d.hash"):
        answering(value="B" * 40).exists(HASH)


class FormTransport(rt._HttpTransport):
    """ruTorrent's httprpc as a fixed answer to a form (it is an _HttpTransport, as the client requires)."""

    def __init__(self, answer):   # pylint: disable=super-init-not-called
        self.answer = answer
        self.description = "https://seedbox/rutorrent/plugins/httprpc/action.php"

    def form(self, fields):
        return self.answer


@pytest.mark.parametrize("answer, message", [
    (xmlrpc.client.dumps(xmlrpc.client.Fault(-506, "method 'mode=removewithdata' not defined"),
                         methodresponse=True).encode(), "needs ruTorrent 5.3.0 or later"),
    (b"false", "could not reach rTorrent, or its erasedata plugin refused"),
])
def test_rutorrent_answers_that_mean_nothing_was_removed(answer, message):
    c = rt.RTorrentClient("https://seedbox/rutorrent/plugins/httprpc/action.php")
    c.transport = FormTransport(answer)
    with pytest.raises(rt.RTorrentError, match=message):
        c.rutorrent_remove_with_data("A" * 40)


def test_rutorrent_removewithdata_accepted():
    c = rt.RTorrentClient("https://seedbox/rutorrent/plugins/httprpc/action.php")
    c.transport = FormTransport(b'[["0"]]')
    c.rutorrent_remove_with_data("A" * 40)


def test_an_xmlrpc_call_answered_false_names_rtorrent_down_behind_rutorrent():
    with pytest.raises(rt.RTorrentError, match="ruTorrent could not reach rTorrent"):
        _false_client().call("d.hash", "A")


def _false_client():
    c = rt.RTorrentClient("scgi://127.0.0.1:1")
    c.transport = AnswerTransport(b"false")
    return c
