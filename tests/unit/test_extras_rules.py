# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jellyfin's extras rules and the protections, decided without touching a file system."""
import pytest

from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.extras_rules import (
    RULE_SAMPLE_SIZE, ExtrasRules, RulesError, is_episode)

MB = 1024 * 1024
RULES = ExtrasRules(min_video_size=500 * MB)


def decide(folder, names, sizes=None, is_root=False, rules=RULES):
    sizes = sizes or {}
    extras, protected = rules.decide(folder, is_root, sorted(names), lambda n: sizes.get(n, 2000 * MB))
    return dict(extras), dict((n, reason) for n, _rule, reason in protected)


@pytest.mark.parametrize("name,rule", [
    ("trailer.mp4", "name trailer"), ("SAMPLE.mkv", "name sample"), ("300-trailer.mp4", "suffix -trailer"),
    ("300-trailer2.mp4", "suffix -trailer"), ("300.trailer.mkv", "suffix .trailer"), ("300_sample.avi", "suffix _sample"),
    ("300 - trailer.mkv", "suffix - trailer"), ("300-scene2.mp4", "suffix -scene"), ("300-clip.mp4", "suffix -clip"),
    ("300-deleted.mp4", "suffix -deleted"), ("300-deletedscene.mp4", "suffix -deletedscene"),
    ("300-interview.mp4", "suffix -interview"), ("300-behindthescenes.mp4", "suffix -behindthescenes"),
    ("300-featurette.mkv", "suffix -featurette"), ("300-short.mkv", "suffix -short"), ("300-extra.mkv", "suffix -extra"),
    ("300-other.mkv", "suffix -other"),
])
def test_jellyfin_names_are_extras(name, rule):
    assert RULES.name_rule(name) == rule


@pytest.mark.parametrize("name", [
    "stuff trailerthings.mkv", "The Big Short (2015).mkv", "Trailer Park Boys S01E01.mkv", "Trailer (2023).mkv",
    "The Making of a Legend (2020).mkv", "Sampler.mkv", "trailer.mp3.txt", "Short Circuit (1986).mkv",
])
def test_ordinary_names_are_not(name):
    assert RULES.name_rule(name) is None


@pytest.mark.parametrize("name,episode", [
    ("Show S01E02.mkv", True), ("show.s1e2.mkv", True), ("Show S01E01-E02.mkv", True), ("Show 1x02.avi", True),
    ("Show - 12x102 - x.mkv", True), ("Movie 1920x1080.mkv", False), ("Movie (2020).mkv", False),
    ("S1Intro.mkv", False), ("Boss01E02.mkv", False), ("Movie 2x1080p.mkv", False),
])
def test_episode_parsing(name, episode):
    assert is_episode(name) is episode


@pytest.mark.parametrize("folder", ["trailers", "Featurettes", "behind the scenes", "Deleted Scenes", "extras",
                                    "other", "clips", "backdrops"])
def test_every_video_in_an_extras_folder_is_an_extra(folder):
    extras, protected = decide(folder, ["a.mkv", "Something big.mkv"], {"a.mkv": 10})
    assert extras == {"a.mkv": "folder " + folder, "Something big.mkv": "folder " + folder}
    assert protected == {}


def test_the_library_root_itself_is_never_an_extras_folder():
    extras, _protected = decide("extras", ["Movie (2001).mkv", "Other (2002).mkv"], is_root=True)
    assert extras == {}


def test_the_largest_video_is_never_an_extra_whatever_its_name():
    extras, protected = decide("Lonely (2018)", ["sample.mkv"])
    assert extras == {} and protected == {"sample.mkv": "largest video in its folder"}
    extras, protected = decide("X", ["X-trailer.mkv", "X.mkv"], {"X-trailer.mkv": 3000 * MB, "X.mkv": 100 * MB})
    assert extras == {} and protected == {"X-trailer.mkv": "largest video in its folder"}


