//! minbpe's two helpers, `get_stats` and `merge`, as plain functions on a list of ids.
//!
//! They are what the lecture builds BPE from; the fast trainer ([`train`](crate::train)) and
//! encoder do the same work incrementally.

/// A pair of adjacent token ids.
pub type Pair = (u32, u32);

/// Counts of consecutive pairs, in the order each pair first occurs (like minbpe's dict).
///
/// `[1, 2, 3, 1, 2]` gives `[((1, 2), 2), ((2, 3), 1), ((3, 1), 1)]`. Pass the result of an
/// earlier call as `counts` to add to it (minbpe's `counts=` argument).
pub fn get_stats(ids: &[u32], mut counts: Vec<(Pair, usize)>) -> Vec<(Pair, usize)> {
    let mut index: rustc_hash::FxHashMap<Pair, usize> =
        counts.iter().enumerate().map(|(i, (p, _))| (*p, i)).collect();
    for w in ids.windows(2) {
        let pair = (w[0], w[1]);
        match index.get(&pair) {
            Some(&i) => counts[i].1 += 1,
            None => {
                index.insert(pair, counts.len());
                counts.push((pair, 1));
            }
        }
    }
    counts
}

/// The most frequent pair of `stats`; on a tie, the first listed (Python's `max` keeps the first
/// maximum), i.e. the pair whose first occurrence is earliest. `None` when there are no pairs.
pub fn most_frequent(stats: &[(Pair, usize)]) -> Option<Pair> {
    let mut best: Option<(Pair, usize)> = None;
    for &(p, c) in stats {
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((p, c));
        }
    }
    best.map(|(p, _)| p)
}

/// Replace every occurrence of `pair` in `ids` by `idx`, scanning left to right (so `aaa` with
/// pair `(a, a)` becomes `[idx, a]`).
///
/// `[1, 2, 3, 1, 2]` with `(1, 2)` and `4` gives `[4, 3, 4]`.
pub fn merge(ids: &[u32], pair: Pair, idx: u32) -> Vec<u32> {
    let mut out = Vec::with_capacity(ids.len());
    let mut i = 0;
    while i < ids.len() {
        if i + 1 < ids.len() && (ids[i], ids[i + 1]) == pair {
            out.push(idx);
            i += 2;
        } else {
            out.push(ids[i]);
            i += 1;
        }
    }
    out
}
