#!/usr/bin/env bash
# Installs, on Debian, what the test suite needs and the machine lacks:
# ZooKeeper (server jars for zktest), a Java runtime, and the other clients the
# benchmarks and compatibility tests compare against (python3-kazoo, the C
# client's headers, Curator), and the MIT KDC and kinit for the Kerberos
# tests. Quiet when everything is there; runs apt-get update once, and only
# when something is missing. Uses sudo unless root.
set -euo pipefail

packages=(zookeeper libzookeeper-java python3-kazoo libzookeeper-mt-dev libcurator-recipes-java
	libcurator-discovery-java krb5-kdc krb5-admin-server krb5-user)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done
command -v java >/dev/null || missing+=(default-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null || {
	echo "install-deps: not a Debian system; install by hand: ${missing[*]}" >&2
	exit 1
}
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive "$@" >"$log" 2>&1 || {
		cat "$log" >&2
		echo "install-deps: failed: $*" >&2
		exit 1
	}
}
# Wait for another apt (another session, unattended upgrades) rather than fail.
lock=(-o DPkg::Lock::Timeout=300)
echo "install-deps: installing ${missing[*]}" >&2
run apt-get "${lock[@]}" -qq update
run apt-get "${lock[@]}" -qq install -y --no-install-recommends "${missing[@]}"
