//! Fast BPE training that gives minbpe's merges exactly.
//!
//! minbpe re-counts every pair of the whole text for each merge. Here the text is split into
//! chunks, equal chunks are counted once, and the pairs are counted once, weighted by how often
//! their chunk occurs. After that a merge touches only the occurrences of the merged pair: the
//! tokens of all distinct chunks sit in one array as linked lists, each pair keeps the list of
//! positions where it occurs, and a priority queue with lazy deletion gives the next pair.
//!
//! **Why the merges equal minbpe's.** minbpe picks `max(stats, key=stats.get)`, where `stats`
//! is a dict filled in the order pairs first occur in the current token sequence. Python's `max`
//! keeps the first maximum, so among equal counts the pair whose *first occurrence in the
//! current text* is earliest wins. Here every token keeps its position: distinct chunks are laid
//! out in the order they first appear in the text, and inside a chunk a token sits at the byte
//! offset where it starts. Merging never reorders tokens, so "earliest occurrence in the current
//! text" is "smallest live position". The queue orders pairs by (count, smaller first position).
//! A pair's first position only gets smaller when a merge creates an occurrence of it (updated
//! at once); it gets larger when a merge destroys its earliest occurrence, and then the pair is
//! marked *dirty* and its true first position is recomputed from its position list when it
//! reaches the top of the queue. Occurrences of the merged pair are replaced in increasing
//! position order, which is minbpe's left-to-right `merge` (`aaa` -> `Xa`).

use crate::error::{BpeError, Result};
use crate::stats::Pair;
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// "No token here": the end of a chunk for `next`/`prev`, a merged-away position for `tok`.
const NONE: u32 = u32::MAX;

/// One distinct pair: its weighted count and where it occurs.
struct PairInfo {
    pair: Pair,
    /// Occurrences times the count of their chunk.
    count: i64,
    /// Smallest live position; only a lower bound while `dirty`.
    first: u32,
    /// The occurrence at `first` was destroyed; recompute `first` before trusting it.
    dirty: bool,
    /// Positions of occurrences, some of them stale (checked when read).
    pos: Vec<u32>,
    /// Whether `pos` is in increasing order.
    sorted: bool,
    /// The last merge step that touched this pair (to push it to the queue once per step).
    touched: u32,
}

/// The training state: the tokens of all distinct chunks and the pairs among them.
struct Trainer {
    /// Token id at each position; `NONE` where the token was merged into the one before.
    tok: Vec<u32>,
    /// Next live position in the same chunk, or `NONE`.
    next: Vec<u32>,
    /// Previous live position in the same chunk, or `NONE`.
    prev: Vec<u32>,
    /// How many times the chunk of each position occurs in the text.
    weight: Vec<u32>,
    pairs: Vec<PairInfo>,
    index: FxHashMap<u64, u32>,
    heap: BinaryHeap<(i64, Reverse<u32>, u32)>,
    /// Pairs touched in the current step.
    touched: Vec<u32>,
    step: u32,
}

#[inline]
fn key(p: Pair) -> u64 {
    (u64::from(p.0) << 32) | u64::from(p.1)
}

impl Trainer {
    /// Lay out the distinct `chunks` (in order of first appearance, with their counts) and count
    /// their pairs.
    fn new(chunks: &[&[u8]], counts: &[u32]) -> Result<Self> {
        let total: usize = chunks.iter().map(|c| c.len()).sum();
        if total >= NONE as usize {
            return Err(BpeError::TextTooLarge(total));
        }
        let mut t = Trainer {
            tok: Vec::with_capacity(total),
            next: Vec::with_capacity(total),
            prev: Vec::with_capacity(total),
            weight: Vec::with_capacity(total),
            pairs: Vec::new(),
            index: FxHashMap::default(),
            heap: BinaryHeap::new(),
            touched: Vec::new(),
            step: 0,
        };
        for (chunk, &w) in chunks.iter().zip(counts) {
            let start = t.tok.len() as u32;
            let n = chunk.len() as u32;
            for (k, &b) in chunk.iter().enumerate() {
                let k = k as u32;
                t.tok.push(u32::from(b));
                t.next.push(if k + 1 < n { start + k + 1 } else { NONE });
                t.prev.push(if k > 0 { start + k - 1 } else { NONE });
                t.weight.push(w);
            }
        }
        for i in 0..t.tok.len() {
            let j = t.next[i];
            if j != NONE {
                let w = i64::from(t.weight[i]);
                t.add((t.tok[i], t.tok[j as usize]), i as u32, w);
            }
        }
        for (id, p) in t.pairs.iter().enumerate() {
            t.heap.push((p.count, Reverse(p.first), id as u32));
        }
        t.touched.clear();
        Ok(t)
    }

    /// Record a new occurrence of `pair` at position `at`, of weight `w`.
    fn add(&mut self, pair: Pair, at: u32, w: i64) {
        let next_id = self.pairs.len() as u32;
        let id = *self.index.entry(key(pair)).or_insert(next_id);
        if id == next_id {
            self.pairs.push(PairInfo {
                pair,
                count: 0,
                first: NONE,
                dirty: false,
                pos: Vec::new(),
                sorted: true,
                touched: 0,
            });
        }
        let p = &mut self.pairs[id as usize];
        p.count += w;
        if p.pos.last().is_some_and(|&l| l > at) {
            p.sorted = false;
        }
        p.pos.push(at);
        p.first = p.first.min(at);
        self.touch(id);
    }

