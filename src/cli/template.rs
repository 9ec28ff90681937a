//! `--format`: Go templates (gtmpl) rendered as Go's text/template renders them — slices
//! `[a b]`, maps `map[k:v]` with sorted keys (see vendor/gtmpl_value), a missing map key
//! `<no value>` — with docker's functions `json`, `join`, `lower`, `upper`, `title`, `split`,
//! and an unknown field named with the fields the command has.

use serde_json::Value;

use super::exit::usage;
use super::output::to_json;

/// A row's own fields are an object (an unknown one is an error); values inside it are maps
/// (a missing key is `<no value>`, as for Go maps).
fn to_gtmpl(v: &Value, top: bool) -> gtmpl::Value {
    match v {
        Value::Null => gtmpl::Value::Nil,
        Value::Bool(b) => gtmpl::Value::Bool(*b),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                gtmpl::Value::from(u)
            } else if let Some(i) = n.as_i64() {
                gtmpl::Value::from(i)
            } else {
                gtmpl::Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => gtmpl::Value::String(s.clone()),
        Value::Array(a) => gtmpl::Value::Array(a.iter().map(|x| to_gtmpl(x, false)).collect()),
        Value::Object(m) => {
            let fields = m
                .iter()
                .map(|(k, v)| (k.clone(), to_gtmpl(v, false)))
                .collect();
            if top {
                gtmpl::Value::Object(fields)
            } else {
                gtmpl::Value::Map(fields)
            }
        }
    }
}

fn from_gtmpl(v: &gtmpl::Value) -> Value {
    match v {
        gtmpl::Value::Nil | gtmpl::Value::NoValue => Value::Null,
        gtmpl::Value::Bool(b) => Value::Bool(*b),
        gtmpl::Value::String(s) => Value::String(s.clone()),
        gtmpl::Value::Number(n) => n
            .as_u64()
            .map(Value::from)
            .or_else(|| n.as_i64().map(Value::from))
            .or_else(|| n.as_f64().map(Value::from))
            .unwrap_or(Value::Null),
        gtmpl::Value::Array(a) => Value::Array(a.iter().map(from_gtmpl).collect()),
        gtmpl::Value::Object(m) | gtmpl::Value::Map(m) => {
            // Sorted keys: a stable order, as Go's json encodes maps.
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), from_gtmpl(&m[k])))
                    .collect(),
            )
        }
        gtmpl::Value::Function(_) => Value::Null,
    }
}

type FnResult = Result<gtmpl::Value, gtmpl::FuncError>;

fn arg<'a>(
    args: &'a [gtmpl::Value],
    i: usize,
    name: &str,
) -> Result<&'a gtmpl::Value, gtmpl::FuncError> {
    args.get(i)
        .ok_or_else(|| gtmpl::FuncError::Generic(format!("{name} needs {} arguments", i + 1)))
}

fn text(v: &gtmpl::Value) -> String {
    match v {
        gtmpl::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_func(args: &[gtmpl::Value]) -> FnResult {
    let v = args.first().cloned().unwrap_or(gtmpl::Value::Nil);
    Ok(gtmpl::Value::String(to_json(&from_gtmpl(&v), false)))
}

fn join_func(args: &[gtmpl::Value]) -> FnResult {
    let sep = text(arg(args, 1, "join")?);
    let parts: Vec<String> = match arg(args, 0, "join")? {
        gtmpl::Value::Array(a) => a.iter().map(text).collect(),
        other => vec![text(other)],
    };
    Ok(gtmpl::Value::String(parts.join(&sep)))
}

fn split_func(args: &[gtmpl::Value]) -> FnResult {
    let s = text(arg(args, 0, "split")?);
    let sep = text(arg(args, 1, "split")?);
    Ok(gtmpl::Value::Array(
        s.split(sep.as_str())
            .map(|p| gtmpl::Value::String(p.to_string()))
            .collect(),
    ))
}

fn lower_func(args: &[gtmpl::Value]) -> FnResult {
    Ok(gtmpl::Value::String(
        text(arg(args, 0, "lower")?).to_lowercase(),
    ))
}

fn upper_func(args: &[gtmpl::Value]) -> FnResult {
    Ok(gtmpl::Value::String(
        text(arg(args, 0, "upper")?).to_uppercase(),
    ))
}

fn title_func(args: &[gtmpl::Value]) -> FnResult {
    let s = text(arg(args, 0, "title")?);
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    Ok(gtmpl::Value::String(out))
}

/// The row fields a template reads (`.Repository`, `$.Tag`), or None when it reads the
/// whole row (`{{ . }}`, `{{ json . }}`, a `with` or `range` whose dot is the row): a listing
/// fetches only what its template needs.
pub fn fields_used(template: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let action = &after[..close];
        if action
            .trim_start_matches('-')
            .trim_start()
            .starts_with("/*")
        {
            rest = &after[close + 2..];
            continue;
        }
        let mut in_string = false;
        let chars: Vec<char> = action.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if c == '"' || c == '`' {
                in_string = !in_string;
            }
            if in_string || c != '.' {
                continue;
            }
            let prev = if i > 0 { chars[i - 1] } else { ' ' };
            if prev.is_ascii_digit() || prev.is_alphanumeric() || prev == '_' || prev == ')' {
                // 1.5, a field of a field (.A.B: A is what counts) or (x).F
                continue;
            }
            let name: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '_')
                .collect();
            if name.is_empty() {
                return None;
            }
            if !out.contains(&name) {
                out.push(name);
            }
        }
        rest = &after[close + 2..];
    }
    Some(out)
}

