//! How values are stored: JSON, gzip-compressed JSON (the seeds' "Gzip-compressed JSON"),
//! counters and hashes.
//!
//! Gzip is written and read here with a reused, per-thread deflate/inflate state and scratch
//! buffers, so a call allocates only the bytes it returns: no compressor tables are allocated and
//! zeroed per call. The output is standard gzip (RFC 1952): anything that reads gzip reads it, and
//! payloads written by other tools (with a file name, comment or extra field in the header) are
//! read too. A payload that is not gzip, is truncated, fails its CRC or length check, or decodes
//! to something that is not the expected JSON is refused with [`Error::Codec`].

use std::cell::RefCell;
use std::thread::LocalKey;

use bytes::Bytes;
use flate2::{Compress, Compression, Crc, Decompress, FlushCompress, FlushDecompress, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// How the values of a key pattern are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Bytes as given (lock tokens); JSON when used through the JSON methods.
    Raw,
    /// JSON text.
    Json,
    /// Gzip-compressed JSON text.
    GzipJson,
    /// An integer counter (`INCR`); JSON when used through the JSON methods.
    Counter,
    /// A hash of fields (sessions), each field a JSON value.
    Hash,
}

impl Codec {
    /// Whether values are gzip-compressed.
    #[must_use]
    pub fn is_compressed(self) -> bool {
        matches!(self, Self::GzipJson)
    }

    /// The codec's name, for logs and tables.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Json => "json",
            Self::GzipJson => "gzip+json",
            Self::Counter => "counter",
            Self::Hash => "hash",
        }
    }

    /// Encode `value` as this codec stores it: gzip-compressed JSON for [`Codec::GzipJson`],
    /// JSON for every other codec.
    ///
    /// # Errors
    /// [`Error::Codec`] when `value` cannot be serialized.
    pub fn encode<T: Serialize + ?Sized>(self, value: &T) -> Result<Bytes> {
        if self.is_compressed() {
            to_gzip_json(value)
        } else {
            to_json(value)
        }
    }

    /// Decode a stored payload written by [`Codec::encode`] of the same codec.
    ///
    /// # Errors
    /// [`Error::Codec`] for a corrupt payload or JSON of the wrong shape.
    pub fn decode<T: DeserializeOwned>(self, payload: &[u8]) -> Result<T> {
        if self.is_compressed() {
            from_gzip_json(payload)
        } else {
            from_json(payload)
        }
    }
}

/// Decoded payloads larger than this are refused (a guard against decompression bombs).
pub const MAX_DECODED_LEN: usize = 64 * 1024 * 1024;

/// Scratch buffers that grew beyond this are released after use instead of kept.
const SCRATCH_KEEP: usize = 256 * 1024;

/// Gzip member header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

