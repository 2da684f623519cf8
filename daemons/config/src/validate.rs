//! Cross-resource checks: duplicates, JobDefs inheritance, required directives, references,
//! and the per-daemon resource counts.

use std::collections::{HashMap, HashSet};

use crate::error::{Diagnostic, Pos};
use crate::resource::{Directive, Resource, ResourceSet};
use crate::schema::{Component, DataType};
use crate::value::Value;

const SCRIPT_DIRECTIVES: &[&str] =
    &["RunScript", "RunBeforeJob", "RunAfterJob", "RunAfterFailedJob", "ClientRunBeforeJob", "ClientRunAfterJob"];

fn jobdefs_of(r: &Resource) -> Option<(&str, &Pos)> {
    match r.get("JobDefs") {
        Some(Directive { value: Value::Str(s), pos, .. }) => Some((s.as_str(), pos)),
        _ => None,
    }
}

/// The directives of a Job/JobDefs with its JobDefs chain applied: unset directives are
/// inherited, RunScripts (and shortcut scripts) of the JobDefs are appended.
/// Returns the cycle (names in order) when the chain loops back.
pub(crate) fn effective_directives(set: &ResourceSet, r: &Resource) -> (Vec<Directive>, Option<Vec<String>>) {
    let mut out = r.directives.clone();
    if r.type_name != "Job" && r.type_name != "JobDefs" {
        return (out, None);
    }
    let mut chain: Vec<String> = vec![r.name.clone()];
    let mut visited: HashSet<String> = HashSet::new();
    if r.type_name == "JobDefs" {
        visited.insert(r.name.clone());
    }
    let mut cur = r;
    while let Some((parent_name, _)) = jobdefs_of(cur) {
        chain.push(parent_name.to_string());
        if !visited.insert(parent_name.to_string()) {
            return (out, Some(chain));
        }
        let Some(parent) = set.resources.iter().find(|x| x.type_name == "JobDefs" && x.name == parent_name) else {
            break;
        };
        for d in &parent.directives {
            if SCRIPT_DIRECTIVES.contains(&d.name) || !out.iter().any(|o| o.name == d.name) {
                out.push(d.clone());
            }
        }
        cur = parent;
    }
    (out, None)
}

/// Duplicate names, required directives (after inheritance), JobDefs cycles and references.
pub(crate) fn check_resources(set: &ResourceSet, diags: &mut Vec<Diagnostic>) {
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for r in &set.resources {
        if !r.name.is_empty() && !seen.insert((r.type_name, r.name.as_str())) {
            diags.push(Diagnostic::at(
                &r.pos,
                format!("Attempt to define second {} resource named \"{}\"", r.type_name, r.name),
            ));
        }
    }

    for r in &set.resources {
        let Some(def) = set.component.resource(r.type_name) else { continue };
        let (eff, cycle) = effective_directives(set, r);
        if let Some(chain) = cycle {
            // Report once, on the JobDefs resources that are part of the loop.
            if r.type_name == "JobDefs" && chain.last() == Some(&r.name) {
                let pos = jobdefs_of(r).map(|(_, p)| p.clone()).unwrap_or_else(|| r.pos.clone());
                diags.push(Diagnostic::at(
                    &pos,
                    format!("JobDefs \"{}\" inherits from itself (cycle: {})", r.name, chain.join(" -> ")),
                ));
            }
        }
        let label = if r.name.is_empty() {
            format!("{} resource", r.type_name)
        } else {
            format!("{} resource \"{}\"", r.type_name, r.name)
        };
        for dd in def.directives() {
            if def.is_required(dd) && !eff.iter().any(|d| d.name == dd.name) {
                diags.push(Diagnostic::at(&r.pos, format!("{label} is missing required directive \"{}\"", dd.name)));
            }
        }
        if r.type_name == "Job" {
            let is_backup = matches!(eff.iter().find(|d| d.name == "Type").map(|d| &d.value), Some(Value::Str(t)) if t == "Backup");
            if is_backup {
                for need in ["Client", "FileSet"] {
                    if !eff.iter().any(|d| d.name == need) {
                        diags.push(Diagnostic::at(
                            &r.pos,
                            format!("{label} is missing required directive \"{need}\" (required for Backup jobs)"),
                        ));
                    }
                }
            }
        }
    }

    // Names of Count-expanded SD devices are valid references too.
    let mut counted: HashMap<&str, u32> = HashMap::new();
    if set.component == Component::Storage {
        for r in set.resources.iter().filter(|r| r.type_name == "Device") {
            if let Some(Value::Int(n)) = r.get("Count").map(|d| &d.value) {
                counted.insert(r.name.as_str(), u32::try_from(*n).unwrap_or(0));
            }
        }
    }
    let exists = |target: &str, name: &str| -> bool {
        if set.resources.iter().any(|r| r.type_name == target && r.name == name) {
            return true;
        }
        if target == "Device" {
            return counted.iter().any(|(base, n)| {
                name.strip_prefix(base)
                    .and_then(|rest| if rest.len() == 4 { rest.parse::<u32>().ok() } else { None })
                    .is_some_and(|i| i <= *n)
            });
        }
        false
    };
    for r in &set.resources {
        let Some(def) = set.component.resource(r.type_name) else { continue };
        for d in &r.directives {
            let Some(dd) = def.directives().find(|x| x.name == d.name) else { continue };
            let (target, names): (&str, Vec<&str>) = match (dd.ty, &d.value) {
                (DataType::Res(t), Value::Str(s)) => (t, vec![s.as_str()]),
                (DataType::ResList(t), Value::List(l)) => (t, l.iter().map(String::as_str).collect()),
                _ => continue,
            };
            if set.component.resource(target).is_none() {
                continue;
            }
            for n in names {
                if !exists(target, n) {
                    diags.push(Diagnostic::at(
                        &d.pos,
                        format!(
                            "Could not find {target} resource \"{n}\" referenced by directive \"{}\" of {} \"{}\"",
                            d.name, r.type_name, r.name
                        ),
                    ));
                }
            }
        }
    }
    check_run_references(set, &exists, diags);
}

