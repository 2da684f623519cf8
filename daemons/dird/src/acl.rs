//! Access control lists as Bareos evaluates them: each entry is a regular
//! expression matched against the whole name; a leading `!` denies; `*all*`
//! allows everything; the first matching entry decides; lists are searched in
//! order (the console's own, then each profile's); no match denies.

use regex::Regex;

/// The outcome of looking a name up in one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclMatch {
    Allow,
    Deny,
    NoMatch,
}

/// Look `name` up in one ACL list.
pub fn check_list(entries: &[String], name: &str) -> AclMatch {
    for raw in entries {
        let (deny, pat) = match raw.strip_prefix('!') {
            Some(p) => (true, p.trim()),
            None => (false, raw.trim()),
        };
        if pat.eq_ignore_ascii_case("*all*") {
            return if deny { AclMatch::Deny } else { AclMatch::Allow };
        }
        let matched = match Regex::new(&format!("^(?:{pat})$")) {
            Ok(re) => re.is_match(name),
            // An entry that is not a valid regex is compared literally.
            Err(_) => pat == name,
        };
        if matched {
            return if deny { AclMatch::Deny } else { AclMatch::Allow };
        }
    }
    AclMatch::NoMatch
}

/// Evaluate several lists in order; the first list with a match decides.
pub fn check_lists<'a>(lists: impl IntoIterator<Item = &'a [String]>, name: &str) -> bool {
    for l in lists {
        match check_list(l, name) {
            AclMatch::Allow => return true,
            AclMatch::Deny => return false,
            AclMatch::NoMatch => continue,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn seed_console_command_acl() {
        let acl = v(&["!delete", "*all*"]);
        assert!(!check_lists([acl.as_slice()], "delete"));
        assert!(check_lists([acl.as_slice()], "list"));
        assert!(check_lists([acl.as_slice()], ".jobs"));
    }

    #[test]
    fn whole_name_regex_first_match_wins() {
        let acl = v(&["Linux.*", "client1-fd"]);
        assert!(check_lists([acl.as_slice()], "LinuxAll"));
        assert!(!check_lists([acl.as_slice()], "xLinux"));
        assert!(check_lists([acl.as_slice()], "client1-fd"));
        assert!(!check_lists([acl.as_slice()], "client1-fd2"));
        let empty: Vec<String> = Vec::new();
        assert!(!check_lists([empty.as_slice()], "anything"));
        // console list decides before the profile's
        let console = v(&["!status"]);
        let profile = v(&["*all*"]);
        assert!(!check_lists([console.as_slice(), profile.as_slice()], "status"));
        assert!(check_lists([console.as_slice(), profile.as_slice()], "list"));
    }
}
