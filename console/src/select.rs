//! Choosing the Director and the Console resource, as bconsole does.
//!
//! * Director: the only one; or `-D name`; with several and no `-D` an
//!   interactive console shows a numbered menu (`Select Director by entering a
//!   number: `) and a batch console takes the first one (bconsole would read
//!   the answer from the script's first line).
//! * Console: the first Console resource bound to that Director
//!   (`Director = name`), else the first unbound one; it logs in as that named
//!   console with its password. Without one, the default console logs in with
//!   the Director resource's password. (bconsole falls back further to the
//!   first Console resource even when it is bound to another Director; Cairn
//!   uses the default console then.)

use std::path::PathBuf;

use cairn_proto::ConnectOptions;

use crate::error::ConsoleError;

/// A `Director` resource of the console configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectorEntry {
    pub name: String,
    pub address: String,
    pub port: u16,
    /// The hex MD5 key of the default console's password.
    pub password_key: Option<String>,
    /// The Director resource's TLS directives.
    pub tls: cairn_proto::tls::TlsOptions,
}

/// A `Console` resource of the console configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    pub name: String,
    /// The hex MD5 key of the named console's password.
    pub password_key: String,
    pub director: Option<String>,
    pub history_file: Option<PathBuf>,
    pub history_length: u32,
    /// The Console resource's TLS directives (used when active, else the Director's).
    pub tls: cairn_proto::tls::TlsOptions,
}

/// The console configuration, reduced to what the console needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsoleSetup {
    pub directors: Vec<DirectorEntry>,
    pub consoles: Vec<ConsoleEntry>,
}

impl ConsoleSetup {
    /// bconsole's resource check: a Director is required, and a Director
    /// password when there is no Console resource.
    pub fn check(&self, config_path: &str) -> Result<(), ConsoleError> {
        let Some(first) = self.directors.first() else {
            return Err(ConsoleError::Config(format!(
                "No Director resource defined in {config_path}\nWithout that I don't know how to speak to the Director :-("
            )));
        };
        if self.consoles.is_empty() && first.password_key.is_none() {
            return Err(ConsoleError::Config(
                "Password item is required in Director resource (since no Console resource is specified), but not found."
                    .into(),
            ));
        }
        Ok(())
    }

    /// Index of the Director to use: `Some(i)` when decided (only one, or
    /// `-D name`), `None` when the user must choose.
    pub fn choose_director(&self, name: Option<&str>) -> Result<Option<usize>, ConsoleError> {
        if let Some(n) = name {
            return self
                .directors
                .iter()
                .position(|d| d.name == n)
                .map(Some)
                .ok_or_else(|| ConsoleError::UnknownDirector(n.to_string()));
        }
        Ok(if self.directors.len() == 1 { Some(0) } else { None })
    }

    /// The Console resource to log in with for Director `dir`.
    pub fn choose_console(&self, dir: usize) -> Option<&ConsoleEntry> {
        let dname = self.directors.get(dir)?.name.as_str();
        self.consoles
            .iter()
            .find(|c| c.director.as_deref() == Some(dname))
            .or_else(|| self.consoles.iter().find(|c| c.director.is_none()))
    }

    /// The numbered menu bconsole shows.
    pub fn director_menu(&self) -> String {
        let mut s = String::from("Available Directors:\n");
        for (i, d) in self.directors.iter().enumerate() {
            s.push_str(&format!("{:2}:  {} at {}:{}\n", i + 1, d.name, d.address, d.port));
        }
        s
    }

    /// Interpret an answer to the menu: the index, or the message to print
    /// before asking again.
    pub fn parse_menu_answer(&self, answer: &str) -> Result<usize, String> {
        let a = answer.trim();
        let n = self.directors.len();
        match a.parse::<usize>() {
            Ok(i) if (1..=n).contains(&i) => Ok(i - 1),
            Ok(_) => Err(format!("You must enter a number between 1 and {n}\n")),
            Err(_) => Err(format!("{a} is not a number. You must enter a number between 1 and {n}\n")),
        }
    }

