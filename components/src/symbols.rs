//! Interned strings (model ids, tags, concurrency keys, GPU models), so that tasks and workers carry
//! a 4-byte [`Symbol`] instead of an owned string, and comparisons are integer compares.
//!
//! Interning is deterministic: symbols are numbered in first-seen order.

use std::num::NonZeroU32;

use bevy_ecs::prelude::*;
use rustc_hash::FxHashMap;

/// An interned string. `Option<Symbol>` is 4 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(NonZeroU32);

impl Symbol {
    /// The symbol's dense index (0-based, first-seen order).
    #[inline]
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// Why a string could not be interned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SymbolError {
    /// The string is empty.
    #[error("the string is empty")]
    Empty,
    /// The string is longer than the configured maximum.
    #[error("the string is {len} bytes long, more than the maximum of {max}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The string holds a control character.
    #[error("the string holds a control character")]
    ControlCharacter,
    /// The table already holds the configured maximum of distinct strings.
    #[error("{max} distinct strings are already interned")]
    TableFull {
        /// The maximum.
        max: usize,
    },
}

/// The string table.
#[derive(Resource, Debug)]
pub struct Symbols {
    by_name: FxHashMap<Box<str>, Symbol>,
    names: Vec<Box<str>>,
    symbol_len_max: usize,
    symbol_count_max: usize,
}

impl Symbols {
    /// An empty table with the given bounds.
    pub fn new(symbol_len_max: usize, symbol_count_max: usize) -> Symbols {
        Symbols { by_name: FxHashMap::default(), names: Vec::new(), symbol_len_max, symbol_count_max }
    }

    /// Interns `name`, returning its symbol.
    pub fn intern(&mut self, name: &str) -> Result<Symbol, SymbolError> {
        if let Some(&symbol) = self.by_name.get(name) {
            return Ok(symbol);
        }
        if name.is_empty() {
            return Err(SymbolError::Empty);
        }
        if name.len() > self.symbol_len_max {
            return Err(SymbolError::TooLong { len: name.len(), max: self.symbol_len_max });
        }
        if name.chars().any(char::is_control) {
            return Err(SymbolError::ControlCharacter);
        }
        if self.names.len() >= self.symbol_count_max {
            return Err(SymbolError::TableFull { max: self.symbol_count_max });
        }
        let number = u32::try_from(self.names.len() + 1).expect("symbol_count_max fits in u32");
        let symbol = Symbol(NonZeroU32::new(number).expect("numbered from one"));
        self.names.push(name.into());
        self.by_name.insert(name.into(), symbol);
        Ok(symbol)
    }

    /// The symbol of `name`, if it was interned.
    pub fn get(&self, name: &str) -> Option<Symbol> {
        self.by_name.get(name).copied()
    }

    /// The string behind `symbol`.
    pub fn name(&self, symbol: Symbol) -> &str {
        &self.names[symbol.index()]
    }

    /// How many strings are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no string is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
