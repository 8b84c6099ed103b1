#!/bin/sh
# workloads/kernel/link.sh — link the guest image.
# usage: link.sh CC NM OBJCOPY LDSCRIPT OUTPUT USER_OBJ KERNEL_OBJS...
# The user programs' object must be self-contained (mapped alone into user
# space): no undefined symbols, i.e. no call gcc routed to a libc function.
# Its sections are renamed .user.* for the linker script.
set -eu
cc=$1 nm=$2 objcopy=$3 ldscript=$4 out=$5 user=$6
shift 6
undef=$("$nm" -u "$user")
if [ -n "$undef" ]; then
	echo "link.sh: the user programs call outside themselves: $undef" >&2
	exit 1
fi
"$objcopy" --prefix-alloc-sections=.user "$user" "$out.user.o"
"$cc" -nostdlib -nostartfiles -static -no-pie -Wl,-T,"$ldscript" \
	-Wl,-z,max-page-size=4096 -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
	-o "$out" "$@" "$out.user.o"
rm -f "$out.user.o"
