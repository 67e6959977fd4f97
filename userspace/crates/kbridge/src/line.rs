//! A line resolved once by name: what the fast paths need to touch one line without a lookup
//! or an allocation per call.

use crate::LineKind;

/// A prepared line handle: the line's index (its bit in masks, its slot in the shared page),
/// kind and maximum, resolved once by name with [`Backend::prepare`](crate::Backend::prepare).
///
/// The handle belongs to the board it was prepared on: indices are fixed from probe to unbind,
/// so it stays valid as long as the module stays bound.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    name: String,
    index: u8,
    kind: LineKind,
    max_value: u32,
}

impl Line {
    /// A handle for line `index` (must be below [`kbridge_abi::MAX_LINES`]).
    pub(crate) fn new(
        name: impl Into<String>,
        index: usize,
        kind: LineKind,
        max_value: u32,
    ) -> Option<Self> {
        if index >= kbridge_abi::MAX_LINES {
            return None;
        }
        Some(Line {
            name: name.into(),
            index: u8::try_from(index).ok()?,
            kind,
            max_value,
        })
    }

    /// The line's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The line's index on the board (`0..num_lines`).
    pub fn index(&self) -> usize {
        usize::from(self.index)
    }

    /// The line's bit in a request mask: `1 << index`.
    pub fn mask(&self) -> u64 {
        1u64 << self.index
    }

    /// What the line is.
    pub fn kind(&self) -> LineKind {
        self.kind
    }

    /// The line's largest value (1 for a GPIO, the maximum brightness for an LED).
    pub fn max_value(&self) -> u32 {
        self.max_value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_fields_and_mask() {
        let l = Line::new("status", 5, LineKind::Led, 255).unwrap();
        assert_eq!(
            (l.name(), l.index(), l.mask(), l.kind(), l.max_value()),
            ("status", 5, 0x20, LineKind::Led, 255)
        );
        assert_eq!(
            Line::new("x", 63, LineKind::Output, 1).unwrap().mask(),
            1 << 63
        );
        assert!(Line::new("x", 64, LineKind::Output, 1).is_none());
    }
}
