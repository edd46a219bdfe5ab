# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module written against 0.2.0, when module_utils sat at the top of plugins/module_utils, still runs: the old
names are redirected (meta/runtime.yml plugin_routing) to clients/, decisions/ and runs/, with a deprecation."""
import os
import textwrap

import yaml

from conftest import REPO, run_with_vars

OLD_NAMES = ["arr", "data_removal", "extras_clean", "extras_rules", "httpclient", "import_evidence", "import_feed",
             "jellyfin", "lftp", "mirror", "mirror_plan", "purge_policy", "purge_run", "rtorrent", "ssh"]


def test_every_module_util_of_0_2_0_is_redirected_to_a_file_that_exists():
    with open(os.path.join(REPO, "meta", "runtime.yml")) as handle:
        routing = yaml.safe_load(handle)["plugin_routing"]["module_utils"]
    assert sorted(routing) == OLD_NAMES
    for name, entry in routing.items():
        target = entry["redirect"].split(".")
        assert target[:2] == ["mediaops", "servarr"]
        assert os.path.isfile(os.path.join(REPO, "plugins", "module_utils", *target[2:]) + ".py"), entry
        assert entry["deprecation"]["removal_version"] == "1.0.0"


def test_a_module_importing_an_old_name_runs(tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    (library / "old_import.py").write_text(textwrap.dedent("""\
        from ansible.module_utils.basic import AnsibleModule
        from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.purge_policy import under_root
        from ansible_collections.mediaops.servarr.plugins.module_utils.httpclient import ServiceError

        def main():
            module = AnsibleModule(argument_spec={})
            module.exit_json(changed=False, under=under_root("/a/b", "/a"), error=ServiceError.__name__)

        main()
        """))
    (tmp_path / "play.yml").write_text(textwrap.dedent("""\
        - hosts: servarr
          gather_facts: false
          tasks:
            - name: old import
              old_import:
        """))
    result = run_with_vars(str(tmp_path), str(tmp_path / "play.yml"), {},
                           env={"ANSIBLE_LIBRARY": str(library)})
    task = result.task("old import")
    assert result.rc == 0, result.stdout[-3000:]
    assert task["under"] is True and task["error"] == "ServiceError"


def test_the_old_name_seedbox_status_runs_seedbox_info_with_a_deprecation(tmp_path, lab):
    """Issue 17: a read-only module is named *_info; playbooks written against 0.2.0 keep working until 1.0.0."""
    with open(os.path.join(REPO, "meta", "runtime.yml")) as handle:
        entry = yaml.safe_load(handle)["plugin_routing"]["modules"]["seedbox_status"]
    assert entry["redirect"] == "mediaops.servarr.seedbox_info" and entry["deprecation"]["removal_version"] == "1.0.0"
    (tmp_path / "play.yml").write_text(textwrap.dedent("""\
        - hosts: servarr
          gather_facts: false
          tasks:
            - name: old name
              mediaops.servarr.seedbox_status:
                rtorrent_url: "{{ rpc2_url }}"
                rtorrent_username: "{{ user }}"
                rtorrent_password: "{{ password }}"
                rtorrent_ca_path: "{{ ca }}"
        """))
    result = run_with_vars(str(tmp_path), str(tmp_path / "play.yml"),
                           {"rpc2_url": lab["rpc2_url"], "user": lab["rtorrent_username"],
                            "password": lab["rtorrent_password"], "ca": lab["ca_path"]})
    assert result.rc == 0, result.stdout[-3000:]
    task = result.task("old name")
    assert task["changed"] is False and task["torrents"]["total"] >= 1
    assert "seedbox_info" in result.stdout + result.stderr and "deprecat" in (result.stdout + result.stderr).lower()