thread_local! {
    static DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
    static INFLATE: RefCell<Option<Decompress>> = const { RefCell::new(None) };
    static JSON_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static GZIP_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` with this thread's scratch buffer (emptied), or a fresh one if it is in use.
fn with_scratch<R>(
    cell: &'static LocalKey<RefCell<Vec<u8>>>,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> R {
    cell.with(|slot| match slot.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            let out = f(&mut buf);
            if buf.capacity() > SCRATCH_KEEP {
                *buf = Vec::new();
            }
            out
        }
        Err(_) => f(&mut Vec::new()),
    })
}

/// JSON text of `value`.
///
/// # Errors
/// [`Error::Codec`] when `value` cannot be serialized (a map with non-string keys, a failing
/// `Serialize` impl).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    with_scratch(&JSON_SCRATCH, |buf| {
        serde_json::to_writer(&mut *buf, value)
            .map_err(|e| Error::codec(format!("encode JSON: {e}")))?;
        Ok(Bytes::copy_from_slice(buf))
    })
}

/// Parse JSON text into `T`.
///
/// # Errors
/// [`Error::Codec`] for invalid JSON or JSON of the wrong shape.
pub fn from_json<T: DeserializeOwned>(payload: &[u8]) -> Result<T> {
    serde_json::from_slice(payload).map_err(|e| Error::codec(format!("decode JSON: {e}")))
}

/// Gzip-compressed JSON text of `value`.
///
/// # Errors
/// [`Error::Codec`] when `value` cannot be serialized.
pub fn to_gzip_json<T: Serialize + ?Sized>(value: &T) -> Result<Bytes> {
    with_scratch(&JSON_SCRATCH, |json| {
        serde_json::to_writer(&mut *json, value)
            .map_err(|e| Error::codec(format!("encode JSON: {e}")))?;
        with_scratch(&GZIP_SCRATCH, |out| {
            gzip_into(json, out)?;
            Ok(Bytes::copy_from_slice(out))
        })
    })
}

/// Decompress gzip, then parse the JSON inside into `T`.
///
/// # Errors
/// [`Error::Codec`] for a payload that is not valid gzip (bad magic, truncated, CRC or length
/// mismatch, trailing bytes) or whose content is not valid JSON of the expected shape.
pub fn from_gzip_json<T: DeserializeOwned>(payload: &[u8]) -> Result<T> {
    with_scratch(&GZIP_SCRATCH, |plain| {
        gunzip_into(payload, plain)?;
        from_json(plain)
    })
}

/// Gzip-compress `data` (fastest level: values are small and read often).
///
/// # Errors
/// [`Error::Codec`] if the compressor fails (it does not for valid input).
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    gzip_into(data, &mut out)?;
    Ok(out)
}

/// Decompress a gzip payload.
///
/// # Errors
/// [`Error::Codec`] for anything that is not one valid gzip member.
pub fn gunzip(payload: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    gunzip_into(payload, &mut out)?;
    Ok(out)
}

/// Append the gzip encoding of `data` to `out`.
fn gzip_into(data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let len = u32::try_from(data.len())
        .map_err(|_| Error::codec("value too large to gzip (4 GiB or more)"))?;
    out.reserve(GZIP_HEADER.len() + data.len() / 2 + 64);
    out.extend_from_slice(&GZIP_HEADER);
    DEFLATE.with(|slot| match slot.try_borrow_mut() {
        Ok(mut state) => {
            let compress = state.get_or_insert_with(|| Compress::new(Compression::fast(), false));
            compress.reset();
            deflate(compress, data, out)
        }
        Err(_) => deflate(&mut Compress::new(Compression::fast(), false), data, out),
    })?;
    let mut crc = Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    Ok(())
}

fn deflate(compress: &mut Compress, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
    loop {
        let consumed = usize::try_from(compress.total_in())
            .unwrap_or(data.len())
            .min(data.len());
        // Room for the rest of the input plus block overhead guarantees progress.
        out.reserve(data.len() - consumed + 64);
        let status = compress
            .compress_vec(&data[consumed..], out, FlushCompress::Finish)
            .map_err(|e| Error::codec(format!("gzip: {e}")))?;
        if status == Status::StreamEnd {
            return Ok(());
        }
    }
}

/// The deflate body, CRC-32 and length of one gzip member.
fn parse_gzip(payload: &[u8]) -> Result<(&[u8], u32, u32)> {
    let corrupt = |what: &str| Error::codec(format!("corrupt gzip payload: {what}"));
    if payload.len() < 18 {
        return Err(corrupt("too short"));
    }
    if payload[0] != 0x1f || payload[1] != 0x8b {
        return Err(corrupt("bad magic (not gzip)"));
    }
    if payload[2] != 8 {
        return Err(corrupt("unknown compression method"));
    }
    let flags = payload[3];
    if flags & FRESERVED != 0 {
        return Err(corrupt("reserved header flags set"));
    }
    let end = payload.len() - 8;
    let mut pos = 10;
    if flags & FEXTRA != 0 {
        let xlen = payload
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
            .ok_or_else(|| corrupt("truncated extra field"))?;
        pos += 2 + xlen;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = payload
                .get(pos..end)
                .ok_or_else(|| corrupt("truncated header"))?;
            let nul = rest
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| corrupt("unterminated header string"))?;
            pos += nul + 1;
        }
    }
    if flags & FHCRC != 0 {
        pos += 2;
    }
    if pos > end {
        return Err(corrupt("truncated header"));
    }
    let trailer = &payload[end..];
    let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
    let len = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
    Ok((&payload[pos..end], crc, len))
}

/// Decompress one gzip member into `out` (emptied first) and check its CRC and length.
fn gunzip_into(payload: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let (body, expected_crc, expected_len) = parse_gzip(payload)?;
    out.clear();
    // The stored length is only a hint (it is the size modulo 2^32): cap what it may reserve.
    let hint = usize::try_from(expected_len)
        .unwrap_or(MAX_DECODED_LEN)
        .min(MAX_DECODED_LEN);
    out.reserve(hint.max(64));
    INFLATE.with(|slot| match slot.try_borrow_mut() {
        Ok(mut state) => {
            let decompress = state.get_or_insert_with(|| Decompress::new(false));
            decompress.reset(false);
            inflate(decompress, body, out)
        }
        Err(_) => inflate(&mut Decompress::new(false), body, out),
    })?;
    let mut crc = Crc::new();
    crc.update(out);
    if crc.sum() != expected_crc {
        return Err(Error::codec("corrupt gzip payload: CRC mismatch"));
    }
    // The stored length is the size modulo 2^32: truncation is the comparison gzip defines.
    #[allow(clippy::cast_possible_truncation)]
    let actual_len = out.len() as u32;
    if actual_len != expected_len {
        return Err(Error::codec("corrupt gzip payload: length mismatch"));
    }
    Ok(())
}

fn inflate(decompress: &mut Decompress, body: &[u8], out: &mut Vec<u8>) -> Result<()> {
    loop {
        let consumed = usize::try_from(decompress.total_in())
            .unwrap_or(body.len())
            .min(body.len());
        let produced = out.len();
        let status = decompress
            .decompress_vec(&body[consumed..], out, FlushDecompress::Finish)
            .map_err(|e| Error::codec(format!("corrupt gzip payload: {e}")))?;
        if out.len() > MAX_DECODED_LEN {
            return Err(Error::codec(format!(
                "gzip payload decodes to more than {MAX_DECODED_LEN} bytes"
            )));
        }
        let now_consumed = usize::try_from(decompress.total_in()).unwrap_or(body.len());
        if status == Status::StreamEnd {
            if now_consumed != body.len() {
                return Err(Error::codec(
                    "corrupt gzip payload: trailing bytes after the data",
                ));
            }
            return Ok(());
        }
        if out.len() == out.capacity() {
            out.reserve(out.len().max(1024));
        } else if now_consumed == consumed && out.len() == produced {
            return Err(Error::codec("corrupt gzip payload: truncated data"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn sample() -> serde_json::Value {
        serde_json::json!({
            "query": "how do I use async traits",
            "results": (0..10).map(|i| serde_json::json!({
                "id": i,
                "title": format!("Result {i}"),
                "snippet": "lorem ipsum dolor sit amet ".repeat(11),
                "score": 0.5 + f64::from(i) / 100.0,
            })).collect::<Vec<_>>(),
        })
    }

    #[test]
    fn gzip_json_round_trip() -> Result<()> {
        let value = sample();
        let bytes = to_gzip_json(&value)?;
        assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
        assert!(bytes.len() < serde_json::to_vec(&value).map_err(Error::codec)?.len());
        let back: serde_json::Value = from_gzip_json(&bytes)?;
        assert_eq!(back, value);
        // Twice on the same thread: the reused state must be reset properly.
        let again: serde_json::Value = from_gzip_json(&to_gzip_json(&value)?)?;
        assert_eq!(again, value);
        Ok(())
    }

    #[test]
    fn empty_and_large_inputs() -> Result<()> {
        assert_eq!(gunzip(&gzip(b"")?)?, b"");
        let big: Vec<u8> = (0..3_000_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        assert_eq!(gunzip(&gzip(&big)?)?, big);
        Ok(())
    }

    #[test]
    fn interoperates_with_other_gzip_writers_and_readers() -> Result<()> {
        let text = b"{\"hello\":\"world\"}".repeat(50);
        // Ours, read by flate2's reader.
        let ours = gzip(&text)?;
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&ours[..])
            .read_to_end(&mut plain)
            .map_err(Error::codec)?;
        assert_eq!(plain, text);
        // flate2's writer with a file name, comment and extra field, read by ours.
        let mut writer = flate2::GzBuilder::new()
            .filename("results.json")
            .comment("from elsewhere")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::best());
        writer.write_all(&text).map_err(Error::codec)?;
        let theirs = writer.finish().map_err(Error::codec)?;
        assert_eq!(gunzip(&theirs)?, text);
        Ok(())
    }

    #[test]
    fn corrupt_payloads_are_refused() -> Result<()> {
        let good = to_gzip_json(&sample())?;
        let refuse = |payload: &[u8], what: &str| {
            let result: Result<serde_json::Value> = from_gzip_json(payload);
            assert!(matches!(result, Err(Error::Codec(_))), "{what}: {result:?}");
        };
        refuse(b"", "empty");
        refuse(b"{\"plain\":\"json\"}", "not gzip");
        refuse(&good[..good.len() / 2], "truncated");
        refuse(&good[..good.len() - 1], "truncated trailer");
        let mut flipped = good.to_vec();
        flipped[good.len() / 2] ^= 0x55;
        refuse(&flipped, "flipped body byte");
        let mut bad_crc = good.to_vec();
        let at = bad_crc.len() - 6;
        bad_crc[at] ^= 1;
        refuse(&bad_crc, "bad CRC");
        let mut trailing = good.to_vec();
        trailing.extend_from_slice(b"junk");
        refuse(&trailing, "trailing bytes");
        refuse(&gzip(b"not json at all")?, "gzip of non-JSON");
        let random: Vec<u8> = (0..500u32)
            .map(|i| (i.wrapping_mul(7919) % 251) as u8)
            .collect();
        refuse(&random, "random bytes");
        Ok(())
    }

    #[test]
    fn wrong_shape_is_a_codec_error() -> Result<()> {
        let bytes = Codec::Json.encode(&serde_json::json!({"a": 1}))?;
        let result: Result<Vec<u32>> = Codec::Json.decode(&bytes);
        assert!(matches!(result, Err(Error::Codec(_))));
        Ok(())
    }
}
