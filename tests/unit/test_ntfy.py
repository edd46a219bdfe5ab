# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ntfy client and message helpers against the ntfy double (which follows ntfy's publish API)."""
import base64
import json
import urllib.request

import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.clients import ntfy
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.ntfy import NtfyClient, NtfyError
from ntfy_double import NtfyDouble


@pytest.fixture
def double():
    d = NtfyDouble(users={"alice": "s3cret-pass"}, tokens={"tk_goodtoken123": "alice", "tk_readonly999": "bob"},
                   write_access={"alice": ["alerts"], "bob": []}).start()
    yield d
    d.stop()


def raw_post(url, body, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_double_follows_the_publish_api(double):
    auth = {"Authorization": "Bearer tk_goodtoken123"}
    status, msg = raw_post(double.topic_url("alerts"), b"  hello  ", dict(auth, Title="T", Priority="high", Tags="a,b"))
    assert status == 200 and msg["message"] == "hello" and msg["title"] == "T" and msg["priority"] == 4
    assert msg["tags"] == ["a", "b"] and msg["event"] == "message"
    assert raw_post(double.topic_url("alerts"), b"x", dict(auth, Priority="7"))[1]["code"] == 40007
    assert raw_post(double.topic_url("alerts"), b"x" * 4097, auth)[0] == 400
    assert raw_post(double.topic_url("alerts"), b"\xff\xfe", auth)[1]["code"] == 40011
    assert raw_post(double.base_url + "/", b"not json", auth)[1]["code"] == 40024
    assert raw_post(double.base_url + "/", json.dumps({"topic": "a/b"}).encode(), auth)[1]["code"] == 40009
    big = json.dumps({"topic": "alerts", "message": "x" * 9000}).encode()
    assert raw_post(double.base_url + "/", big, auth)[0] == 413
    assert raw_post(double.base_url + "/", big, auth)[1]["code"] == 41303
    assert raw_post(double.topic_url("alerts"), b"x", {"Authorization": "Bearer tk_nope"})[0] == 401
    assert raw_post(double.topic_url("alerts"), b"x", {"Authorization": "Bearer tk_readonly999"})[0] == 403
    assert raw_post(double.topic_url("alerts"), b"x")[0] == 403
    basic = "Basic " + base64.b64encode(b"alice:wrong").decode()
    assert raw_post(double.topic_url("alerts"), b"x", {"Authorization": basic})[0] == 401


def test_publish_json_with_token(double):
    client = NtfyClient(double.topic_url("alerts"), token="tk_goodtoken123")
    payload, answer = client.publish(u"Body \u00e9t\u00e9", title=u"Titre \u00e9", priority="high", tags="servarr, warning")
    assert answer["title"] == u"Titre \u00e9" and answer["priority"] == 4 and answer["tags"] == ["servarr", "warning"]
    sent = double.requests[-1]
    assert sent["path"] == "/" and json.loads(sent["body"])["topic"] == "alerts"
    assert sent["headers"]["Authorization"] == "Bearer tk_goodtoken123"


def test_publish_basic_auth(double):
    NtfyClient(double.topic_url("alerts"), username="alice", password="s3cret-pass").publish("hi")
    assert double.messages[-1]["user"] == "alice"


@pytest.mark.parametrize("kwargs,status,words", [
    ({"token": "tk_nope"}, 401, "wrong access token"),
    ({"username": "alice", "password": "bad"}, 401, "wrong access token"),
    ({"token": "tk_readonly999"}, 403, "may not publish"),
    ({}, 403, "may not publish"),
])
def test_refusals_name_the_cause_and_no_secret(double, kwargs, status, words):
    with pytest.raises(NtfyError) as err:
        NtfyClient(double.topic_url("alerts"), **kwargs).publish("hi")
    assert err.value.status == status and words in str(err.value)
    for secret in ("tk_nope", "bad", "tk_readonly999", "alerts"):
        assert secret not in str(err.value)


def test_rate_limit_is_a_clear_error():
    d = NtfyDouble(rate_limit=1).start()
    try:
        client = NtfyClient(d.topic_url("t"))
        client.publish("one")
        with pytest.raises(NtfyError) as err:
            client.publish("two")
        assert err.value.status == 429 and "rate limit" in str(err.value)
    finally:
        d.stop()


def test_down_is_a_clear_error():
    d = NtfyDouble().start()
    url = d.topic_url("t")
    d.stop()
    with pytest.raises(NtfyError) as err:
        NtfyClient(url, timeout=3).publish("x")
    assert "cannot reach" in str(err.value)


def test_long_message_is_shortened_to_the_limit_and_accepted(double):
    text = u"\u00e9" * 5000  # 10,000 bytes of two-byte characters
    payload, answer = NtfyClient(double.topic_url("alerts"), token="tk_goodtoken123").publish(text)
    assert len(payload["message"].encode("utf-8")) <= ntfy.MESSAGE_LIMIT
    assert payload["message"].endswith(ntfy.SHORTENED_MARK)
    assert answer["message"] == payload["message"]


def test_helpers():
    assert ntfy.parse_priority(None) == 3 and ntfy.parse_priority("URGENT") == 5 and ntfy.parse_priority(2) == 2
    with pytest.raises(ValueError):
        ntfy.parse_priority("7")
    assert ntfy.parse_tags("a, b,,a") == ["a", "b"]
    assert ntfy.split_topic_url("https://h.example/ntfy/top_ic-1/") == ("https://h.example/ntfy", "top_ic-1")
    for bad in ("ftp://h/t", "https://h/", "https://h/a.b", "https://u:p@h/t"):
        with pytest.raises(NtfyError):
            ntfy.split_topic_url(bad)
    assert ntfy.redact("pw hunter22 and abc", ["hunter22", "abc"]) == "pw ******** and abc"
    assert ntfy.shorten("  short  ", 10) == "short"
    with pytest.raises(NtfyError):
        NtfyClient("https://h/t", token="tk_x", username="u")


def test_ntfy_keeps_as_text_only_messages_shorter_than_4096_bytes(double):
    """As ntfy does (util/peek.go: the limit is reached when read == limit): 4,095 bytes are a message, 4,096 are
    an attachment, refused by a server without attachments; the client never sends more than 4,095."""
    auth = {"Authorization": "Bearer tk_goodtoken123"}
    assert raw_post(double.topic_url("alerts"), b"x" * 4095, auth)[0] == 200
    assert raw_post(double.topic_url("alerts"), b"x" * 4096, auth)[1]["code"] == 40014
    client = NtfyClient(double.topic_url("alerts"), token="tk_goodtoken123")
    exact, answer = client.publish(u"y" * 4095)
    assert exact["message"] == u"y" * 4095 and answer["message"] == exact["message"]
    for text in (u"z" * 4096, u"\u00e9" * 2048):
        payload, answer = client.publish(text)
        assert len(payload["message"].encode("utf-8")) == 4095 or payload["message"].endswith(ntfy.SHORTENED_MARK)
        assert len(payload["message"].encode("utf-8")) <= 4095 and answer["message"] == payload["message"]