    /// Record that the occurrence of `pair` at position `at`, of weight `w`, is gone.
    fn remove(&mut self, pair: Pair, at: u32, w: i64) {
        if let Some(&id) = self.index.get(&key(pair)) {
            let p = &mut self.pairs[id as usize];
            p.count -= w;
            if p.first == at {
                p.dirty = true;
            }
            self.touch(id);
        }
    }

    fn touch(&mut self, id: u32) {
        let p = &mut self.pairs[id as usize];
        if p.touched != self.step {
            p.touched = self.step;
            self.touched.push(id);
        }
    }

    /// Whether `pair` still occurs at position `i`.
    #[inline]
    fn occurs(&self, pair: Pair, i: u32) -> bool {
        let i = i as usize;
        self.tok[i] == pair.0 && {
            let j = self.next[i];
            j != NONE && self.tok[j as usize] == pair.1
        }
    }

    /// The pair minbpe would merge next: highest count, then earliest first occurrence.
    fn pop_best(&mut self) -> Option<u32> {
        while let Some((count, Reverse(first), id)) = self.heap.pop() {
            let p = &self.pairs[id as usize];
            if p.count <= 0 {
                continue;
            }
            if p.dirty {
                let (pair, mut pos) = (p.pair, std::mem::take(&mut self.pairs[id as usize].pos));
                pos.retain(|&i| self.occurs(pair, i));
                let p = &mut self.pairs[id as usize];
                p.first = pos.iter().copied().min().unwrap_or(NONE);
                p.pos = pos;
                p.dirty = false;
                self.heap.push((p.count, Reverse(p.first), id));
                continue;
            }
            // an entry that is not exact is outdated: an exact one was pushed when it changed
            if count == p.count && first == p.first {
                return Some(id);
            }
        }
        None
    }

    /// Replace every occurrence of pair `id` by the new token `new`, left to right.
    fn merge(&mut self, id: u32, new: u32) {
        self.step += 1;
        let merged = self.pairs[id as usize].pair;
        let (a, b) = merged;
        let mut pos = std::mem::take(&mut self.pairs[id as usize].pos);
        if !self.pairs[id as usize].sorted {
            pos.sort_unstable();
        }
        for &i in &pos {
            if !self.occurs(merged, i) {
                continue;
            }
            let j = self.next[i as usize];
            let (h, k) = (self.prev[i as usize], self.next[j as usize]);
            let w = i64::from(self.weight[i as usize]);
            if h != NONE {
                let left = self.tok[h as usize];
                if (left, a) != merged {
                    self.remove((left, a), h, w);
                }
                self.add((left, new), h, w);
            }
            if k != NONE {
                let right = self.tok[k as usize];
                if (b, right) != merged {
                    self.remove((b, right), j, w);
                }
                self.add((new, right), i, w);
            }
            self.tok[i as usize] = new;
            self.tok[j as usize] = NONE;
            self.next[i as usize] = k;
            if k != NONE {
                self.prev[k as usize] = i;
            }
        }
        let p = &mut self.pairs[id as usize];
        p.count = 0;
        p.sorted = true;
        for t in std::mem::take(&mut self.touched) {
            let p = &self.pairs[t as usize];
            if p.count > 0 {
                self.heap.push((p.count, Reverse(p.first), t));
            }
        }
    }
}

/// Learn `num_merges` merges from distinct chunks (in order of first appearance in the text)
/// and how often each occurs. Merge `k` makes token `256 + k`.
///
/// Errors with [`BpeError::NoPairsLeft`] when the chunks run out of pairs first (minbpe raises
/// `ValueError` from `max()` of an empty dict there). `progress(k)` is told each merge done.
pub(crate) fn train_chunks(
    chunks: &[&[u8]],
    counts: &[u32],
    num_merges: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Pair>> {
    let mut t = Trainer::new(chunks, counts)?;
    let mut merges = Vec::with_capacity(num_merges);
    for k in 0..num_merges {
        let Some(id) = t.pop_best() else {
            return Err(BpeError::NoPairsLeft {
                merges_done: k,
                vocab_size: 256 + num_merges,
                reachable: 256 + k,
            });
        };
        merges.push(t.pairs[id as usize].pair);
        t.merge(id, 256 + k as u32);
        progress(k + 1);
    }
    Ok(merges)
}

/// The distinct chunks of a text in order of first appearance, and how often each occurs.
#[derive(Default)]
pub(crate) struct ChunkCounts<'t> {
    /// Distinct chunks, in order of first appearance.
    pub chunks: Vec<&'t [u8]>,
    /// `counts[i]`: occurrences of `chunks[i]`.
    pub counts: Vec<u32>,
    index: FxHashMap<&'t [u8], u32>,
}

impl<'t> ChunkCounts<'t> {
    /// Count one more occurrence of `chunk`.
    #[inline]
    pub fn add(&mut self, chunk: &'t [u8]) {
        self.add_n(chunk, 1);
    }

    fn add_n(&mut self, chunk: &'t [u8], n: u32) {
        let next = self.chunks.len() as u32;
        let i = *self.index.entry(chunk).or_insert(next);
        if i == next {
            self.chunks.push(chunk);
            self.counts.push(n);
        } else {
            // no overflow: train() takes texts under 4 GiB, so under 2^32 chunks
            self.counts[i as usize] += n;
        }
    }

    /// Append the counts of a later part of the same text (keeps first-appearance order).
    pub fn extend(&mut self, later: ChunkCounts<'t>) {
        for (c, n) in later.chunks.into_iter().zip(later.counts) {
            self.add_n(c, n);
        }
    }
}
