//! The retained window of events: every durable event, numbered, the last `events_retained_max` of
//! them kept in memory (and in the journal, so a restart keeps them too), served to long polls and
//! streams. A reader that asks for events older than the window gets a typed refusal, never a gap.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

/// Events published together (one journal commit), in order: their JSON (the wire form).
#[derive(Debug)]
pub struct Chunk {
    /// The number of the first.
    pub first_seq: u64,
    /// Each event's JSON.
    pub events: Vec<Box<str>>,
}

impl Chunk {
    fn last_seq(&self) -> u64 {
        self.first_seq + self.events.len() as u64 - 1
    }
}

/// Why a page could not be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageError {
    /// Events after `after` are no longer all retained: the oldest kept is `first_retained`.
    NotRetained {
        /// The oldest event still retained.
        first_retained: u64,
    },
    /// `after` is beyond the last event.
    Future {
        /// The last event published.
        last_seq: u64,
    },
}

#[derive(Debug)]
struct Window {
    chunks: VecDeque<Arc<Chunk>>,
    retained: u64,
    retained_max: u64,
    /// The number of the last event published (0: none yet).
    last_seq: u64,
}

/// The window, shared by the journal thread (which publishes) and the HTTP threads (which read).
#[derive(Debug)]
pub struct EventHub {
    window: Mutex<Window>,
    published: tokio::sync::watch::Sender<u64>,
}

impl EventHub {
    /// An empty window after event `last_seq` (the events before it are not retained), keeping the
    /// last `retained_max`.
    pub fn new(last_seq: u64, retained_max: u64) -> EventHub {
        let (published, _) = tokio::sync::watch::channel(last_seq);
        EventHub {
            window: Mutex::new(Window {
                chunks: VecDeque::new(),
                retained: 0,
                retained_max: retained_max.max(1),
                last_seq,
            }),
            published,
        }
    }

    /// Adds events that follow the last one (recovery, and the journal thread after each commit).
    pub fn publish(&self, chunk: Chunk) {
        if chunk.events.is_empty() {
            return;
        }
        let last = {
            let mut window = self.window.lock().expect("the event window's lock is never poisoned");
            assert_eq!(chunk.first_seq, window.last_seq + 1, "events are published in order, without a gap");
            window.last_seq = chunk.last_seq();
            window.retained += chunk.events.len() as u64;
            window.chunks.push_back(Arc::new(chunk));
            while let Some(front) = window.chunks.front() {
                let len = front.events.len() as u64;
                if window.retained - len < window.retained_max {
                    break;
                }
                window.retained -= len;
                window.chunks.pop_front();
            }
            window.last_seq
        };
        self.published.send_replace(last);
    }

    /// The number of the last event published.
    pub fn last_seq(&self) -> u64 {
        self.window.lock().expect("the event window's lock is never poisoned").last_seq
    }

    /// Waits for events after `seq`.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.published.subscribe()
    }

    /// Writes the events after `after` (at most `limit`) as `{"seq":N,"event":{…}}` objects separated
    /// by commas into `out`; returns the number of the last one written (or `after`) and how many.
    pub fn page(&self, after: u64, limit: usize, out: &mut String) -> Result<(u64, usize), PageError> {
        let window = self.window.lock().expect("the event window's lock is never poisoned");
        if after > window.last_seq {
            return Err(PageError::Future { last_seq: window.last_seq });
        }
        let first_retained = window.chunks.front().map_or(window.last_seq + 1, |chunk| chunk.first_seq);
        if after + 1 < first_retained {
            return Err(PageError::NotRetained { first_retained });
        }
        let mut next = after;
        let mut written = 0;
        // The chunk holding `after + 1`: chunks are in order, so a binary search over their first numbers.
        let start = window.chunks.partition_point(|chunk| chunk.last_seq() <= after);
        'chunks: for chunk in window.chunks.iter().skip(start) {
            let skip = (after + 1).saturating_sub(chunk.first_seq) as usize;
            for (offset, event) in chunk.events.iter().enumerate().skip(skip) {
                if written == limit {
                    break 'chunks;
                }
                let seq = chunk.first_seq + offset as u64;
                if written > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{{\"seq\":{seq},\"event\":{event}}}");
                next = seq;
                written += 1;
            }
        }
        Ok((next, written))
    }

    /// The events after `after` (at most `limit`) as (number, JSON) pairs, for the stream.
    pub fn events_after(&self, after: u64, limit: usize) -> Result<Vec<(u64, Box<str>)>, PageError> {
        let window = self.window.lock().expect("the event window's lock is never poisoned");
        if after > window.last_seq {
            return Err(PageError::Future { last_seq: window.last_seq });
        }
        let first_retained = window.chunks.front().map_or(window.last_seq + 1, |chunk| chunk.first_seq);
        if after + 1 < first_retained {
            return Err(PageError::NotRetained { first_retained });
        }
        let start = window.chunks.partition_point(|chunk| chunk.last_seq() <= after);
        let mut events = Vec::new();
        for chunk in window.chunks.iter().skip(start) {
            let skip = (after + 1).saturating_sub(chunk.first_seq) as usize;
            for (offset, event) in chunk.events.iter().enumerate().skip(skip) {
                if events.len() == limit {
                    return Ok(events);
                }
                events.push((chunk.first_seq + offset as u64, event.clone()));
            }
        }
        Ok(events)
    }
}

/// Shared by the service's threads.
pub type SharedHub = Arc<EventHub>;

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(first_seq: u64, count: usize) -> Chunk {
        Chunk { first_seq, events: (0..count).map(|i| format!("{{\"n\":{}}}", first_seq + i as u64).into()).collect() }
    }

    #[test]
    fn pages_follow_the_numbers_and_refuse_what_was_dropped() {
        let hub = EventHub::new(0, 5);
        hub.publish(chunk(1, 3));
        hub.publish(chunk(4, 3));
        // Six published, five wanted: the first chunk (1..=3) can go only once three are left besides.
        let mut out = String::new();
        assert_eq!(hub.page(0, 10, &mut out), Ok((6, 6)));
        hub.publish(chunk(7, 3));
        out.clear();
        assert_eq!(hub.page(0, 10, &mut out), Err(PageError::NotRetained { first_retained: 4 }));
        assert_eq!(hub.page(3, 2, &mut out), Ok((5, 2)));
        assert_eq!(out, "{\"seq\":4,\"event\":{\"n\":4}},{\"seq\":5,\"event\":{\"n\":5}}");
        assert_eq!(hub.page(9, 10, &mut String::new()), Ok((9, 0)));
        assert_eq!(hub.page(10, 10, &mut String::new()), Err(PageError::Future { last_seq: 9 }));
        assert_eq!(hub.events_after(7, 10).unwrap().iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), vec![8, 9]);
    }
}
