#!/usr/bin/env bash
# Copyright (c) 2026, mediaops.servarr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The whole test suite: unit tests, integration tests against the lab of real services, the role's molecule
# scenarios on a throw-away Debian 12 root, ansible-test sanity
# (no ignore file) and ansible-lint (production profile). Installs what it needs (scripts/bootstrap.sh).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$("$REPO/scripts/bootstrap.sh" | tail -n 1)"
export PATH="$VENV/bin:$PATH"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== rTorrent 0.16 from Debian sid in a root of its own (built once, cached): the newer-rTorrent lab tests"
SERVARR_SID_ROOT="$("$REPO/scripts/sid_root.sh" | tail -n 1)"
export SERVARR_SID_ROOT SERVARR_REQUIRE_SID=1

# promtool (Debian's prometheus package, installed by bootstrap.sh): its tests fail here instead of skipping
export SERVARR_REQUIRE_PROMTOOL=1
echo "promtool: $(promtool --version 2>&1 | head -n 1)"

echo "== pytest: unit and integration (lab of real services)"
cd "$REPO"
python -m pytest -p no:cacheprovider -q tests/unit tests/integration

echo "== molecule: the servarr role on a throw-away Debian 12 root (debootstrap, chroot), systemd timers and cron"
# A throw-away ANSIBLE_HOME: molecule installs the collection there, where it cannot shadow this tree later.
started=$(date +%s)
for scenario in default cron; do
  (cd "$REPO" && ANSIBLE_HOME="$WORK/molecule-home" molecule test -s "$scenario")
done
echo "molecule: $(( $(date +%s) - started )) s"

echo "== ansible-test sanity"
# ansible-test wants the tree at .../ansible_collections/<namespace>/<name> and resolves symlinks: copy it.
COLL="$WORK/ansible_collections/mediaops/servarr"
mkdir -p "$COLL"
tar -C "$REPO" --exclude=.git --exclude=__pycache__ --exclude=tests/output -cf - . | tar -C "$COLL" -xf -
if [ -e "$COLL/tests/sanity" ]; then
  echo "tests/sanity must not exist: the collection passes sanity with no ignore file" >&2
  exit 1
fi
(cd "$COLL" && ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
   --color no 2>&1 | { grep -v -E "^WARNING: Location|^(Looking in|Collecting|  Downloading|Installing collected|Successfully installed|Requirement already)" || true; })

echo "== ansible-test units (pytest-xdist, as Galaxy users and ansible-test run them)"
(cd "$COLL" && ansible-test units --local --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
   --color no 2>&1 | { grep -v -E "^WARNING: (Location|Using locale|Reviewing previous)" || true; })

echo "== ansible-lint (production profile)"
(cd "$COLL" && ANSIBLE_COLLECTIONS_PATH="$WORK" ansible-lint --profile production --offline)

# meta/runtime.yml claims requires_ansible >= 2.16: try that version too, in its own venv (bootstrap.sh --min).
VENV_MIN="$("$REPO/scripts/bootstrap.sh" --min | tail -n 1)"
MIN_VERSION="$("$VENV_MIN/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
echo "== lowest claimed ansible-core ($MIN_VERSION): sanity compile and import, site.yml --check against the lab"
start=$SECONDS
(cd "$COLL" && "$VENV_MIN/bin/ansible-test" sanity --test compile --test import \
   --python "$("$VENV_MIN/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no 2>&1 \
   | { grep -v -E "^WARNING: Location|^(Looking in|Collecting|  Downloading|Installing collected|Successfully installed|Requirement already|Processing|Using cached)" || true; })
"$VENV_MIN/bin/python" -m pytest -p no:cacheprovider -q tests/integration/test_site.py
echo "(ansible-core $MIN_VERSION step: $((SECONDS - start)) s)"
# ... and the newest (bootstrap.sh --max: Python 3.12, the newest ansible-core release): every sanity test, and
# the same playbook against the lab.
VENV_MAX="$("$REPO/scripts/bootstrap.sh" --max | tail -n 1)"
MAX_VERSION="$("$VENV_MAX/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
echo "== newest claimed ansible-core ($MAX_VERSION): ansible-test sanity, site.yml --check against the lab"
start=$SECONDS
(cd "$COLL" && "$VENV_MAX/bin/ansible-test" sanity \
   --python "$("$VENV_MAX/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no 2>&1 \
   | { grep -v -E "^WARNING: Location|^(Looking in|Collecting|  Downloading|Installing collected|Successfully installed|Requirement already|Processing|Using cached)" || true; })
"$VENV_MAX/bin/python" -m pytest -p no:cacheprovider -q tests/integration/test_site.py
echo "(ansible-core $MAX_VERSION step: $((SECONDS - start)) s)"

echo "== Galaxy's importer on the artifact ansible-galaxy builds, and antsibull-docs"
# galaxy-importer as Galaxy runs it, but for its ansible-test step, which needs a container engine: the
# sanity steps above are that test, on the oldest and newest ansible-core. Any ERROR or WARNING fails.
VENV_IMPORTER="$("$REPO/scripts/bootstrap.sh" --importer | tail -n 1)"
BUILD="$WORK/build"
mkdir -p "$BUILD"
ansible-galaxy collection build --output-path "$BUILD" "$COLL" >/dev/null
printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = True\n' > "$BUILD/importer.cfg"
if ! (cd "$BUILD" && PATH="$VENV_IMPORTER/bin:$PATH" GALAXY_IMPORTER_CONFIG="$BUILD/importer.cfg" \
      "$VENV_IMPORTER/bin/python" -m galaxy_importer.main "$BUILD"/mediaops-servarr-*.tar.gz >"$BUILD/importer.log" 2>&1); then
  cat "$BUILD/importer.log" >&2
  exit 1
fi
if grep -E "ERROR|WARNING" "$BUILD/importer.log"; then
  echo "galaxy-importer reported the problems above" >&2
  exit 1
fi
grep -E "Importer processing completed successfully" "$BUILD/importer.log"
echo "== antsibull-docs: the plugins' docs and the docsite guides render"
(cd "$COLL" && ANSIBLE_COLLECTIONS_PATH="$WORK" PATH="$VENV_IMPORTER/bin:$PATH" \
   antsibull-docs lint-collection-docs --plugin-docs .)
echo "== all tests passed"
