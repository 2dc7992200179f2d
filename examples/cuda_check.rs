//! Does the libtorch that makemore links see a GPU? Prints what it finds, then times one
//! one-hot training step of the lecture's bigram net on each device it can use.
//! `MAKEMORE_CUDA=1 cargo run --release --example cuda_check` -> "cuda available: true" on a
//! machine with a GPU and the CUDA wheel of torch (without MAKEMORE_CUDA=1 the linker drops
//! libtorch_cuda and libtorch sees no GPU; see build.rs).
use makemore::tch::{self, Device, Kind, Tensor};

fn main() {
    println!("cuda available: {}", tch::Cuda::is_available());
    println!("cuda devices: {}", tch::Cuda::device_count());
    println!("cudnn available: {}", tch::Cuda::cudnn_is_available());
    let mut devices = vec![Device::Cpu];
    if tch::Cuda::is_available() {
        devices.push(Device::Cuda(0));
    }
    for device in devices {
        // 228,146 one-hot rows @ W (27, 27): the lecture's forward and backward pass
        let xs = Tensor::randint(27, [228_146], (Kind::Int64, device));
        let ys = Tensor::randint(27, [228_146], (Kind::Int64, device));
        let w = Tensor::randn([27, 27], (Kind::Float, device)).set_requires_grad(true);
        let xenc = xs.one_hot(27).to_kind(Kind::Float);
        let start = std::time::Instant::now();
        let mut loss = 0.0;
        for _ in 0..10 {
            let logits = xenc.matmul(&w);
            let l = logits.cross_entropy_for_logits(&ys);
            l.backward();
            loss = l.double_value(&[]);
        }
        println!(
            "{device:?}: 10 steps in {:.1} ms, loss {loss:.4}",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}
