//! Random numbers as torch draws them.
//!
//! Torch's default CPU generator is one per process. A seeded call (seed, then draw) must not
//! interleave with another thread's, or both get other numbers than the seed promises: the
//! crate's seeded calls into torch (`NeuralModel::new`, `Split::new`, and `sample` for models
//! that are neither float32 nor float64) hold this lock while they seed and draw.
//!
//! `sample` itself draws from [`TorchGenerator`], a copy of that generator in Rust.

use std::sync::{Mutex, MutexGuard};

static GENERATOR: Mutex<()> = Mutex::new(());

/// Seeds torch's generator with `seed` (`tch::manual_seed`); until the returned guard is
/// dropped, no other seeded call of this crate touches the generator.
pub(crate) fn seed(seed: i64) -> MutexGuard<'static, ()> {
    // A panic in another thread's draw leaves nothing half-done here: ignore the poison.
    let guard = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    tch::manual_seed(seed);
    guard
}

/// Torch's CPU generator, step for step: the mt19937 engine of `at::CPUGeneratorImpl`, seeded
/// as `torch.manual_seed` seeds it, and the draws `Tensor.exponential_()` makes from it. Sampling
/// runs this copy instead of calling into torch 27 times a character: the numbers are the same
/// (the tests below check them against torch's, tests/sampling.rs the names they make), and
/// torch's own generator is left alone.
pub(crate) struct TorchGenerator {
    state: [u32; MT_N],
    /// The outputs of the current state, tempered; `next` is the first one not used yet.
    out: [u32; MT_N],
    next: usize,
}

const MT_N: usize = 624;
const MT_M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;

impl TorchGenerator {
    /// The generator after `torch.manual_seed(seed)`: mt19937 initialized with the seed's low
    /// 32 bits (`at::mt19937::init_with_uint32`).
    pub(crate) fn new(seed: i64) -> TorchGenerator {
        let mut state = [0u32; MT_N];
        state[0] = seed as u64 as u32;
        for j in 1..MT_N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        TorchGenerator {
            state,
            out: [0; MT_N],
            next: MT_N, // the first draw twists the state first, as torch's `left_ = 1` does
        }
    }

    /// The next state (mt19937's twist of all 624 words), tempered into `out` at once; with
    /// 8-wide vectors where the CPU has AVX2.
    fn refill(&mut self) {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.refill_avx2() };
            return;
        }
        self.refill_portable();
    }

    /// [`refill`](Self::refill) compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn refill_avx2(&mut self) {
        self.refill_portable();
    }

    #[inline(always)]
    fn refill_portable(&mut self) {
        let twist = |u: u32, v: u32| {
            let mixed = (u & 0x8000_0000) | (v & 0x7fff_ffff);
            (mixed >> 1) ^ if v & 1 == 1 { MATRIX_A } else { 0 }
        };
        let s = &mut self.state;
        for j in 0..MT_N - MT_M {
            s[j] = s[j + MT_M] ^ twist(s[j], s[j + 1]);
        }
        for j in MT_N - MT_M..MT_N - 1 {
            s[j] = s[j + MT_M - MT_N] ^ twist(s[j], s[j + 1]);
        }
        s[MT_N - 1] = s[MT_M - 1] ^ twist(s[MT_N - 1], s[0]);
        for (o, &y) in self.out.iter_mut().zip(s.iter()) {
            let mut y = y;
            y ^= y >> 11;
            y ^= (y << 7) & 0x9d2c_5680;
            y ^= (y << 15) & 0xefc6_0000;
            y ^= y >> 18;
            *o = y;
        }
        self.next = 0;
    }

    /// `generator->random()`: the next 32 bits.
    #[inline]
    pub(crate) fn random(&mut self) -> u32 {
        if self.next == MT_N {
            self.refill();
        }
        let y = self.out[self.next];
        self.next += 1;
        y
    }

    /// The next `n` words of [`random`](Self::random), as one slice: straight from the tempered
    /// state when it holds them all, else copied into `scratch`.
    #[inline]
    pub(crate) fn words<'a>(&'a mut self, n: usize, scratch: &'a mut Vec<u32>) -> &'a [u32] {
        if self.next + n <= MT_N {
            self.next += n;
            return &self.out[self.next - n..self.next];
        }
        scratch.clear();
        scratch.extend((0..n).map(|_| self.random()));
        scratch
    }

    /// A draw of `at::uniform_real_distribution<double>(0, 1)`, in `[0, 1)`.
    #[cfg(test)]
    pub(crate) fn uniform(&mut self) -> f64 {
        let hi = self.random();
        let lo = self.random();
        uniform(hi, lo)
    }
}

/// torch's `uniform_real<double>` of `random64()`, made of two draws `hi` then `lo`: its low 53
/// bits over 2^53, in `[0, 1)`.
#[inline]
pub(crate) fn uniform(hi: u32, lo: u32) -> f64 {
    let bits = (u64::from(hi & HI_BITS) << 32) | u64::from(lo);
    bits as i64 as f64 * (1.0 / (1u64 << 53) as f64) // exact: bits < 2^53
}

