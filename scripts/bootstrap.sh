#!/usr/bin/env bash
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what the demo and the tests need on a fresh Debian 12 machine (as root or with sudo):
# the real services of the lab from Debian's packages, and a Python venv with Ansible and the test tools.
# Idempotent and quick when everything is already there. Prints the venv's path last.
#   --min: build (or reuse) instead the second venv with the LOWEST ansible-core the collection claims
#          (tests/requirements-min.txt, $SERVARR_VENV_MIN, default ~/.cache/mediaops-servarr/venv-min) and print
#          its path last; tests/run.sh runs sanity compile/import and a playbook against the lab with it.
#   --max: the same for the NEWEST ansible-core (tests/requirements-max.txt, on Python 3.12 as 2.20+ require:
#          $SERVARR_PYTHON_MAX, else python3.12 from PATH or pyenv; $SERVARR_VENV_MAX, default .../venv-max).
#   --importer: Galaxy's importer (tests/requirements-importer.txt, $SERVARR_VENV_IMPORTER, default .../venv-importer).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${SERVARR_VENV:-$HOME/.cache/mediaops-servarr/venv}"
REQUIREMENTS="$REPO/tests/requirements.txt"
CHECK_IMPORT="import ansible, paramiko, pytest, jsonschema"
if [ "${1:-}" = "--min" ]; then
  VENV="${SERVARR_VENV_MIN:-$HOME/.cache/mediaops-servarr/venv-min}"
  REQUIREMENTS="$REPO/tests/requirements-min.txt"
  CHECK_IMPORT="import ansible, paramiko, pytest"
elif [ "${1:-}" = "--max" ]; then
  VENV="${SERVARR_VENV_MAX:-$HOME/.cache/mediaops-servarr/venv-max}"
  REQUIREMENTS="$REPO/tests/requirements-max.txt"
  CHECK_IMPORT="import ansible, paramiko, pytest, jsonschema"
  PYTHON="${SERVARR_PYTHON_MAX:-}"
  if [ -z "$PYTHON" ]; then
    for candidate in "$(command -v python3.12 || true)" "$HOME"/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
      if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
        PYTHON="$candidate"; break
      fi
    done
  fi
  if [ -z "$PYTHON" ]; then
    echo "bootstrap: --max needs Python 3.12 (set SERVARR_PYTHON_MAX)" >&2
    exit 1
  fi
elif [ "${1:-}" = "--importer" ]; then
  VENV="${SERVARR_VENV_IMPORTER:-$HOME/.cache/mediaops-servarr/venv-importer}"
  REQUIREMENTS="$REPO/tests/requirements-importer.txt"
  CHECK_IMPORT="import galaxy_importer"
fi
PYTHON="${PYTHON:-python3}"
# prometheus: only for its promtool (the textfile, the alerting rules and their unit tests), installed without
# its recommends (which add node_exporter, ipmitool, smartmontools... 36 packages instead of 12; about 20 s and
# 19 MB to download on Debian 12).
PACKAGES=(rtorrent lighttpd openssh-server openssh-client lftp openssl python3-venv shellcheck debootstrap systemd-container
          prometheus)
NO_RECOMMENDS=(prometheus)

missing=()
missing_bare=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    if [[ " ${NO_RECOMMENDS[*]} " == *" $p "* ]]; then missing_bare+=("$p"); else missing+=("$p"); fi
  fi
done
if [ "$(( ${#missing[@]} + ${#missing_bare[@]} ))" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing ${missing[*]} ${missing_bare[*]}" >&2
  $SUDO apt-get update -qq >&2
  if [ "${#missing[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
  fi
  if [ "${#missing_bare[@]}" -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing_bare[@]}" >&2
  fi
  if [[ " ${missing_bare[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    # the package enables and starts a Prometheus server; the tests want only promtool
    $SUDO systemctl disable --now prometheus.service >&2 || true
  fi
fi

stamp="$VENV/.requirements.sha"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: creating $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2
  # (the grep drops pip's warnings about this machine's unused local index folders)
  "$VENV/bin/pip" install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; } >&2
  "$VENV/bin/pip" install -q -r "$REQUIREMENTS" 2>&1 | { grep -v "^WARNING: Location" || true; } >&2
  "$VENV/bin/python" -c "$CHECK_IMPORT" >&2
  echo "$want" > "$stamp"
fi

# ansible-test downloads a pip bootstrap script from a host these machines cannot reach; give it a stand-in
# that bootstraps pip from the interpreter's own ensurepip (see ENVIRONMENT.md). The name carries the pip
# version that ansible-test pins: 23_1_2 for ansible-core 2.16 (tests/requirements-min.txt), 24_2 for 2.19.
cache="$HOME/.ansible/test/cache"
mkdir -p "$cache"
for ver in 23_1_2 24_2 25_0 25_1 25_2 25_3; do
  cat > "$cache/get_pip_${ver}.py" <<'PY'
import ensurepip, os, subprocess, sys
ensurepip.bootstrap()
for var in ("PIP_CONFIG_FILE", "ENSUREPIP_OPTIONS"):
    os.environ.pop(var, None)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY
done
echo "$VENV"
