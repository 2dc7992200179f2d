//! Encoding one chunk: apply the merges, lowest id first, like minbpe's `_encode_chunk`.
//!
//! minbpe repeatedly finds the adjacent pair with the lowest merge id and merges all its
//! occurrences left to right. Merging only the leftmost lowest pair each round (tiktoken's
//! `byte_pair_merge`) gives the same ids: a merge only creates pairs containing the new token,
//! and any merge of those has a higher id, so the next round picks the next occurrence of the
//! same pair. Short chunks use a flat array; long ones (e.g. a whole text with no split pattern)
//! use a linked list and a min-heap, so encoding stays `O(n log n)`.

use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Merge ids by pair, packed as `(left << 32) | right`.
pub(crate) type Ranks = FxHashMap<u64, u32>;

#[inline]
fn rank(ranks: &Ranks, a: u32, b: u32) -> u32 {
    *ranks.get(&((u64::from(a) << 32) | u64::from(b))).unwrap_or(&u32::MAX)
}

/// Chunks longer than this use the heap.
const SHORT: usize = 64;

/// Encode one chunk whose bytes have already become ids in `ids`, appending the result to `out`.
pub(crate) fn encode_chunk(ids: &[u32], ranks: &Ranks, out: &mut Vec<u32>) {
    if ids.len() <= SHORT {
        encode_short(ids, ranks, out)
    } else {
        encode_long(ids, ranks, out)
    }
}

fn encode_short(ids: &[u32], ranks: &Ranks, out: &mut Vec<u32>) {
    let start = out.len();
    out.extend_from_slice(ids);
    let toks = &mut out[start..];
    // r[k]: merge id of (toks[k], toks[k + 1])
    let mut r = [u32::MAX; SHORT];
    for k in 0..toks.len().saturating_sub(1) {
        r[k] = rank(ranks, toks[k], toks[k + 1]);
    }
    let mut n = toks.len();
    while n > 1 {
        let (mut best, mut k) = (u32::MAX, 0);
        for (i, &x) in r[..n - 1].iter().enumerate() {
            if x < best {
                best = x;
                k = i;
            }
        }
        if best == u32::MAX {
            break;
        }
        toks[k] = best;
        toks.copy_within(k + 2..n, k + 1);
        if k + 2 < n {
            r.copy_within(k + 2..n - 1, k + 1);
        }
        n -= 1;
        if k + 1 < n {
            r[k] = rank(ranks, toks[k], toks[k + 1]);
        }
        if k > 0 {
            r[k - 1] = rank(ranks, toks[k - 1], toks[k]);
        }
    }
    out.truncate(start + n);
}

fn encode_long(ids: &[u32], ranks: &Ranks, out: &mut Vec<u32>) {
    const END: u32 = u32::MAX;
    let n = ids.len();
    let mut tok = ids.to_vec();
    let mut next: Vec<u32> = (1..=n as u32).collect();
    next[n - 1] = END;
    let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
    let mut heap = BinaryHeap::new();
    for i in 0..n - 1 {
        let r = rank(ranks, tok[i], tok[i + 1]);
        if r != u32::MAX {
            heap.push(Reverse((r, i as u32)));
        }
    }
    while let Some(Reverse((r, i))) = heap.pop() {
        let iu = i as usize;
        let j = next[iu];
        // stale: the token at i was merged away or changed, or its right neighbour changed
        if tok[iu] == END || j == END || rank(ranks, tok[iu], tok[j as usize]) != r {
            continue;
        }
        let k = next[j as usize];
        tok[iu] = r;
        tok[j as usize] = END;
        next[iu] = k;
        if k != END {
            prev[k as usize] = i;
            let rr = rank(ranks, r, tok[k as usize]);
            if rr != u32::MAX {
                heap.push(Reverse((rr, i)));
            }
        }
        let h = prev[iu];
        if h != END {
            let rl = rank(ranks, tok[h as usize], r);
            if rl != u32::MAX {
                heap.push(Reverse((rl, h)));
            }
        }
    }
    out.extend(tok.into_iter().filter(|&t| t != END));
}
