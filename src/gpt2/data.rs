//! The lecture's `DataLoaderLite`: batches of `B` rows of `T` consecutive tokens, read in order.
//! First (commits 8-21) over one text's tokens in memory, back to the start at its end; at the
//! end (commit 22 on) over FineWeb-style shards ([`super::shards`]), each of `world` processes
//! reading every `world`-th batch from its `rank`'s, moving to the next shard at a shard's end.

use std::path::{Path, PathBuf};

use tch::Tensor;

use super::shards;
use crate::error::{Error, Result};

/// `DataLoaderLite(B, T)` of the lecture's commits 8-21 ([`DataLoaderLite::new`]), and
/// `DataLoaderLite(B, T, process_rank, num_processes, split)` of its last ones
/// ([`DataLoaderLite::from_shards`]).
#[derive(Debug)]
pub struct DataLoaderLite {
    b: i64,
    t: i64,
    rank: i64,
    world: i64,
    /// The shard files; empty for tokens given in memory.
    shards: Vec<PathBuf>,
    current_shard: usize,
    tokens: Tensor,
    position: i64,
}

impl DataLoaderLite {
    /// A loader of `tokens` (GPT-2 ids) in batches of `b` rows of `t`.
    ///
    /// # Errors
    /// [`Error::Param`] for `b` or `t` of 0, or tokens too few for one batch (`b * t + 1`).
    pub fn new(tokens: &[u32], b: usize, t: usize) -> Result<DataLoaderLite> {
        let ids: Vec<i64> = tokens.iter().map(|&id| i64::from(id)).collect();
        let (b, t) = (b as i64, t as i64);
        let loader = DataLoaderLite {
            b,
            t,
            rank: 0,
            world: 1,
            shards: Vec::new(),
            current_shard: 0,
            tokens: Tensor::from_slice(&ids),
            position: 0,
        };
        loader.check(Path::new("the text"))?;
        Ok(loader)
    }

    /// The lecture's last loader: the shards of `split` (`"train"` or `"val"`) in `dir`, batches
    /// of `b` by `t`, this process `rank` of `world`, at the first shard.
    ///
    /// # Errors
    /// [`Error::Param`] for no shard of `split`, `rank` not below `world`, or a shard too short
    /// for one step of all processes (`b * t * world + 1` tokens); the shard's read errors.
    pub fn from_shards(
        dir: &Path,
        b: usize,
        t: usize,
        rank: usize,
        world: usize,
        split: &str,
    ) -> Result<DataLoaderLite> {
        if rank >= world {
            let why = "a process's rank is below the number of processes";
            return Err(Error::param("rank", rank, why, "set RANK below WORLD_SIZE"));
        }
        let mut loader = DataLoaderLite {
            b: b as i64,
            t: t as i64,
            rank: rank as i64,
            world: world as i64,
            shards: shards::list(dir, split)?,
            current_shard: 0,
            tokens: Tensor::new(),
            position: 0,
        };
        loader.reset()?;
        Ok(loader)
    }

    /// The shards it reads (empty for tokens in memory): `found {n} shards for split {split}`.
    pub fn shards(&self) -> &[PathBuf] {
        &self.shards
    }

    /// Back to the first shard's first batch of this rank (`val_loader.reset()`).
    ///
    /// # Errors
    /// As [`DataLoaderLite::from_shards`].
    pub fn reset(&mut self) -> Result<()> {
        self.seek(0, self.b * self.t * self.rank)
    }

    /// Where the next batch starts: the shard and the token in it (for a checkpoint).
    pub fn position(&self) -> (usize, i64) {
        (self.current_shard, self.position)
    }

    /// Continues from a [`DataLoaderLite::position`].
    ///
    /// # Errors
    /// As [`DataLoaderLite::from_shards`]; [`Error::Param`] for a shard past the last.
    pub fn seek(&mut self, shard: usize, position: i64) -> Result<()> {
        if !self.shards.is_empty() {
            let path = self.shards.get(shard).ok_or_else(|| {
                let why = "the data has fewer shards than the checkpoint read";
                Error::param("shard", shard, why, "resume on the shards it was trained on")
            })?;
            if shard != self.current_shard || !self.tokens.defined() {
                let ids: Vec<i64> = shards::read_npy(path)?.into_iter().map(i64::from).collect();
                self.tokens = Tensor::from_slice(&ids); // load_tokens: uint16 -> int32 -> long
                self.current_shard = shard;
                self.check(path)?;
            }
        }
        self.position = position;
        Ok(())
    }

    fn check(&self, what: &Path) -> Result<()> {
        let need = self.b * self.t * self.world + 1;
        if self.b == 0 || self.t == 0 || (self.len() as i64) < need {
            let why = "a step needs B * T * processes + 1 tokens in each shard, B and T at least 1";
            let value =
                format!("{}, {} ({} tokens in {})", self.b, self.t, self.len(), what.display());
            let hint = "use more text (or larger shards), or a smaller B or T";
            return Err(Error::param("B, T", value, why, hint));
        }
        Ok(())
    }

    /// The tokens of the current shard: `loaded {len} tokens`.
    pub fn len(&self) -> usize {
        self.tokens.size().first().map_or(0, |&n| n as usize)
    }

    /// Never empty: a loader holds a batch at least.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Batches in one pass over the tokens: `1 epoch = {n} batches`.
    pub fn batches_per_epoch(&self) -> usize {
        self.len() / (self.b * self.t) as usize
    }

    /// The next batch `(x, y)`, each `(B, T)`, `y` the tokens after `x`'s.
    ///
    /// # Errors
    /// [`Error::Torch`] from libtorch; a shard's read errors.
    pub fn next_batch(&mut self) -> Result<(Tensor, Tensor)> {
        let (b, t) = (self.b, self.t);
        let buf = self.tokens.f_narrow(0, self.position, b * t + 1)?;
        let x = buf.f_narrow(0, 0, b * t)?.f_view([b, t])?;
        let y = buf.f_narrow(0, 1, b * t)?.f_view([b, t])?;
        self.position += b * t * self.world;
        if self.position + (b * t * self.world + 1) > self.len() as i64 {
            let next = (self.current_shard + 1) % self.shards.len().max(1);
            self.seek(next, b * t * self.rank)?;
        }
        Ok((x, y))
    }
}
