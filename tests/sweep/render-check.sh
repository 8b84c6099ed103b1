#!/usr/bin/env bash
# tests/sweep/render-check.sh DIR — open DIR/report.html in headless
# Chromium: every embedded plot must load as a real image (checked by a
# script in a copy of the page), the page must be the report (no browser
# error page), and a screenshot of it must be a non-blank picture.
# Exit 77 (skip) when Chromium is not installed.
set -u
dir=$(cd "${1:?usage: render-check.sh REPORT_DIR}" && pwd)
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
	echo "SKIP: chromium is not installed (apt-get install chromium)"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Chromium wants a writable home and profile.
export HOME="$work"
flags=(--headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/profile")

cp "$dir/report.html" "$work/check.html"
cat >>"$work/check.html" <<'JS'
<script>
window.addEventListener('load', function () {
	var imgs = document.images, bad = 0;
	for (var i = 0; i < imgs.length; i++)
		if (!imgs[i].complete || imgs[i].naturalWidth < 100 || imgs[i].naturalHeight < 100)
			bad++;
	document.title = 'RENDER ' + imgs.length + ' images ' + bad + ' broken';
});
</script>
JS
timeout 120 "$chromium" "${flags[@]}" --virtual-time-budget=5000 --dump-dom "file://$work/check.html" \
	>"$work/dom.html" 2>"$work/chromium.log"
title=$(grep -o 'RENDER [0-9]* images [0-9]* broken' "$work/dom.html" | head -1)
echo "chromium: ${title:-no verdict}"
if [ -z "$title" ]; then
	echo "FAIL: the page's check did not run; chromium said:"
	tail -5 "$work/chromium.log"
	exit 1
fi
read -r _ images _ broken _ <<<"$title"
if [ "$images" -lt 1 ] || [ "$broken" -ne 0 ]; then
	echo "FAIL: $images plots, $broken of them not rendered"
	exit 1
fi
if ! grep -q '<h1>memvirt report</h1>' "$work/dom.html" || grep -q 'ERR_[A-Z_]*' "$work/dom.html"; then
	echo "FAIL: chromium did not show the report (error page?)"
	exit 1
fi

timeout 120 "$chromium" "${flags[@]}" --hide-scrollbars --window-size=1280,2400 \
	--screenshot="$work/shot.png" "file://$dir/report.html" >/dev/null 2>>"$work/chromium.log"
if [ ! -s "$work/shot.png" ]; then
	echo "FAIL: no screenshot"
	tail -5 "$work/chromium.log"
	exit 1
fi
# Decode the PNG (zlib + row filters, stdlib only) and count colours and
# non-white pixels: a blank or error page has a handful of colours.
python3 - "$work/shot.png" <<'PY' || exit 1
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w, h, ctype = 8, b'', 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, ink = bytearray(stride), set(), 0
for y in range(h):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = row[x - bpp] if x >= bpp else 0
        b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
        if f == 1: row[x] = (row[x] + a) & 255
        elif f == 2: row[x] = (row[x] + b) & 255
        elif f == 3: row[x] = (row[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, stride, bpp * 2):
            px = bytes(row[x:x + 3])
            colours.add(px)
            ink += px != b'\xff\xff\xff'
    prev = row
print(f'screenshot {w}x{h}: {len(colours)} colours, {ink} sampled non-white pixels')
if len(colours) < 50 or ink < 5000:
    print('FAIL: the screenshot looks blank')
    sys.exit(1)
PY
echo "report renders in chromium: $images plots, screenshot ok"
