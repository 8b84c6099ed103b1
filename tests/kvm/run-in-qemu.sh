#!/bin/bash
# tests/kvm/run-in-qemu.sh — run commands under a real KVM where there is no
# /dev/kvm: boot a Debian cloud kernel in QEMU's TCG (which emulates AMD SVM
# with nested paging), load kvm_amd with npt=1, run the commands, reload it
# with npt=0 (KVM's shadow MMU), run them again, power off.  See
# ../../shared/design/KVM-IN-QEMU.md and docs/kvm-engine.md.
#
# Usage:
#   run-in-qemu.sh --cache DIR [--timeout S] [--guest-timeout S]
#                  [--outdir DIR] [--bin FILE]... [--file FILE]...
#                  -- PASS:NAME:COMMAND...
#
#   --cache DIR    where the kernel package is downloaded and unpacked, and
#                  reused from on later runs (a folder of the build dir)
#   --bin FILE     a host program copied to /test/ in the guest (on PATH),
#                  with the shared libraries `ldd` lists for it
#   --file FILE    a data file copied to /data/ in the guest
#   --timeout S    wall-clock limit of one boot (default 150)
#   --guest-timeout S  limit of one command inside the guest (default 30)
#   --attempts N   boots to try when the emulated machine itself stops (see
#                  below; default 6)
#   --outdir DIR   write each command's output to DIR/PASS/NAME.out, its
#                  exit status to DIR/PASS/NAME.rc, and the files it left in
#                  $OUT (a fresh folder per command and pass in the guest;
#                  names [A-Za-z0-9_.-]+, no subfolders) to DIR/PASS/NAME.files/
#   PASS           npt1, npt0 or both; NAME: [A-Za-z0-9_.-]+; COMMAND: a
#                  shell command run by the guest's busybox sh in /tmp, with
#                  programs in /test (on PATH), data files in /data and $OUT
#
# Prints one line per command and pass, `kvm-in-qemu: PASS NAME ok` or
# `... FAIL (rc=N)` followed by the command's output, and exits 0 only when
# every command ran and exited 0 in every pass it was given.
#
# The emulated machine itself sometimes stops: QEMU's TCG running a kernel
# that runs KVM with nested SVM now and then leaves the guest kernel with
# no timer interrupt, and then nothing in it runs again, not even the
# per-command `timeout` (seen at random points, most often right after
# kvm_amd is reloaded).  A command that hangs inside the guest is killed
# by that timeout and reported, so a console that stays silent for longer
# than the guest timeout plus a margin means the machine stopped, not a
# command.  Such a boot is killed, said so on stdout, and the machine is
# booted again for the commands that have no result yet, up to --attempts
# boots.  A command's results must therefore not depend on state an
# earlier command left in the guest.  It never skips:
# a missing QEMU, busybox, cpio or kernel package is a failure that names the
# apt-get command that fixes it, because the kvm suite is only worth
# something when it runs.
set -euo pipefail
# Never end silently: a failing command under set -e says where.
trap 'echo "run-in-qemu: error: command failed at line $LINENO: $BASH_COMMAND" >&2' ERR

die() {
	echo "run-in-qemu: error: $*" >&2
	exit 1
}

cache=
timeout_s=150
guest_timeout=30
attempts=6
outdir=
bins=()
files=()
specs=()
while [ $# -gt 0 ]; do
	case "$1" in
	--cache) cache=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--guest-timeout) guest_timeout=$2; shift 2 ;;
	--attempts) attempts=$2; shift 2 ;;
	--outdir) outdir=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--) shift; specs=("$@"); break ;;
	*) die "unknown argument '$1' (see the usage at the top of $0)" ;;
	esac
