#!/usr/bin/env bash
# Print "<tarball> <version>" of the newest linux-source-7.x in Debian sid.
# Uses a private apt state dir under the cache: the system's apt sources,
# lists and dpkg status are untouched, and nothing is installed (apt-get
# download + dpkg-deb -x). Exit 77 with the reason when it can't be had.
. "$(dirname "$0")/lib.sh"
A="$KB_CACHE/apt-sid"
mkdir -p "$A/etc/sources.list.d" "$A/etc/preferences.d" "$A/state/lists/partial" \
         "$A/cache/archives/partial" "$KB_CACHE/debs"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $KB_SID_MIRROR sid main" > "$A/etc/sources.list"
: > "$A/state/status"
apt_opts=(-o "Dir::Etc=$A/etc" -o "Dir::Etc::sourcelist=$A/etc/sources.list"
          -o "Dir::Etc::sourceparts=$A/etc/sources.list.d" -o "Dir::Etc::preferencesparts=$A/etc/preferences.d"
          -o "Dir::State=$A/state" -o "Dir::State::status=$A/state/status" -o "Dir::Cache=$A/cache"
          -o "APT::Sandbox::User=root" -o "Acquire::Languages=none" -o "APT::Architectures::=amd64")
skip() { echo "lane latest unavailable: $*" >&2; exit 77; }

# Refresh the sid index at most every 12 hours.
stamp="$A/state/.updated"
if [ -z "$(find "$stamp" -mmin -720 2>/dev/null)" ]; then
    if timeout 120 apt-get -q "${apt_opts[@]}" update >"$A/update.log" 2>&1; then
        touch "$stamp"
    elif ! ls "$A/state/lists/"*_Packages >/dev/null 2>&1; then
        skip "could not reach Debian sid ($(tail -1 "$A/update.log"))"
    fi
fi
pkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-source-7 2>/dev/null | grep -E "$KB_LATEST_PATTERN" | sort -V | tail -1 || true)
[ -n "$pkg" ] || skip "Debian sid carries no package matching $KB_LATEST_PATTERN"
ver=$(apt-cache "${apt_opts[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
[ -n "$ver" ] || skip "no version found for $pkg in sid"
deb="$KB_CACHE/debs/${pkg}_${ver}_all.deb"
if [ ! -f "$deb" ]; then
    ( cd "$KB_CACHE/debs" && timeout 600 apt-get -q "${apt_opts[@]}" download "$pkg=$ver" >&2 ) \
        || skip "apt-get download $pkg=$ver failed"
fi
x="$KB_CACHE/debs/${pkg}_${ver}"
if [ ! -f "$x/.extracted" ]; then
    rm -rf "$x"; dpkg-deb -x "$deb" "$x" || skip "dpkg-deb -x $deb failed"; touch "$x/.extracted"
fi
tarball=$(ls "$x"/usr/src/linux-source-*.tar.xz 2>/dev/null | head -1)
[ -n "$tarball" ] || skip "$deb holds no kernel tarball"
echo "$tarball $ver"
