//! Command lines of RunScripts, run without a shell: Bareos splits a command
//! into words itself before `execvp`, and so do the director and the file daemon.

/// Split a command line into words like Bareos does (no shell): spaces, tabs and
/// newlines separate, double or single quotes group, a backslash escapes the
/// next character (inside quotes too). An unterminated quote runs to the end.
pub fn split_command(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    let mut it = cmd.chars();
    while let Some(c) = it.next() {
        match (quote, c) {
            (None, ' ' | '\t' | '\n') => {
                if has {
                    words.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                has = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, '\\') => {
                if let Some(n) = it.next() {
                    cur.push(n);
                    has = true;
                }
            }
            (_, c) => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        words.push(cur);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_director() {
        assert_eq!(split_command("echo 'a b' \"c d\" e\\ f"), vec!["echo", "a b", "c d", "e f"]);
        assert_eq!(split_command("  sh -c 'exit 3'  "), vec!["sh", "-c", "exit 3"]);
        assert_eq!(split_command("a '' b"), vec!["a", "", "b"]);
        assert_eq!(split_command("say \"it's\""), vec!["say", "it's"]);
        assert!(split_command("").is_empty());
        assert!(split_command(" \t\n").is_empty());
    }
}
