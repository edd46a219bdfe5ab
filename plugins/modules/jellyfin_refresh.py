#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: jellyfin_refresh
short_description: Have Jellyfin scan just the folders Radarr and Sonarr imported into
version_added: 0.2.0
description:
  - Collects the folders of new imports - from the Radarr/Sonarr history (C(data.importedPath) of
    C(downloadFolderImported) records since a checkpoint) and from O(paths) - maps them from the NAS view to
    Jellyfin's with O(path_map), and sends them all in B(one) C(POST /Library/Media/Updated). Jellyfin rescans
    just those folders instead of every library.
  - A folder under no Jellyfin library (checked against C(GET /Library/VirtualFolders)), or an import whose
    path is unknown, makes the module ask for one full C(POST /Library/Refresh) instead, and warns (such a
    folder usually means O(path_map) does not map this host's paths to Jellyfin's). O(mode=full) always asks
    for a full refresh.
  - Every run, even with nothing new, reads C(GET /Library/VirtualFolders), one cheap request that needs a
    valid administrator's API key (as the full refresh does), so a wrong or revoked key fails the day it
    happens, not the day an import needs sending.
  - The checkpoint advances only after Jellyfin accepted the request, so an import is never missed; when
    Jellyfin is down the next run sends the same folders again. Nothing new means no writing request and no
    change.
author:
  - mediaops.servarr maintainers (@mediaops)
extends_documentation_fragment:
  - mediaops.servarr.jellyfin
  - mediaops.servarr.arr.OPTIONAL
  - mediaops.servarr.attributes
  - mediaops.servarr.attributes.IDEMPOTENT
attributes:
  check_mode:
    support: full
    details: Reads the history and Jellyfin's libraries and reports the request it would send; sends nothing,
      writes no checkpoint and creates no folder (it reports the state folder it would create).
  diff_mode:
    support: full
    details: The diff shows the folders (or the full refresh) that would be sent.
  action_group:
    description: Use C(group/mediaops.servarr.jellyfin) in C(module_defaults) for the Jellyfin connection
      options and C(group/mediaops.servarr.arr) for O(instances).
    support: full
    membership:
      - mediaops.servarr.jellyfin
      - mediaops.servarr.arr
options:
  paths:
    description:
      - Folders or files to refresh, as the NAS (this host) sees them, on top of the imports found in the history.
    type: list
    elements: str
    default: []
  path_map:
    description:
      - How NAS paths appear to Jellyfin (for example Jellyfin in a container that mounts C(/mnt/media) as
        C(/media)). The longest matching O(path_map[].from) wins; paths that match none are sent unchanged.
    type: list
    elements: dict
    default: []
    suboptions:
      from:
        description: Path prefix as this host sees it.
        type: str
        required: true
      to:
        description: The same folder as Jellyfin sees it.
        type: str
        required: true
  mode:
    description:
      - V(targeted) sends the changed folders; V(full) asks for a scan of every library whenever there is
        something new.
    type: str
    choices: [targeted, full]
    default: targeted
  checkpoint:
    description:
      - JSON file that remembers, per instance, the newest import already sent. Used with O(instances).
      - Its folder is created (mode 0700) when missing and its parent exists; a missing parent fails the run
        (in check mode too, where nothing is created).
    type: path
    default: /var/lib/servarr/jellyfin.checkpoint.json
  initial_lookback_hours:
    description:
      - Without a checkpoint, imports from this many hours back count as new.
    type: int
    default: 24
seealso:
  - module: mediaops.servarr.video_extras_clean
  - module: mediaops.servarr.servarr_preflight
"""

EXAMPLES = r"""
- name: Refresh what Radarr and Sonarr imported since the last run
  mediaops.servarr.jellyfin_refresh:
    jellyfin_url: http://127.0.0.1:8096
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    instances:
      - name: radarr
        type: radarr
        url: http://127.0.0.1:7878
        api_key_file: /opt/arr-stack/radarr/config.xml
      - name: sonarr
        type: sonarr
        url: http://127.0.0.1:8989
        api_key_file: /opt/arr-stack/sonarr/config.xml
    path_map:
      - from: /mnt/media
        to: /media
    checkpoint: /var/lib/servarr/jellyfin.checkpoint.json

- name: Refresh two folders by hand
  mediaops.servarr.jellyfin_refresh:
    jellyfin_url: https://jellyfin.example.lan
    jellyfin_api_key: "{{ vault_jellyfin_api_key }}"
    jellyfin_ca_path: /etc/servarr/lan-ca.pem
    paths:
      - /mnt/media/movies/Dune (2021)
      - /mnt/media/series/Andor (2022)/Season 02
"""

RETURN = r"""
mode:
  description: V(targeted) (C(POST /Library/Media/Updated)), V(full) (C(POST /Library/Refresh)) or V(none).
  returned: always
  type: str
  sample: targeted
reason:
  description: Why this mode, for example C(3 folders) or C(1 paths under no Jellyfin library).
  returned: always
  type: str
  sample: 3 folders
