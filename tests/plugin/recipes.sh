#!/usr/bin/env bash
# tests/plugin/recipes.sh — the out-of-tree plugin recipes of
# docs/plugin-abi.md, run exactly as written there: each fenced block after
# a `<!-- recipe: NAME -->` line, in a folder that looks like a memvirt
# checkout (plugins/, build/).  "installed": against the SDK installed by
# `meson install` (into a scratch destination; pkg-config is told where),
# "uninstalled": against the build tree's memvirt-uninstalled.pc.
set -u
memvirt=$(cd "$(dirname "${1:?memvirt}")" && pwd)/$(basename "$1") build=${2:?build dir}
src=${MEMVIRT_SOURCE_ROOT:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

recipe() { # name: the block's lines
	awk -v want="<!-- recipe: $1 -->" '
		$0 == want { armed = 1; next }
		armed && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$src/docs/plugin-abi.md"
}

# The installed SDK, in a scratch destination.
meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "meson install"; }
pcdir=$(dirname "$(find "$work/root" -name memvirt.pc | head -n 1)")
prefix=$(find "$work/root" -type d -path '*/include/memvirt' | head -n 1)
prefix=${prefix%/include/memvirt}
# What a user has on PATH: memvirt, and pkg-config finding the install.
mkdir -p "$work/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$memvirt" >"$work/bin/memvirt"
printf '#!/bin/sh\nPKG_CONFIG_PATH="%s${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" exec /usr/bin/pkg-config --define-variable=prefix="%s" "$@"\n' \
	"$pcdir" "$prefix" >"$work/bin/pkg-config"
chmod +x "$work/bin/memvirt" "$work/bin/pkg-config"

for name in installed uninstalled; do
	body=$(recipe "$name")
	if [ -z "$body" ]; then
		fail "docs/plugin-abi.md has no '$name' recipe"
		continue
	fi
	dir=$work/$name
	mkdir -p "$dir"
	ln -s "$src/plugins" "$dir/plugins"
	ln -s "$(cd "$build" && pwd)" "$dir/build"
	if ! (cd "$dir" && PATH="$work/bin:$PATH" bash -euo pipefail -c "$body") >"$work/$name.log" 2>&1; then
		fail "the '$name' recipe failed:"$'\n'"$body"$'\n'"$(tail -n 20 "$work/$name.log")"
		continue
	fi
	[ -f "$dir/cr3-trace.so" ] || fail "the '$name' recipe built no cr3-trace.so"
	grep -q "cr3_trace_writes" "$work/$name.log" || fail "the '$name' recipe's run shows no cr3_trace_writes: $(tail -n 5 "$work/$name.log")"
	echo "ok: the '$name' recipe"
done
[ "$failures" -eq 0 ] || exit 1
