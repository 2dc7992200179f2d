//! Random numbers as torch draws them: its one global generator, seeded under a lock, and a copy
//! of that generator in Rust, which sampling (`sample`) and the training batches draw from. And
//! Python's own generator (`random.seed`, `random.shuffle`), which splits the words from part 2
//! of the lectures on.

use std::sync::Mutex;

static TORCH_SEED: Mutex<()> = Mutex::new(());

/// Runs `f` right after `torch.manual_seed(seed)`, holding a lock that every seeded call of this
/// crate holds: torch's generator is one per process, and another thread's draws in between
/// would change the numbers the seed promises. `makemore::with_torch_seed(seed, || ...)` in a
/// test or notebook draws as the crate does.
pub fn with_torch_seed<T>(seed: i64, f: impl FnOnce() -> T) -> T {
    // A panic in another thread's draw leaves nothing half-done here: ignore the poison.
    let _guard = TORCH_SEED.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(seed);
    f()
}

/// Runs `f`, which draws from torch's generator without seeding it (dropout in training), under
/// the lock of [`with_torch_seed`]: its draws never fall between another thread's seed and draws.
pub(crate) fn with_torch_lock<T>(f: impl FnOnce() -> T) -> T {
    let _guard = TORCH_SEED.lock().unwrap_or_else(|e| e.into_inner());
    f()
}

/// Torch's CPU generator, step for step: the mt19937 engine of `at::CPUGeneratorImpl`, seeded as
/// `torch.Generator().manual_seed(seed)` seeds it. The tests below check its numbers against
/// torch's own.
#[derive(Clone)]
pub(crate) struct TorchGenerator {
    state: [u32; N],
    next: usize,
}

impl std::fmt::Debug for TorchGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TorchGenerator {{ at word {} of {N} }}", self.next)
    }
}

const N: usize = 624;
const M: usize = 397;

impl TorchGenerator {
    /// mt19937 initialized with the seed's low 32 bits (`at::mt19937::init_with_uint32`).
    pub(crate) fn new(seed: i64) -> TorchGenerator {
        let mut state = [0u32; N];
        state[0] = seed as u32;
        for j in 1..N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(j as u32);
        }
        TorchGenerator { state, next: N } // the first draw twists, as torch's `left_ = 1`
    }

    /// The whole state, to save: 624 words and the position in them.
    pub(crate) fn state(&self) -> Vec<i64> {
        self.state.iter().map(|&w| i64::from(w)).chain([self.next as i64]).collect()
    }

    /// A generator saved by [`TorchGenerator::state`]; `None` for anything else.
    pub(crate) fn from_state(saved: &[i64]) -> Option<TorchGenerator> {
        let (&next, words) = saved.split_last()?;
        let mut state = [0u32; N];
        for (s, &w) in state.iter_mut().zip(words) {
            *s = u32::try_from(w).ok()?;
        }
        let next = usize::try_from(next).ok().filter(|&n| n <= N && words.len() == N)?;
        Some(TorchGenerator { state, next })
    }

    /// `generator->random()`: the next 32 bits.
    pub(crate) fn random(&mut self) -> u32 {
        if self.next == N {
            let twist = |u: u32, v: u32| {
                let mixed = (u & 0x8000_0000) | (v & 0x7fff_ffff);
                (mixed >> 1) ^ if v & 1 == 1 { 0x9908_b0df } else { 0 }
            };
            for j in 0..N {
                self.state[j] =
                    self.state[(j + M) % N] ^ twist(self.state[j], self.state[(j + 1) % N]);
            }
            self.next = 0;
        }
        let mut y = self.state[self.next];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A draw of `at::uniform_real_distribution<double>(0, 1)`: the low 53 bits of
    /// `random64()` (two draws, the first one high) over 2^53, in `[0, 1)`.
    pub(crate) fn uniform(&mut self) -> f64 {
        let hi = u64::from(self.random());
        let lo = u64::from(self.random());
        (((hi << 32) | lo) & ((1 << 53) - 1)) as f64 / (1u64 << 53) as f64
    }
}

/// CPython's `random` module, for what the lectures call of it: `random.seed(n)`,
/// `random.random()`, `random.uniform(a, b)` (micrograd's weights) and `random.shuffle` (the
/// split from part 2 on). The same mt19937 engine as torch's, seeded by `init_by_array` with the
/// 32-bit words of `n`; the tests below check its numbers against CPython's.
#[derive(Debug, Clone)]
pub struct PythonRandom(TorchGenerator);

