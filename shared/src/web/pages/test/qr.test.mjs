// Checks the QR encoder of the portal page (../qr-encoder.js, inlined into portal.html) against reference matrices made by an
// independent encoder (python-qrcode; see make_vectors.py). Run: node --test test/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const BEGIN = '/* BEGIN QR ENCODER';
const END = '/* END QR ENCODER */';

function loadEncoder() {
  const html = readFileSync(join(here, '..', 'qr-encoder.js'), 'utf8');
  const start = html.indexOf(BEGIN);
  const end = html.indexOf(END);
  assert.ok(start >= 0 && end > start, 'qr-encoder.js must contain the delimited QR encoder block');
  const code = html.slice(start, end + END.length);
  const context = vm.createContext({ TextEncoder });
  vm.runInContext(code + '\n;globalThis.QrEncoder = QrEncoder;', context);
  return context.QrEncoder;
}

const QrEncoder = loadEncoder();
const vectors = JSON.parse(readFileSync(join(here, 'qr-vectors.json'), 'utf8'));

function toRows(symbol) {
  return symbol.modules.map((row) => row.map((dark) => (dark ? '1' : '0')).join(''));
}

test('the reference vectors cover versions 1, 2, 6, 7 and 10 at levels L and M', () => {
  const seen = new Set(vectors.map((v) => `${v.version}-${v.ecl}`));
  for (const key of ['1-M', '2-L', '6-L', '7-M', '10-M', '10-L']) assert.ok(seen.has(key), key);
});

for (const v of vectors) {
  test(`matches the reference module by module: ${v.text.slice(0, 24)}… ${v.ecl} mask ${v.mask}`, () => {
    const symbol = QrEncoder.encode(v.text, { ecl: v.ecl, mask: v.mask });
    assert.equal(symbol.version, v.version, 'version');
    assert.equal(symbol.size, v.matrix.length, 'size');
    const rows = toRows(symbol);
    for (let r = 0; r < rows.length; r++) {
      assert.equal(rows[r], v.matrix[r], `row ${r} differs`);
    }
  });
}

test('an automatically chosen mask gives the reference symbol for that mask', () => {
  for (const text of new Set(vectors.map((v) => v.text))) {
    const ecl = vectors.find((v) => v.text === text).ecl;
    const symbol = QrEncoder.encode(text, { ecl });
    const ref = vectors.find((v) => v.text === text && v.ecl === ecl && v.mask === symbol.mask);
    assert.ok(ref, 'a reference exists for the chosen mask');
    assert.equal(toRows(symbol).join('\n'), ref.matrix.join('\n'));
  }
});

test('a BankID animated QR string fits version 7 at level M', () => {
  const qr = 'bankid.67df3917-fa0d-44e5-b327-edcc928297f8.123.' + 'a'.repeat(64);
  const symbol = QrEncoder.encode(qr, { ecl: 'M' });
  assert.equal(symbol.version, 7);
  assert.equal(symbol.size, 45);
});

test('text longer than version 10 holds is refused, not truncated', () => {
  assert.throws(() => QrEncoder.encode('z'.repeat(272), { ecl: 'L' }));
  assert.equal(QrEncoder.encode('z'.repeat(271), { ecl: 'L' }).version, 10);
});
