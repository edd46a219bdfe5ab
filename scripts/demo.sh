#!/usr/bin/env bash
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The main job as a dry run against a local lab of real services: starts rTorrent, lighttpd (HTTPS + Digest),
# sshd, the Radarr/Sonarr/Jellyfin doubles and a NAS folder on 127.0.0.1, runs playbooks/site.yml (seedbox sync
# with real lftp, seedbox purge, video cleanup, Jellyfin refresh) with --check --diff, and stops the lab again.
# Nothing is fetched, removed or sent.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$("$REPO/scripts/bootstrap.sh" | tail -n 1)"
LAB="${SERVARR_LAB_DIR:-/tmp/servarr-demo-lab}"
PY="$VENV/bin/python"
trap '"$PY" "$REPO/tests/lab/lab.py" stop --dir "$LAB"' EXIT
"$PY" "$REPO/tests/lab/lab.py" start --dir "$LAB" >/dev/null
"$PY" "$REPO/tests/lab/lab.py" inventory --dir "$LAB" --python "$PY" > "$LAB/inventory.yml"
echo "lab: $LAB (rTorrent behind HTTPS + Digest, sshd + lftp, Radarr/Sonarr/Jellyfin doubles, NAS folder)"
ANSIBLE_COLLECTIONS_PATH="$LAB/collections" ANSIBLE_HOME="$LAB/ansible-home" ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-}" \
  "$VENV/bin/ansible-playbook" -i "$LAB/inventory.yml" "$REPO/playbooks/site.yml" --check --diff "$@"
