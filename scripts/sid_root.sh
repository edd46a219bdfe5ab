#!/usr/bin/env bash
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# A Debian sid root with rTorrent 0.16.x from Debian's own archive, for the lab's "newer rTorrent" tests
# (tests/integration/test_rtorrent_016.py). Built once (debootstrap --variant=minbase, about 30 s), cached beside
# the venv; prints its path last. Run as root (debootstrap, chroot).
#   SERVARR_SID_ROOT: where (default ~/.cache/mediaops-servarr/sid-root)
set -euo pipefail
ROOT="${SERVARR_SID_ROOT:-$HOME/.cache/mediaops-servarr/sid-root}"
MIRROR="${SERVARR_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
if [ -x "$ROOT/usr/bin/rtorrent" ] && [ -f "$ROOT/.servarr-complete" ]; then
  echo "$ROOT"
  exit 0
fi
exec 9>"$ROOT.lock"
flock 9
if [ ! -f "$ROOT/.servarr-complete" ]; then
  echo "sid_root: building $ROOT (debootstrap sid, rtorrent)" >&2
  rm -rf "$ROOT.new"
  debootstrap --variant=minbase sid "$ROOT.new" "$MIRROR" >&2
  # sid's Release file may be past its Valid-Until date
  chroot "$ROOT.new" apt-get -o Acquire::Check-Valid-Until=false -qq update >&2
  chroot "$ROOT.new" env DEBIAN_FRONTEND=noninteractive apt-get -o Acquire::Check-Valid-Until=false install -y -qq \
    --no-install-recommends rtorrent >&2
  chroot "$ROOT.new" apt-get clean >&2
  touch "$ROOT.new/.servarr-complete"
  rm -rf "$ROOT"
  mv "$ROOT.new" "$ROOT"
fi
echo "$ROOT"
