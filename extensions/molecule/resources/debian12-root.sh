#!/usr/bin/env bash
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The molecule scenarios' fresh Debian 12 host: debootstrap --variant=minbase bookworm, plus what a Proxmox
# Debian 12 LXC template has and Ansible needs (systemd, python3), cached under ~/.cache/mediaops-servarr and
# rebuilt when missing. Prints the cached root's path. The test machine's own mirror settings (apt sources,
# apt.conf.d, the CA bundle that pip needs behind this machine's proxy) are copied in: they are not the role's.
set -euo pipefail
CACHE="${SERVARR_CACHE:-$HOME/.cache/mediaops-servarr}"
ROOT="$CACHE/debian12-root"
STAMP="$ROOT/.mediaops-servarr-root-v1"
if [ ! -e "$STAMP" ]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing (scripts/bootstrap.sh installs it)" >&2; exit 1; }
  mirror="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  tmp="$CACHE/debian12-root.building.$$"
  rm -rf "$tmp" "$ROOT"
  mkdir -p "$CACHE"
  echo "building a Debian 12 root with debootstrap (about a minute)" >&2
  debootstrap --variant=minbase --include=systemd,python3 bookworm "$tmp" "$mirror" >&2
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    rm -f "$tmp/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$tmp/etc/apt/sources.list.d/debian.sources"
  fi
  for conf in /etc/apt/apt.conf.d/99*; do [ -f "$conf" ] && cp "$conf" "$tmp/etc/apt/apt.conf.d/"; done
  mkdir -p "$tmp/usr/local/share/servarr-test"
  cp /etc/ssl/certs/ca-certificates.crt "$tmp/usr/local/share/servarr-test/ca-bundle.pem" 2>/dev/null || true
  rm -rf "$tmp/var/cache/apt/archives/"*.deb
  touch "$tmp/.mediaops-servarr-root-v1"
  mv "$tmp" "$ROOT"
fi
echo "$ROOT"
