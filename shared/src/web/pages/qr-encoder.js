/* BEGIN QR ENCODER (self-contained; test/qr.test.mjs extracts this block) */
// A small QR Code (ISO/IEC 18004) encoder: byte mode, error correction L or M, versions 1-10.
// That covers BankID's animated QR strings (about 110 characters) with room to spare.
var QrEncoder = (function () {
  'use strict';

  // Per version: [ec codewords per block, blocks in group 1, data codewords per block in
  // group 1, blocks in group 2, data codewords per block in group 2] (ISO 18004 table 9).
  var BLOCKS = {
    L: [null,
      [7, 1, 19, 0, 0], [10, 1, 34, 0, 0], [15, 1, 55, 0, 0], [20, 1, 80, 0, 0],
      [26, 1, 108, 0, 0], [18, 2, 68, 0, 0], [20, 2, 78, 0, 0], [24, 2, 97, 0, 0],
      [30, 2, 116, 0, 0], [18, 2, 68, 2, 69]],
    M: [null,
      [10, 1, 16, 0, 0], [16, 1, 28, 0, 0], [26, 1, 44, 0, 0], [18, 2, 32, 0, 0],
      [24, 2, 43, 0, 0], [16, 4, 27, 0, 0], [18, 4, 31, 0, 0], [22, 2, 38, 2, 39],
      [22, 3, 36, 2, 37], [26, 4, 43, 1, 44]]
  };
  var ALIGNMENT = [null, [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
    [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50]];
  var ECL_FORMAT_BITS = { L: 1, M: 0 };
  var MAX_VERSION = 10;

  // GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
  var EXP = new Array(512);
  var LOG = new Array(256);
  (function () {
    var x = 1;
    for (var i = 0; i < 255; i++) {
      EXP[i] = x;
      LOG[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11d;
    }
    for (var j = 255; j < 512; j++) EXP[j] = EXP[j - 255];
  })();
  function gfMul(a, b) {
    if (a === 0 || b === 0) return 0;
    return EXP[LOG[a] + LOG[b]];
  }

  // Generator polynomial (x - a^0)(x - a^1)...(x - a^(n-1)), highest coefficient first.
  function generatorPoly(degree) {
    var poly = [1];
    for (var i = 0; i < degree; i++) {
      var next = new Array(poly.length + 1).fill(0);
      for (var j = 0; j < poly.length; j++) {
        next[j] ^= poly[j];
        next[j + 1] ^= gfMul(poly[j], EXP[i]);
      }
      poly = next;
    }
    return poly;
  }

  function reedSolomon(data, ecCount) {
    var gen = generatorPoly(ecCount);
    var rem = new Array(ecCount).fill(0);
    for (var i = 0; i < data.length; i++) {
      var factor = data[i] ^ rem[0];
      rem.shift();
      rem.push(0);
      for (var j = 0; j < ecCount; j++) rem[j] ^= gfMul(gen[j + 1], factor);
    }
    return rem;
  }

  function utf8Bytes(text) {
    if (typeof TextEncoder !== 'undefined') return Array.from(new TextEncoder().encode(text));
    var bin = unescape(encodeURIComponent(text));
    var out = [];
    for (var i = 0; i < bin.length; i++) out.push(bin.charCodeAt(i));
    return out;
  }

  function dataCapacity(version, ecl) {
    var b = BLOCKS[ecl][version];
    return b[1] * b[2] + b[3] * b[4];
  }

  function buildCodewords(bytes, version, ecl) {
    var capacity = dataCapacity(version, ecl);
    var bits = [];
    function put(value, length) {
      for (var i = length - 1; i >= 0; i--) bits.push((value >>> i) & 1);
    }
    put(4, 4); // byte mode
    put(bytes.length, version < 10 ? 8 : 16);
    bytes.forEach(function (b) { put(b, 8); });
    put(0, Math.min(4, capacity * 8 - bits.length)); // terminator
    while (bits.length % 8 !== 0) bits.push(0);
    var data = [];
    for (var i = 0; i < bits.length; i += 8) {
      var v = 0;
      for (var k = 0; k < 8; k++) v = (v << 1) | bits[i + k];
      data.push(v);
    }
    for (var pad = 0; data.length < capacity; pad++) data.push(pad % 2 === 0 ? 0xec : 0x11);

    // Split into blocks, add error correction, interleave.
    var spec = BLOCKS[ecl][version];
    var blocks = [];
    var offset = 0;
    for (var g = 0; g < 2; g++) {
      var count = g === 0 ? spec[1] : spec[3];
      var size = g === 0 ? spec[2] : spec[4];
      for (var n = 0; n < count; n++) {
        var part = data.slice(offset, offset + size);
        offset += size;
        blocks.push({ data: part, ec: reedSolomon(part, spec[0]) });
      }
    }
    var result = [];
    var longest = Math.max.apply(null, blocks.map(function (b) { return b.data.length; }));
    for (var c = 0; c < longest; c++) {
      blocks.forEach(function (b) { if (c < b.data.length) result.push(b.data[c]); });
    }
    for (var e = 0; e < spec[0]; e++) {
      blocks.forEach(function (b) { result.push(b.ec[e]); });
    }
    return result;
  }

  // Remainder of value * x^(degree of poly) divided by poly, over GF(2).
  function bchRemainder(value, poly, polyDegree) {
    var v = value << polyDegree;
    for (var bit = 31; bit >= polyDegree; bit--) {
      if ((v >>> bit) & 1) v ^= poly << (bit - polyDegree);
    }
    return v;
  }
  function formatBits(ecl, mask) {
    var data = (ECL_FORMAT_BITS[ecl] << 3) | mask;
    return ((data << 10) | bchRemainder(data, 0x537, 10)) ^ 0x5412;
  }
  function versionBits(version) {
    return (version << 12) | bchRemainder(version, 0x1f25, 12);
  }

  var MASKS = [
    function (r, c) { return (r + c) % 2 === 0; },
    function (r) { return r % 2 === 0; },
    function (r, c) { return c % 3 === 0; },
    function (r, c) { return (r + c) % 3 === 0; },
    function (r, c) { return (Math.floor(r / 2) + Math.floor(c / 3)) % 2 === 0; },
    function (r, c) { return ((r * c) % 2) + ((r * c) % 3) === 0; },
    function (r, c) { return (((r * c) % 2) + ((r * c) % 3)) % 2 === 0; },
    function (r, c) { return (((r + c) % 2) + ((r * c) % 3)) % 2 === 0; }
  ];

  function makeGrid(size, value) {
    var g = [];
    for (var r = 0; r < size; r++) g.push(new Array(size).fill(value));
    return g;
  }

  // Builds the unmasked symbol: function patterns set and marked reserved, data placed.
  function baseSymbol(version, codewords) {
    var size = 17 + 4 * version;
    var dark = makeGrid(size, false);
    var reserved = makeGrid(size, false);
    function set(r, c, isDark) {
      if (r < 0 || c < 0 || r >= size || c >= size) return;
      dark[r][c] = isDark;
      reserved[r][c] = true;
    }
    function finder(top, left) {
      for (var dr = -1; dr <= 7; dr++) {
        for (var dc = -1; dc <= 7; dc++) {
          var ring = Math.max(Math.abs(dr - 3), Math.abs(dc - 3));
          set(top + dr, left + dc, ring !== 2 && ring !== 4);
        }
      }
    }
    finder(0, 0);
    finder(0, size - 7);
    finder(size - 7, 0);
    for (var i = 8; i < size - 8; i++) {
      set(6, i, i % 2 === 0);
      set(i, 6, i % 2 === 0);
    }
    var centres = ALIGNMENT[version];
    var first = centres[0];
    var last = centres[centres.length - 1];
    centres.forEach(function (r) {
      centres.forEach(function (c) {
        // The three corners that would overlap a finder pattern carry none.
        if ((r === first && c === first) || (r === first && c === last) ||
            (r === last && c === first)) return;
        for (var dr = -2; dr <= 2; dr++) {
          for (var dc = -2; dc <= 2; dc++) {
            set(r + dr, c + dc, Math.max(Math.abs(dr), Math.abs(dc)) !== 1);
          }
        }
      });
    });
    // Reserve format areas (filled per mask later) and the dark module.
    for (var k = 0; k < 9; k++) {
      if (k === 6) continue; // the timing patterns cross here
      set(8, k, false);
      set(k, 8, false);
    }
    for (var m = 0; m < 8; m++) {
      set(8, size - 1 - m, false);
      set(size - 1 - m, 8, false);
    }
    set(size - 8, 8, true);
    if (version >= 7) {
      var vb = versionBits(version);
      for (var b = 0; b < 18; b++) {
        var bit = ((vb >>> b) & 1) === 1;
        var a = size - 11 + (b % 3);
        var d = Math.floor(b / 3);
        set(a, d, bit);
        set(d, a, bit);
      }
    }
    // Data: two-column zigzag from the bottom right, skipping the vertical timing column.
    var bitIndex = 0;
    var totalBits = codewords.length * 8;
    var upward = true;
    for (var right = size - 1; right >= 1; right -= 2) {
      if (right === 6) right = 5;
      for (var step = 0; step < size; step++) {
        var row = upward ? size - 1 - step : step;
        for (var j = 0; j < 2; j++) {
          var col = right - j;
          if (reserved[row][col]) continue;
          if (bitIndex < totalBits) {
            dark[row][col] = ((codewords[bitIndex >>> 3] >>> (7 - (bitIndex & 7))) & 1) === 1;
            bitIndex++;
          }
        }
      }
      upward = !upward;
    }
    return { size: size, dark: dark, reserved: reserved };
  }

  function applyMask(base, ecl, mask) {
    var size = base.size;
    var grid = base.dark.map(function (row, r) {
      return row.map(function (d, c) {
        return base.reserved[r][c] ? d : (MASKS[mask](r, c) ? !d : d);
      });
    });
    var fb = formatBits(ecl, mask);
    function bit(i) { return ((fb >>> i) & 1) === 1; }
    for (var i = 0; i <= 5; i++) grid[i][8] = bit(i);
    grid[7][8] = bit(6);
    grid[8][8] = bit(7);
    grid[8][7] = bit(8);
    for (var j = 9; j < 15; j++) grid[8][14 - j] = bit(j);
    for (var k = 0; k < 8; k++) grid[8][size - 1 - k] = bit(k);
    for (var m = 8; m < 15; m++) grid[size - 15 + m][8] = bit(m);
    grid[size - 8][8] = true;
    return grid;
  }

  // ISO 18004 section 7.8.3 penalty score; lower is better.
  function penalty(grid) {
    var size = grid.length;
    var score = 0;
    function line(get) {
      var s = 0;
      for (var a = 0; a < size; a++) {
        var run = 1;
        for (var b = 1; b <= size; b++) {
          if (b < size && get(a, b) === get(a, b - 1)) {
            run++;
          } else {
            if (run >= 5) s += 3 + (run - 5);
            run = 1;
          }
        }
        // Finder-like 1011101 with four light modules on one side (outside counts as light).
        for (var p = -4; p < size; p++) {
          var pat = [1, 0, 1, 1, 1, 0, 1];
          var ok = true;
          for (var q = 0; q < 7 && ok; q++) {
            var idx = p + q;
            var isDark = idx >= 0 && idx < size && get(a, idx);
            if (isDark !== (pat[q] === 1)) ok = false;
          }
          if (!ok) continue;
          var lightBefore = true;
          var lightAfter = true;
          for (var w = 1; w <= 4; w++) {
            var before = p - w;
            var after = p + 6 + w;
            if (before >= 0 && before < size && get(a, before)) lightBefore = false;
            if (after >= 0 && after < size && get(a, after)) lightAfter = false;
          }
          if (lightBefore || lightAfter) s += 40;
        }
      }
      return s;
    }
    score += line(function (r, c) { return grid[r][c]; });
    score += line(function (c, r) { return grid[r][c]; });
    for (var r = 0; r < size - 1; r++) {
      for (var c = 0; c < size - 1; c++) {
        var v = grid[r][c];
        if (v === grid[r][c + 1] && v === grid[r + 1][c] && v === grid[r + 1][c + 1]) score += 3;
      }
    }
    var darkCount = 0;
    grid.forEach(function (row) { row.forEach(function (d) { if (d) darkCount++; }); });
    var percent = (darkCount * 100) / (size * size);
    score += 10 * Math.floor(Math.abs(percent - 50) / 5);
    return score;
  }

  /**
   * encode(text, {ecl: 'M'|'L', mask?: 0-7}) -> {version, size, ecl, mask, modules}
   * modules[row][col] is true for a dark module. Throws if the text does not fit version 10.
   */
  function encode(text, options) {
    var opts = options || {};
    var ecl = opts.ecl === 'L' ? 'L' : 'M';
    var bytes = utf8Bytes(String(text));
    var version = 0;
    for (var v = 1; v <= MAX_VERSION; v++) {
      var needBits = 4 + (v < 10 ? 8 : 16) + bytes.length * 8;
      if (needBits <= dataCapacity(v, ecl) * 8) { version = v; break; }
    }
    if (version === 0) throw new Error('Texten är för lång för QR-koden.');
    var base = baseSymbol(version, buildCodewords(bytes, version, ecl));
    var mask = opts.mask;
    var modules;
    if (typeof mask === 'number' && mask >= 0 && mask <= 7) {
      modules = applyMask(base, ecl, mask);
    } else {
      var best = Infinity;
      for (var m = 0; m < 8; m++) {
        var candidate = applyMask(base, ecl, m);
        var s = penalty(candidate);
        if (s < best) { best = s; mask = m; modules = candidate; }
      }
    }
    return { version: version, size: base.size, ecl: ecl, mask: mask, modules: modules };
  }

  /** Draws the symbol on a canvas with a 4-module quiet zone, about targetPixels wide. */
  function drawToCanvas(canvas, symbol, targetPixels) {
    var quiet = 4;
    var total = symbol.size + 2 * quiet;
    var scale = Math.max(1, Math.floor((targetPixels || 264) / total));
    var px = scale * total;
    canvas.width = px;
    canvas.height = px;
    var ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, px, px);
    ctx.fillStyle = '#000000';
    for (var r = 0; r < symbol.size; r++) {
      for (var c = 0; c < symbol.size; c++) {
        if (symbol.modules[r][c]) ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
      }
    }
  }

  return { encode: encode, drawToCanvas: drawToCanvas, _reedSolomon: reedSolomon };
})();
/* END QR ENCODER */
