//! `profiles`: what the config file names, and where each secret would be
//! read from; never a secret itself.

use anyhow::Result;
use serde::Serialize;

use crate::config_file::Profile;
use crate::output::{Plain, Printer, Report};
use crate::settings::Chosen;
use crate::store::masked;

#[derive(Serialize)]
struct View<'a> {
    name: &'a str,
    /// The file's default_profile.
    default: bool,
    /// The one this run uses (--profile, $OVS_CONFIG_PROFILE, or the default).
    active: bool,
    stores: Vec<String>,
    timeout_seconds: Option<f64>,
    user: Option<&'a str>,
    cacert: Option<String>,
    cert: Option<String>,
    key: Option<String>,
    password_file: Option<String>,
}

/// The profiles; plain, a line each (see [`line`]).
#[derive(Serialize)]
#[serde(transparent)]
struct Profiles<'a>(Vec<View<'a>>);

impl Report for Profiles<'_> {
    fn plain(&self, out: &mut Plain<'_>) -> std::io::Result<()> {
        self.0.iter().try_for_each(|v| out.line(&line(v)))
    }
}

pub fn run(chosen: &Chosen, out: &Printer) -> Result<()> {
    let Some(file) = &chosen.config else {
        out.note("no config file: none given, and none of the usual places holds one");
        return out.print(&Profiles(Vec::new()));
    };
    let views: Vec<View> = file
        .profiles
        .iter()
        .map(|(name, profile)| view(name, profile, file.default_profile.as_deref(), chosen.name.as_deref()))
        .collect();
    out.note(format!("profiles of {}:", file.path.display()));
    out.print(&Profiles(views))
}

fn view<'a>(name: &'a str, p: &'a Profile, default: Option<&str>, active: Option<&str>) -> View<'a> {
    let path = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.display().to_string());
    View {
        name,
        default: default == Some(name),
        active: active == Some(name),
        // A password in a URL is refused when it is used; here it is hidden.
        stores: p.stores.iter().map(|s| masked(s)).collect(),
        timeout_seconds: p.timeout.map(|t| t.as_secs_f64()),
        user: p.user.as_deref(),
        cacert: path(&p.cacert),
        cert: path(&p.cert),
        key: path(&p.key),
        password_file: path(&p.password_file),
    }
}

/// `* cluster  etcd://h1:2379 zk://h1:2181/ovs  timeout=5s user=ovs cacert=/etc/ovs/ca.pem`:
/// `*` marks the default profile, `>` the one in use when it is another.
fn line(v: &View) -> String {
    let mark = match (v.default, v.active) {
        (true, _) => "*",
        (false, true) => ">",
        _ => " ",
    };
    let stores = if v.stores.is_empty() { "(no store)".to_string() } else { v.stores.join(" ") };
    let mut fields = Vec::new();
    if let Some(secs) = v.timeout_seconds {
        fields.push(format!("timeout={secs}s"));
    }
    let named = [("user", v.user.map(String::from)), ("cacert", v.cacert.clone()), ("cert", v.cert.clone())];
    let files = [("key", v.key.clone()), ("password_file", v.password_file.clone())];
    for (field, value) in named.into_iter().chain(files) {
        if let Some(value) = value {
            fields.push(format!("{field}={value}"));
        }
    }
    format!("{mark} {}  {stores}  {}", v.name, fields.join(" ")).trim_end().to_string()
}
