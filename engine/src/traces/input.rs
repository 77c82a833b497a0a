//! Reading workload files: plain text or gzip-compressed, told apart by the gzip magic bytes.

use std::io::{BufReader, Read};
use std::path::Path;

/// Opens `path` for reading, decompressing it when it starts with the gzip magic bytes.
pub fn open(path: &Path) -> std::io::Result<BufReader<Box<dyn Read>>> {
    let mut file = std::fs::File::open(path)?;
    let mut magic = [0u8; 2];
    let read = file.read(&mut magic)?;
    let file = std::fs::File::open(path)?;
    let input: Box<dyn Read> = if read == 2 && magic == [0x1f, 0x8b] {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(BufReader::new(input))
}
