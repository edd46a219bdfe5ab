import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import (
    GB, plan, under_root, used_bytes)

NOW = 1_800_000_000
DAY = 86400


def t(h, ratio=0.0, age_days=None, size=GB, path=None, label="radarr", complete=1):
    h = h.upper().ljust(40, "0")
    return {"hash": h, "name": h[:4], "ratio": ratio, "finished": (NOW - age_days * DAY) if age_days is not None else 0,
            "seedingtime": "", "size_bytes": size, "data_path": path or "/dl/" + h[:4], "label": label,
            "complete": complete}


def decide(torrents, imported=None, **kw):
    kw.setdefault("download_root", "/dl")
    imported = [x["hash"] for x in torrents] if imported is None else imported
    return plan(torrents, imported, now=NOW, **kw)


def removed(result):
    return [e["torrent"]["hash"][:4] for e in result["remove"]]


def reasons(result):
    return dict((k["torrent"]["hash"][:4], k["reason"]) for k in result["keep"])


def test_ratio_or_age():
    r = decide([t("aaaa", ratio=2.1, age_days=0.1), t("bbbb", ratio=0.2, age_days=3), t("cccc", ratio=1.0, age_days=1)])
    assert removed(r) == ["BBBB", "AAAA"]  # oldest first
    assert r["remove"][1]["reason"] == "ratio 2.10 >= 1.5"
    assert r["remove"][0]["reason"] == "seeded 3.0 days >= 2"
    assert reasons(r)["CCCC"] == "ratio 1.00 < 1.5 and seeded 1.0 days < 2"


def test_unknown_finish_time_is_never_old():
    r = decide([t("aaaa", ratio=0.1, age_days=None)], min_seed_days=0)
    assert removed(r) == []
    assert "finish time unknown" in reasons(r)["AAAA"]


def test_finish_time_in_the_future_is_unknown():
    torrent = t("aaaa", ratio=0.0)
    torrent["finished"] = NOW + 10 * DAY
    assert removed(decide([torrent], min_seed_days=0)) == []


def test_ruTorrent_seedingtime_used_when_finished_missing():
    torrent = t("aaaa", ratio=0.0)
    torrent["seedingtime"] = str(NOW - 5 * DAY)
    assert removed(decide([torrent])) == ["AAAA"]


def test_not_imported_queued_protected_incomplete_outside_root():
    ts = [t("aaaa", ratio=5, age_days=9), t("bbbb", ratio=5, age_days=9), t("cccc", ratio=5, age_days=9, label="keep"),
          t("dddd", ratio=5, age_days=9, complete=0), t("eeee", ratio=5, age_days=9, path="/elsewhere/x"),
          t("ffff", ratio=5, age_days=9)]
    r = decide(ts, imported=[x["hash"] for x in ts[1:]], queued=[ts[1]["hash"].lower()], protect_labels=["keep"],
               protect_hashes=[ts[5]["hash"].lower()])
    assert removed(r) == []
    why = reasons(r)
    assert why["AAAA"] == "not imported by Radarr/Sonarr"
    assert why["BBBB"] == "still in a Radarr/Sonarr queue"
    assert why["CCCC"] == "protected label 'keep'"
    assert why["DDDD"] == "download incomplete"
    assert why["EEEE"].startswith("data /elsewhere/x is outside download_root")
    assert why["FFFF"] == "protected hash"


def test_label_filter():
    r = decide([t("aaaa", ratio=5, label="sonarr"), t("bbbb", ratio=5, label="radarr")], labels=["sonarr"])
    assert removed(r) == ["AAAA"]


def test_min_seed_time_wins_over_ratio_and_cap():
    ts = [t("aaaa", ratio=9, age_days=0.01, size=800 * GB)]
    r = decide(ts, min_seed_hours=24, max_total_gb=100)
    assert removed(r) == []
    assert reasons(r)["AAAA"].startswith("minimum seed time 24h not reached")


def test_capacity_cap_removes_oldest_first_until_under():
    ts = [t("aaaa", ratio=0, age_days=1.5, size=300 * GB), t("bbbb", ratio=0, age_days=1.8, size=300 * GB),
          t("cccc", ratio=0, age_days=0.5, size=300 * GB), t("dddd", ratio=0, age_days=None, size=100 * GB)]
    r = decide(ts, max_total_gb=500)
    assert removed(r) == ["BBBB", "AAAA"]  # 1000 -> 700 -> 400 GB
    assert r["remove"][0]["trigger"] == "capacity"
    assert r["remove"][0]["reason"].startswith("capacity: 1000.0 GB used > max_total_gb 500")
    assert r["used_after"] == 400 * GB


