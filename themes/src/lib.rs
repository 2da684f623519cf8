//! `cairn-themes`: colour themes for Cairn's front ends.
//!
//! A theme maps **semantic roles** (`job.error`, `log.warning`,
//! `chrome.border_focused`, …; the full list is [`ROLES`]) to a neutral
//! [`StyleSpec`] (colours and attributes). Front ends convert a `StyleSpec` to
//! their own style type; this crate depends on no terminal library.
//!
//! Theme files are TOML, one table per area:
//!
//! ```toml
//! name = "my-dark"
//! inherit = "dark"              # optional: a built-in name or a path
//!
//! [job]
//! error = { fg = "#ff5f5f", bold = true }
//! running = { fg = 45 }         # an ANSI 256-colour index
//! ```
//!
//! A role listed in the file replaces the inherited role entirely; roles not
//! listed are inherited. Unknown areas, roles or style keys are errors, so a
//! typo never goes unnoticed. The built-in themes (`dark`, `light`,
//! `high-contrast`, `mono`) are embedded in the binary; `mono` uses attributes
//! only and is the default when `NO_COLOR` is set.
//!
//! ```
//! let t = cairn_themes::load("dark", None).expect("built-in");
//! assert!(t.get("job.error").fg.is_some());
//! let mono = cairn_themes::load("mono", None).expect("built-in");
//! assert!(mono.get("job.error").fg.is_none());
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Every role a theme may set, as `area.name`.
pub const ROLES: &[&str] = &[
    // Screen chrome.
    "chrome.base",
    "chrome.border",
    "chrome.border_focused",
    "chrome.title",
    "chrome.title_focused",
    "chrome.tab",
    "chrome.tab_active",
    "chrome.header",
    "chrome.selected",
    "chrome.dim",
    "chrome.key",
    "chrome.hint",
    "chrome.status_bar",
    "chrome.input",
    "chrome.prompt",
    "chrome.overlay",
    "chrome.message",
    "chrome.message_error",
    // Job states.
    "job.ok",
    "job.warning",
    "job.error",
    "job.canceled",
    "job.running",
    "job.waiting",
    "job.scheduled",
    // Job log lines.
    "log.error",
    "log.warning",
    "log.info",
    "log.time",
    "log.match",
    // Connection to the director.
    "conn.connected",
    "conn.connecting",
    "conn.lost",
    // Scheduler timeline.
    "sched.day",
    "sched.time",
    // Backup levels.
    "level.full",
    "level.differential",
    "level.incremental",
    // Trace-pane lines by level.
    "trace.error",
    "trace.warn",
    "trace.info",
    "trace.debug",
    "trace.trace",
];

/// The built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../dark.toml")),
    ("light", include_str!("../light.toml")),
    ("high-contrast", include_str!("../high-contrast.toml")),
    ("mono", include_str!("../mono.toml")),
];

/// The theme to use when none is asked for: `mono` when `NO_COLOR` is set to
/// a non-empty value (<https://no-color.org>), else `dark`.
pub fn default_name(no_color: Option<&std::ffi::OsStr>) -> &'static str {
    match no_color {
        Some(v) if !v.is_empty() => "mono",
        _ => "dark",
    }
}

/// Errors of theme loading.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ThemeError {
    #[error("cannot read theme file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("theme {origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("theme {origin}: unknown role `{role}` (known roles: see themes/README.md)")]
    UnknownRole { origin: String, role: String },
    #[error("unknown theme `{name}` (built-in themes: {available}; or give a path to a .toml file)")]
    Unknown { name: String, available: String },
    #[error("theme inheritance loops or is too deep: {0}")]
    InheritLoop(String),
}