/// The Pool / Storage / Messages overrides of Schedule `Run =` lines must name resources.
fn check_run_references(set: &ResourceSet, exists: &dyn Fn(&str, &str) -> bool, diags: &mut Vec<Diagnostic>) {
    if set.component != Component::Director {
        return;
    }
    for r in set.resources.iter().filter(|r| r.type_name == "Schedule") {
        for d in r.directives.iter().filter(|d| d.name == "Run") {
            let Value::List(lines) = &d.value else { continue };
            for line in lines {
                // Syntax errors were reported when the value was parsed.
                let Ok(run) = crate::schedule::parse_run(line) else { continue };
                let refs = [
                    ("Pool", &run.pool),
                    ("Pool", &run.full_pool),
                    ("Pool", &run.incremental_pool),
                    ("Pool", &run.differential_pool),
                    ("Pool", &run.next_pool),
                    ("Storage", &run.storage),
                    ("Messages", &run.messages),
                ];
                for (target, name) in refs {
                    let Some(name) = name else { continue };
                    if !exists(target, name) {
                        diags.push(Diagnostic::at(
                            &d.pos,
                            format!(
                                "Could not find specified {target} Resource: {name} (Run = \"{line}\" of Schedule \"{}\")",
                                r.name
                            ),
                        ));
                    }
                }
            }
        }
    }
}

/// Per-daemon resource count rules.
pub(crate) fn check_counts(set: &ResourceSet, origin: &Pos, diags: &mut Vec<Diagnostic>) {
    let count = |t: &str| set.resources.iter().filter(|r| r.type_name == t).count();
    let (single, at_least): (&str, &[&str]) = match set.component {
        Component::Director => ("Director", &["Catalog", "Messages"]),
        Component::Storage => ("Storage", &[]),
        Component::FileDaemon => ("Client", &[]),
        Component::Console => ("", &["Director"]),
    };
    if !single.is_empty() {
        if count(single) == 0 {
            diags.push(Diagnostic::at(origin, format!("No {single} resource defined")));
        }
        for r in set.resources.iter().filter(|r| r.type_name == single).skip(1) {
            diags.push(Diagnostic::at(&r.pos, format!("Only one {single} resource permitted")));
        }
    }
    for t in at_least {
        if count(t) == 0 {
            diags.push(Diagnostic::at(origin, format!("No {t} resource defined: at least one is required")));
        }
    }
}
