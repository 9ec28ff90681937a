//! Local images as stores: a [`LocalImage`] read through `local::reader` (an OCI layout
//! directory, an oci-archive, a docker-archive with its layers as they are) is a source; a
//! [`LayoutWriter`] (an OCI layout, an oci-archive or a docker-archive being written, staged
//! until its owner commits it) is a target. The file formats themselves live in `local/`.

use super::{ByteStream, Fut, Source, Target};
use crate::local::{reader::LocalImage, writer::LayoutWriter};
use crate::oci::manifest::{Descriptor, RawManifest};
use crate::oci::reference::ManifestRef;

impl Source for LocalImage {
    fn describe(&self, _reference: &ManifestRef) -> String {
        LocalImage::describe(self)
    }

    fn manifest<'a>(&'a self, reference: &'a ManifestRef) -> Fut<'a, RawManifest> {
        Box::pin(async move { Ok(LocalImage::manifest(self, reference).await?) })
    }

    fn blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, ByteStream> {
        Box::pin(async move { Ok(LocalImage::blob(self, desc).await?) })
    }
}

impl Target for LayoutWriter {
    fn has_blob<'a>(&'a self, desc: &'a Descriptor) -> Fut<'a, bool> {
        Box::pin(async move { Ok(LayoutWriter::has_blob(self, desc).await) })
    }

    fn put_blob<'a>(
        &'a self,
        desc: &'a Descriptor,
        bytes: ByteStream,
        _session: Option<url::Url>,
    ) -> Fut<'a, ()> {
        Box::pin(async move { Ok(self.write_blob(desc, bytes).await?) })
    }

    fn put_manifest<'a>(&'a self, m: &'a RawManifest, reference: ManifestRef) -> Fut<'a, bool> {
        Box::pin(async move {
            self.write_manifest(m, &reference).await?;
            Ok(false)
        })
    }

    fn commit<'a>(&'a self, _top: &'a RawManifest, _tracked: bool) -> Fut<'a, ()> {
        Box::pin(async { Ok(()) })
    }

    fn result_name(&self, digest: &str) -> String {
        format!("{}@{digest}", self.describe())
    }
}
