#!/usr/bin/env bash
# tests/cli/program-refusals.sh — `memvirt run --program` refuses, before
# anything boots, with one line on stderr and exit 2: a dynamically linked
# program (gcc's default build, when gcc is here; else a crafted ELF with
# PT_INTERP), a 32-bit ELF (gcc -m32 where it works, else crafted), a
# non-ELF file, a missing file, a missing --file, two --file files of one
# base name, a base name too long for the package, --workload or --param
# with --program, --arg without --program, --arg with --args, the
# architected-TLB machine; and with
# --json says so in one JSON object.  No run row is written.
set -u
memvirt=${1:?memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# ELF headers crafted when no compiler makes them: an ELF64 x86-64
# executable with one PT_LOAD and, for "interp", a PT_INTERP.
craft() { # OUT CLASS(1|2) interp|static
	python3 - "$@" <<'PY'
import struct, sys
out, cls, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if cls == 1:
    hdr = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048000, 52, 0, 0, 52, 32, 1, 0, 0, 0)
    open(out, "wb").write(hdr + struct.pack("<IIIIIIII", 1, 0, 0x8048000, 0x8048000, 84, 84, 5, 0x1000))
    sys.exit(0)
phnum = 2 if kind == "interp" else 1
hdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 64, 0, 0, 64, 56, phnum, 0, 0, 0)
size = 64 + 56 * phnum + 32
ph = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, size, size, 0x1000)
if kind == "interp":
    ph += struct.pack("<IIQQQQQQ", 3, 4, 64 + 112, 0, 0, 28, 28, 1)
open(out, "wb").write(hdr + ph + b"/lib64/ld-linux-x86-64.so.2\0".ljust(32, b"\0"))
PY
}

printf '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n' >"$work/hello.c"
if command -v gcc >/dev/null && gcc -o "$work/dynamic" "$work/hello.c" 2>/dev/null; then
	echo "dynamic: gcc's default build"
else
	craft "$work/dynamic" 2 interp
fi
if command -v gcc >/dev/null && gcc -m32 -o "$work/elf32" "$work/hello.c" 2>/dev/null; then
	echo "32-bit: gcc -m32"
else
	craft "$work/elf32" 1 static
fi
craft "$work/static" 2 static
printf '#!/bin/sh\necho hi\n' >"$work/script.sh"
echo a >"$work/data"
mkdir "$work/sub" && echo b >"$work/sub/data"
long=$(printf 'n%.0s' $(seq 1 64))
echo c >"$work/$long"

# refuse WANT-LINE ARGS...: exit 2, exactly that one line on stderr.
refuse() {
	local want=$1
	shift
	"$memvirt" run --db "$work/r.db" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	[ "$rc" -eq 2 ] || fail "$*: exit $rc, want 2 ($(cat "$work/err"))"
	[ "$(grep -c '' "$work/err")" -eq 1 ] || fail "$*: not one line: $(cat "$work/err")"
	[ "$(cat "$work/err")" = "memvirt run: $want" ] || fail "$*: says '$(cat "$work/err")', want 'memvirt run: $want'"
	[ -s "$work/out" ] && fail "$*: printed on stdout: $(cat "$work/out")"
	return 0
}

refuse "$work/dynamic: dynamically linked: build with -static" --program "$work/dynamic"
refuse "$work/elf32: a 32-bit ELF; memvirt runs x86-64 (ELF64) programs" --program "$work/elf32"
refuse "$work/script.sh: not an ELF file (memvirt runs static Linux x86-64 executables)" --program "$work/script.sh"
refuse "$work/absent: No such file or directory" --program "$work/absent"
refuse "$work/absent: No such file or directory" --program "$work/static" --file "$work/absent"
refuse "$work/sub/data: a second file named 'data' (the guest's files are one folder)" \
	--program "$work/static" --file "$work/data" --file "$work/sub/data"
refuse "$work/$long: a file name of 64 characters; the guest's files have at most 63" \
	--program "$work/static" --file "$work/$long"
refuse "--workload and --program together: a run is a workload or a program, not both" \
	--program "$work/static" --workload scan
refuse "--param sets a workload's parameters; a program takes --arg" --program "$work/static" --param wss=1M
refuse "--arg is for a program: add --program PATH" --arg x
refuse "--files is for a program: add --program PATH" --files "$work/data"
refuse "--arg and --args together: give the list one way" --program "$work/static" --arg x --args "y z"
refuse "--program runs on the page-table machine only (the Linux personality has no architected-TLB refill mode); drop --machine archtlb" \
	--program "$work/static" --machine archtlb --backend softtlb
refuse "unterminated ' quote in 'it's'" --program "$work/static" --args "it's"

# --json: the refusal as one JSON object on stdout.
"$memvirt" run --no-db --json --program "$work/dynamic" >"$work/out" 2>"$work/err"
[ $? -eq 2 ] || fail "--json refusal: exit code"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"] == "usage_error" and d["exit_code"] == 2 and d["error"].endswith("dynamically linked: build with -static"), d' \
	"$work/out" || fail "--json refusal: $(cat "$work/out")"

[ -e "$work/r.db" ] && fail "a refused command line created the database"
[ "$failures" -eq 0 ] || exit 1
echo "program refusals: one line each, exit 2"