def test_episodes_are_never_extras_even_in_an_extras_folder():
    extras, protected = decide("Season 01", ["Show S01E01-sample.mkv", "Show S01E01.mkv"], {"Show S01E01-sample.mkv": 5})
    assert extras == {} and protected == {"Show S01E01-sample.mkv": "parses as an episode"}
    extras, protected = decide("samples", ["Show S01E01.mkv", "x.mkv"])
    assert extras == {"x.mkv": "folder samples"} and protected == {"Show S01E01.mkv": "parses as an episode"}


def test_size_alone_never_makes_an_extra():
    # short episodes, short films, a flat root, two versions of one film: nothing
    episodes = {"Show S01E01.mkv": 200 * MB, "Show S01E02.mkv": 210 * MB}
    assert decide("Season 1", sorted(episodes), episodes)[0] == {}
    assert decide("Shorts (2007)", ["a.mkv", "b.mkv"], {"a.mkv": 90 * MB, "b.mkv": 120 * MB})[0] == {}
    assert decide("movies", ["A.mkv", "B.mkv"], {"A.mkv": 3000 * MB, "B.mkv": 300 * MB}, is_root=True)[0] == {}
    assert decide("Heat", ["a.mkv", "b.mkv", "c.mkv"], {"a.mkv": 2000 * MB, "b.mkv": 3000 * MB, "c.mkv": 10 * MB})[0] == {}


def test_small_video_beside_one_feature_is_a_sample():
    extras, _protected = decide("Dune (2021)", ["Dune (2021).mkv", "rarbg.com.mp4"],
                                {"Dune (2021).mkv": 3000 * MB, "rarbg.com.mp4": 12 * MB})
    assert extras == {"rarbg.com.mp4": RULE_SAMPLE_SIZE}
    off = ExtrasRules(min_video_size=0)
    assert decide("Dune (2021)", ["Dune (2021).mkv", "rarbg.com.mp4"],
                  {"Dune (2021).mkv": 3000 * MB, "rarbg.com.mp4": 12 * MB}, rules=off)[0] == {}


def test_sizes_are_asked_for_only_when_a_decision_needs_them():
    asked = []

    def size_of(name):
        asked.append(name)
        return 1

    RULES.decide("Season 1", False, ["Show S01E01.mkv", "Show S01E02.mkv"], size_of)
    RULES.decide("Movie (2000)", False, ["Movie (2000).mkv"], size_of)
    assert asked == []


def test_user_patterns_and_folders_add_to_the_rules_and_bad_ones_are_refused():
    rules = ExtrasRules(patterns=[r"\bproof\b"], extra_folder_names=["Bonus"])
    assert rules.name_rule("x-proof.jpg.mkv") == r"pattern \bproof\b"
    assert rules.folder_rule("bonus", False) == "folder bonus"
    with pytest.raises(RulesError, match="not a valid regular expression"):
        ExtrasRules(patterns=["("])
    with pytest.raises(RulesError, match="single folder name"):
        ExtrasRules(extra_folder_names=["a/b"])


# ---- Jellyfin's own ExtraTests (tests/Jellyfin.Naming.Tests/Video/ExtraTests.cs, v10.11), name for name -------
# Each case is a path as upstream writes it and whether Jellyfin 10.11 takes the video for an extra. Upstream
# tests one file at a time; here the file is decided as the single extra beside a larger feature, so that the
# largest-video protection does not hide the rule.

def jellyfin_says_extra(path, library_root=""):
    """Whether our rules make ``path`` an extra, decided as the scan would: its immediate folder's name (not
    when that folder is the library root) or its file name."""
    folder, _sep, name = path.rpartition("/")
    if not RULES.is_video(name):
        return False
    is_root = folder == library_root or folder == ""
    if RULES.folder_rule(folder.rpartition("/")[2], is_root):
        return True
    return RULES.name_rule(name) is not None


@pytest.mark.parametrize("path", ["trailer.mp4", "300-trailer.mp4", "300.trailer.mp4", "300_trailer.mp4",
                                  "300 - trailer.mp4"])
