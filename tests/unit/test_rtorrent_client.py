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
