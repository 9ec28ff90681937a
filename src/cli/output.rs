//! Output: tables (comfy-table), JSON (`-o json`), Go templates (`--format`, evaluated by gtmpl
//! with ibmcloud's field names), sizes and relative times; stdout writes that end quietly on a
//! closed pipe and exit 1 on any other failure.

use std::io::Write;

use comfy_table::{presets, ContentArrangement, Table};

pub use super::template::render_rows;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    /// The human form (a table, or text lines); `text` names it too.
    #[value(alias = "text")]
    Table,
    Json,
}

/// `-o json` and `--format` shared by every command that prints data.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output format: table (default) or json.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT")]
    pub output: Option<OutputKind>,
    /// Go template applied to each result row; its fields are the keys of `-o json`
    /// ('table …' prints a header and aligned columns, as docker does).
    #[arg(long, value_name = "TEMPLATE", conflicts_with = "output")]
    pub format: Option<String>,
}

impl OutputArgs {
    pub fn json(&self) -> bool {
        self.output == Some(OutputKind::Json)
    }

    /// Check `--format` against the command's row `fields` before any request.
    pub fn check(&self, fields: &[&str]) -> anyhow::Result<()> {
        match &self.format {
            Some(t) => super::template::check(t, fields),
            None => Ok(()),
        }
    }
}

/// Write to stdout, the one way out for text: control characters that came from outside are
/// escaped here (cr's own newlines and tabs pass); a closed pipe (`cr image-list | head`)
/// ends the process quietly.
pub fn emit(s: &str) {
    emit_bytes(crate::text::escape_keeping(s, &['\n', '\t']).as_bytes());
}

/// Write bytes to stdout as they are (a manifest's exact bytes for a script). A closed pipe
/// ends the process quietly (exit 0, as `cr image-list | head` expects); any other failed
/// write (a full disk) is an error: said on stderr, exit 1. Output is never silently lost.
pub fn emit_bytes(b: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(b).and_then(|_| out.flush()) {
        std::process::exit(stdout_failed(&e).into());
    }
}

/// The exit code for a failed write to stdout, after saying why (unless the pipe closed).
pub fn stdout_failed(e: &std::io::Error) -> u8 {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        return 0;
    }
    eprintln!("error: cannot write to standard output: {e}");
    super::exit::FAILURE
}

pub fn emit_line(s: &str) {
    emit(&format!("{s}\n"));
}

pub fn emit_json(v: &impl serde::Serialize) {
    emit_line(&to_json(v, true));
}

/// JSON with every control character escaped: serde_json escapes C0 itself; DEL and C1
/// (U+009B is a one-character CSI) are written as `\u007f`..`\u009f` here.
pub fn to_json(v: &impl serde::Serialize, pretty: bool) -> String {
    let mut out = Vec::new();
    if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            SafeFormatter(serde_json::ser::PrettyFormatter::new()),
        );
        v.serialize(&mut ser).expect("serialises");
    } else {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            SafeFormatter(serde_json::ser::CompactFormatter),
        );
        v.serialize(&mut ser).expect("serialises");
    }
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// A serde_json formatter that also escapes DEL and C1 controls inside strings.
struct SafeFormatter<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            // C0 is escaped by serde_json already; the rest of the one rule (DEL, C1) here.
            if crate::text::is_control(c) && c >= '\u{7f}' {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A table with a header row, no borders, as docker prints.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        t.add_row(r.iter().map(|c| crate::text::escape(c).into_owned()));
    }
    let s = t.to_string();
    let mut out = String::new();
    for line in s.lines() {
        out.push_str(line.trim_end().trim_start_matches(' '));
        out.push('\n');
    }
    out
}

/// The rows as JSON values, for `--format` (a row's keys are its `-o json` keys).
pub fn values<T: serde::Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).expect("a row serialises"))
        .collect()
}

/// Print rows as a table, JSON array or one template line each.
pub fn print_rows<T: serde::Serialize>(
    args: &OutputArgs,
    rows: &[T],
    header: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if let Some(t) = &args.format {
        emit(&render_rows(t, &values(rows))?);
    } else if args.json() {
        emit_json(&rows);
    } else {
        emit(&table(header, rows.iter().map(cells).collect()));
    }
    Ok(())
}

/// Print per-image results: each through `--format`, all as a JSON array, or for people the
/// lines `human` makes (None: nothing for that result).
pub fn print_results<T: serde::Serialize>(
    args: &OutputArgs,
    results: &[T],
    human: impl Fn(&T) -> Option<String>,
) -> anyhow::Result<()> {
    if let Some(t) = &args.format {
        emit(&render_rows(t, &values(results))?);
    } else if args.json() {
        emit_json(&results);
    } else {
        for line in results.iter().filter_map(human) {
            emit_line(&line);
        }
    }
    Ok(())
}