const SHAPE: &str = "templates look like '{{ .Repository }}:{{ .Tag }}'";

/// A template parsed with docker's functions; a syntax error is a usage error.
fn compile(template: &str) -> anyhow::Result<gtmpl::Template> {
    if !balanced(template) {
        return Err(usage(
            format!("invalid --format template {template:?}: an action opened with {{{{ is not closed with }}}}"),
            SHAPE,
        ));
    }
    let mut tmpl = gtmpl::Template::default();
    tmpl.add_funcs(&[
        ("json", json_func as gtmpl::Func),
        ("join", join_func as gtmpl::Func),
        ("split", split_func as gtmpl::Func),
        ("lower", lower_func as gtmpl::Func),
        ("upper", upper_func as gtmpl::Func),
        ("title", title_func as gtmpl::Func),
    ]);
    tmpl.parse(template)
        .map_err(|e| usage(format!("invalid --format template: {e}"), SHAPE))?;
    Ok(tmpl)
}

/// Check a `--format` template before any request: its syntax, and that every row field it
/// reads is one of the command's `fields` (the keys of its `-o json` objects). A bad template
/// is a usage error (exit 2) with nothing done yet.
pub fn check(template: &str, fields: &[&str]) -> anyhow::Result<()> {
    let (_, body) = table_form(template);
    compile(&body)?;
    if let Some(used) = fields_used(&body) {
        if let Some(bad) = used.iter().find(|f| !fields.contains(&f.as_str())) {
            let names: Vec<String> = fields.iter().map(|f| format!(".{f}")).collect();
            return Err(usage(
                format!("--format: no field .{bad} here"),
                format!("the fields are {}", names.join(", ")),
            ));
        }
    }
    Ok(())
}

/// docker's `table` form: `table {{.A}}\t{{.B}}` prints a header row made of the field names
/// and aligned columns; a literal `\t` in any template is a tab, as in docker.
fn table_form(template: &str) -> (bool, String) {
    let t = template.replace("\\t", "\t");
    match t.strip_prefix("table") {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
            (true, rest.trim_start().to_string())
        }
        _ => (false, t),
    }
}

