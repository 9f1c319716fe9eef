//! Reading a file that may or may not be gzipped, told apart by its first bytes.

#[cfg(feature = "embedded")]
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::error::DataError;

/// The two bytes every gzip member starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The contents of the file at `path`, decompressed when gzipped.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(&bytes, path)
    } else {
        Ok(bytes)
    }
}

/// `bytes` decompressed when they start with the gzip magic, else `bytes` themselves.
/// `path` only names the data in errors.
#[cfg(feature = "embedded")]
pub(crate) fn decode<'a>(bytes: &'a [u8], path: &Path) -> Result<Cow<'a, [u8]>, DataError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        gunzip(bytes, path).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// `bytes` (one or more gzip members) decompressed.
fn gunzip(bytes: &[u8], path: &Path) -> Result<Vec<u8>, DataError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(out)
}
