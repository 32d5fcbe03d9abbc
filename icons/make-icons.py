#!/usr/bin/env python3
"""Draws Plugboard's icons (a white plug on a violet disc) at every size the bundler and the
desktop want, plus the two tray icons and icon.ico (Windows: the .exe's icon, the Start-menu
shortcut's and the installer's). No dependencies: writes the PNGs and the .ico itself.

    python3 icons/make-icons.py [OUT_DIR]    (default: icons)
"""
import zlib, struct, math, sys
def png_bytes(w, h, px):
    raw = b''.join(b'\x00' + bytes(px[y*w*4:(y+1)*w*4]) for y in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')

def png(path, w, h, px):
    open(path, 'wb').write(png_bytes(w, h, px))

def dib_bytes(s, px):
    """An icon image as Windows stores it below 256 pixels: a 32-bit BGRA bitmap, rows bottom up,
    then the 1-bit transparency mask (set where fully transparent), rows padded to 4 bytes."""
    header = struct.pack('<IiiHHIIiiII', 40, s, 2 * s, 1, 32, 0, 0, 0, 0, 0, 0)
    colour = b''.join(bytes(px[(y*s + x)*4 + i] for x in range(s) for i in (2, 1, 0, 3)) for y in reversed(range(s)))
    stride = (s + 31) // 32 * 4
    mask = b''
    for y in reversed(range(s)):
        row = bytearray(stride)
        for x in range(s):
            if px[(y*s + x)*4 + 3] == 0: row[x // 8] |= 0x80 >> (x % 8)
        mask += bytes(row)
    return header + colour + mask

def ico(path, images):
    """A .ico of (size, pixels) pairs: bitmaps below 256 pixels, a PNG at 256 (as Windows does)."""
    blobs = [(s, png_bytes(s, s, px) if s >= 256 else dib_bytes(s, px)) for s, px in images]
    offset = 6 + 16 * len(blobs)
    out = struct.pack('<HHH', 0, 1, len(blobs))
    for s, blob in blobs:
        out += struct.pack('<BBBBHHII', s % 256, s % 256, 0, 0, 1, 32, len(blob), offset)
        offset += len(blob)
    open(path, 'wb').write(out + b''.join(blob for _, blob in blobs))

def glyph(u, v):
    """Plug glyph in unit coords (0..1): returns True where the plug is."""
    # two prongs
    for cx in (0.40, 0.60):
        if abs(u - cx) < 0.045 and 0.18 < v < 0.38: return True
    # body: rounded rectangle
    if 0.28 < u < 0.72 and 0.36 < v < 0.60:
        return True
    # taper
    if 0.60 <= v < 0.70 and abs(u - 0.5) < 0.22 - (v - 0.60) * 1.2: return True
    # cable
    if abs(u - 0.5) < 0.05 and 0.68 <= v < 0.86: return True
    return False

def render(size, bg, fg, dot=None):
    ss = 4
    px = []
    for y in range(size):
        for x in range(size):
            acc = [0, 0, 0, 0]
            for sy in range(ss):
                for sx in range(ss):
                    u = (x + (sx + .5) / ss) / size; v = (y + (sy + .5) / ss) / size
                    col = None
                    d = math.hypot(u - .5, v - .5)
                    if d < 0.48: col = bg
                    if col and glyph(u, v): col = fg
                    if dot and math.hypot(u - .80, v - .80) < 0.19:
                        col = dot if math.hypot(u - .80, v - .80) < 0.15 else (255, 255, 255, 255)
                    if col:
                        a = col[3] / 255
                        for i in range(3): acc[i] += col[i] * a
                        acc[3] += a
            n = ss * ss
            if acc[3] > 0:
                px += [int(acc[0] / acc[3]), int(acc[1] / acc[3]), int(acc[2] / acc[3]), int(255 * acc[3] / n)]
            else:
                px += [0, 0, 0, 0]
    return px

out = sys.argv[1] if len(sys.argv) > 1 else "icons"
BG = (58, 46, 120, 255); FG = (255, 255, 255, 255)
SIZES = [(f"{s}x{s}.png", s) for s in (16, 24, 32, 48, 64, 128, 256, 512)] + [("128x128@2x.png", 256), ("icon.png", 512)]
drawn = {}
for name, s in SIZES:
    drawn.setdefault(s, render(s, BG, FG))
    png(f"{out}/{name}", s, s, drawn[s])
ico(f"{out}/icon.ico", [(s, drawn[s]) for s in (16, 24, 32, 48, 64, 256)])
png(f"{out}/tray-running.png", 32, 32, render(32, BG, FG, dot=(40, 200, 90, 255)))
png(f"{out}/tray-stopped.png", 32, 32, render(32, (110, 110, 120, 255), FG, dot=(150, 150, 150, 255)))
