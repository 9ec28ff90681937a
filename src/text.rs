//! Text from outside (registries, token servers, archives) made safe for a terminal: control
//! characters (C0, DEL, C1 including U+009B, a one-character CSI) are shown escaped, never sent.

use std::borrow::Cow;

/// Whether `c` is a control character a terminal may act on: C0, DEL or C1.
pub fn is_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// `s` with every control character written as `\xNN` (C0, DEL) or `\u{NN}` (C1); newlines and
/// tabs too, so that one value stays on one line.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_keeping(s, &[])
}

/// Like [`escape`], but the characters in `keep` (e.g. `'\n'` for multi-line output that cr
/// laid out itself) pass through.
pub fn escape_keeping<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    if !s.chars().any(|c| is_control(c) && !keep.contains(&c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_control(c) || keep.contains(&c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:02x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(escape("x\u{9b}2Jy"), "x\\u{9b}2Jy");
        assert_eq!(escape("a\nhint: b"), "a\\x0ahint: b");
        assert_eq!(escape("\x7f"), "\\x7f");
        assert_eq!(escape_keeping("a\nb\x07", &['\n']), "a\nb\\x07");
        assert_eq!(escape("ünï ✓"), "ünï ✓");
    }
}
