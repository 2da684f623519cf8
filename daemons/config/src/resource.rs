//! The generic resource representation (`ResourceSet`) and its construction from the syntax tree.

use std::collections::HashSet;

use crate::error::{Diagnostic, Pos, Warning};
use crate::parser::{AstItem, AstResource, AstValue};
use crate::schema::{Accumulate, Component, DataType, DirectiveDef, ResourceDef, Support};
use crate::value::{Value, ValueCtx, parse_addresses, parse_value};

/// One directive as written (after parsing its value), with the canonical directive name.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: &'static str,
    pub pos: Pos,
    pub value: Value,
}

impl PartialEq for Directive {
    /// Positions are ignored.
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}

/// One resource as written.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Canonical resource type (`Job`, `FileSet`, ...).
    pub type_name: &'static str,
    pub name: String,
    pub pos: Pos,
    pub directives: Vec<Directive>,
}

impl PartialEq for Resource {
    /// Positions are ignored.
    fn eq(&self, other: &Self) -> bool {
        self.type_name == other.type_name && self.name == other.name && self.directives == other.directives
    }
}

impl Resource {
    /// The first directive with this canonical name.
    pub fn get(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }
}

/// Every resource of a configuration, in file order, with values as written.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSet {
    pub component: Component,
    pub resources: Vec<Resource>,
}

impl ResourceSet {
    /// The schema of a resource type of this set's component.
    pub fn resource_def(&self, type_name: &str) -> Option<&'static ResourceDef> {
        self.component.resource(type_name)
    }
    /// Canonical resource types present, in schema order.
    pub fn types(&self) -> Vec<&'static str> {
        self.component
            .resources()
            .iter()
            .map(|r| r.name)
            .filter(|t| self.resources.iter().any(|r| r.type_name == *t))
            .collect()
    }
    /// Resources of one type (type keyword matched case-insensitively, plural group names accepted).
    pub fn of_type<'a>(&'a self, type_: &str) -> impl Iterator<Item = &'a Resource> + 'a {
        let def = self.lookup_type(type_);
        self.resources.iter().filter(move |r| def.is_some_and(|d| d.name == r.type_name))
    }
    /// Names of the resources of one type, in file order.
    pub fn names(&self, type_: &str) -> Vec<&str> {
        self.of_type(type_).map(|r| r.name.as_str()).collect()
    }
    /// One resource by type and name.
    pub fn find(&self, type_: &str, name: &str) -> Option<&Resource> {
        self.of_type(type_).find(|r| r.name == name)
    }
    /// Resolve a type keyword or a plural group name (`clients`).
    pub fn lookup_type(&self, type_: &str) -> Option<&'static ResourceDef> {
        self.component
            .resource(type_)
            .or_else(|| self.component.resources().iter().copied().find(|r| r.group.eq_ignore_ascii_case(type_)))
    }
}

/// Collects warnings, keeping only the first per (resource type, directive).
#[derive(Debug, Default)]
pub(crate) struct WarnSink {
    seen: HashSet<(String, String)>,
    pub list: Vec<Warning>,
}

impl WarnSink {
    pub fn add(&mut self, rtype: &str, directive: &str, pos: &Pos, message: String) {
        if self.seen.insert((rtype.to_string(), directive.to_string())) {
            self.list.push(Warning::at(pos, message));
        }
    }
}

/// Build a generic resource from its syntax tree; value errors are pushed to `diags`.
pub(crate) fn compile_resource(
    def: &'static ResourceDef,
    ast: &AstResource,
    diags: &mut Vec<Diagnostic>,
    warns: &mut WarnSink,
) -> Resource {
    let directives = compile_items(def, def.name, &ast.items, diags, warns);
    let name = match directives.iter().find(|d| d.name == "Name").map(|d| &d.value) {
        Some(Value::Str(s)) => s.clone(),
        _ => String::new(),
    };
    Resource { type_name: def.name, name, pos: ast.pos.clone(), directives }
}

fn compile_items(
    def: &'static ResourceDef,
    top_type: &'static str,
    items: &[AstItem],
    diags: &mut Vec<Diagnostic>,
    warns: &mut WarnSink,
) -> Vec<Directive> {
    let mut out: Vec<Directive> = Vec::new();
    for item in items {
        let Some(dd) = def.directive(&item.key) else {
            let msg = if def.datatype == "RES" {
                format!("Resource \"{}\" does not permit directive \"{}\"", def.name, item.key)
            } else {
                format!("Block \"{}\" does not permit directive \"{}\"", def.name, item.key)
            };
            diags.push(Diagnostic::at(&item.pos, msg));
            continue;
        };
        if matches!(item.value, AstValue::Block(_)) {
            note_warnings(def, dd, &item.pos, Vec::new(), warns);
        }
        let value = match (&dd.ty, &item.value) {
            (DataType::Block(sub), AstValue::Block(sub_items)) => {
                Ok(Value::Block(compile_items(sub, top_type, sub_items, diags, warns)))
            }
            (DataType::Addresses, AstValue::Block(sub_items)) => {
                parse_addresses(sub_items, dd.name).map(Value::Addresses)
            }
            (_, AstValue::Block(_)) => Err(Diagnostic::at(
                &item.pos,
                format!("Directive \"{}\" does not take a block", dd.name),
            )),
            (_, AstValue::Tokens(toks)) => {
                let mut ctx = ValueCtx { def: dd, resource_type: top_type, key_pos: &item.pos, warnings: Vec::new() };
                let v = parse_value(&mut ctx, toks);
                note_warnings(def, dd, &item.pos, ctx.warnings, warns);
                v
            }
        };
        match value {
            Ok(v) => accumulate(&mut out, dd, item.pos.clone(), v),
            Err(d) => diags.push(d),
        }
    }
    out
}

fn note_warnings(
    def: &ResourceDef,
    dd: &DirectiveDef,
    pos: &crate::error::Pos,
    value_warnings: Vec<(Pos, String)>,
    warns: &mut WarnSink,
) {
    let kind = if def.datatype == "RES" { "resources" } else { "blocks" };
    if dd.deprecated {
        warns.add(def.name, dd.name, pos, format!("Directive \"{}\" in {} {kind} is deprecated", dd.name, def.name));
    }
    for (p, m) in value_warnings {
        warns.add(def.name, dd.name, &p, m);
    }
    if dd.support == Support::Parsed {
        warns.add(
            def.name,
            dd.name,
            pos,
            format!("Directive \"{}\" in {} {kind} is accepted but not yet supported by Cairn", dd.name, def.name),
        );
    }
}

/// Add a value to a directive list following the datatype's accumulation rule.
pub(crate) fn accumulate(out: &mut Vec<Directive>, dd: &'static DirectiveDef, pos: Pos, value: Value) {
    match dd.ty.accumulate() {
        Accumulate::Push => out.push(Directive { name: dd.name, pos, value }),
        Accumulate::Merge => {
            if let Some(existing) = out.iter_mut().find(|d| d.name == dd.name) {
                if let (Value::List(a), Value::List(b)) = (&mut existing.value, value) {
                    a.extend(b);
                }
            } else {
                out.push(Directive { name: dd.name, pos, value });
            }
        }
        Accumulate::Replace => {
            if let Some(existing) = out.iter_mut().find(|d| d.name == dd.name) {
                existing.value = value;
                existing.pos = pos;
            } else {
                out.push(Directive { name: dd.name, pos, value });
            }
        }
    }
}
