#!/usr/bin/env bash
# The main job as a dry run against a local lab of real services: starts rTorrent, lighttpd (HTTPS + Digest),
# sshd and the Radarr/Sonarr doubles on 127.0.0.1, runs the seedbox purge playbook with --check --diff, and
# stops the lab again. Nothing is removed.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$("$REPO/scripts/bootstrap.sh" | tail -n 1)"
LAB="${SERVARR_LAB_DIR:-/tmp/servarr-demo-lab}"
PY="$VENV/bin/python"
trap '"$PY" "$REPO/tests/lab/lab.py" stop --dir "$LAB"' EXIT
"$PY" "$REPO/tests/lab/lab.py" start --dir "$LAB" >/dev/null
"$PY" "$REPO/tests/lab/lab.py" inventory --dir "$LAB" --python "$PY" > "$LAB/inventory.yml"
echo "lab: $LAB (rTorrent behind HTTPS + Digest, sshd, Radarr and Sonarr doubles)"
ANSIBLE_COLLECTIONS_PATH="$LAB/collections" ANSIBLE_HOME="$LAB/ansible-home" ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-}" \
  "$VENV/bin/ansible-playbook" -i "$LAB/inventory.yml" "$REPO/playbooks/seedbox_purge.yml" --check --diff "$@"