/// The bits of `hi` that [`uniform`] keeps: the top 21 of its 53.
const HI_BITS: u32 = (1 << 21) - 1;

/// `at::exponential_distribution<double>(1)` of a uniform draw `u`: `-log1p(-u)` in float64
/// (torch's CPU formula; `exponential_()` on a float32 tensor then rounds it to float32).
#[inline]
pub(crate) fn exponential(u: f64) -> f64 {
    -(-u).ln_1p() // torch: -1.0 / lambda * log1p(-u), lambda = 1
}

/// A float32 lower bound of [`exponential`]`(uniform(hi, lo))` from `hi` alone and without a
/// logarithm: `u >= (hi's 21 bits) / 2^21`, and `-ln(1 - u) = u + u²/2 + u³/3 + u⁴/4 + ...`,
/// every term positive, cut after four; computed in float32 and shrunk by 1e-6, far more than
/// the rounding of this sum and of `log1p` (below 1e-6 relative). So it is at most the float64
/// exponential, and at most that rounded to float32.
#[inline]
pub(crate) fn exponential_lower_bound(hi: u32) -> f32 {
    let u = (hi & HI_BITS) as i32 as f32 * (1.0 / (1u32 << 21) as f32); // exact
    u * (1.0 + u * (0.5 + u * (1.0 / 3.0 + u * 0.25))) * (1.0 - 1e-6)
}

/// A float64 upper bound of [`exponential`]`(uniform(hi, lo))` without a logarithm or a
/// division, for `u <= 1/2` (infinity above): `-ln(1 - u) = u + u²/2 + u³/3 + (u⁴/4 + u⁵/5 +
/// ...)`, the bracket is at most `u⁴/4 * (1 + u + u² + u³ + ...)`, and for `u <= 1/2` the sum
/// `u² + u³ + ...` is at most `2u²`; grown by 1e-12 for rounding.
#[inline]
pub(crate) fn exponential_upper_bound(hi: u32, lo: u32) -> f64 {
    let u = uniform(hi, lo);
    if u > 0.5 {
        return f64::INFINITY;
    }
    u * (1.0 + u * (0.5 + u * (1.0 / 3.0 + u * 0.25 * (1.0 + u * (1.0 + 2.0 * u))))) * (1.0 + 1e-12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind, Tensor};

    /// `n` draws of torch's `exponential_()` into a tensor of `kind`, after `manual_seed(seed)`,
    /// as float64.
    fn torch_exponentials(seed: i64, n: usize, kind: Kind) -> Vec<f64> {
        let _generator = super::seed(seed);
        let mut q = Tensor::empty([n as i64], (kind, Device::Cpu));
        let _ = q.exponential_(1.0);
        Vec::<f64>::try_from(q.to_kind(Kind::Double)).unwrap()
    }

    #[test]
    fn draws_the_same_numbers_as_torchs_generator() {
        let n = 100_000; // 160 refills of the state
        for seed in [0, 1, 42, 2_147_483_647, -1, (1 << 40) + 9] {
            let mut ours = TorchGenerator::new(seed);
            let draws: Vec<f64> = (0..n).map(|_| exponential(ours.uniform())).collect();
            let float = torch_exponentials(seed, n, Kind::Float);
            let double = torch_exponentials(seed, n, Kind::Double);
            for i in 0..n {
                assert_eq!(draws[i], double[i], "seed {seed}, draw {i}, float64");
                assert_eq!(
                    draws[i] as f32 as f64, float[i],
                    "seed {seed}, draw {i}, float32"
                );
            }
        }
    }

    #[test]
    fn the_bounds_hold_for_every_draw() {
        let mut generator = TorchGenerator::new(5);
        let mut all: Vec<(u32, u32)> = (0..1_000_000)
            .map(|_| (generator.random(), generator.random()))
            .collect();
        for hi in [0, 1, 2, 1 << 20, HI_BITS - 1, HI_BITS, u32::MAX] {
            all.extend([(hi, 0), (hi, 1), (hi, u32::MAX)]);
        }
        for (hi, lo) in all {
            let u = uniform(hi, lo);
            let q = exponential(u);
            let (low, up) = (exponential_lower_bound(hi), exponential_upper_bound(hi, lo));
            assert!(
                f64::from(low) <= q && low <= q as f32,
                "u = {u}: {low} > {q}"
            );
            assert!(up >= q && up as f32 >= q as f32, "u = {u}: {up} < {q}");
            if u > 1e-3 && u <= 0.5 {
                // tight enough to decide: within 2% below, 1% above
                assert!(f64::from(low) >= q * 0.98, "u = {u}: {low} far below {q}");
                assert!(up <= q * 1.01, "u = {u}: {up} far above {q}");
            }
        }
    }
}
