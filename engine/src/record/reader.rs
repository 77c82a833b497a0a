//! Reading a recording as a stream: one line in memory at a time, every error naming its line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::dto::KINDS;
use super::{FORMAT, Header, Line, RecordError, VERSION};

/// The longest line a recording may hold, in bytes: a batch of a million tasks is about 150 MB, so
/// 256 MiB bounds memory without refusing anything a run writes.
pub const LINE_BYTES_MAX: usize = 256 << 20;

/// Reads a recording line by line.
pub struct Reader<R> {
    input: R,
    line: u64,
    buffer: Vec<u8>,
    header: Header,
    warnings: Vec<String>,
    ended: bool,
    at_eof: bool,
}

impl Reader<BufReader<File>> {
    /// Opens the recording at `path` and reads its header.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let file = File::open(path)
            .map_err(|source| RecordError::Io { context: format!("opening {}", path.display()), source })?;
        Reader::new(BufReader::with_capacity(1 << 16, file))
    }
}

impl<R: BufRead> Reader<R> {
    /// A reader of `input`, after reading and checking its header.
    pub fn new(input: R) -> Result<Self, RecordError> {
        let mut reader = Reader {
            input,
            line: 0,
            buffer: Vec::with_capacity(4096),
            header: Header {
                format: String::new(),
                version: 0,
                ballast_version: String::new(),
                source: String::new(),
                config: Default::default(),
                sim: None,
            },
            warnings: Vec::new(),
            ended: false,
            at_eof: false,
        };
        if !reader.read_raw()? {
            return Err(RecordError::Empty);
        }
        let value: serde_json::Value = serde_json::from_slice(&reader.buffer)
            .map_err(|error| RecordError::NotARecording(format!("not JSON: {error}")))?;
        if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT) {
            return Err(RecordError::NotARecording(format!("no `\"format\":\"{FORMAT}\"`")));
        }
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if version > u64::from(VERSION) {
            return Err(RecordError::NewerVersion {
                found: version.min(u64::from(u32::MAX)) as u32,
                supported: VERSION,
            });
        }
        match serde_json::from_value::<Line<'static>>(value) {
            Ok(Line::Header(header)) => reader.header = *header,
            Ok(other) => return Err(RecordError::NotARecording(format!("its kind is `{}`", other.kind()))),
            Err(error) => return Err(RecordError::NotARecording(error.to_string())),
        }
        Ok(reader)
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The number of the line last read (1 is the header).
    pub fn line_number(&self) -> u64 {
        self.line
    }

    /// Warnings so far (a truncated last line, a missing `end` line).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the `end` line was read.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// Reads the next raw line into the buffer (at most [`LINE_BYTES_MAX`] bytes) (without its newline); false at the end of the input.
    fn read_raw(&mut self) -> Result<bool, RecordError> {
        self.buffer.clear();
        let read = std::io::Read::take(&mut self.input, LINE_BYTES_MAX as u64 + 1)
            .read_until(b'\n', &mut self.buffer)
            .map_err(|source| RecordError::Io { context: format!("reading line {}", self.line + 1), source })?;
        if read == 0 {
            self.at_eof = true;
            return Ok(false);
        }
        self.line += 1;
        if self.buffer.len() > LINE_BYTES_MAX {
            return Err(RecordError::BadLine {
                line: self.line,
                message: format!("longer than {LINE_BYTES_MAX} bytes (the longest line a recording may hold)"),
            });
        }
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
        } else {
            self.at_eof = true;
        }
        Ok(true)
    }

    /// The next line, or `None` at the end. A last line cut short (no newline, not JSON) is skipped with
    /// a warning; any other bad line is an error naming it.
    pub fn next_line(&mut self) -> Result<Option<Line<'static>>, RecordError> {
        loop {
            let unterminated_before = self.at_eof;
            if unterminated_before || !self.read_raw()? {
                if !self.ended && !self.warnings.iter().any(|warning| warning.contains("no `end` line")) {
                    self.warnings.push(format!(
                        "the recording has no `end` line after line {}: it was cut short; replaying what it holds",
                        self.line
                    ));
                }
                return Ok(None);
            }
            if self.buffer.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let line = self.line;
            if self.ended {
                return Err(RecordError::Inconsistent { line, message: "a line after the `end` line".to_owned() });
            }
            match serde_json::from_slice::<Line<'static>>(&self.buffer) {
                Ok(Line::Header(_)) => {
                    return Err(RecordError::Inconsistent { line, message: "a second header".to_owned() });
                }
                Ok(parsed) if parsed.time() == Some(super::dto::NO_TIME) => {
                    return Err(RecordError::BadLine {
                        line,
                        message: format!("bad `{}` line: missing field `t`", parsed.kind()),
                    });
                }
                Ok(parsed) => {
                    if let Line::End { lines, .. } = parsed {
                        self.ended = true;
                        // The header and every line before this one.
                        let read = line - 1;
                        if lines != read {
                            return Err(RecordError::Inconsistent {
                                line,
                                message: format!(
                                    "the `end` line counts {lines} lines before it, the recording holds {read}"
                                ),
                            });
                        }
                    }
                    return Ok(Some(parsed));
                }
                Err(error) => {
                    let truncated_tail = self.at_eof;
                    let value = match serde_json::from_slice::<serde_json::Value>(&self.buffer) {
                        Ok(value) => value,
                        Err(_) if truncated_tail => {
                            self.warnings.push(format!("line {line} is cut short (the last line); ignored"));
                            continue;
                        }
                        Err(json_error) => {
                            let message = match std::str::from_utf8(&self.buffer) {
                                Ok(_) => json_error.to_string(),
                                Err(_) => "not UTF-8".to_owned(),
                            };
                            return Err(RecordError::NotJson { line, message });
                        }
                    };
                    return Err(match value.get("kind").and_then(serde_json::Value::as_str) {
                        Some(kind) if !KINDS.contains(&kind) => {
                            RecordError::UnknownKind { line, kind: kind.chars().take(80).collect() }
                        }
                        Some(kind) => RecordError::BadLine { line, message: format!("bad `{kind}` line: {error}") },
                        None => RecordError::BadLine { line, message: "no `kind` field".to_owned() },
                    });
                }
            }
        }
    }
}
