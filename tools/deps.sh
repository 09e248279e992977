#!/bin/bash
# Install the Debian packages efa-monitor needs to build, test and demo.
# Idempotent: does nothing when everything is there. Needs root to install.
set -euo pipefail

PACKAGES=(
	autoconf automake libtool pkg-config make gcc
	clang libclang-rt-dev
	libcurl4-openssl-dev libssl-dev libcjson-dev check zlib1g-dev
	python3 python3-botocore procps iproute2 awscli
	systemd logrotate
	prometheus prometheus-node-exporter curl
	libslurm-dev slurm-wlm slurmctld slurmd munge
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "efa-monitor: missing Debian packages: ${missing[*]}" >&2
	echo "efa-monitor: run this as root (sudo $0), or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "efa-monitor: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
