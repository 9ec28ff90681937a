//! `cr region` and `cr region-set`: show and store the target registry.

use std::process::ExitCode;

use super::output::{emit_line, OutputArgs};
use crate::config::{region_host, ConfigFile, Settings, REGIONS};
use crate::reference::normalise_host;

#[derive(Debug, clap::Args)]
pub struct RegionArgs {
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RegionSetArgs {
    /// An IBM Cloud region (us-south, eu-de, global, …) or a registry HOST[:PORT].
    pub target: String,
}

pub fn region(settings: Settings, a: RegionArgs) -> anyhow::Result<ExitCode> {
    let region = REGIONS
        .iter()
        .find(|(_, h)| *h == settings.registry)
        .map(|(r, _)| *r)
        .filter(|_| settings.file.region.is_none())
        .or(settings
            .file
            .region
            .as_deref()
            .filter(|_| settings.registry_source == crate::config::Source::Config));
    let v = serde_json::json!({
        "Registry": settings.registry,
        "Source": settings.registry_source,
        "Region": region,
    });
    super::output::print_one(&a.out, &v, || {
        format!(
            "Target registry: {} (from {})",
            settings.registry, settings.registry_source
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn region_set(a: RegionSetArgs) -> anyhow::Result<ExitCode> {
    let mut file = ConfigFile::load()?;
    let (host, region) = match region_host(&a.target) {
        Some(h) => (h.to_string(), Some(a.target.to_ascii_lowercase())),
        None => (normalise_host(&a.target)?, None),
    };
    file.registry = Some(host.clone());
    file.region = region.clone();
    let path = file.save()?;
    match region {
        Some(r) => emit_line(&format!(
            "Target registry set to {host} (region {r}) in {}",
            path.display()
        )),
        None => emit_line(&format!(
            "Target registry set to {host} in {}",
            path.display()
        )),
    }
    Ok(ExitCode::SUCCESS)
}
