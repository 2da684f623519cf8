//! `show`: configuration resources printed back in resource syntax (API 0) or as
//! JSON objects (API 2). Passwords are hidden unless the console may `configure`.

use serde_json::{Map, Value};

use super::output::Output;
use crate::state::ResKind;
use super::{AclKind, Ctx};

/// `show` keywords in Bareos's matching order, with their resource type and the
/// singular name used in messages.
const KEYWORDS: &[(&str, &str)] = &[
    ("directors", "Director"),
    ("clients", "Client"),
    ("jobs", "Job"),
    ("jobdefs", "JobDefs"),
    ("storages", "Storage"),
    ("catalogs", "Catalog"),
    ("schedules", "Schedule"),
    ("filesets", "FileSet"),
    ("pools", "Pool"),
    ("messages", "Messages"),
    ("counters", "Counter"),
    ("profiles", "Profile"),
    ("consoles", "Console"),
    ("users", "User"),
];

/// Type order of `show all`.
const ALL_ORDER: &[&str] = &[
    "Director", "Client", "JobDefs", "Job", "Storage", "Catalog", "Schedule", "FileSet", "Pool", "Messages", "Counter",
    "Profile", "Console", "User",
];

fn keyword(word: &str) -> Option<(&'static str, &'static str)> {
    let w = word.to_ascii_lowercase();
    if w.is_empty() {
        return None;
    }
    KEYWORDS.iter().copied().find(|(k, _)| k.starts_with(&w))
}

fn merge(into: &mut Map<String, Value>, v: Value) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            match (into.get_mut(&k), v) {
                (Some(Value::Object(existing)), Value::Object(add)) => existing.extend(add),
                (_, v) => {
                    into.insert(k, v);
                }
            }
        }
    }
}

fn has_resources(ctx: &Ctx<'_>, type_: &str) -> bool {
    !ctx.cfg.resources.names(type_).is_empty()
}

/// Bareos `IsResAllowed`: resources with an ACL kind are checked against it;
/// all others need the right to `configure`.
fn res_allowed(ctx: &Ctx<'_>, type_: &str, name: &str) -> bool {
    let kind = match type_ {
        "Client" => AclKind::Client,
        "Job" | "JobDefs" => AclKind::Job,
        "Storage" => AclKind::Storage,
        "Catalog" => AclKind::Catalog,
        "Schedule" => AclKind::Schedule,
        "FileSet" => AclKind::FileSet,
        "Pool" => AclKind::Pool,
        _ => return ctx.session.may("configure"),
    };
    ctx.session.allows(kind, name)
}

/// Print every resource of `type_` this console may see.
fn show_type(ctx: &Ctx<'_>, out: &mut Output, json: &mut Map<String, Value>, type_: &str, verbose: bool, hide: bool) {
    let res = &ctx.cfg.resources;
    if ctx.session.is_root() {
        out.text(res.to_config_text(Some((type_, None)), verbose, hide));
        merge(json, res.to_json(type_, None, verbose, hide));
        return;
    }
    for name in res.names(type_) {
        if res_allowed(ctx, type_, &name) {
            out.text(res.to_config_text(Some((type_, Some(&name))), verbose, hide));
            merge(json, res.to_json(type_, Some(&name), verbose, hide));
        }
    }
}

/// `show …`.
pub fn show(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let verbose = ctx.args.has("verbose");
    let hide = !ctx.session.may("configure");
    let cfg = ctx.cfg.clone();
    let res = &cfg.resources;
    let words: Vec<_> = ctx.args.rest().iter().filter(|a| !a.key.eq_ignore_ascii_case("verbose")).cloned().collect();
    let mut json = Map::new();
    if words.is_empty() || (words.len() == 1 && words[0].key.eq_ignore_ascii_case("all") && words[0].value.is_none()) {
        for t in ALL_ORDER {
            if !has_resources(ctx, t) {
                continue;
            }
            show_type(ctx, out, &mut json, t, verbose, hide);
        }
        for (k, v) in json {
            out.set(&k, v);
        }
        return true;
    }
    for a in &words {
        if a.key.eq_ignore_ascii_case("help") {
            let mut text = String::from("Keywords for the show command are:\n");
            for (k, _) in KEYWORDS {
                text.push_str(k);
                text.push('\n');
            }
            out.info(text);
            continue;
        }
        if a.key.eq_ignore_ascii_case("disabled") {
            // Bareos ends the command after the disabled lists.
            show_disabled(ctx, out);
            return true;
        }
        let Some((kw, type_)) = keyword(&a.key) else {
            out.error(format!("Resource {} not found\n", a.key));
            continue;
        };
        match &a.value {
            Some(name) => {
                if res.names(type_).iter().any(|n| n == name) && res_allowed(ctx, type_, name) {
                    out.text(res.to_config_text(Some((type_, Some(name))), verbose, hide));
                    merge(&mut json, res.to_json(type_, Some(name), verbose, hide));
                } else {
                    out.error(format!("{kw} resource {name} not found.\n"));
                }
            }
            None => {
                if has_resources(ctx, type_) {
                    show_type(ctx, out, &mut json, type_, verbose, hide);
                } else {
                    out.info(format!("No {type_} resource defined\n"));
                }
            }
        }
    }
    for (k, v) in json {
        out.set(&k, v);
    }
    true
}

fn show_disabled(ctx: &Ctx<'_>, out: &mut Output) {
    let cfg = &ctx.cfg;
    let sections: [(&str, &str, Vec<String>); 3] = [
        ("Jobs", "jobs", cfg.jobs.iter().filter(|j| !ctx.state.is_enabled(ResKind::Job, &j.name) && ctx.session.allows(AclKind::Job, &j.name)).map(|j| j.name.clone()).collect()),
        ("Clients", "clients", cfg.clients.iter().filter(|c| !ctx.state.is_enabled(ResKind::Client, &c.name) && ctx.session.allows(AclKind::Client, &c.name)).map(|c| c.name.clone()).collect()),
        ("Schedules", "schedules", cfg.schedules.iter().filter(|s| !ctx.state.is_enabled(ResKind::Schedule, &s.name) && ctx.session.allows(AclKind::Schedule, &s.name)).map(|s| s.name.clone()).collect()),
    ];
    let only: Option<String> = ctx
        .args
        .rest()
        .iter()
        .skip_while(|a| !a.key.eq_ignore_ascii_case("disabled"))
        .nth(1)
        .map(|a| a.key.to_ascii_lowercase())
        .filter(|k| ["jobs", "clients", "schedules"].contains(&k.as_str()));
    let mut m = Map::new();
    for (title, key, names) in sections {
        if let Some(o) = &only
            && key != o.as_str() {
                continue;
            }
        if names.is_empty() {
            out.text(format!("No disabled {title}.\n"));
        } else {
            out.text(format!("Disabled {title}:\n"));
            for n in &names {
                out.text(format!("   {n}\n"));
            }
        }
        m.insert(key.to_string(), Value::Array(names.into_iter().map(Value::from).collect()));
    }
    out.set("disabled", Value::Object(m));
}
