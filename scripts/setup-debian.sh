#!/usr/bin/env bash
# Installs the Debian packages the test suite runs for real. Idempotent; needs root (or sudo).
#   bash scripts/setup-debian.sh [--missing]
set -euo pipefail
# etcd-server and etcd-client (3.4): the kubelet stand-in runs the real etcd from the etcd.yaml static pod the simulated kubeadm writes.
# binutils, dpkg-dev, lintian, rpm and systemd build and check the .deb/.rpm packages (npm run package).
# stress-ng saturates the VIP holder's CPU in the failover benchmark's false-failover run (`npm run bench -- failover`);
# next to the packages above it is small (about 10 MB with its libraries on Debian 12).
# zsh parses the zsh completion coordinatorctl prints (`coordinatorctl completion zsh`).
# prometheus brings promtool, which checks the shipped alert rules (packaging/monitoring/); like keepalived's and
# haproxy's, its package enables its service on a host that runs systemd (the tests never use it).
packages=(keepalived haproxy nats-server etcd-server etcd-client iproute2 nftables openssl curl procps psmisc binutils dpkg-dev lintian rpm systemd stress-ng zsh prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# --missing: only say which are missing (space-separated, nothing when none), for scripts/prepare.sh.
if [ "${1:-}" = "--missing" ]; then
  echo "${missing[*]}"
  exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all Debian packages present (${packages[*]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
# The packaged services must not start on their own in a build container: tests start the daemons themselves.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
