#!/usr/bin/env python3
"""Make the decompression-bomb test PDFs (run once; the outputs are kept beside this script).

Each is a small valid PDF with one stream /Filter [/FlateDecode /FlateDecode] that decodes to
4 GiB of zeros: xmp-bomb.pdf has it as the catalog's /Metadata, content-bomb.pdf as the page's
/Contents. Standard library only.

usage: python3 make_bombs.py OUTDIR
"""
import sys
import zlib
from pathlib import Path

GIB = 1 << 30


def bomb(size=4 * GIB):
    inner = zlib.compressobj(9)
    chunk = bytes(64 << 20)
    parts = [inner.compress(chunk) for _ in range(size // len(chunk))]
    parts.append(inner.flush())
    return zlib.compress(b"".join(parts), 9)


def pdf(objects):
    """objects: list of bytes, object i+1 each. Returns a PDF with a classic xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(extra, data):
    return (b"<< %s /Filter [/FlateDecode /FlateDecode] /Length %d >>\nstream\n" % (extra, len(data))
            + data + b"\nendstream")


def main(outdir):
    out = Path(outdir)
    data = bomb()
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    plain = b"BT /F1 12 Tf 72 720 Td (Protokoll) Tj ET"
    xmp = pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 5 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        b"<< /Length %d >>\nstream\n" % len(plain) + plain + b"\nendstream",
        stream(b"/Type /Metadata /Subtype /XML", data),
    ])
    content = pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        page,
        stream(b"", data),
    ])
    (out / "xmp-bomb.pdf").write_bytes(xmp)
    (out / "content-bomb.pdf").write_bytes(content)


if __name__ == "__main__":
    main(sys.argv[1])