done
[ -n "$cache" ] || die "--cache DIR is required"
[ ${#specs[@]} -gt 0 ] || die "no PASS:NAME:COMMAND to run"

# ---- tools -----------------------------------------------------------------
need_tool() { # tool package
	command -v "$1" >/dev/null 2>&1 ||
		die "$1 not found: install it with \`apt-get install $2\`"
}
need_tool qemu-system-x86_64 qemu-system-x86
need_tool cpio cpio
need_tool gzip gzip
need_tool apt-cache apt
need_tool apt-get apt
need_tool dpkg dpkg
need_tool flock util-linux
need_tool timeout coreutils
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox not found: install it with \`apt-get install busybox-static\`"
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked (package busybox); the guest needs the static one: \`apt-get install busybox-static\`"
fi

# ---- the kernel package ------------------------------------------------------
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/.lock"
flock 9   # concurrent test runs share the cache: one downloads, the others wait

# linux-image-cloud-amd64 depends on the current cloud kernel, e.g.
# linux-image-6.1.0-56-cloud-amd64; its -unsigned twin holds the same files.
meta=linux-image-cloud-amd64
resolve() {
	apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1 || true
}
dep=$(resolve)
# Container images often ship without package lists; as root, fetch them
# once rather than fail (the same network access the download needs).
if [ -z "$dep" ] && [ "$(id -u)" = 0 ] && ! ls "$cache"/linux-image-*/.unpacked >/dev/null 2>&1; then
	echo "run-in-qemu: apt-cache cannot resolve $meta; running apt-get update" >&2
	apt-get update -qq >"$cache/update.log" 2>&1 || true
	dep=$(resolve)
fi
kdir=
if [ -n "$dep" ]; then
	for pkg in "$dep-unsigned" "$dep"; do
		if [ -f "$cache/$pkg/.unpacked" ]; then
			kdir=$cache/$pkg
			break
		fi
	done
	if [ -z "$kdir" ]; then
		for pkg in "$dep-unsigned" "$dep"; do
			rm -rf "$cache/debs.tmp" && mkdir -p "$cache/debs.tmp"
			if (cd "$cache/debs.tmp" && apt-get download "$pkg" >"$cache/download.log" 2>&1); then
				mkdir -p "$cache/debs" && mv "$cache"/debs.tmp/*.deb "$cache/debs/"
				rm -rf "$cache/$pkg" "$cache/$pkg.tmp"
				dpkg -x "$cache/debs/${pkg}_"*.deb "$cache/$pkg.tmp" ||
					die "dpkg -x of $pkg failed"
				# Keep the kernel and the three modules (not 100 MB of drivers).
				(cd "$cache/$pkg.tmp" && find boot lib -name 'vmlinuz-*' -o \
					-path '*/kernel/virt/lib/irqbypass.ko*' -o \
					-path '*/kernel/arch/x86/kvm/kvm.ko*' -o \
					-path '*/kernel/arch/x86/kvm/kvm-amd.ko*' | cpio -pdm --quiet "$cache/$pkg") ||
					die "copying the kernel and kvm modules out of $pkg failed"
				rm -rf "$cache/$pkg.tmp"
				touch "$cache/$pkg/.unpacked"
				kdir=$cache/$pkg
				break
			fi
		done
		rm -rf "$cache/debs.tmp"
		[ -n "$kdir" ] || die "cannot download $dep-unsigned or $dep (see $cache/download.log):
  the kvm tests need network access once, or the package in $cache/debs;
  try \`apt-get update && apt-get download $dep-unsigned\`"
	fi
else
	# apt knows no cloud kernel (no package lists): use one unpacked
	# earlier if there is one, and say so.
	for d in "$cache"/linux-image-*-cloud-amd64*; do
		[ -f "$d/.unpacked" ] && kdir=$d
	done
	[ -n "$kdir" ] || die "apt-cache knows no dependency of $meta: run \`apt-get update\` (the kvm tests download the Debian cloud kernel with apt-get download)"
	echo "run-in-qemu: apt-cache cannot resolve $meta; using the cached $(basename "$kdir")" >&2
fi
flock -u 9

vmlinuz=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
[ -n "$vmlinuz" ] || die "no boot/vmlinuz-* in $kdir"
moddir=$(ls -d "$kdir"/lib/modules/* 2>/dev/null | head -n 1 || true)
[ -n "$moddir" ] || die "no lib/modules/* in $kdir"

# ---- the initramfs -----------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/kvm-in-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,modules,test,data}
cp "$busybox" "$root/bin/busybox"

# kvm needs irqbypass; Debian may compress modules (.ko.xz, .ko.zst): the
# guest's busybox insmod is given plain .ko files.
for m in kernel/virt/lib/irqbypass kernel/arch/x86/kvm/kvm kernel/arch/x86/kvm/kvm-amd; do
	base=$(basename "$m")
	if [ -f "$moddir/$m.ko" ]; then
		cp "$moddir/$m.ko" "$root/modules/$base.ko"
	elif [ -f "$moddir/$m.ko.xz" ]; then
		need_tool xz xz-utils
		xz -dc "$moddir/$m.ko.xz" >"$root/modules/$base.ko"
	elif [ -f "$moddir/$m.ko.zst" ]; then
		need_tool zstd zstd
		zstd -qdc "$moddir/$m.ko.zst" >"$root/modules/$base.ko"
	else
		die "module $m.ko not found in $moddir"
	fi
done

copy_with_libs() { # host-file guest-dir
	local f=$1 dest=$2
	[ -f "$f" ] || die "no such file to copy into the guest: $f"
	cp "$f" "$root/$dest/"
	# ldd lists "name => /path (addr)" and the loader as "/path (addr)".
	if ldd "$f" >/dev/null 2>&1; then
		ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\) (.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while read -r lib; do
			mkdir -p "$root/$(dirname "$lib")"
			[ -e "$root/$lib" ] || cp -L "$lib" "$root/$lib"
		done
	fi
}
for b in "${bins[@]+"${bins[@]}"}"; do copy_with_libs "$b" test; done
for f in "${files[@]+"${files[@]}"}"; do
	[ -f "$f" ] || die "no such file to copy into the guest: $f"
	cp "$f" "$root/data/"
done

: >"$work/all.list"
for s in "${specs[@]}"; do
	pass=${s%%:*}; rest=${s#*:}; name=${rest%%:*}; cmd=${rest#*:}
	case "$pass" in npt1|npt0|both) ;; *) die "bad pass '$pass' in '$s' (npt1, npt0 or both)" ;; esac
	[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad test name '$name' in '$s'"
	[ -n "$cmd" ] && [ "$cmd" != "$s" ] || die "no command in '$s'"
	printf '%s\t%s\t%s\n' "$pass" "$name" "$cmd" >>"$work/all.list"
done

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/test:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "KVMQ-INFO cpu flags: \$(for f in svm npt; do grep -q -w \$f /proc/cpuinfo && printf '%s ' \$f; done)"
insmod /modules/irqbypass.ko || echo "KVMQ-ERROR insmod irqbypass"
insmod /modules/kvm.ko || echo "KVMQ-ERROR insmod kvm"

run_pass() {
	pass=\$1
	if ! insmod /modules/kvm-amd.ko npt=\$2; then
		echo "KVMQ-ERROR insmod kvm-amd npt=\$2"
		return
	fi
	echo "KVMQ-INFO \$pass npt=\$(cat /sys/module/kvm_amd/parameters/npt) dev=\$(ls /dev/kvm)"
	while IFS='	' read -r p name cmd; do
		[ "\$p" = \$pass ] || [ "\$p" = both ] || continue
		OUT=/out/\$pass/\$name
		mkdir -p \$OUT
		export OUT
		cd /tmp
		t0=\$(cut -d' ' -f1 /proc/uptime)
		timeout $guest_timeout sh -c "\$cmd" </dev/null >/tmp/out 2>&1
		rc=\$?
		t1=\$(cut -d' ' -f1 /proc/uptime)
		sed "s/^/KVMQ-OUT \$pass \$name /" /tmp/out
		for f in \$(ls \$OUT); do
			[ -f "\$OUT/\$f" ] || continue
			echo "KVMQ-FILE \$pass \$name \$f"
			base64 "\$OUT/\$f" | sed "s/^/KVMQ-B64 \$pass \$name \$f /"
		done
		echo "KVMQ-RESULT \$pass \$name rc=\$rc time=\$(awk "BEGIN { print \$t1 - \$t0 }")"
	done </tests.list
	rmmod kvm_amd || echo "KVMQ-ERROR rmmod kvm_amd"
}
run_pass npt1 1
run_pass npt0 0
echo KVMQ-DONE
poweroff -f
EOF
chmod +x "$root/init"

# ---- boot --------------------------------------------------------------------
# A silent console for this long means the emulated machine stopped (see
# the top of this file): every command prints within the guest timeout.
stall_s=$((guest_timeout + 15))
log=$work/console.log
: >"$log"
# The (pass, command) pairs with no result yet, one per line of a
# tests.list for the next boot.
remaining() {
	while IFS='	' read -r p name cmd; do
		for pass in npt1 npt0; do
			[ "$p" = "$pass" ] || [ "$p" = both ] || continue
			tr -d '\r' <"$log" | grep -q "^KVMQ-RESULT $pass $name rc=" ||
				printf '%s\t%s\t%s\n' "$pass" "$name" "$cmd"
		done
	done <"$work/all.list"
}
attempt=1
while :; do
	remaining >"$root/tests.list"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
	boot_log=$work/boot$attempt.log
	: >"$boot_log"
	env -u MALLOC_PERTURB_ timeout "$timeout_s" qemu-system-x86_64 -cpu max -m 1024 -smp 1 -display none -no-reboot \
		-monitor none -serial "file:$boot_log" \
		-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1" </dev/null >"$work/qemu.out" 2>&1 &
	qpid=$!
	last_size=-1
	last_change=$SECONDS
	stalled=0
	while kill -0 "$qpid" 2>/dev/null; do
		size=$(stat -c %s "$boot_log" 2>/dev/null || echo 0)
		if [ "$size" != "$last_size" ]; then
			last_size=$size
			last_change=$SECONDS
		elif [ $((SECONDS - last_change)) -ge "$stall_s" ]; then
			stalled=1
			pkill -P "$qpid" 2>/dev/null || true
			kill "$qpid" 2>/dev/null || true
			break
		fi
		sleep 1
	done
	set +e
	wait "$qpid"
	qrc=$?
	set -e
	cat "$boot_log" >>"$log"
	if [ "$stalled" = 0 ] || [ "$attempt" -ge "$attempts" ]; then
		break
	fi
	where=$(tr -d '\r' <"$boot_log" | sed -n 's/^KVMQ-RESULT \([^ ]*\) \([^ ]*\) rc=.*/\1 \2/p' | tail -n 1)
	echo "run-in-qemu: boot $attempt: the emulated machine stopped (no console output for ${stall_s}s, after ${where:-its start}); booting it again for the $(remaining | wc -l) commands left"
	attempt=$((attempt + 1))
done
tr -d '\r' <"$log" >"$log.txt"
log=$log.txt
if [ -n "$outdir" ]; then
	mkdir -p "$outdir"
	cp "$log" "$outdir/console.log"
fi

fail=0
if [ "$stalled" = 1 ]; then
	echo "run-in-qemu: the emulated machine stopped in each of $attempts boots (no console output for ${stall_s}s)"
	fail=1
elif [ "$qrc" -ne 0 ]; then
	echo "run-in-qemu: qemu-system-x86_64 exited with $qrc$([ "$qrc" -eq 124 ] && echo " (timed out after ${timeout_s}s)"): $(head -c 400 "$work/qemu.out")"
	fail=1
fi
if grep -q '^KVMQ-ERROR' "$log"; then
	grep '^KVMQ-ERROR' "$log"
	fail=1
fi
grep '^KVMQ-INFO' "$log" || true
for pass in npt1 npt0; do
	want=$([ $pass = npt1 ] && echo Y || echo N)
	if ! grep -q "^KVMQ-INFO $pass npt=$want dev=/dev/kvm" "$log"; then
		echo "run-in-qemu: pass $pass did not run with kvm_amd npt=$want and /dev/kvm"
		fail=1
	fi
done
while IFS='	' read -r p name cmd; do
	for pass in npt1 npt0; do
		[ "$p" = "$pass" ] || [ "$p" = both ] || continue
		line=$(grep "^KVMQ-RESULT $pass $name rc=" "$log" | tail -n 1 || true)
		rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$line")
		secs=$(sed -n 's/.* time=\([0-9.]*\).*/\1/p' <<<"$line")
		if [ -n "$outdir" ]; then
			mkdir -p "$outdir/$pass"
			sed -n "s/^KVMQ-OUT $pass $name //p" "$log" >"$outdir/$pass/$name.out"
			echo "${rc:-none}" >"$outdir/$pass/$name.rc"
			# Files the command left in $OUT come back base64-encoded.
			rm -rf "$outdir/$pass/$name.files"
			for f in $(sed -n "s/^KVMQ-FILE $pass $name \([A-Za-z0-9_.-]*\)\$/\1/p" "$log"); do
				mkdir -p "$outdir/$pass/$name.files"
				sed -n "s/^KVMQ-B64 $pass $name $f //p" "$log" | base64 -d \
					>"$outdir/$pass/$name.files/$f" ||
					{ echo "run-in-qemu: $pass $name: $f came back damaged"; fail=1; }
			done
		fi
		if [ "$rc" = 0 ]; then
			echo "kvm-in-qemu: $pass $name ok (${secs}s in the guest)"
		else
			echo "kvm-in-qemu: $pass $name FAIL (rc=${rc:-none: it did not finish}): $cmd"
			sed -n "s/^KVMQ-OUT $pass $name /    /p" "$log"
			fail=1
		fi
	done
done <"$work/all.list"
if ! grep -q '^KVMQ-DONE' "$log"; then
	echo "run-in-qemu: the guest did not finish; console log:"
	sed 's/^/    /' "$log" | tail -n 60
	fail=1
fi
exit $fail