impl PythonRandom {
    /// `random.seed(seed)` for a non-negative integer.
    pub fn new(seed: u64) -> PythonRandom {
        let mut key: Vec<u32> = vec![seed as u32];
        if seed >> 32 != 0 {
            key.push((seed >> 32) as u32);
        }
        let mut mt = [0u32; N];
        mt[0] = 19_650_218;
        for i in 1..N {
            mt[i] =
                1_812_433_253u32.wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_add(i as u32);
        }
        let (mut i, mut j) = (1, 0);
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] =
                (mt[i] ^ prev.wrapping_mul(1_664_525)).wrapping_add(key[j]).wrapping_add(j as u32);
            (i, j) = (i + 1, (j + 1) % key.len());
            if i >= N {
                (mt[0], i) = (mt[N - 1], 1);
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                (mt[0], i) = (mt[N - 1], 1);
            }
        }
        mt[0] = 0x8000_0000;
        PythonRandom(TorchGenerator { state: mt, next: N }) // the first draw twists
    }

    /// `random.random()`: 53 random bits (27 and 26 of two draws) over 2^53, in `[0, 1)`.
    pub fn random(&mut self) -> f64 {
        let (a, b) = (self.getrandbits(27), self.getrandbits(26));
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }

    /// `random.uniform(a, b)`: `a + (b - a) * random()`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }

    /// `random.getrandbits(k)` for `k` <= 32.
    fn getrandbits(&mut self, k: u32) -> u32 {
        self.0.random() >> (32 - k)
    }

    /// `random._randbelow(n)`: a number in `0..n`, by rejection.
    fn randbelow(&mut self, n: usize) -> usize {
        let k = usize::BITS - n.leading_zeros();
        loop {
            let r = self.getrandbits(k) as usize;
            if r < n {
                return r;
            }
        }
    }

    /// `random.shuffle(items)`: Fisher-Yates from the end.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.randbelow(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, Tensor};

    #[test]
    fn exponentials_are_torchs() {
        let n = 100_000; // 320 twists of the state
        for seed in [0, 1, 42, 2_147_483_647, -1, (1 << 40) + 9] {
            let mut ours = TorchGenerator::new(seed);
            // Tensor.exponential_() (rate 1): -log1p(-u) in float64, rounded to the tensor's type
            let draws: Vec<f64> = (0..n).map(|_| -(-ours.uniform()).ln_1p()).collect();
            for kind in [Kind::Float, Kind::Double] {
                let theirs = with_torch_seed(seed, || {
                    Tensor::empty([n as i64], (kind, Device::Cpu)).exponential_(1.0)
                });
                let theirs = Vec::<f64>::try_from(theirs.to_kind(Kind::Double)).unwrap();
                for (i, (a, b)) in draws.iter().zip(&theirs).enumerate() {
                    let a = if kind == Kind::Float { *a as f32 as f64 } else { *a };
                    assert_eq!(a, *b, "seed {seed}, draw {i}, {kind:?}");
                }
            }
        }
    }

    #[test]
    fn random_modulo_is_torchs_randint() {
        // randint(high) below 2^28 takes `random() % high`: the training batches rely on it
        let mut ours = TorchGenerator::new(7);
        let draws: Vec<i64> = (0..5000).map(|_| i64::from(ours.random() % 31033)).collect();
        let theirs =
            with_torch_seed(7, || Tensor::randint(31033, [5000], (Kind::Int64, Device::Cpu)));
        assert_eq!(draws, Vec::<i64>::try_from(theirs).unwrap());
    }

    #[test]
    fn random_and_uniform_are_cpythons() {
        // what CPython 3.11 prints for `random.seed(42); [random.random() for _ in range(3)]`, ...
        let mut r = PythonRandom::new(42);
        let draws: Vec<f64> = (0..3).map(|_| r.random()).collect();
        assert_eq!(draws, [0.6394267984578837, 0.025010755222666936, 0.27502931836911926]);
        // ... `random.seed(2**40 + 5); [random.uniform(-1, 1) for _ in range(3)]` (a two-word key)
        let mut r = PythonRandom::new((1 << 40) + 5);
        let draws: Vec<f64> = (0..3).map(|_| r.uniform(-1.0, 1.0)).collect();
        assert_eq!(draws, [0.008760594083688567, -0.4627911200553436, 0.851573095134317]);
        // ... and the 701st `random.random()` after `random.seed(0)`, past a twist of the state
        let mut r = PythonRandom::new(0);
        let last = (0..701).map(|_| r.random()).last();
        assert_eq!(last, Some(0.6380736282281027));
    }
}
