#!/usr/bin/env bash
# Fetches other ZooKeeper releases to test against, from Debian's packages,
# and prints a Java class path for each (zktest reads it from
# ZOOKEEPER_CLASSPATH):
#
#   ZOOKEEPER_CLASSPATH=$(scripts/fetch-zookeeper.sh 3.4.13) go test ./...
#
# Supported releases: 3.4.13 (Debian bullseye) and 3.9.3 (Debian trixie).
#
# The packages come through the Debian mirror apt is already configured with
# (read from /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list), with
# a private apt state: the system's sources, lists and packages are left
# alone, and root is not needed. Each release is unpacked (dpkg -x) into
# ${KAZOO_ZK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kazoo-go/zookeeper}/VERSION
# together with the jars it needs (taken from the same Debian release, since
# the installed ones may be missing or of another version), and its class
# path is written to the file "classpath" there. A release already in the
# cache is not fetched again.
#
# With several versions, one class path is printed per line.
set -euo pipefail

cache_root=${KAZOO_ZK_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/kazoo-go/zookeeper}

die() {
	echo "fetch-zookeeper: $*" >&2
	exit 1
}

[ $# -gt 0 ] || die "usage: $0 VERSION... (3.4.13, 3.9.3)"

# release_info VERSION: sets suite, packages (Debian packages to unpack) and
# jars (the class path, relative to usr/share/java, dependencies first so
# that they win over same-named jars that the server jar's manifest names by
# absolute path).
release_info() {
	case $1 in
	3.4.13)
		suite=bullseye
		packages="libzookeeper-java libslf4j-java liblog4j1.2-java"
		jars="log4j-1.2.jar slf4j-api.jar slf4j-simple.jar zookeeper.jar"
		;;
	3.9.3)
		suite=trixie
		packages="libzookeeper-java libslf4j-java libdropwizard-metrics-java libsnappy-java libcommons-io-java libcommons-cli-java"
		jars="slf4j-api.jar slf4j-simple.jar metrics-core.jar snappy-java.jar commons-io.jar commons-cli.jar zookeeper-jute.jar zookeeper.jar"
		;;
	*)
		die "unsupported version $1 (supported: 3.4.13, 3.9.3)"
		;;
	esac
}

# debian_mirror prints the URI of the Debian archive apt uses for the
# system's own release (not its security or updates suites), and the keyring
# that signs it, separated by a space.
debian_mirror() {
	local codename uri="" keyring=""
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
	shopt -s nullglob
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		# deb822 stanzas: keep the first one of type deb serving $codename.
		read -r uri keyring < <(awk -v want="$codename" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " want " ") && uris != "" && !done) {
					split(uris, u, " "); print u[1], (signed == "" ? "-" : signed); done = 1
				}
				types = suites = uris = signed = ""
			}
			/^[[:space:]]*$/ { flush(); next }
			/^[[:space:]]*#/ { next }
			tolower($1) == "types:" { $1 = ""; types = $0 }
			tolower($1) == "suites:" { $1 = ""; suites = $0 }
			tolower($1) == "uris:" { $1 = ""; uris = $0 }
			tolower($1) == "signed-by:" { signed = $2 }
			END { flush() }
		' "$f") || true
		[ -n "$uri" ] && break
	done
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		# One-line form: deb [options] URI suite components...
		uri=$(awk -v want="$codename" '
			$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			              if ($(i+1) == want) { print $i; exit } }
		' /etc/apt/sources.list) || true
	fi
	[ -n "$uri" ] || die "no Debian mirror for $codename found in apt's sources"
	[ -n "$keyring" ] && [ "$keyring" != "-" ] && [ -f "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || die "no Debian archive keyring ($keyring): apt-get install debian-archive-keyring"
	echo "$uri $keyring"
}

# apt_opts SUITE: sets the array opts, apt's options for a private state for
# SUITE (its own sources list, package lists and cache; no dpkg status).
apt_opts() {
	local state="$cache_root/.apt/$1"
	opts=(
		-o Dir::Etc::SourceList="$state/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o Dir::State::Lists="$state/lists"
		-o Dir::State::status=/dev/null
		-o Dir::Cache="$state/cache"
		-o Debug::NoLocking=1
		-o APT::Sandbox::User="$(id -un)"
		-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
		-o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
		-o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
		-o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
	)
}

fetch() {
	local version=$1 dest="$cache_root/$1"
	release_info "$version"

	# Already there: print and leave, without touching the network.
	if [ -s "$dest/classpath" ]; then
		local ok=1 j
		IFS=: read -ra cp_entries <"$dest/classpath"
		for j in "${cp_entries[@]}"; do [ -e "$j" ] || ok=0; done
		if [ $ok = 1 ]; then
			cat "$dest/classpath"
			return
		fi
	fi

	command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "needs apt-get and dpkg (a Debian system)"
	local state="$cache_root/.apt/$suite" log opts
	apt_opts "$suite"
	mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
	log=$(mktemp)
	trap 'rm -f "$log"' RETURN
	if [ ! -s "$state/sources.list" ] || ! ls "$state/lists/"*_Packages* >/dev/null 2>&1; then
		local mirror keyring
		read -r mirror keyring < <(debian_mirror)
		echo "deb [signed-by=$keyring] $mirror $suite main" >"$state/sources.list"
		apt-get -q "${opts[@]}" update >"$log" 2>&1 || { cat "$log" >&2; die "apt-get update for $suite failed"; }
	fi

	# The package must carry the version asked for.
	local have
	have=$(apt-cache "${opts[@]}" show libzookeeper-java 2>/dev/null | awk '/^Version:/ { print $2; exit }') || true
	case $have in
	"$version"-* | "$version") ;;
	*) die "Debian $suite has libzookeeper-java ${have:-(none)}, not $version" ;;
	esac

	local debs="$state/debs"
	rm -rf "$debs" "$dest.tmp"
	mkdir -p "$debs" "$dest.tmp/root"
	# shellcheck disable=SC2086 # word splitting of the package list is wanted
	(cd "$debs" && apt-get -q "${opts[@]}" download $packages) >"$log" 2>&1 ||
		{ cat "$log" >&2; die "downloading $packages from $suite failed"; }
	local deb
	for deb in "$debs"/*.deb; do
		dpkg -x "$deb" "$dest.tmp/root"
	done
	rm -rf "$debs"

	local cp="" j
	for j in $jars; do
		[ -e "$dest.tmp/root/usr/share/java/$j" ] || die "$j missing from the packages of $suite"
		cp="${cp:+$cp:}$dest/root/usr/share/java/$j"
	done
	echo "$cp" >"$dest.tmp/classpath"
	rm -rf "$dest"
	mv "$dest.tmp" "$dest"
	cat "$dest/classpath"
}

for v in "$@"; do
	fetch "$v"
done
