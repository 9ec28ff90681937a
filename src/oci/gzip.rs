//! Deterministic gzip of the layers cr compresses itself (`docker save` layers on push, new
//! layers of `append`): the one rule for which stretches are stored rather than deflated,
//! stored blocks, the header and trailer, and deflate given room enough never to run short.

use std::io::{self, Write};

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// Input judged at once, at fixed offsets of the stream: stored as it is, or deflated.
pub const SEGMENT: usize = 256 << 10;

/// Bits of entropy per byte from which a segment is stored: deflate saves under 0.5% there.
const STORE_FROM: f64 = 7.96;

/// The room of an output buffer: a megabyte written and its stored blocks fit.
const OUT_ROOM: usize = 2 << 20;

/// Segments shorter than this (the last one only) are always deflated.
const JUDGED_FROM: usize = 4096;

/// Whether `seg` is stored as it is: its bytes are nearly random (already compressed data),
/// which deflate would search for matches in vain. The rule, in one place.
pub fn stores(seg: &[u8]) -> bool {
    seg.len() >= JUDGED_FROM && bits_per_byte(seg) >= STORE_FROM
}

/// The order-0 entropy of `seg`, in bits per byte.
fn bits_per_byte(seg: &[u8]) -> f64 {
    // Every 4th byte: a quarter of the cost, the same judgement (64 Ki samples of a 256 KiB
    // segment; uniform noise still reads ~7.997 bits).
    let mut h = [0u32; 256];
    for &b in seg.iter().step_by(4) {
        h[b as usize] += 1;
    }
    let n = seg.len().div_ceil(4) as f64;
    h.iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// A gzip stream built in memory: the input cut into `SEGMENT`s at fixed offsets whatever the
/// sizes written, each stored (see [`stores`]) or deflated by one deflater at a fixed level,
/// which is sync-flushed before a stored run and restarted after it (its matches never reach
/// back into bytes it has not seen). The header has no time and no name. Same input, same
/// bytes.
pub struct Gzip {
    deflate: Compress,
    crc: Crc,
    /// The last segment was stored (the deflater was flushed before it).
    stored: bool,
    /// Input short of a whole segment.
    partial: Vec<u8>,
    out: Vec<u8>,
}

impl Gzip {
    pub fn new(level: u32) -> Self {
        // The header flate2's GzEncoder writes: no name, no time, "fast" or "best" by level,
        // OS unknown.
        let xfl = match level {
            0 | 1 => 4,
            9.. => 2,
            _ => 0,
        };
        let mut out = Vec::with_capacity(OUT_ROOM);
        out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]);
        Gzip {
            deflate: Compress::new(Compression::new(level), false),
            crc: Crc::new(),
            stored: false,
            partial: Vec::new(),
            out,
        }
    }

    /// Add `data`, of any size.
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        if !self.partial.is_empty() {
            let n = (SEGMENT - self.partial.len()).min(data.len());
            self.partial.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.partial.len() < SEGMENT {
                return Ok(());
            }
            let seg = std::mem::take(&mut self.partial);
            self.segment(&seg)?;
            self.partial = seg;
            self.partial.clear();
        }
        let mut segs = data.chunks_exact(SEGMENT);
        for seg in &mut segs {
            self.segment(seg)?;
        }
        self.partial.extend_from_slice(segs.remainder());
        Ok(())
    }

    fn segment(&mut self, seg: &[u8]) -> io::Result<()> {
        self.crc.update(seg);
        if stores(seg) {
            if !self.stored {
                // Byte-aligned, every block so far complete: stored blocks may follow.
                deflate(&mut self.deflate, &[], &mut self.out, FlushCompress::Sync)?;
                self.stored = true;
            }
            stored_blocks(&mut self.out, seg);
        } else {
            if self.stored {
                self.deflate.reset();
                self.stored = false;
            }
            deflate(&mut self.deflate, seg, &mut self.out, FlushCompress::None)?;
        }
        Ok(())
    }

    /// Compressed bytes ready.
    pub fn pending(&self) -> usize {
        self.out.len()
    }

    /// The bytes ready, in the buffer they were written to (not copied: the copy was about 5%
    /// of a docker-save push's CPU); the next ones go to a new buffer.
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.out, Vec::with_capacity(OUT_ROOM))
    }

    /// Write the bytes ready to `w`.
    pub fn write_ready(&mut self, w: &mut impl Write) -> io::Result<()> {
        w.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }

    /// The rest of the stream: the last segment, the last block and the trailer (CRC-32, size
    /// mod 2^32).
    pub fn finish(mut self) -> io::Result<Vec<u8>> {
        let last = std::mem::take(&mut self.partial);
        if !last.is_empty() {
            self.segment(&last)?;
        }
        deflate(&mut self.deflate, &[], &mut self.out, FlushCompress::Finish)?;
        self.out.extend_from_slice(&self.crc.sum().to_le_bytes());
        self.out.extend_from_slice(&self.crc.amount().to_le_bytes());
        Ok(self.out)
    }
}