/// Apply a template to every row: one line each, or docker's `table` form (a header of
/// upper-case field names, columns aligned as docker's tabwriter aligns them).
pub fn render_rows(template: &str, rows: &[Value]) -> anyhow::Result<String> {
    let (table, body) = table_form(template);
    let mut lines = Vec::new();
    if table {
        let header: serde_json::Map<String, Value> = rows
            .first()
            .and_then(Value::as_object)
            .map(|m| {
                m.keys()
                    .map(|k| (k.clone(), Value::String(k.to_uppercase())))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(fields) = fields_used(&body) {
            let mut h = header.clone();
            for f in fields {
                h.entry(f.clone())
                    .or_insert(Value::String(f.to_uppercase()));
            }
            // A template that reaches inside a field (`.Config.Labels`) has no header.
            if let Ok(line) = render(&body, &Value::Object(h)) {
                lines.push(line);
            }
        }
    }
    for r in rows {
        lines.push(render(&body, r)?);
    }
    if !table {
        return Ok(lines.iter().map(|l| format!("{l}\n")).collect());
    }
    Ok(align(&lines))
}

/// Columns split at tabs, padded to the widest cell plus three spaces (docker's tabwriter:
/// minimum width 10, padding 3); the last cell of a line is not padded.
fn align(lines: &[String]) -> String {
    let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let mut widths: Vec<usize> = Vec::new();
    for row in &cells {
        for (i, c) in row.iter().enumerate().take(row.len().saturating_sub(1)) {
            let w = c.chars().count() + 3;
            if widths.len() <= i {
                widths.push(10);
            }
            widths[i] = widths[i].max(w);
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            line.push_str(c);
            if i + 1 < row.len() {
                let pad = widths[i].saturating_sub(c.chars().count());
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Apply a Go template to one row.
pub fn render(template: &str, v: &Value) -> anyhow::Result<String> {
    let tmpl = compile(template)?;
    let ctx = gtmpl::Context::from(to_gtmpl(v, true));
    let out = tmpl.render(&ctx).map_err(|e| {
        let fields: Vec<String> = v
            .as_object()
            .map(|m| m.keys().map(|f| format!(".{f}")).collect())
            .unwrap_or_default();
        let hint = format!("the fields are {}", fields.join(", "));
        let msg = e.to_string();
        match msg
            .strip_prefix("no field ")
            .and_then(|r| r.split(' ').next())
        {
            Some(field) => usage(format!("--format: no field .{field} here"), hint),
            None => usage(format!("--format template failed: {msg}"), hint),
        }
    })?;
    // A row is one line: a newline only where the template itself has one, never from a value.
    let keep: &[char] = if template.contains('\n') {
        &['\n', '\t']
    } else {
        &['\t']
    };
    Ok(crate::text::escape_keeping(&out, keep).into_owned())
}

/// Every `{{` closed by a `}}` before the next `{{` (gtmpl loops on an unclosed action).
fn balanced(t: &str) -> bool {
    let mut rest = t;
    loop {
        let open = rest.find("{{");
        let close = rest.find("}}");
        match (open, close) {
            (None, None) => return true,
            (Some(o), Some(c)) if o < c => {
                let after = &rest[o + 2..];
                let c2 = after.find("}}").expect("a close exists");
                if after[..c2].contains("{{") {
                    return false;
                }
                rest = &after[c2 + 2..];
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_used_finds_row_fields() {
        let f = |t: &str| {
            fields_used(t).map(|mut v| {
                v.sort();
                v
            })
        };
        assert_eq!(
            f("{{ .Repository }}:{{.Tag}}"),
            Some(vec!["Repository".to_string(), "Tag".to_string()])
        );
        assert_eq!(f("{{ json . }}"), None);
        assert_eq!(f("{{.}}"), None);
        assert_eq!(
            f("{{ $.Digest }} {{ \"a.b\" }}"),
            Some(vec!["Digest".to_string()])
        );
        assert_eq!(f("{{ .Labels.x }}"), Some(vec!["Labels".to_string()]));
        assert_eq!(f("plain"), Some(vec![]));
    }

    #[test]
    fn renders_as_go_does() {
        let v = serde_json::json!({
            "Tags": ["stable", "v1"],
            "Config": {"Labels": {"b": "2", "a": "1"}, "ExposedPorts": {"80/tcp": {}}},
            "Size": 5,
            "Nothing": null,
        });
        let r = |t: &str| render(t, &v).unwrap();
        assert_eq!(r("{{ .Tags }}"), "[stable v1]");
        assert_eq!(r("{{ .Config.Labels }}"), "map[a:1 b:2]");
        assert_eq!(r("{{ .Config.ExposedPorts }}"), "map[80/tcp:map[]]");
        assert_eq!(r("{{ .Config.Missing }}"), "<no value>");
        assert_eq!(r("{{ .Nothing }}"), "<nil>");
        assert_eq!(r("{{ .Size }}"), "5");
        assert_eq!(r("{{ join .Tags \", \" }}"), "stable, v1");
        assert_eq!(r("{{ upper (index .Tags 0) }}"), "STABLE");
        assert_eq!(r("{{ lower \"AbC\" }}"), "abc");
        assert_eq!(r("{{ title \"hello world\" }}"), "Hello World");
        assert_eq!(r("{{ split \"a:b\" \":\" }}"), "[a b]");
        assert_eq!(r("{{ len .Tags }}"), "2");
        assert_eq!(r("{{ range .Tags }}<{{ . }}>{{ end }}"), "<stable><v1>");
        // Stable key order: the same output every time.
        let j = r("{{ json .Config }}");
        assert_eq!(
            j,
            r#"{"ExposedPorts":{"80/tcp":{}},"Labels":{"a":"1","b":"2"}}"#
        );
        for _ in 0..5 {
            assert_eq!(r("{{ json . }}"), r("{{ json . }}"));
        }
        let e = render("{{ .Nope }}", &v).unwrap_err();
        let hint = super::super::exit::hint_for(&e).unwrap();
        assert!(e.to_string().contains(".Nope"), "{e}");
        assert!(hint.contains(".Tags") && hint.contains(".Config"), "{hint}");
    }
}
