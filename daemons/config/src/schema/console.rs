//! bconsole resource tables, features.md §2.5.

use super::common::*;
use super::{DataType as T, DirectiveDef, ResourceDef, d};

static DIRECTOR_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "director name").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("Port", T::U32, "director port").def("9101").alias(&["DirPort"]).acted(),
    d("Address", T::Str, "director host").req().alias(&["DirAddress"]).acted(),
    d("Password", PW_MD5, "default console password").acted(),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
];

static CONSOLE_ITEMS: &[DirectiveDef] = &[
    d("Name", T::Name, "named console (matches a director Console resource)").req().acted(),
    d("Description", T::Str, "free text").acted(),
    d("RcFile", T::Path, "rc file"),
    d("HistoryFile", T::Path, "readline history file").acted(),
    d("HistoryLength", T::U32, "history entries").def("100").acted(),
    d("Password", PW_MD5, "named console password").req().acted(),
    d("Director", T::Str, "bind this console to a Director resource").acted(),
    d("HeartbeatInterval", T::Duration, "keep-alive").def("0"),
];

pub static DIRECTOR: ResourceDef = ResourceDef {
    name: "Director",
    aliases: &[],
    group: "directors",
    datatype: "RES",
    parts: &[DIRECTOR_ITEMS, TLS],
    only_name_required: false,
};
pub static CONSOLE: ResourceDef = ResourceDef {
    name: "Console",
    aliases: &[],
    group: "consoles",
    datatype: "RES",
    parts: &[CONSOLE_ITEMS, TLS],
    only_name_required: false,
};

pub static RESOURCES: &[&ResourceDef] = &[&DIRECTOR, &CONSOLE];
