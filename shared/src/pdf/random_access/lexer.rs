//! The object lexer/parser over a window of bytes: PDF's object syntax, told apart from a
//! window that ended too soon (read more) and a file that did (an error).

use lopdf::{Dictionary, Object, ObjectId, StringFormat};

use super::MAX_DEPTH;

#[derive(Debug)]
pub(super) enum ParseError {
    /// The window ended inside the object: read more.
    Incomplete,
    Invalid(&'static str),
}

type Parsed<T> = Result<T, ParseError>;

pub(super) struct Lexer<'b> {
    buf: &'b [u8],
    pos: usize,
    /// The window reaches the end of the file: running out is an error, not a reason to read on.
    at_eof: bool,
}

pub(super) fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'b> Lexer<'b> {
    pub(super) fn new(buf: &'b [u8], at_eof: bool) -> Self {
        Self {
            buf,
            pos: 0,
            at_eof,
        }
    }

    fn out(&self) -> ParseError {
        if self.at_eof {
            ParseError::Invalid("unexpected end of file")
        } else {
            ParseError::Incomplete
        }
    }

    fn peek(&self) -> Parsed<u8> {
        self.buf.get(self.pos).copied().ok_or_else(|| self.out())
    }

    pub(super) fn byte(&mut self) -> Parsed<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn skip_ws(&mut self) -> Parsed<()> {
        loop {
            match self.buf.get(self.pos) {
                Some(b) if is_whitespace(*b) => self.pos += 1,
                Some(b'%') => {
                    while let Some(b) = self.buf.get(self.pos) {
                        if *b == b'\n' || *b == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(_) => return Ok(()),
                None => return Err(self.out()),
            }
        }
    }

    /// A regular-character token (keyword or number) without consuming it.
    fn token(&self) -> Parsed<&'b [u8]> {
        let start = self.pos;
        let mut end = start;
        while let Some(b) = self.buf.get(end) {
            if is_whitespace(*b) || is_delimiter(*b) {
                return Ok(&self.buf[start..end]);
            }
            end += 1;
        }
        if self.at_eof {
            Ok(&self.buf[start..end])
        } else {
            Err(ParseError::Incomplete)
        }
    }

    pub(super) fn eat_keyword(&mut self, keyword: &[u8]) -> bool {
        match self.token() {
            Ok(t) if t == keyword => {
                self.pos += t.len();
                true
            }
            _ => false,
        }
    }

    pub(super) fn unsigned(&mut self) -> Parsed<u64> {
        self.skip_ws()?;
        let t = self.token()?;
        if t.is_empty() || t.len() > 19 || !t.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::Invalid("expected a number"));
        }
        self.pos += t.len();
        std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ParseError::Invalid("expected a number"))
    }

    pub(super) fn indirect_header(&mut self) -> Parsed<ObjectId> {
        let number = self.unsigned()?;
        let generation = self.unsigned()?;
        self.skip_ws()?;
        if !self.eat_keyword(b"obj") {
            return Err(ParseError::Invalid("no obj keyword"));
        }
        let number = u32::try_from(number).map_err(|_| ParseError::Invalid("object number"))?;
        Ok((number, generation.min(65535) as u16))
    }

    /// After the object: `stream` + EOL gives the offset of the data, `endobj` gives None.
    pub(super) fn stream_start(&mut self) -> Parsed<Option<usize>> {
        self.skip_ws()?;
        if self.eat_keyword(b"stream") {
            match self.byte()? {
                b'\r' => {
                    if self.peek()? == b'\n' {
                        self.pos += 1;
                    }
                }
                b'\n' => {}
                _ => return Err(ParseError::Invalid("no end of line after stream")),
            }
            Ok(Some(self.pos))
        } else if self.eat_keyword(b"endobj") {
            Ok(None)
        } else {
            Err(ParseError::Invalid("no endobj"))
        }
    }

    pub(super) fn object(&mut self, depth: usize) -> Parsed<Object> {
        if depth > MAX_DEPTH {
            return Err(ParseError::Invalid("nested too deeply"));
        }
        self.skip_ws()?;
        match self.peek()? {
            b'<' => {
                if self.buf.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    self.dictionary(depth).map(Object::Dictionary)
                } else if self.pos + 1 >= self.buf.len() {
                    Err(self.out())
                } else {
                    self.pos += 1;
                    self.hex_string()
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.peek()? == b']' {
                        self.pos += 1;
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'(' => {
                self.pos += 1;
                self.literal_string()
            }
            b'/' => {
                self.pos += 1;
                self.name().map(Object::Name)
            }
            b'>' | b']' | b')' | b'{' | b'}' => Err(ParseError::Invalid("unexpected delimiter")),
            _ => self.keyword_or_number(),
        }
    }

    fn dictionary(&mut self, depth: usize) -> Parsed<Dictionary> {
        let mut dict = Dictionary::new();
        loop {
            self.skip_ws()?;
            match self.peek()? {
                b'>' => {
                    self.pos += 1;
                    return if self.byte()? == b'>' {
                        Ok(dict)
                    } else {
                        Err(ParseError::Invalid("unbalanced >"))
                    };
                }
                b'/' => {
                    self.pos += 1;
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    // A null value is the same as no entry (ISO 32000-1 7.3.7).
                    if value != Object::Null {
                        dict.set(key, value);
                    }
                }
                _ => return Err(ParseError::Invalid("dictionary key is not a name")),
            }
        }
    }

    fn name(&mut self) -> Parsed<Vec<u8>> {
        let raw = self.token()?;
        self.pos += raw.len();
        let mut name = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#' {
                if let Some(v) = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    name.push(v);
                    i += 3;
                    continue;
                }
            }
            name.push(raw[i]);
            i += 1;
        }
        Ok(name)
    }

    fn hex_string(&mut self) -> Parsed<Object> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let b = self.byte()?;
            if b == b'>' {
                break;
            }
            if is_whitespace(b) {
                continue;
            }
            let v = (b as char)
                .to_digit(16)
                .ok_or(ParseError::Invalid("bad hex string"))? as u8;
            match high.take() {
                None => high = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(Object::String(out, StringFormat::Hexadecimal))
    }

    fn literal_string(&mut self) -> Parsed<Object> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let b = self.byte()?;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let e = self.byte()?;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek()? == b'\n' {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek()? {
                                    d @ b'0'..=b'7' => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        Ok(Object::String(out, StringFormat::Literal))
    }

    fn keyword_or_number(&mut self) -> Parsed<Object> {
        let t = self.token()?;
        if t.is_empty() {
            return Err(ParseError::Invalid("unexpected character"));
        }
        match t {
            b"true" => {
                self.pos += 4;
                return Ok(Object::Boolean(true));
            }
            b"false" => {
                self.pos += 5;
                return Ok(Object::Boolean(false));
            }
            b"null" => {
                self.pos += 4;
                return Ok(Object::Null);
            }
            _ => {}
        }
        let text = std::str::from_utf8(t).map_err(|_| ParseError::Invalid("bad number"))?;
        if let Ok(n) = text.parse::<i64>() {
            self.pos += t.len();
            // `N G R` is a reference; look ahead without committing.
            if (0..=i64::from(u32::MAX)).contains(&n) {
                let save = self.pos;
                if let Some(r) = self.reference_tail(n as u32)? {
                    return Ok(r);
                }
                self.pos = save;
            }
            return Ok(Object::Integer(n));
        }
        let real = text
            .parse::<f64>()
            .ok()
            .filter(|_| {
                text.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.".contains(&b))
            })
            .ok_or(ParseError::Invalid("bad number"))?;
        self.pos += t.len();
        Ok(Object::Real(real as f32))
    }

    /// After an integer: ` G R`, or None (restore position).
    fn reference_tail(&mut self, number: u32) -> Parsed<Option<Object>> {
        if self.skip_ws().is_err() {
            return if self.at_eof {
                Ok(None)
            } else {
                Err(ParseError::Incomplete)
            };
        }
        let g = match self.token() {
            Ok(g) if !g.is_empty() && g.len() <= 5 && g.iter().all(u8::is_ascii_digit) => g,
            Ok(_) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.pos += g.len();
        if self.skip_ws().is_err() {
            return if self.at_eof {
                Ok(None)
            } else {
                Err(ParseError::Incomplete)
            };
        }
        match self.token() {
            Ok(b"R") => {
                self.pos += 1;
                let generation: u16 = std::str::from_utf8(g)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                Ok(Some(Object::Reference((number, generation))))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Object {
        Lexer::new(text, true).object(0).unwrap()
    }

    #[test]
    fn parses_the_object_syntax() {
        let o = parse(b"<< /Type /Catalog /Pages 2 0 R /A [1 -2 3.5 (a\\(b\\)c\\101) <48 49>] /N#20x null /T true >>");
        let d = o.as_dict().unwrap();
        assert_eq!(d.get(b"Type").unwrap().as_name().unwrap(), b"Catalog");
        assert_eq!(d.get(b"Pages").unwrap().as_reference().unwrap(), (2, 0));
        let a = d.get(b"A").unwrap().as_array().unwrap();
        assert_eq!(a[0], Object::Integer(1));
        assert_eq!(a[1], Object::Integer(-2));
        assert_eq!(a[2], Object::Real(3.5));
        assert_eq!(a[3].as_str().unwrap(), b"a(b)cA");
        assert_eq!(a[4].as_str().unwrap(), b"HI");
        assert!(!d.has(b"N x"), "null values are no entry");
        assert_eq!(d.get(b"T").unwrap(), &Object::Boolean(true));
        // Two integers that are not a reference stay integers.
        assert_eq!(
            parse(b"[1 2 3]").as_array().unwrap().clone(),
            vec![Object::Integer(1), Object::Integer(2), Object::Integer(3)]
        );
    }

    #[test]
    fn a_cut_window_asks_for_more_and_a_cut_file_is_an_error() {
        for cut in [
            b"<< /A [1 2".as_slice(),
            b"<< /A (abc",
            b"<< /A 1 0",
            b"<</A/B",
        ] {
            assert!(matches!(
                Lexer::new(cut, false).object(0),
                Err(ParseError::Incomplete)
            ));
            assert!(matches!(
                Lexer::new(cut, true).object(0),
                Err(ParseError::Invalid(_))
            ));
        }
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert!(Lexer::new(deep.as_bytes(), true).object(0).is_err());
    }
}
