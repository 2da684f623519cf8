//! Console command-line tokenising, as Bareos does it: words separated by
//! whitespace, `key=value` pairs, double quotes group (also inside a value),
//! keywords compared case-insensitively.

/// One argument: `key` or `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub key: String,
    pub value: Option<String>,
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub raw: String,
    pub args: Vec<Arg>,
}

/// Errors a command line can have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    UnterminatedQuote,
}

impl Args {
    /// Tokenise a command line.
    pub fn parse(line: &str) -> Result<Args, ArgsError> {
        let mut args = Vec::new();
        let mut chars = line.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek().is_none() {
                break;
            }
            let mut key = String::new();
            let mut value: Option<String> = None;
            let mut in_quote = false;
            while let Some(&c) = chars.peek() {
                if !in_quote && c.is_whitespace() {
                    break;
                }
                chars.next();
                match c {
                    '"' => in_quote = !in_quote,
                    '\\' if in_quote => {
                        if let Some(n) = chars.next() {
                            push(&mut key, &mut value, n);
                        }
                    }
                    '=' if !in_quote && value.is_none() => value = Some(String::new()),
                    _ => push(&mut key, &mut value, c),
                }
            }
            if in_quote {
                return Err(ArgsError::UnterminatedQuote);
            }
            args.push(Arg { key, value });
        }
        Ok(Args { raw: line.to_string(), args })
    }

    /// The command word (first argument's key).
    pub fn command(&self) -> Option<&str> {
        self.args.first().map(|a| a.key.as_str())
    }

    /// Arguments after the command word.
    pub fn rest(&self) -> &[Arg] {
        self.args.get(1..).unwrap_or(&[])
    }

    /// Position (after the command) of a keyword, case-insensitively.
    pub fn find(&self, key: &str) -> Option<&Arg> {
        self.rest().iter().find(|a| a.key.eq_ignore_ascii_case(key))
    }

    /// True if a keyword is present (with or without value).
    pub fn has(&self, key: &str) -> bool {
        self.find(key).is_some()
    }

    /// The value of `key=value`, if present with a value.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.rest()
            .iter()
            .find(|a| a.key.eq_ignore_ascii_case(key) && a.value.is_some())
            .and_then(|a| a.value.as_deref())
    }

    /// Every value given for a repeatable keyword.
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.rest()
            .iter()
            .filter(|a| a.key.eq_ignore_ascii_case(key))
            .filter_map(|a| a.value.as_deref())
            .collect()
    }
}

fn push(key: &mut String, value: &mut Option<String>, c: char) {
    match value {
        Some(v) => v.push(c),
        None => key.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenises_like_bareos() -> Result<(), ArgsError> {
        let a = Args::parse("  list jobs client=bareos-fd  jobstatus=T,A ")?;
        assert_eq!(a.command(), Some("list"));
        assert!(a.has("JOBS"));
        assert_eq!(a.value("client"), Some("bareos-fd"));
        assert_eq!(a.value("jobstatus"), Some("T,A"));
        let a = Args::parse(r#"restore where="/tmp/a b" "file name" before="2026-01-02 03:04:05""#)?;
        assert_eq!(a.value("where"), Some("/tmp/a b"));
        assert_eq!(a.rest()[1].key, "file name");
        assert_eq!(a.value("before"), Some("2026-01-02 03:04:05"));
        let a = Args::parse(".sql query=\"SELECT 1 = 1\"")?;
        assert_eq!(a.value("query"), Some("SELECT 1 = 1"));
        assert_eq!(Args::parse("x \"unterminated"), Err(ArgsError::UnterminatedQuote));
        assert_eq!(Args::parse("")?.command(), None);
        let a = Args::parse("show client=")?;
        assert_eq!(a.find("client").and_then(|x| x.value.as_deref()), Some(""));
        Ok(())
    }
}
