//! A minimal PNG writer: 8-bit RGB, no interlacing, written from scratch.
//!
//! A PNG file is an 8-byte signature followed by chunks, each `length | type | data | CRC-32`:
//!
//! - `IHDR`: width, height, bit depth 8, colour type 2 (RGB), compression, filter, interlace;
//! - `IDAT`: the scanlines, each prefixed by its filter byte (0, none), as one zlib stream
//!   (compressed here by `flate2`);
//! - `IEND`: empty, closes the file.

use std::io::{self, Write};
use std::path::Path;

use flate2::Compression;
use flate2::write::ZlibEncoder;

/// The eight bytes every PNG file starts with.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// Writes `rgb` (`width * height` pixels, row by row, 3 bytes each) to `path` as a PNG.
///
/// # Panics
///
/// When `rgb` does not hold exactly `width * height * 3` bytes (a bug in the caller).
pub fn write_rgb(path: &Path, width: usize, height: usize, rgb: &[u8]) -> io::Result<()> {
    assert_eq!(rgb.len(), width * height * 3, "RGB buffer size");
    let too_large = || io::Error::new(io::ErrorKind::InvalidInput, "image too large for PNG");
    let w = u32::try_from(width).map_err(|_| too_large())?;
    let h = u32::try_from(height).map_err(|_| too_large())?;

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&w.to_be_bytes());
    header.extend_from_slice(&h.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::default());
    for row in rgb.chunks_exact(width * 3) {
        zlib.write_all(&[0])?; // filter type 0: the row as it is
        zlib.write_all(row)?;
    }
    let pixels = zlib.finish()?;

    let mut file = Vec::with_capacity(pixels.len() + 64);
    file.extend_from_slice(&SIGNATURE);
    chunk(&mut file, b"IHDR", &header)?;
    chunk(&mut file, b"IDAT", &pixels)?;
    chunk(&mut file, b"IEND", &[])?;
    std::fs::write(path, file)
}

/// Appends one chunk: its length, type, data, and the CRC-32 of type and data.
fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> io::Result<()> {
    let length = u32::try_from(data.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "PNG chunk too large"))?;
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(kind.iter().chain(data));
    out.extend_from_slice(&crc.to_be_bytes());
    Ok(())
}

/// CRC-32 (ISO 3309, reflected polynomial `0xEDB88320`), as PNG requires.
fn crc32<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u32 {
    !bytes.into_iter().fold(!0u32, |crc, &byte| {
        CRC_TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8)
    })
}

/// The CRC-32 of every byte value, computed at compile time.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};