/// A colour: a name, `#rrggbb`, or an ANSI 256-colour index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "ColorRepr")]
pub enum Color {
    /// The terminal's default colour.
    Reset,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    Rgb(u8, u8, u8),
    Indexed(u8),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ColorRepr {
    Index(u8),
    Text(String),
}

impl TryFrom<ColorRepr> for Color {
    type Error = String;
    fn try_from(r: ColorRepr) -> Result<Self, String> {
        match r {
            ColorRepr::Index(i) => Ok(Color::Indexed(i)),
            ColorRepr::Text(s) => s.parse(),
        }
    }
}

impl std::str::FromStr for Color {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(hex) = s.strip_prefix('#') {
            let bad = || format!("bad colour `{s}`: expected #rrggbb");
            if hex.len() != 6 || !hex.is_ascii() {
                return Err(bad());
            }
            let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
            return Ok(Color::Rgb(byte(0)?, byte(2)?, byte(4)?));
        }
        let norm: String = s.chars().filter(|c| *c != '_' && *c != '-' && *c != ' ').collect::<String>().to_lowercase();
        Ok(match norm.as_str() {
            "reset" | "default" => Color::Reset,
            "black" => Color::Black,
            "red" => Color::Red,
            "green" => Color::Green,
            "yellow" => Color::Yellow,
            "blue" => Color::Blue,
            "magenta" => Color::Magenta,
            "cyan" => Color::Cyan,
            "gray" | "grey" => Color::Gray,
            "darkgray" | "darkgrey" => Color::DarkGray,
            "lightred" => Color::LightRed,
            "lightgreen" => Color::LightGreen,
            "lightyellow" => Color::LightYellow,
            "lightblue" => Color::LightBlue,
            "lightmagenta" => Color::LightMagenta,
            "lightcyan" => Color::LightCyan,
            "white" => Color::White,
            _ => {
                if let Ok(i) = norm.parse::<u8>() {
                    return Ok(Color::Indexed(i));
                }
                return Err(format!(
                    "unknown colour `{s}`: use a name (red, lightblue, darkgray, …), #rrggbb or 0-255"
                ));
            }
        })
    }
}

/// Colours and attributes of one role. Unset fields leave the terminal's
/// (or the enclosing widget's) value in place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    #[serde(default)]
    pub bold: bool,
    #[serde(default)]
    pub dim: bool,
    #[serde(default)]
    pub italic: bool,
    #[serde(default)]
    pub underline: bool,
    #[serde(default)]
    pub reversed: bool,
}

impl StyleSpec {
    /// True when the style names a colour.
    pub fn has_color(&self) -> bool {
        self.fg.is_some() || self.bg.is_some()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: Option<String>,
    description: Option<String>,
    inherit: Option<String>,
    #[serde(default)]
    chrome: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    job: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    log: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    conn: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    sched: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    level: BTreeMap<String, StyleSpec>,
    #[serde(default)]
    trace: BTreeMap<String, StyleSpec>,
}

/// A resolved theme: every role after inheritance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    pub description: String,
    styles: BTreeMap<&'static str, StyleSpec>,
}

impl Theme {
    /// A theme that sets no role: the terminal's own colours throughout.
    pub fn plain() -> Theme {
        Theme { name: "plain".into(), description: String::new(), styles: BTreeMap::new() }
    }

    /// The style of `role` (the empty style when the theme leaves it unset).
    pub fn get(&self, role: &str) -> StyleSpec {
        self.styles.get(role).copied().unwrap_or_default()
    }

    /// True when the theme sets `role` (directly or by inheritance).
    pub fn defines(&self, role: &str) -> bool {
        self.styles.contains_key(role)
    }

    /// The roles this theme sets, with their styles.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, StyleSpec)> + '_ {
        self.styles.iter().map(|(k, v)| (*k, *v))
    }
}