paths:
  description: The folders, as Jellyfin sees them, sorted and distinct.
  returned: always
  type: list
  elements: str
  sample: [/media/movies/Dune (2021), /media/series/Andor (2022)/Season 02]
outside_libraries:
  description: Those of RV(paths) that are under no Jellyfin library (a warning names them too).
  returned: always
  type: list
  elements: str
  sample: [/mnt/media/movies/Dune (2021)]
imports:
  description: The new import records.
  returned: always
  type: list
  elements: dict
  sample:
    - instance: radarr
      id: 103
      date: "2026-11-23T10:00:00Z"
      imported_path: /mnt/media/movies/Dune (2021)/Dune (2021).mkv
      folder: /mnt/media/movies/Dune (2021)
  contains:
    instance:
      description: The O(instances[].name) it came from.
      type: str
      sample: radarr
    id:
      description: The history record's id.
      type: int
      sample: 103
    date:
      description: The history record's date, as the application wrote it.
      type: str
      sample: "2026-11-23T10:00:00Z"
    imported_path:
      description: The file imported (C(data.importedPath)), or null when the record has none.
      type: str
      sample: /mnt/media/movies/Dune (2021)/Dune (2021).mkv
    folder:
      description: Its folder as this host sees it, or null (then a full refresh is asked for).
      type: str
      sample: /mnt/media/movies/Dune (2021)
request:
  description: The request sent (in check mode, that would be sent), with C(method), C(path) and C(body).
  returned: when a request is due
  type: dict
  sample:
    method: POST
    path: /Library/Media/Updated
    body: {Updates: [{Path: /media/movies/Dune (2021), UpdateType: Created}]}
sent:
  description: Jellyfin accepted the request.
  returned: always
  type: bool
  sample: true
checkpoint:
  description: The checkpoint after this run (in check mode, as it would be written), per instance C(date) and C(ids).
  returned: when O(instances) is set
  type: dict
  sample: {radarr: {date: "2026-11-23T10:00:00Z", ids: [103]}, sonarr: {date: "2026-11-23T11:30:00Z", ids: [201, 202]}}
state_folders_created:
  description: The folder of O(checkpoint) when this run created it (in check mode, would create it).
  returned: always
  type: list
  elements: str
  sample: [/var/lib/servarr]
  version_added: 0.3.0
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mediaops.servarr.plugins.module_utils.common import (
    arr_client, arr_instances_spec, jellyfin_argument_spec, jellyfin_client)
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.httpclient import ServiceError
from ansible_collections.mediaops.servarr.plugins.module_utils.decisions.import_feed import advance, new_records
from ansible_collections.mediaops.servarr.plugins.module_utils.clients.jellyfin import import_folder, map_path, plan_refresh
from ansible_collections.mediaops.servarr.plugins.module_utils.state_file import (
    DEFAULT_STATE_DIR, StateError, ensure_folder, load, save)


def read_imports(module, state):
    """New import records of every instance, and the checkpoint as it would be after them."""
    found, unknown, checkpoint = [], 0, {}
    lookback = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                             time.gmtime(time.time() - module.params["initial_lookback_hours"] * 3600))
    for instance in module.params["instances"] or []:
        name = instance["name"]
        entry = (state.get("instances") or {}).get(name)
        since = entry["date"] if entry else lookback
        client = arr_client(instance)
        try:
            records = client.imports_since(since)
        finally:
            client.close()
        for record in new_records(records, entry):
            folder = import_folder(record)
            unknown += folder is None
            found.append({"instance": name, "id": record.get("id"), "date": record.get("date"),
                          "imported_path": (record.get("data") or {}).get("importedPath"), "folder": folder})
        after = advance(entry, records)
        if after:
            checkpoint[name] = after
    return found, unknown, checkpoint