/// `data` as stored deflate blocks (not final), after a byte-aligned point of the stream.
pub fn stored_blocks(out: &mut Vec<u8>, data: &[u8]) {
    for piece in data.chunks(0xffff) {
        let len = piece.len() as u16;
        // BFINAL 0, BTYPE 00 (stored), padded to the byte; LEN, NLEN; the bytes.
        out.push(0);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(piece);
    }
}

/// Output room for deflating `n` bytes in one call whatever they are (level 1 may write fixed
/// Huffman codes, up to 9 bits a byte), plus what the deflater still holds from before.
/// zlib-rs has been seen to panic when short of output space on random data: it never is.
fn room_for(n: usize) -> usize {
    n + n / 4 + (64 << 10)
}

/// Deflate all of `input` into `out` with `flush`, with room enough at each call; an error of
/// the deflater (or a call that moves nothing) is an io::Error, never a panic.
pub fn deflate(
    c: &mut Compress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> io::Result<()> {
    loop {
        out.reserve(room_for(input.len()));
        let (was_in, was_out) = (c.total_in(), c.total_out());
        let status = c
            .compress_vec(input, out, flush)
            .map_err(|e| io::Error::other(format!("deflate: {e}")))?;
        let used = (c.total_in() - was_in) as usize;
        input = &input[used..];
        let room = out.len() < out.capacity();
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            FlushCompress::None => input.is_empty(),
            _ => input.is_empty() && room,
        };
        if done {
            return Ok(());
        }
        if used == 0 && c.total_out() == was_out {
            return Err(io::Error::other("deflate: no progress"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn noise(n: usize, mut x: u64) -> Vec<u8> {
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// gzip of `data` written in parts of `part` bytes.
    fn gzip(data: &[u8], part: usize) -> Vec<u8> {
        let mut gz = Gzip::new(1);
        let mut out = Vec::new();
        for b in data.chunks(part.max(1)) {
            gz.write(b).unwrap();
            out.extend(gz.take());
        }
        out.extend(gz.finish().unwrap());
        out
    }

    /// Decompressed by flate2's decoder, which checks the CRC and the size in the trailer.
    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut back)
            .unwrap();
        back
    }

    #[test]
    fn random_stretches_are_stored_text_is_deflated_and_it_all_gunzips_the_same_each_time() {
        let mut data = noise(700_000, 3);
        data.extend(b"a line of text that repeats\n".repeat(40_000));
        data.extend(noise(900_001, 4));
        data.extend(b"tail");
        let gz = gzip(&data, 1 << 20);
        assert!(gunzip(&gz) == data, "round trip");
        // Same bytes whatever the sizes written.
        for part in [1 << 20, 77_777, 4096, SEGMENT, 3 * SEGMENT + 1] {
            assert!(gzip(&data, part) == gz, "deterministic, parts of {part}");
        }
        // The random parts cost about their size (stored; the segments where random and text
        // meet are deflated), the 1.1 MB of text almost nothing.
        let random = 1_600_001f64;
        assert!((gz.len() as f64) < random * 1.02, "{} bytes", gz.len());
        assert!((gz.len() as f64) > random, "{} bytes", gz.len());
        assert!(stores(&noise(SEGMENT, 9)));
        assert!(!stores(&data[700_000..700_000 + SEGMENT]));
        // The header: no time, no name, "fast", OS unknown.
        assert_eq!(gz[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255]);
        // Empty input is a valid gzip of nothing.
        assert!(gunzip(&gzip(b"", 1)).is_empty());
    }

    /// Nearly random data that falls just under the rule is deflated, expanding: the deflater
    /// is given room for that and neither fails nor panics.
    #[test]
    fn nearly_random_data_under_the_rule_deflates_without_running_short() {
        let mut every8th = noise(3 << 20, 5);
        for b in every8th.iter_mut().step_by(8) {
            *b = 0;
        }
        let mod245: Vec<u8> = noise(3 << 20, 6).iter().map(|&b| b % 245).collect();
        let mut mix = noise(2 << 20, 7);
        mix.extend(&mod245[..SEGMENT + 999]);
        mix.extend(noise(SEGMENT / 2, 8));
        mix.extend(&every8th[..SEGMENT]);
        for (name, data) in [
            ("every 8th 0", &every8th),
            ("mod 245", &mod245),
            ("mix", &mix),
        ] {
            assert!(!stores(&data[data.len() - SEGMENT..]), "{name}: deflated");
            let gz = gzip(data, 1 << 20);
            assert!(gunzip(&gz) == *data, "{name}: round trip");
            assert!(gzip(data, 65_536) == gz, "{name}: deterministic");
            // Deflate neither saves nor loses much there.
            assert!(
                gz.len() < data.len() + data.len() / 8,
                "{name}: {}",
                gz.len()
            );
        }
        // The deflater called directly with no room at all beforehand: room is made.
        let mut c = Compress::new(Compression::new(1), false);
        let mut out = Vec::new();
        deflate(&mut c, &mod245, &mut out, FlushCompress::Finish).unwrap();
        let mut back = Vec::new();
        flate2::read::DeflateDecoder::new(&out[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back == mod245);
    }
}