/// Where a theme's text came from (for messages and relative `inherit` paths).
#[derive(Debug, Clone)]
enum Origin {
    Builtin(&'static str),
    File(PathBuf),
}

impl Origin {
    fn label(&self) -> String {
        match self {
            Origin::Builtin(n) => format!("`{n}` (built-in)"),
            Origin::File(p) => p.display().to_string(),
        }
    }
}

/// Load a theme by built-in name, by name from `user_dir` (`<user_dir>/<name>.toml`
/// overrides a built-in of the same name), or by path (anything ending in
/// `.toml` or containing a path separator).
pub fn load(spec: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
    let mut chain = Vec::new();
    load_chain(spec, user_dir, None, &mut chain)
}

/// Parse a theme from text (its `inherit`, if any, resolved like [`load`]).
pub fn parse(text: &str, label: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
    let mut chain = vec![label.to_string()];
    from_text(text, Origin::File(PathBuf::from(label)), user_dir, &mut chain)
}

fn locate(spec: &str, user_dir: Option<&Path>, relative_to: Option<&Path>) -> Result<(String, Origin), ThemeError> {
    let looks_like_path = spec.ends_with(".toml") || spec.contains('/') || spec.contains(std::path::MAIN_SEPARATOR);
    let read = |p: PathBuf| -> Result<(String, Origin), ThemeError> {
        let text = std::fs::read_to_string(&p).map_err(|source| ThemeError::Io { path: p.clone(), source })?;
        Ok((text, Origin::File(p)))
    };
    if looks_like_path {
        let p = PathBuf::from(spec);
        let p = match relative_to {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p,
        };
        return read(p);
    }
    if let Some(dir) = user_dir {
        let p = dir.join(format!("{spec}.toml"));
        if p.is_file() {
            return read(p);
        }
    }
    match BUILTIN.iter().find(|(n, _)| *n == spec) {
        Some((n, text)) => Ok(((*text).to_string(), Origin::Builtin(n))),
        None => Err(ThemeError::Unknown {
            name: spec.to_string(),
            available: BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        }),
    }
}

fn load_chain(
    spec: &str,
    user_dir: Option<&Path>,
    relative_to: Option<&Path>,
    chain: &mut Vec<String>,
) -> Result<Theme, ThemeError> {
    let (text, origin) = locate(spec, user_dir, relative_to)?;
    let key = origin.label();
    if chain.contains(&key) || chain.len() > 8 {
        chain.push(key);
        return Err(ThemeError::InheritLoop(chain.join(" -> ")));
    }
    chain.push(key);
    from_text(&text, origin, user_dir, chain)
}

fn from_text(
    text: &str,
    origin: Origin,
    user_dir: Option<&Path>,
    chain: &mut Vec<String>,
) -> Result<Theme, ThemeError> {
    let label = origin.label();
    let file: ThemeFile =
        toml::from_str(text).map_err(|e| ThemeError::Parse { origin: label.clone(), message: e.to_string() })?;
    let mut theme = match &file.inherit {
        Some(parent) => {
            let dir = match &origin {
                Origin::File(p) => p.parent().map(Path::to_path_buf),
                Origin::Builtin(_) => None,
            };
            // A user file may shadow a built-in name; a theme inheriting its own
            // name means the built-in one.
            let own_name = match &origin {
                Origin::File(p) => p.file_stem().map(|s| s.to_string_lossy().into_owned()),
                Origin::Builtin(n) => Some((*n).to_string()),
            };
            let user = if own_name.as_deref() == Some(parent.as_str()) { None } else { user_dir };
            load_chain(parent, user, dir.as_deref(), chain)?
        }
        None => Theme { name: String::new(), description: String::new(), styles: BTreeMap::new() },
    };
    let sections = [
        ("chrome", &file.chrome),
        ("job", &file.job),
        ("log", &file.log),
        ("conn", &file.conn),
        ("sched", &file.sched),
        ("level", &file.level),
        ("trace", &file.trace),
    ];
    for (area, roles) in sections {
        for (name, spec) in roles {
            let full = format!("{area}.{name}");
            let Some(role) = ROLES.iter().find(|r| **r == full) else {
                return Err(ThemeError::UnknownRole { origin: label, role: full });
            };
            theme.styles.insert(role, *spec);
        }
    }
    theme.name = match (&file.name, &origin) {
        (Some(n), _) => n.clone(),
        (None, Origin::Builtin(n)) => (*n).to_string(),
        (None, Origin::File(p)) => p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
    };
    if let Some(d) = file.description {
        theme.description = d;
    }
    Ok(theme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads_and_resolves_every_role() {
        for (name, _) in BUILTIN {
            let t = load(name, None).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.name, *name);
            for role in ROLES {
                assert!(t.defines(role), "{name} leaves {role} unset");
            }
        }
    }

    #[test]
    fn mono_has_no_colours() {
        let t = load("mono", None).expect("mono");
        for (role, s) in t.iter() {
            assert!(!s.has_color(), "mono sets a colour on {role}");
        }
    }

    #[test]
    fn colours_parse() {
        assert_eq!("#ff8000".parse::<Color>(), Ok(Color::Rgb(255, 128, 0)));
        assert_eq!("dark_gray".parse::<Color>(), Ok(Color::DarkGray));
        assert_eq!("LightBlue".parse::<Color>(), Ok(Color::LightBlue));
        assert_eq!("208".parse::<Color>(), Ok(Color::Indexed(208)));
        assert!("#ff80".parse::<Color>().is_err());
        assert!("chartreuse".parse::<Color>().is_err());
    }

    #[test]
    fn partial_override_inherits_the_rest() {
        let t = parse("inherit = \"dark\"\n[job]\nerror = { fg = 196, underline = true }\n", "mine.toml", None)
            .expect("parse");
        let dark = load("dark", None).expect("dark");
        assert_eq!(
            t.get("job.error"),
            StyleSpec { fg: Some(Color::Indexed(196)), underline: true, ..Default::default() }
        );
        assert_eq!(t.get("job.ok"), dark.get("job.ok"));
        assert_eq!(t.name, "mine");
    }

    #[test]
    fn typos_are_errors() {
        let e = parse("[job]\nerorr = { fg = \"red\" }\n", "t.toml", None).expect_err("unknown role");
        assert!(e.to_string().contains("job.erorr"), "{e}");
        let e = parse("[job]\nerror = { fgg = \"red\" }\n", "t.toml", None).expect_err("unknown key");
        assert!(e.to_string().contains("fgg"), "{e}");
        let e = parse("[jobs]\nerror = { fg = \"red\" }\n", "t.toml", None).expect_err("unknown area");
        assert!(e.to_string().contains("jobs"), "{e}");
        let e = parse("[job]\nerror = { fg = \"reddish\" }\n", "t.toml", None).expect_err("bad colour");
        assert!(e.to_string().contains("reddish"), "{e}");
        assert!(matches!(load("nope", None), Err(ThemeError::Unknown { .. })));
    }

    #[test]
    fn user_dir_overrides_and_inheritance_loops_are_caught() {
        let dir = std::env::temp_dir().join(format!("cairn-themes-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        // A user `dark` that inherits the built-in `dark`.
        std::fs::write(dir.join("dark.toml"), "inherit = \"dark\"\n[chrome]\nborder = { fg = \"red\" }\n")
            .expect("write");
        let t = load("dark", Some(&dir)).expect("user dark");
        assert_eq!(t.get("chrome.border").fg, Some(Color::Red));
        assert!(t.defines("job.ok"));
        std::fs::write(dir.join("a.toml"), "inherit = \"b.toml\"\n").expect("write");
        std::fs::write(dir.join("b.toml"), "inherit = \"a.toml\"\n").expect("write");
        let e = load(&dir.join("a.toml").display().to_string(), None).expect_err("loop");
        assert!(matches!(e, ThemeError::InheritLoop(_)), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_color_selects_mono() {
        assert_eq!(default_name(None), "dark");
        assert_eq!(default_name(Some(std::ffi::OsStr::new(""))), "dark");
        assert_eq!(default_name(Some(std::ffi::OsStr::new("1"))), "mono");
    }
}
