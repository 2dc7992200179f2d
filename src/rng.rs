//! Torch's default CPU generator is one per process. A seeded call (seed, then draw) must not
//! interleave with another thread's, or both get other numbers than the seed promises: the
//! crate's seeded functions (`sample`, `NeuralModel::new`, `Split::new`) hold this lock while
//! they seed and draw.

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
