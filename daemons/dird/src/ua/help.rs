//! `help` and `.help`, generated from the command table.

use serde_json::{Map, Value};

use super::output::Output;
use super::table::COMMANDS;
use super::Ctx;

fn entry(name: &str, help: &str, usage: &str, permission: bool) -> Value {
    let mut m = Map::new();
    m.insert("command".into(), Value::from(name));
    m.insert("description".into(), Value::from(help));
    m.insert("arguments".into(), Value::from(usage));
    m.insert("permission".into(), Value::from(permission));
    Value::Object(m)
}

/// `help [command]`: the human command list, or one command's usage.
pub fn help(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    out.text("  Command            Description\n  =======            ===========\n");
    if let Some(arg) = ctx.args.rest().first() {
        let want = &arg.key;
        match COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(want)) {
            Some(c) => {
                out.text(format!("  {:<18} {}\n\n", c.name, c.help));
                out.text(format!("Arguments:\n\t{}\n", wrap_usage(c.usage, 45)));
                out.set(c.name, entry(c.name, c.help, c.usage, ctx.session.may(c.name)));
            }
            None => out.text(format!("\nCan't find {want} command.\n\n")),
        }
    } else {
        for c in COMMANDS.iter().filter(|c| !c.name.starts_with('.') && ctx.session.may(c.name)) {
            out.text(format!("  {:<18} {}\n", c.name, c.help));
            out.set(c.name, entry(c.name, c.help, c.usage, true));
        }
    }
    out.text("\nWhen at a prompt, entering a period (.) cancels the command.\n\n");
    true
}

/// Break a usage string into lines of about `width` characters at `|` or spaces,
/// continuing lines with a tab, as bconsole's help shows long usages.
fn wrap_usage(usage: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in usage.split(' ') {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            out.push_str(&line);
            out.push_str("\n\t");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}

/// `.help [all] [item=cmd] [full]`: machine-readable help used by completion.
pub fn dot_help(ctx: &mut Ctx<'_>, out: &mut Output) -> bool {
    let args = ctx.args;
    let full = match args.find("full") {
        Some(a) if a.value.is_some() => {
            out.error("The full option does not take a value.\n");
            return false;
        }
        Some(_) => true,
        None => false,
    };
    if let Some(item) = args.value("item") {
        if let Some(c) = COMMANDS.iter().find(|c| c.name == item) {
            out.text(format!("{}\n", c.usage));
            out.set(c.name, entry(c.name, c.help, c.usage, ctx.session.may(c.name)));
        }
        return true;
    }
    let all = args.has("all");
    for c in COMMANDS {
        let allowed = ctx.session.may(c.name);
        if !(full || allowed) {
            continue;
        }
        if all {
            if c.name.starts_with('.') {
                continue;
            }
            out.text(format!("{}\n", c.name));
        } else {
            out.text(format!("{} {} -- {}\n", c.name, c.help, c.usage));
        }
        out.set(c.name, entry(c.name, c.help, c.usage, allowed));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::wrap_usage;

    #[test]
    fn usage_wraps_on_words() {
        assert_eq!(wrap_usage("a b c", 45), "a b c");
        let w = wrap_usage("one two three four five", 9);
        assert_eq!(w, "one two\n\tthree\n\tfour five");
    }
}
