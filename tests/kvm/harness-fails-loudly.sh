#!/bin/bash
# tests/kvm/harness-fails-loudly.sh — run-in-qemu.sh must fail (exit 1, not
# skip with 77) and name the fix when QEMU is missing or when apt cannot
# resolve the cloud kernel package and nothing is cached.
set -u
harness=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() { # name rc-wanted text-wanted rc output
	if [ "$4" -ne "$2" ] || ! grep -qF -- "$3" <<<"$5"; then
		echo "FAIL $1: rc=$4 (want $2), output:"
		echo "$5" | sed 's/^/    /'
		echo "  (wanted the text: $3)"
		fail=1
	else
		echo "ok $1: $(head -n 1 <<<"$5")"
	fi
}

# 1. No qemu-system-x86_64 on PATH.
mkdir -p "$tmp/empty"
out=$(PATH=$tmp/empty "$harness" --cache "$tmp/cache1" -- both:t:true 2>&1)
expect no-qemu 1 'apt-get install qemu-system-x86' $? "$out"

# 2. apt-cache resolves nothing (no package lists) and the cache is empty:
# every tool as on this host, but apt-cache and apt-get answer nothing.
mkdir -p "$tmp/bin"
for d in /usr/sbin /sbin /usr/bin /bin /usr/local/bin; do
	[ -d "$d" ] && ln -sf "$d"/* "$tmp/bin/" 2>/dev/null
done
for t in apt-cache apt-get; do   # (apt-get: the harness's apt-get update as root)
	rm -f "$tmp/bin/$t"
	printf '#!/bin/sh\nexit 100\n' >"$tmp/bin/$t"
	chmod +x "$tmp/bin/$t"
done
out=$(PATH=$tmp/bin "$harness" --cache "$tmp/cache2" -- both:t:true 2>&1)
expect no-kernel 1 'run `apt-get update`' $? "$out"

exit $fail
