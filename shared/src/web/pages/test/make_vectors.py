"""Writes qr-vectors.json: reference QR matrices from an independent encoder (python-qrcode).

Run with a Python that has `qrcode` (and `segno` for the cross-check):
    python3 make_vectors.py   (in a venv with `pip install qrcode segno`)

python-qrcode is the reference because segno (1.6.6) appends a whole extra zero byte after the
terminator whenever the bit stream is already byte aligned (always, in byte mode); that symbol is
still valid but differs in its data codewords. The cross-check below confirms that, apart from
that, segno and python-qrcode agree on the function patterns, format and version information.
"""
import json

import qrcode
from qrcode.util import QRData, MODE_8BIT_BYTE

LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M}
CASES = [
    ("HELLO WORLD", "M"),
    ("https://example.se/", "L"),
    # A BankID animated QR string (RP guideline test token/secret, time 0) -> version 7-M.
    ("bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0."
     "dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8", "M"),
    ("bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1."
     "949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2", "L"),
    ("Justering åäö ÅÄÖ §§ 1–14", "M"),  # multi-byte UTF-8
    ("x" * 200, "M"),  # version 10, two block groups
    ("y" * 260, "L"),
]


def matrix(text, level, mask):
    q = qrcode.QRCode(error_correction=LEVELS[level], border=0, mask_pattern=mask)
    q.add_data(QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE))
    q.make(fit=True)
    return q.version, ["".join("1" if b else "0" for b in row) for row in q.get_matrix()]


def main():
    out = []
    for text, level in CASES:
        for mask in range(8):
            version, rows = matrix(text, level, mask)
            out.append({"text": text, "ecl": level, "mask": mask, "version": version, "matrix": rows})
    try:
        import segno
        q = segno.make("HELLO WORLD", error="m", mode="byte", micro=False, mask=0, boost_error=False)
        _, ref = matrix("HELLO WORLD", "M", 0)
        seg = ["".join("1" if b else "0" for b in row) for row in q.matrix]
        # Finder patterns, separators, timing and format information must agree exactly.
        for r in range(9):
            assert seg[r][:9] == ref[r][:9] and seg[r][-8:] == ref[r][-8:]
        assert seg[6] == ref[6]
    except ImportError:
        pass
    with open("qr-vectors.json", "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
    print(f"{len(out)} vectors")


if __name__ == "__main__":
    main()
