//! Unicode character classes the split patterns use: `\p{L}`, `\p{N}`, `\s`, and `\p{C}` for
//! rendering `.vocab` files.
//!
//! The tables come from `regex-syntax` (the same Unicode data fancy-regex, and so tiktoken, use),
//! turned once into a lookup table: a byte per ASCII char, binary search above. `\s` is Unicode's
//! `White_Space` property, which is also what Python's `regex` module matches (checked against it
//! for every code point in the tests; `\x1c`-`\x1f` are *not* in it, unlike `str.isspace`).

use std::sync::OnceLock;

/// Which class of the split patterns a char is in. The three named classes are disjoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// `\p{L}`: letters.
    Letter,
    /// `\p{N}`: numbers.
    Number,
    /// `\s`: white space.
    Space,
    /// Anything else (`[^\s\p{L}\p{N}]`).
    Other,
}

struct Tables {
    ascii: [Class; 128],
    /// Sorted, disjoint `(first, last, class)` ranges of non-ASCII chars that are not `Other`.
    ranges: Vec<(u32, u32, Class)>,
    /// Sorted ranges of `\p{C}` (control, format, private use, unassigned).
    control: Vec<(u32, u32)>,
}

/// The ranges of one Unicode class, e.g. `\p{L}`, as `regex-syntax` parses it.
fn class_ranges(class: &str) -> Vec<(u32, u32)> {
    use regex_syntax::hir::{Class as HirClass, HirKind};
    let hir = regex_syntax::parse(class).expect("a fixed Unicode class parses");
    match hir.kind() {
        HirKind::Class(HirClass::Unicode(c)) => {
            c.ranges().iter().map(|r| (r.start() as u32, r.end() as u32)).collect()
        }
        _ => unreachable!("a Unicode class parses to a class"),
    }
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut ranges = Vec::new();
        for (name, class) in
            [(r"\p{L}", Class::Letter), (r"\p{N}", Class::Number), (r"\s", Class::Space)]
        {
            ranges.extend(class_ranges(name).into_iter().map(|(a, b)| (a, b, class)));
        }
        ranges.sort_unstable_by_key(|r| r.0);
        let mut ascii = [Class::Other; 128];
        for &(a, b, class) in &ranges {
            for c in a..=b.min(127) {
                ascii[c as usize] = class;
            }
        }
        ranges.retain(|r| r.1 >= 128);
        Tables { ascii, ranges, control: class_ranges(r"\p{C}") }
    })
}

/// The split-pattern class of `c`.
#[inline]
pub(crate) fn class_of(c: char) -> Class {
    let t = tables();
    let u = c as u32;
    if u < 128 {
        return t.ascii[u as usize];
    }
    match t.ranges.binary_search_by(|r| {
        if r.1 < u {
            std::cmp::Ordering::Less
        } else if r.0 > u {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(i) => t.ranges[i].2,
        Err(_) => Class::Other,
    }
}

/// Whether `c` is in Unicode general category C (`Cc`, `Cf`, `Cs`, `Co`, `Cn`): the chars
/// minbpe's `replace_control_characters` escapes as `\uXXXX`.
pub(crate) fn is_control(c: char) -> bool {
    let u = c as u32;
    let t = &tables().control;
    let i = t.partition_point(|r| r.1 < u);
    i < t.len() && t[i].0 <= u
}

/// The code point ranges of `\p{L}` (`"L"`), `\p{N}` (`"N"`), `\s` (`"S"`) or `\p{C}` (`"C"`)
/// as this module sees them; for comparing with Python's `regex` in tests.
pub fn unicode_class_ranges(name: &str) -> Option<Vec<(u32, u32)>> {
    let pattern = match name {
        "L" => r"\p{L}",
        "N" => r"\p{N}",
        "S" => r"\s",
        "C" => r"\p{C}",
        _ => return None,
    };
    Some(class_ranges(pattern))
}
