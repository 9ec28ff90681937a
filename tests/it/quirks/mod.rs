//! Registries as they are (#21), client side: each test puts our proxy in front of the real
//! docker-registry, playing one hosted registry's departure from the spec (the catalogue line
//! is cited at each fault: /work/shared/registry-quirks.md), and checks what cr did by what
//! the upstream registry holds (skopeo), what the proxy and the storage server received, and
//! what cr said.

use crate::common;
use crate::common::layout;
use crate::common::proxy::{Action, Fault};

mod answers;
mod deletes;
mod downloads;
mod uploads;

pub const MIB: u64 = 1 << 20;

pub fn fault(method: &'static str, path: &'static str, action: Action, times: usize) -> Fault {
    Fault {
        method,
        path_contains: path,
        action,
        times,
    }
}

/// One image of one `size`-byte layer, tagged v1 in the layout at `dir`.
pub fn image(dir: &std::path::Path, size: usize, seed: u64) -> layout::Built {
    let data = common::noise(size, seed);
    layout::image(dir, Some("v1"), "amd64", &[("big", &data)])
}

/// The whole-blob PUT refused (as a proxy's body limit does), so that the upload goes in PATCHes.
pub fn no_monolithic() -> Fault {
    fault("PUT", "/blobs/uploads/", Action::BodyLimit(MIB / 2), 100)
}
