#!/usr/bin/env bash
# Runs first, before `npm test` and `npm run sandbox` (their pre-scripts in package.json), so that each is one command
# on a fresh Debian machine with Node: it installs the Debian packages the tests run for real when it can (as root),
# and the locked npm dependencies when node_modules is missing or older than the lock. It needs nothing from
# node_modules: it is what puts them there.
#
#   bash scripts/prepare.sh test|sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-test}"

# Debian packages: the same list and check as `npm run setup`.
if ! command -v dpkg-query >/dev/null; then
  echo "npm run $what: no dpkg-query here: the tests run keepalived, haproxy, nats-server and etcd from Debian's packages; use Debian 12 or newer (or Ubuntu)" >&2
  exit 1
fi
missing="$(bash scripts/setup-debian.sh --missing)"
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    bash scripts/setup-debian.sh
  else
    echo "npm run $what: missing Debian packages: $missing; install them with: sudo npm run setup" >&2
    exit 1
  fi
fi

# npm dependencies: `npm ci` (the locked versions, exactly) when node_modules is missing or older than the lock or
# package.json. npm writes node_modules/.package-lock.json at the end of every install, so its age is the install's.
stamp=node_modules/.package-lock.json
if [ ! -e "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "npm run $what: installing the locked npm dependencies (npm ci)"
  owner="$(stat -c %u .)"
  entry="$(getent passwd "$owner" || true)"
  if [ "$(id -u)" -eq 0 ] && [ "$owner" -ne 0 ] && [ -n "$entry" ] && command -v runuser >/dev/null; then
    # `sudo npm run sandbox` in someone's clone: node_modules belongs to them, not to root.
    runuser -u "$(echo "$entry" | cut -d: -f1)" -- env HOME="$(echo "$entry" | cut -d: -f6)" npm ci --no-audit --no-fund
  else
    npm ci --no-audit --no-fund
  fi
fi