/// Print one result: through `--format`, as JSON, or the line `human` makes.
pub fn print_one<T: serde::Serialize>(
    args: &OutputArgs,
    v: &T,
    human: impl FnOnce() -> String,
) -> anyhow::Result<()> {
    if let Some(t) = &args.format {
        emit(&render_rows(t, &values(std::slice::from_ref(v)))?);
    } else if args.json() {
        emit_json(v);
    } else {
        emit_line(&human());
    }
    Ok(())
}

/// The keys a row serialises to, in order: for the unit tests pinning each row type's
/// `FIELDS` (the `--format` field names) to its `-o json` keys.
#[cfg(test)]
pub fn keys_of(row: &impl serde::Serialize) -> Vec<String> {
    match serde_json::to_value(row).expect("a row serialises") {
        Value::Object(m) => m.keys().cloned().collect(),
        v => panic!("a row is an object, not {v}"),
    }
}

/// `12.3 MB`, decimal units as docker prints.
pub fn human_size(n: u64) -> String {
    const U: [&str; 6] = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < U.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else if v < 10.0 {
        format!("{v:.2} {}", U[i])
    } else if v < 100.0 {
        format!("{v:.1} {}", U[i])
    } else {
        format!("{v:.0} {}", U[i])
    }
}

/// `3 days ago` from Unix seconds.
pub fn relative_time(unix: Option<i64>, now: i64) -> String {
    // No time, or none worth showing: reproducible builds say 1970, cosign says year 1.
    let Some(t) = unix.filter(|t| *t > 0) else {
        return "-".into();
    };
    let d = now - t;
    if d < 0 {
        return "in the future".into();
    }
    let plural = |n: i64, u: &str| format!("{n} {u}{} ago", if n == 1 { "" } else { "s" });
    match d {
        0..=59 => plural(d.max(1), "second"),
        60..=3599 => plural(d / 60, "minute"),
        3600..=86399 => plural(d / 3600, "hour"),
        86400..=2_591_999 => plural(d / 86400, "day"),
        2_592_000..=31_535_999 => plural(d / 2_592_000, "month"),
        _ => plural(d / 31_536_000, "year"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::template::render;

    #[test]
    fn sizes_and_times() {
        assert_eq!(human_size(999), "999 B");
        assert_eq!(human_size(1_234_567), "1.23 MB");
        assert_eq!(human_size(123_456_789), "123 MB");
        assert_eq!(relative_time(Some(100), 100 + 3 * 86400), "3 days ago");
        assert_eq!(relative_time(Some(100), 160), "1 minute ago");
        assert_eq!(relative_time(None, 0), "-");
    }

    #[test]
    fn templates() {
        let v = serde_json::json!({"Repository": "h/ns/r", "Tag": "1", "Size": 5});
        assert_eq!(
            render("{{ .Repository }}:{{ .Tag }}", &v).unwrap(),
            "h/ns/r:1"
        );
        assert_eq!(render("{{.Size}}", &v).unwrap(), "5");
        assert_eq!(render("{{json .Tag}}", &v).unwrap(), "\"1\"");
        assert!(render("{{ .Repository ", &v).is_err());
        assert!(render("x }} {{", &v).is_err());
        assert!(render("{{ .Nope }}", &v).is_err());
    }

    #[test]
    fn table_shape() {
        let t = table(&["A", "B"], vec![vec!["x".into(), "yy".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with('A'));
    }
}

#[cfg(test)]
mod safety {
    use super::*;
    use crate::cli::template::render;

    #[test]
    fn json_escapes_del_and_c1() {
        let v = serde_json::json!({"Label": "a\u{9b}2J\u{7f}b\u{1b}[31m", "K\u{85}": 1});
        for pretty in [true, false] {
            let s = to_json(&v, pretty);
            assert!(
                !s.chars().any(|c| crate::text::is_control(c) && c != '\n'),
                "{s:?}"
            );
            assert!(s.contains("\\u009b") && s.contains("\\u007f") && s.contains("\\u001b"));
            let back: Value = serde_json::from_str(&s).unwrap();
            assert_eq!(back, v);
        }
    }

    #[test]
    fn templates_and_tables_keep_values_on_their_line() {
        let v = serde_json::json!({"Tag": "x\nhint: run rm -rf /", "L": "\u{1b}]0;t\u{7}"});
        let out = render("{{ .Tag }} {{ .L }}", &v).unwrap();
        assert_eq!(out, "x\\x0ahint: run rm -rf / \\x1b]0;t\\x07");
        assert_eq!(
            render("{{ .Tag }}\n", &v).unwrap(),
            "x\nhint: run rm -rf /\n"
        );
        let t = table(&["A"], vec![vec!["a\nb\u{9b}".into()]]);
        assert_eq!(t.lines().count(), 2, "{t}");
        assert!(t.contains("a\\x0ab\\u{9b}"), "{t}");
        assert_eq!(render("{{json .L}}", &v).unwrap(), "\"\\u001b]0;t\\u0007\"");
    }
}