def main():
    argument_spec = jellyfin_argument_spec()
    argument_spec.update(arr_instances_spec(required=False))
    argument_spec.update(
        paths=dict(type="list", elements="str", default=[]),
        path_map=dict(type="list", elements="dict", default=[], options={
            "from": dict(type="str", required=True), "to": dict(type="str", required=True)}),
        mode=dict(type="str", choices=["targeted", "full"], default="targeted"),
        checkpoint=dict(type="path", default=os.path.join(DEFAULT_STATE_DIR, "jellyfin.checkpoint.json")),
        initial_lookback_hours=dict(type="int", default=24),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    result = dict(changed=False, sent=False, mode="none", reason="", paths=[], outside_libraries=[], imports=[],
                  state_folders_created=[])
    problem = check_arguments(p)
    if problem:
        module.fail_json(msg="%s; nothing was sent" % problem, **result)
    client = jellyfin_client_or_fail(module, result)
    try:
        # every run: a wrong or revoked key (or one without administrator rights) shows up today
        libraries = client.libraries()
    except ServiceError as exc:
        client.close()
        module.fail_json(msg="%s; nothing was sent and the checkpoint is unchanged" % exc, **result)
    try:
        state = {}
        if p["instances"]:
            folder = os.path.dirname(p["checkpoint"])
            if ensure_folder(folder, check_mode=module.check_mode):
                result["state_folders_created"].append(folder)
                result["changed"] = True
            state = load(p["checkpoint"], default={})
        imports, unknown, checkpoint = read_imports(module, state)
    except (ServiceError, StateError) as exc:
        client.close()
        module.fail_json(msg="%s; nothing was sent and the checkpoint is unchanged" % exc, **result)
    result["imports"] = imports
    if p["instances"]:
        result["checkpoint"] = dict((state.get("instances") or {}), **checkpoint)

    folders = [map_path(i["folder"], p["path_map"]) for i in imports if i["folder"]]
    folders += [map_path(path, p["path_map"]) for path in p["paths"]]
    try:
        plan = plan_refresh(folders, libraries, mode=p["mode"], unknown=unknown)
        result.update(mode=plan["mode"], reason=plan["reason"], paths=plan["paths"], outside_libraries=plan["outside"])
        if plan["outside"]:
            module.warn(outside_warning(plan["outside"], libraries, p["path_map"]))
        if plan["mode"] == "targeted":
            result["request"] = {"method": "POST", "path": "/Library/Media/Updated", "body": {
                "Updates": [{"Path": path, "UpdateType": "Created"} for path in plan["paths"]]}}
        elif plan["mode"] == "full":
            result["request"] = {"method": "POST", "path": "/Library/Refresh", "body": None}
        if module._diff and plan["mode"] != "none":
            what = plan["paths"] if plan["mode"] == "targeted" else ["every library (%s)" % plan["reason"]]
            result["diff"] = {"before_header": "Jellyfin %s" % p["jellyfin_url"],
                              "after_header": "Jellyfin %s: rescan" % p["jellyfin_url"],
                              "before": "", "after": "".join("%s\n" % line for line in what)}
        result["changed"] = result["changed"] or plan["mode"] != "none"
        if module.check_mode or plan["mode"] == "none":
            module.exit_json(**result)
        if plan["mode"] == "targeted":
            client.media_updated(plan["paths"])
        else:
            client.refresh_all()
        result["sent"] = True
    except ServiceError as exc:
        module.fail_json(msg="%s; the checkpoint is unchanged, the next run sends these folders again" % exc, **result)
    finally:
        client.close()

    if p["instances"] and checkpoint:
        try:
            save(p["checkpoint"], {"version": 1, "instances": result["checkpoint"]})
        except (OSError, StateError) as exc:
            module.fail_json(msg="Jellyfin accepted the request but the checkpoint %s could not be written: %s "
                             "(the next run sends these folders again)" % (p["checkpoint"], exc), **result)
    module.exit_json(**result)


def check_arguments(p):
    """The first problem with the options that needs no service to see, or None."""
    for item in p["path_map"]:
        if not item["from"].startswith("/") or not item["to"].startswith("/"):
            return "path_map entries need absolute paths: %s -> %s" % (item["from"], item["to"])
    froms = [item["from"].rstrip("/") or "/" for item in p["path_map"]]
    if len(set(froms)) != len(froms):
        return "path_map maps the same 'from' twice; give each prefix one 'to'"
    for path in p["paths"]:
        if not path.startswith("/"):
            return "paths must be absolute: %r" % path
    if p["initial_lookback_hours"] < 0:
        return "initial_lookback_hours must not be negative (%d)" % p["initial_lookback_hours"]
    if p["jellyfin_timeout"] < 1:
        return "jellyfin_timeout must be at least 1 second (%d)" % p["jellyfin_timeout"]
    names = [instance["name"] for instance in p["instances"] or []]
    if len(set(names)) != len(names):
        return ("instance names must be unique (%s): the checkpoint keeps each instance's place under its name"
                % ", ".join(sorted(set(name for name in names if names.count(name) > 1))))
    for instance in p["instances"] or []:
        if instance["timeout"] < 1:
            return "instance %s: timeout must be at least 1 second (%d)" % (instance["name"], instance["timeout"])
    if p["instances"] and not os.path.isabs(p["checkpoint"]):
        return "checkpoint must be an absolute path: %r" % p["checkpoint"]
    return None


def outside_warning(outside, libraries, path_map):
    """The warning for folders Jellyfin has no library for: almost always a path_map that does not turn this
    host's paths into Jellyfin's."""
    shown = ", ".join(outside[:3]) + (" and %d more" % (len(outside) - 3) if len(outside) > 3 else "")
    locations = sorted(set(loc for _name, locs in libraries for loc in locs))
    return ("%d folder(s) are under no Jellyfin library: %s. Jellyfin's libraries are at %s; check path_map "
            "(%s), which must turn this host's paths into the paths Jellyfin sees. A full library refresh is "
            "asked for instead of a targeted one."
            % (len(outside), shown, ", ".join(locations) or "(none)",
               "; ".join("%s -> %s" % (item["from"], item["to"]) for item in path_map) or "empty"))


def jellyfin_client_or_fail(module, result):
    try:
        return jellyfin_client(module)
    except ServiceError as exc:
        module.fail_json(msg=str(exc), **result)


if __name__ == "__main__":
    main()
