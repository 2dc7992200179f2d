//! What the lectures write by hand, for their exercises and benchmarks to reuse, in their own
//! namespaces (the lecture's names, apart from the crate's [`crate::nn`] and [`crate::model`]):
//! part 2's MLP and its training loop ([`part2::Mlp`], [`part2::minibatch_sgd`],
//! [`part2::split_loss`]), parts 3 and 5's layers ([`layers`]), and part 1's exercises' tools
//! ([`tools::max_abs_diff`], [`tools::best_ms`]). The lectures' notebooks
//! (`part3_batchnorm/01_batchnorm`, `part5_wavenet/01_wavenet`) write the layers by hand in a
//! cell; the exercises and the benchmarks use these. Weights are drawn from torch's generator
//! (`manual_seed`), in the lecture's order.

pub mod layers;
pub mod part2;
pub mod tools;
