//! How to train: makemore.py's options ([`TrainOptions`]) and the device to train on.

use tch::Device;

use crate::error::{Error, Result};

/// How to train; the default is [`TrainOptions::makemore_py`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainOptions {
    /// Words per step.
    pub batch_size: usize,
    /// AdamW's learning rate.
    pub learning_rate: f64,
    /// AdamW's weight decay: every step shrinks every weight by `lr * wd` of itself.
    pub weight_decay: f64,
    /// AdamW's decay rates of its moving averages of the gradient and of its square.
    pub betas: (f64, f64),
    /// Seeds torch's generator: the split, the initial weights and the batches.
    pub seed: i64,
    /// Where the model and the batches live.
    pub device: Device,
}

impl TrainOptions {
    /// makemore.py's: batches of 32 words, AdamW at 5e-4 with betas (0.9, 0.99) and weight
    /// decay 0.01, seed 3407.
    pub const fn makemore_py() -> TrainOptions {
        TrainOptions {
            batch_size: 32,
            learning_rate: 5e-4,
            weight_decay: 0.01,
            betas: (0.9, 0.99),
            seed: 3407,
            device: Device::Cpu,
        }
    }

    /// The GPT lecture's (`gpt.py`): batches of 16 windows, learning rate 1e-3, its seed
    /// (`torch.manual_seed(1337)`), and torch's AdamW: betas (0.9, 0.999), weight decay 0.01.
    pub const fn gpt_lecture() -> TrainOptions {
        let betas = (0.9, 0.999);
        TrainOptions {
            batch_size: 16,
            learning_rate: 1e-3,
            seed: 1337,
            betas,
            ..Self::makemore_py()
        }
    }

    pub(super) fn check(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::param(
                "batch size",
                0,
                "a step needs at least one word",
                "use 32, makemore.py's",
            ));
        }
        crate::error::non_negative("learning rate", self.learning_rate)?;
        crate::error::non_negative("weight decay", self.weight_decay)?;
        Ok(())
    }
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions::makemore_py()
    }
}

/// The device named `name`, as makemore.py's `--device` takes it: `cpu`, `cuda`, `cuda:N`, `mps`.
///
/// # Errors
/// [`Error::Param`] for an unknown name, or a device this machine or this build of makemore
/// cannot use.
pub fn parse_device(name: &str) -> Result<Device> {
    let cuda_hint = "use the cpu; for a GPU, build with MAKEMORE_CUDA=1 on a machine with an NVIDIA GPU and torch's CUDA wheel";
    let device = match name {
        "cpu" => Device::Cpu,
        "mps" => Device::Mps,
        "cuda" => Device::Cuda(0),
        _ => match name.strip_prefix("cuda:").and_then(|n| n.parse().ok()) {
            Some(n) => Device::Cuda(n),
            None => {
                return Err(Error::param(
                    "device",
                    name,
                    "it is not a device name",
                    "use cpu, cuda, cuda:N or mps",
                ))
            }
        },
    };
    match device {
        Device::Cuda(n) if n as i64 >= tch::Cuda::device_count() => {
            Err(Error::param("device", name, "no such CUDA device is available here", cuda_hint))
        }
        Device::Mps if !tch::utils::has_mps() => Err(Error::param(
            "device",
            name,
            "Apple's MPS is not available here",
            "use the cpu (MPS needs a Mac with Apple silicon)",
        )),
        _ => Ok(device),
    }
}
