//! sentencepiece's BPE trainer itself: pair counts kept per pair, recounted only next to a merge,
//! and each merge taken from a heap of the counts.

use super::*;

/// A symbol: a character, or the join of two symbols; the same string may be two symbols.
struct Symbol {
    chars: Vec<char>,
    text: String,
    /// Where the pair stands: (word, left index, right index).
    positions: BTreeSet<(u32, u32, u32)>,
    /// The pair's count, kept until a neighbouring merge changes it.
    freq: Option<u64>,
    parts: (u32, u32),
}

/// sentencepiece's BPE trainer (`bpe_model_trainer.cc`), every pair a candidate.
pub(super) struct Trainer {
    symbols: Vec<Symbol>,
    /// The symbol of each live pair (left, right).
    pairs: FxHashMap<(u32, u32), u32>,
    /// Each word's symbols (NONE where merged into the left) and count.
    words: Vec<(Vec<u32>, u64)>,
    /// Pairs whose count is to be taken again before the next choice.
    dirty: Vec<u32>,
}

impl Trainer {
    pub(super) fn new(sentences: &[String], chars: &[(char, u64)]) -> Self {
        let mut counts: FxHashMap<&str, u64> = FxHashMap::default();
        for w in sentences.iter().flat_map(|s| words(s)) {
            *counts.entry(w).or_default() += 1;
        }
        let mut t = Trainer {
            symbols: Vec::new(),
            pairs: FxHashMap::default(),
            words: Vec::new(),
            dirty: Vec::new(),
        };
        let mut char_ids: FxHashMap<char, u32> = FxHashMap::default();
        let known: FxHashSet<char> = chars.iter().map(|&(c, _)| c).collect();
        let mut words: Vec<(&str, u64)> = counts.into_iter().collect();
        words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        for (w, n) in words {
            let ids = w
                .chars()
                .map(|c| {
                    let c = if known.contains(&c) { c } else { UNK_CHAR };
                    *char_ids.entry(c).or_insert_with(|| t.new_symbol(vec![c], (NONE, NONE)))
                })
                .collect();
            t.words.push((ids, n));
        }
        for w in 0..t.words.len() {
            for i in 1..t.words[w].0.len() {
                t.add_pair(w, Some(i - 1), Some(i));
            }
        }
        t
    }

    fn new_symbol(&mut self, chars: Vec<char>, parts: (u32, u32)) -> u32 {
        let text = chars.iter().collect();
        self.symbols.push(Symbol { chars, text, positions: BTreeSet::new(), freq: None, parts });
        (self.symbols.len() - 1) as u32
    }

    /// Records the pair at (word, left, right), making its symbol if the join is a valid piece.
    fn add_pair(&mut self, w: usize, left: Option<usize>, right: Option<usize>) {
        let (Some(l), Some(r)) = (left, right) else { return };
        let key = (self.words[w].0[l], self.words[w].0[r]);
        let id = match self.pairs.get(&key) {
            Some(&id) => id,
            None => {
                let chars = [
                    &self.symbols[key.0 as usize].chars[..],
                    &self.symbols[key.1 as usize].chars[..],
                ]
                .concat();
                if !valid_chars(&chars) {
                    return;
                }
                let id = self.new_symbol(chars, key);
                self.pairs.insert(key, id);
                id
            }
        };
        self.symbols[id as usize].positions.insert((w as u32, l as u32, r as u32));
        self.dirty.push(id);
    }

    /// Marks the count of the pair at (word, left, right) to be counted again.
    fn reset_freq(&mut self, w: usize, left: Option<usize>, right: Option<usize>, best: u32) {
        let (Some(l), Some(r)) = (left, right) else { return };
        if let Some(&id) = self.pairs.get(&(self.words[w].0[l], self.words[w].0[r])) {
            if id != best {
                self.symbols[id as usize].freq = None;
                self.dirty.push(id);
            }
        }
    }

    /// The pair's count: its positions where its two symbols still stand (the others dropped).
    fn freq(&mut self, id: u32) -> u64 {
        let s = &self.symbols[id as usize];
        if let Some(f) = s.freq {
            return f;
        }
        let (a, b) = s.parts;
        let words = &self.words;
        let s = &mut self.symbols[id as usize];
        s.positions.retain(|&(w, l, r)| {
            words[w as usize].0[l as usize] == a && words[w as usize].0[r as usize] == b
        });
        let f = s.positions.iter().map(|&(w, _, _)| words[w as usize].1).sum();
        s.freq = Some(f);
        f
    }

    fn neighbour(&self, w: usize, from: usize, forward: bool) -> Option<usize> {
        let syms = &self.words[w].0;
        if forward {
            (from + 1..syms.len()).find(|&i| syms[i] != NONE)
        } else {
            (0..from).rev().find(|&i| syms[i] != NONE)
        }
    }

    /// `n` merges: the pieces they make, in order.
    pub(super) fn train(mut self, n: usize) -> Vec<String> {
        let mut made: Vec<String> = Vec::with_capacity(n);
        let mut seen: FxHashSet<String> = FxHashSet::default();
        // The candidates, best first: (count, shorter, smaller string, older); an entry is stale
        // once its pair is gone or its count changed (a fresh entry was pushed then).
        let mut heap = BinaryHeap::new();
        while made.len() < n {
            let mut dirty = std::mem::take(&mut self.dirty);
            dirty.sort_unstable();
            dirty.dedup();
            for id in dirty {
                let s = &self.symbols[id as usize];
                if self.pairs.get(&s.parts) == Some(&id) {
                    let f = self.freq(id);
                    let s = &self.symbols[id as usize];
                    if f > 0 {
                        heap.push((
                            f,
                            Reverse(s.chars.len()),
                            Reverse(s.text.clone()),
                            Reverse(id),
                        ));
                    }
                }
            }
            let Some((f, _, _, Reverse(best))) = heap.pop() else { break }; // no pair left
            let s = &self.symbols[best as usize];
            if self.pairs.get(&s.parts) != Some(&best) || s.freq != Some(f) {
                continue; // stale
            }
            let parts = self.symbols[best as usize].parts;
            self.pairs.remove(&parts);
            if !seen.insert(self.symbols[best as usize].text.clone()) {
                continue; // the same string by another pair of symbols ("aa" + "a", "a" + "aa")
            }
            made.push(self.symbols[best as usize].text.clone());
            let positions = std::mem::take(&mut self.symbols[best as usize].positions);
            for (w, l, r) in positions {
                let (w, l, r) = (w as usize, l as usize, r as usize);
                if self.words[w].0[l] == NONE {
                    continue; // "aaa": the pair at (1, 2) went with the merge at (0, 1)
                }
                let next = self.neighbour(w, r, true);
                let prev = self.neighbour(w, l, false);
                self.reset_freq(w, prev, Some(l), best);
                self.reset_freq(w, Some(r), next, best);
                self.words[w].0[l] = best;
                self.words[w].0[r] = NONE;
                self.add_pair(w, prev, Some(l));
                self.add_pair(w, Some(l), next);
            }
        }
        made
    }
}
