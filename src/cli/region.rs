//! `cr region` and `cr region-set`: show and store the target registry.

use std::process::ExitCode;

use serde::Serialize;

use super::output::{emit_line, OutputArgs};
use crate::config::{ConfigFile, Settings, Source, REGIONS};

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

/// The target registry and where it came from: the `-o json` object and `--format` row.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionRow<'a> {
    pub registry: &'a str,
    pub source: Source,
    pub region: Option<&'a str>,
}

impl RegionRow<'_> {
    /// The keys of a row, in order.
    pub const FIELDS: &'static [&'static str] = &["Registry", "Source", "Region"];
}

pub fn region(settings: Settings, a: RegionArgs) -> anyhow::Result<ExitCode> {
    a.out.check(RegionRow::FIELDS)?;
    // The region the target was named by: the flag or variable, else the config file's.
    let region = settings.region.map(str::to_string).or_else(|| {
        (settings.registry_source == crate::config::Source::Config)
            .then(|| settings.file.region.clone())
            .flatten()
    });
    let row = RegionRow {
        registry: &settings.registry,
        source: settings.registry_source,
        region: region.as_deref(),
    };
    super::output::print_one(&a.out, &row, || match &region {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_keys_are_the_format_fields() {
        let row = RegionRow {
            registry: "us.icr.io",
            source: Source::Env,
            region: Some("us-south"),
        };
        assert_eq!(crate::cli::output::keys_of(&row), RegionRow::FIELDS);
        assert_eq!(
            crate::cli::output::to_json(&row, false),
            r#"{"Registry":"us.icr.io","Source":"CR_REGISTRY","Region":"us-south"}"#
        );
    }
}
