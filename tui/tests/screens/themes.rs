//! Themes: every shipped theme file loads, and one style snapshot per theme
//! (`Buffer`'s Debug lists the style runs, so a recolouring shows up here and
//! only here).

use cairn_tui::theme::Styles;

use crate::support::{self, draw, settings};

#[test]
fn every_theme_file_loads_and_sets_every_role() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../themes");
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("themes dir") {
        let path = entry.expect("entry").path();
        // Every .toml beside the crate manifest is a theme.
        if path.extension().and_then(|e| e.to_str()) != Some("toml") || path.ends_with("Cargo.toml") {
            continue;
        }
        let t =
            cairn_themes::load(&path.display().to_string(), None).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for role in cairn_themes::ROLES {
            assert!(t.defines(role), "{} leaves {role} unset", path.display());
        }
        seen.push(t.name.clone());
    }
    seen.sort();
    assert_eq!(seen, vec!["dark", "high-contrast", "light", "mono"]);
}

#[test]
fn one_style_snapshot_per_theme() {
    for (name, _) in cairn_themes::BUILTIN {
        let theme = cairn_themes::load(name, None).expect("theme");
        let styles = Styles::from_theme(&theme);
        let state = support::dashboard(80, 24);
        let t = draw(&state, &styles);
        settings().bind(|| insta::assert_debug_snapshot!(format!("theme-{name}"), t.backend().buffer()));
    }
}