    /// Login options for Director `dir` with the console chosen for it.
    pub fn connect_options(&self, dir: usize) -> Result<ConnectOptions, ConsoleError> {
        let d = self.directors.get(dir).ok_or_else(|| ConsoleError::Config("no such Director".into()))?;
        let tls_err = |e: cairn_proto::tls::TlsError| ConsoleError::Config(format!("Director {}: {e}", d.name));
        match self.choose_console(dir) {
            Some(c) => {
                let mut o = ConnectOptions::new(d.address.clone(), d.port, c.password_key.clone());
                o.console_name = Some(c.name.clone());
                let tls = if c.tls.active() { &c.tls } else { &d.tls };
                o.tls = tls.client().map_err(tls_err)?;
                Ok(o)
            }
            None => {
                let key = d.password_key.clone().ok_or_else(|| {
                    ConsoleError::Config(format!(
                        "Director {} has no Password and no Console resource applies to it.",
                        d.name
                    ))
                })?;
                let mut o = ConnectOptions::new(d.address.clone(), d.port, key);
                o.tls = d.tls.client().map_err(tls_err)?;
                Ok(o)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str, pw: Option<&str>) -> DirectorEntry {
        DirectorEntry { name: name.into(), address: format!("{name}.example"), port: 9101, password_key: pw.map(String::from), tls: Default::default() }
    }
    fn con(name: &str, director: Option<&str>) -> ConsoleEntry {
        ConsoleEntry {
            name: name.into(),
            password_key: format!("key-{name}"),
            director: director.map(String::from),
            history_file: None,
            history_length: 100,
            tls: Default::default(),
        }
    }

    #[test]
    fn director_choice() {
        let one = ConsoleSetup { directors: vec![dir("a", Some("k"))], consoles: vec![] };
        assert_eq!(one.choose_director(None).ok(), Some(Some(0)));
        let two = ConsoleSetup { directors: vec![dir("a", Some("k")), dir("b", Some("k"))], consoles: vec![] };
        assert_eq!(two.choose_director(None).ok(), Some(None));
        assert_eq!(two.choose_director(Some("b")).ok(), Some(Some(1)));
        assert!(matches!(two.choose_director(Some("c")), Err(ConsoleError::UnknownDirector(n)) if n == "c"));
        assert_eq!(two.director_menu(), "Available Directors:\n 1:  a at a.example:9101\n 2:  b at b.example:9101\n");
        assert_eq!(two.parse_menu_answer("2\n"), Ok(1));
        assert_eq!(two.parse_menu_answer("3"), Err("You must enter a number between 1 and 2\n".into()));
        assert_eq!(two.parse_menu_answer("x"), Err("x is not a number. You must enter a number between 1 and 2\n".into()));
    }

    #[test]
    fn console_choice() {
        let s = ConsoleSetup {
            directors: vec![dir("a", Some("dirkey")), dir("b", None), dir("c", None)],
            consoles: vec![con("for-b", Some("b")), con("free", None), con("for-a", Some("a"))],
        };
        assert_eq!(s.choose_console(0).map(|c| c.name.as_str()), Some("for-a"));
        assert_eq!(s.choose_console(1).map(|c| c.name.as_str()), Some("for-b"));
        assert_eq!(s.choose_console(2).map(|c| c.name.as_str()), Some("free"));
        let o = s.connect_options(1).expect("options");
        assert_eq!(o.console_name.as_deref(), Some("for-b"));
        assert_eq!(o.password_key, "key-for-b");

        let d = ConsoleSetup { directors: vec![dir("a", Some("dirkey")), dir("b", None)], consoles: vec![con("x", Some("b"))] };
        let o = d.connect_options(0).expect("options");
        assert_eq!(o.console_name, None);
        assert_eq!(o.password_key, "dirkey");
        assert!(d.check("f").is_ok());
    }

    #[test]
    fn resource_check() {
        let none = ConsoleSetup::default();
        assert!(matches!(none.check("/etc/x.conf"), Err(ConsoleError::Config(m)) if m.starts_with("No Director resource defined in /etc/x.conf")));
        let nopw = ConsoleSetup { directors: vec![dir("a", None)], consoles: vec![] };
        assert!(nopw.check("f").is_err());
        let named = ConsoleSetup { directors: vec![dir("a", None)], consoles: vec![con("c", None)] };
        assert!(named.check("f").is_ok());
    }
}