def test_capacity_counts_shared_data_once():
    ts = [t("aaaa", ratio=0, age_days=1, size=400 * GB, path="/dl/X"),
          t("bbbb", ratio=0, age_days=1.5, size=400 * GB, path="/dl/X", label="cross-seed")]
    assert used_bytes(ts) == 400 * GB
    r = decide(ts, imported=[ts[0]["hash"]], max_total_gb=300)
    # removing the imported one frees nothing while its cross-seed stays; the cap cannot be met, nothing else goes
    assert removed(r) == ["AAAA"]
    assert r["remove"][0]["keep_data"] is True
    assert r["remove"][0]["shared_with"] == [ts[1]["hash"]]


def test_cross_seed_pair_both_eligible_last_one_takes_the_data():
    ts = [t("aaaa", ratio=3, age_days=3, path="/dl/X"), t("bbbb", ratio=3, age_days=2, path="/dl/X")]
    r = decide(ts)
    assert removed(r) == ["AAAA", "BBBB"]
    assert [e["keep_data"] for e in r["remove"]] == [True, False]


def test_single_file_inside_pack_folder_is_a_sibling():
    ts = [t("aaaa", ratio=3, path="/dl/Pack"), t("bbbb", ratio=0, path="/dl/Pack/E01.mkv")]
    r = decide(ts, imported=[ts[0]["hash"]])
    assert r["remove"][0]["keep_data"] is True


def test_max_removals():
    ts = [t("aaaa", ratio=3, age_days=3), t("bbbb", ratio=3, age_days=5), t("cccc", ratio=3, age_days=4)]
    r = decide(ts, max_removals=2)
    assert removed(r) == ["BBBB", "CCCC"]
    assert "max_removals 2 reached" in reasons(r)["AAAA"]


def test_under_root():
    assert under_root("/dl/x", "/dl")
    assert under_root("/dl/x/../y", "/dl/")
    assert not under_root("/dl", "/dl")
    assert not under_root("/dl/../etc", "/dl")
    assert not under_root("/dlx/y", "/dl")
    assert not under_root("relative", "/dl")
    assert not under_root("/dl/x", None)


def test_a_file_listed_outside_download_root_keeps_its_torrent_before_anything_is_decided():
    escaping = t("aaaa", ratio=5, age_days=9, size=3 * GB)
    escaping["files"] = ["/dl/AAAA/movie.mkv", "/dl/AAAA/../../etc/passwd"]
    fine = t("bbbb", ratio=5, age_days=9)
    fine["files"] = ["/dl/BBBB/movie.mkv"]
    r = decide([escaping, fine])
    assert removed(r) == ["BBBB"]
    assert reasons(r)["AAAA"] == "file /dl/AAAA/../../etc/passwd is outside download_root"
    assert r["used_after"] == 3 * GB   # the space it holds is still counted as used
    # torrent_only removes no data: no file is touched, so the file list does not matter
    assert removed(decide([escaping, fine], require_root=False)) == ["AAAA", "BBBB"]


def test_a_torrent_grabbed_again_after_its_import_says_so():
    ts = [t("aaaa", ratio=5, age_days=9), t("bbbb", ratio=5, age_days=9)]
    r = decide(ts, imported=[], regrabbed=[ts[0]["hash"].lower()])
    assert reasons(r) == {"AAAA": "grabbed again after its import and not imported again yet",
                          "BBBB": "not imported by Radarr/Sonarr"}
    assert [k["code"] for k in r["keep"]] == ["regrabbed", "not_imported"]


def test_a_cross_seed_sibling_is_named():
    ts = [t("aaaa", ratio=5, age_days=9, path="/dl/Shared"), t("bbbb", ratio=5, age_days=9, path="/dl/Shared")]
    r = decide(ts, imported=[ts[0]["hash"]])
    assert r["remove"][0]["shared_with_names"] == ["BBBB"] and r["remove"][0]["keep_data"] is True


@pytest.mark.parametrize("rel", ["../O/o.mkv", "T/../O/o.mkv", "/etc/passwd", "a//b", "./x", "", "a\0b"])
def test_a_torrent_with_an_invalid_file_path_is_kept(rel):
    from ansible_collections.mediaops.servarr.plugins.module_utils.clients.rtorrent import invalid_file_path
    assert invalid_file_path(rel)
    assert not invalid_file_path("Movie (2020)/Movie.mkv") and not invalid_file_path("..hidden/x.mkv")


def test_plan_keeps_a_torrent_rtorrent_listed_with_an_invalid_path():
    bad = dict(t("aaaa", ratio=5.0, age_days=10), invalid_path="T/../O/o.mkv")
    result = decide([bad, t("bbbb", ratio=5.0, age_days=10)])
    assert removed(result) == ["BBBB"]
    assert result["keep"][0]["code"] == "invalid_path" and "T/../O/o.mkv" in result["keep"][0]["reason"]