def test_kodi_extras(path):
    assert jellyfin_says_extra(path)


@pytest.mark.parametrize("path,extra", [
    ("trailer.mp4", True), ("trailer.mp3", False), ("300-trailer.mp4", True), ("stuff trailerthings.mkv", False),
    ("theme.mkv", False), ("300-scene.mp4", True), ("300-scene2.mp4", True), ("300-clip.mp4", True),
    ("300-deleted.mp4", True), ("300-deletedscene.mp4", True), ("300-interview.mp4", True),
    ("300-behindthescenes.mp4", True), ("300-featurette.mp4", True), ("300-short.mp4", True),
    ("300-extra.mp4", True), ("300-other.mp4", True),
])
def test_expanded_extras(path, extra):
    assert jellyfin_says_extra(path) is extra


@pytest.mark.parametrize("dir_name", ["behind the scenes", "deleted scenes", "interviews", "scenes", "samples",
                                      "shorts", "trailers", "featurettes", "clips", "backdrops", "extra", "extras",
                                      "other"])
def test_directories_video_extras(dir_name):
    assert jellyfin_says_extra(dir_name + "/300.mp4")
    assert jellyfin_says_extra("300/" + dir_name + "/something.mkv")
    assert jellyfin_says_extra("/data/something/Movies/300/" + dir_name + "/whoknows.mp4")


@pytest.mark.parametrize("dir_name", ["gibberish", "not a scene", "The Big Short"])
def test_non_extra_directories(dir_name):
    assert not jellyfin_says_extra(dir_name + "/300.mp4")
    assert not jellyfin_says_extra("300/" + dir_name + "/something.mkv")
    assert not jellyfin_says_extra("/data/something/Movies/300/" + dir_name + "/whoknows.mp4")
    assert not jellyfin_says_extra("/data/something/Movies/" + dir_name + "/" + dir_name + ".mp4")


@pytest.mark.parametrize("dir_name", ["trailers", "backdrops", "behind the scenes", "deleted scenes", "interviews",
                                      "scenes", "samples", "shorts", "featurettes", "extras", "extra", "other",
                                      "clips"])
def test_top_level_directories_with_video_extra_names(dir_name):
    library_root = "/data/something/" + dir_name
    assert not jellyfin_says_extra(library_root + "/300.mp4", library_root)
    assert jellyfin_says_extra(library_root + "/300/" + dir_name + "/something.mkv", library_root)


@pytest.mark.parametrize("path", ["sample.mp4", "300-sample.mp4", "300.sample.mp4", "300_sample.mp4",
                                  "300 - sample.mp4"])
def test_sample(path):
    assert jellyfin_says_extra(path)


@pytest.mark.parametrize("path", ["I Live In A Trailer.mp4", "The DNA Sample.mp4"])
def test_suffix_part_of_title(path):
    assert not jellyfin_says_extra(path)


@pytest.mark.parametrize("name,rule", [
    # the token is "- trailer" / "- sample", without a leading space (NamingOptions.cs, 10.11)
    ("Collateral- trailer.mkv", "suffix - trailer"), ("Collateral- Trailer2.mkv", "suffix - trailer"),
    ("Collateral - trailer.mkv", "suffix - trailer"), ("Collateral- sample.mkv", "suffix - sample"),
    ("Collateral -  trailer.mkv", None),   # two spaces: Jellyfin does not take it either
])
def test_jellyfin_1011_suffix_tokens(name, rule):
    assert RULES.name_rule(name) == rule


def test_collateral_dash_trailer_is_found_in_a_folder():
    extras, _protected = decide("Collateral (2004)", ["Collateral (2004).mkv", "Collateral- trailer.mkv"],
                                {"Collateral (2004).mkv": 3000 * MB, "Collateral- trailer.mkv": 50 * MB})
    assert extras == {"Collateral- trailer.mkv": "suffix - trailer"}
    assert RULES.videos_to_look_at("Collateral (2004)", False, ["Collateral (2004).mkv", "Collateral- trailer.mkv"])
