//! The BankID animated QR code as SVG, drawn on the server so that no page needs a QR encoder.
//!
//! `qrcode` encodes the text (error correction M, the smallest version that holds it); the SVG
//! is written here: a white square with the quiet zone of four modules, one path that strokes
//! each horizontal run of dark modules (so a BankID code is under 4 kB), a fixed module size,
//! and a Swedish title for assistive technology. It holds nothing from the input as text,
//! no script and no reference to anything outside itself.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode};

/// BankID's QR strings are about 110 characters; anything much longer is not one.
pub const MAX_QR_DATA: usize = 256;
/// Light modules around the code on each side (ISO/IEC 18004 asks for four).
const QUIET_ZONE: usize = 4;
/// Pixels per module of the SVG's own size: a BankID code (version 7, 45 + 8 modules) is 265 px.
const MODULE_PX: usize = 5;
const LABEL: &str = "QR-kod för BankID";

/// The SVG of `data` as a QR code, or `None` when it is empty or longer than [`MAX_QR_DATA`].
pub fn qr_svg(data: &str) -> Option<String> {
    if data.is_empty() || data.len() > MAX_QR_DATA {
        return None;
    }
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    // Each run of dark modules in a row is one stroke one module wide along the middle of the
    // row (butt ends, so it covers exactly the run); after the first run of a row the pen moves
    // relative to the end of the last one.
    let mut path = String::with_capacity(4096);
    for (y, row) in colors.chunks(width).enumerate() {
        let mut pen = None;
        let mut x = 0;
        while x < width {
            if row[x] != Color::Dark {
                x += 1;
                continue;
            }
            let start = x;
            while x < width && row[x] == Color::Dark {
                x += 1;
            }
            let run = x - start;
            // Writing to a String cannot fail.
            let _ = match pen {
                None => write!(path, "M{} {}.5h{run}", start + QUIET_ZONE, y + QUIET_ZONE),
                Some(end) => write!(path, "m{} 0h{run}", start - end),
            };
            pen = Some(x);
        }
    }
    let size = width + 2 * QUIET_ZONE;
    let px = size * MODULE_PX;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" width=\"{px}\" \
         height=\"{px}\" role=\"img\" aria-label=\"{LABEL}\" shape-rendering=\"crispEdges\">\
         <title>{LABEL}</title><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path fill=\"none\" stroke=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    //! The SVG is checked by what reads it: librsvg rasterises it and zbar (an independent QR
    //! decoder) must read back exactly the text, for BankID strings as the server makes them.
    use super::*;
    use crate::bankid::qr::qr_data;
    use crate::pdf::test_support::{run, tool};

    const TOKEN: &str = "67df3917-fa0d-44e5-b327-edcc928297f8";
    const SECRET: &str = "d28db9a7-4cde-429e-a983-359be676944c";

    /// What zbar reads from the SVG once librsvg has drawn it.
    pub(crate) fn decode(svg: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let (svg_path, png_path) = (dir.path().join("qr.svg"), dir.path().join("qr.png"));
        std::fs::write(&svg_path, svg).unwrap();
        let out = run(
            &tool("ESIGN_RSVG_CONVERT", "rsvg-convert"),
            &["-o", png_path.to_str().unwrap(), svg_path.to_str().unwrap()],
        );
        assert!(out.status.success(), "rsvg-convert: {out:?}");
        let out = run(
            &tool("ESIGN_ZBARIMG", "zbarimg"),
            &[
                "--raw",
                "-q",
                "-Sdisable",
                "-Sqrcode.enable",
                png_path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "zbarimg found no QR code: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        text.strip_suffix('\n').unwrap_or(&text).to_string()
    }

    #[test]
    fn bankid_strings_read_back_exactly() {
        let now = chrono::Utc::now().timestamp() as u64;
        for seconds in [0, 1, 29, 30, now % 30, now] {
            let data = qr_data(TOKEN, SECRET, seconds);
            let svg = qr_svg(&data).expect("a BankID string fits");
            assert_eq!(decode(&svg), data, "{seconds} s");
        }
    }

    #[test]
    fn the_svg_is_small_labelled_and_self_contained() {
        let data = qr_data(TOKEN, SECRET, 7);
        let svg = qr_svg(&data).unwrap();
        assert!(svg.len() < 4_000, "{} bytes", svg.len());
        // A BankID string makes a version 7 code: 45 modules, the quiet zone, 5 px each.
        assert!(
            svg.contains("viewBox=\"0 0 53 53\" width=\"265\" height=\"265\""),
            "{svg}"
        );
        assert!(svg.contains("role=\"img\" aria-label=\"QR-kod för BankID\""));
        assert!(!svg.contains(TOKEN) && !svg.contains(&data[data.len() - 64..]));
        // Well-formed XML of three kinds of element; the namespace is the only address.
        let mut reader = quick_xml::Reader::from_str(&svg);
        let mut elements = std::collections::BTreeSet::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    elements.insert(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        let want: std::collections::BTreeSet<String> =
            ["svg", "title", "rect", "path"].map(String::from).into();
        assert_eq!(elements, want);
        assert_eq!(svg.matches("http").count(), 1);
        assert!(!svg.contains("href") && !svg.contains("script"));
    }

    /// The modules the path strokes, read back from its commands: exactly the dark ones (zbar
    /// would forgive a few wrong modules; error correction M repairs about 15 %).
    #[test]
    fn the_path_strokes_exactly_the_dark_modules() {
        let data = qr_data(TOKEN, SECRET, 12);
        let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).unwrap();
        let n = code.width();
        let svg = qr_svg(&data).unwrap();
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let mut dark = vec![vec![false; n]; n];
        let (mut x, mut y) = (0usize, 0usize);
        // Commands are M<x> <y>.5, m<dx> 0 and h<run>.
        let b = d.as_bytes();
        let mut i = 0;
        let num = |i: &mut usize| -> &str {
            let start = *i;
            while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'.') {
                *i += 1;
            }
            &d[start..*i]
        };
        while i < b.len() {
            let cmd = b[i];
            i += 1;
            let a = num(&mut i);
            match cmd {
                b'M' | b'm' => {
                    assert_eq!(b[i], b' ');
                    i += 1;
                    let bv = num(&mut i);
                    if cmd == b'M' {
                        x = a.parse::<usize>().unwrap() - QUIET_ZONE;
                        y = bv.strip_suffix(".5").unwrap().parse::<usize>().unwrap() - QUIET_ZONE;
                    } else {
                        assert_eq!(bv, "0");
                        x += a.parse::<usize>().unwrap();
                    }
                }
                b'h' => {
                    for _ in 0..a.parse::<usize>().unwrap() {
                        assert!(!dark[y][x], "({x}, {y}) twice");
                        dark[y][x] = true;
                        x += 1;
                    }
                }
                other => panic!("unexpected command {}", other as char),
            }
        }
        let want: Vec<Vec<bool>> = code
            .to_colors()
            .chunks(n)
            .map(|row| row.iter().map(|c| *c == Color::Dark).collect())
            .collect();
        assert_eq!(dark, want);
    }

    #[test]
    fn empty_or_absurd_input_is_refused_without_panic() {
        assert_eq!(qr_svg(""), None);
        assert_eq!(qr_svg(&"b".repeat(MAX_QR_DATA + 1)), None);
        assert_eq!(qr_svg(&"å".repeat(1_000_000)), None);
        let longest = "9".repeat(MAX_QR_DATA);
        assert_eq!(decode(&qr_svg(&longest).unwrap()), longest);
        let unusual = "bankid.åäö \u{0}\"<&>.1.x";
        assert!(qr_svg(unusual).is_some());
    }
}
