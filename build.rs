//! Gives every binary, test and bench of the crate an rpath to libtorch's folder, so they run
//! without LD_LIBRARY_PATH / DYLD_LIBRARY_PATH. torch-sys reports the folder as
//! `DEP_TCH_LIBTORCH_LIB`.
//!
//! Linux and macOS take the same flag: on macOS libtorch's dylibs have the install name
//! `@rpath/libtorch*.dylib`, and this LC_RPATH entry is what `@rpath` resolves to.
//!
//! Linux only: with `MAKEMORE_CUDA=1` at build time, binaries also link `libtorch_cuda`
//! explicitly: the linker drops it otherwise (nothing calls it by name), and libtorch then sees
//! no GPU.
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    println!("cargo:rerun-if-env-changed=MAKEMORE_CUDA");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        return;
    };
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "macos" {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    }
    let cuda = std::path::Path::new(&lib).join("libtorch_cuda.so");
    if os == "linux" && std::env::var("MAKEMORE_CUDA").as_deref() == Ok("1") && cuda.exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
