//! `cr region` and `cr region-set`: show and store the target registry.

use std::process::ExitCode;

use super::output::{emit_line, OutputArgs};
use crate::config::{ConfigFile, Settings, REGIONS};

#[derive(Debug, clap::Args)]
pub struct RegionArgs {
    #[command(flatten)]
    pub out: OutputArgs,
}

#[derive(Debug, clap::Args)]
pub struct RegionSetArgs {
    /// An IBM Cloud region (us-south, eu-central, global, …) or a registry HOST[:PORT]; without
    /// one, the regions and their hosts are listed.
    pub target: Option<String>,
}

pub fn region(settings: Settings, a: RegionArgs) -> anyhow::Result<ExitCode> {
    a.out.check(&["Registry", "Source", "Region"])?;
    // The region the target was named by: the flag or variable, else the config file's.
    let region = settings.region.map(str::to_string).or_else(|| {
        (settings.registry_source == crate::config::Source::Config)
            .then(|| settings.file.region.clone())
            .flatten()
    });
    let v = serde_json::json!({
        "Registry": settings.registry,
        "Source": settings.registry_source,
        "Region": region,
    });
    super::output::print_one(&a.out, &v, || match region {
        Some(r) => format!(
            "Target registry: {r} ({}), from {}",
            settings.registry, settings.registry_source
        ),
        None => format!(
            "Target registry: {}, from {}",
            settings.registry, settings.registry_source
        ),
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn region_set(a: RegionSetArgs) -> anyhow::Result<ExitCode> {
    let Some(name) = a.target else {
        let rows = REGIONS
            .iter()
            .map(|(r, h)| vec![r.to_string(), h.to_string()])
            .collect();
        super::output::emit(&super::output::table(&["REGION", "REGISTRY"], rows));
        return Ok(ExitCode::SUCCESS);
    };
    let mut file = ConfigFile::load()?;
    let (host, region) = crate::config::target(&name)?;
    let region = region.map(str::to_string);
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
