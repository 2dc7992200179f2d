// Run by the project kernel at start (scripts/kernel.py sets EVCXR_CONFIG_DIR to this folder).
// Three things. One build per cell, below; and two for the process that runs the cells:
// - A tensor mistake in a cell prints like PyTorch's, one line and where it happened, instead of
//   libtorch's C++ frames and a Rust backtrace (evcxr sets RUST_BACKTRACE=1). `full_errors(true)`
//   in a cell brings all of it back.
// - Its stderr goes where its stdout goes. evcxr forwards stdout before it reports a cell done,
//   but stderr on a thread of its own, which can come after: then an error line (a `?` error, a
//   panic) is missing from the cell, about one time in 10-20 here.
//
// Both are set by a constructor: evcxr compiles this item into every cell, and the constructor
// runs whenever a cell's library loads. So they are back after an Interrupt, which restarts that
// process.
#[used]
#[cfg_attr(target_os = "linux", unsafe(link_section = ".init_array"))]
#[cfg_attr(target_os = "macos", unsafe(link_section = "__DATA,__mod_init_func"))]
static MAKEMORE_SHORT_PANICS: extern "C" fn() = {
    extern "C" fn install() {
        if std::env::var_os("MAKEMORE_SHORT_PANICS").is_some() {
            return; // once per process
        }
        full_errors(false);
        unsafe extern "C" {
            fn dup2(old: i32, new: i32) -> i32; // POSIX, in the C library every process has
        }
        // SAFETY: file descriptors 1 and 2 are open; 2 becomes a copy of 1
        unsafe { dup2(1, 2) };
        let full = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::env::var_os("MAKEMORE_SHORT_PANICS").is_some_and(|v| v == "0") {
                return full(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            // tch's infallible ops unwrap `Torch("<libtorch's message>\nException raised ...")`
            let short = match message.find("Torch(\"") {
                Some(i) => {
                    let rest = &message[i + 7..];
                    let end = rest.find("\\n").or_else(|| rest.rfind("\")")).unwrap_or(rest.len());
                    format!("RuntimeError: {}", rest[..end].replace("\\\"", "\""))
                }
                None => message.lines().next().unwrap_or_default().to_string(),
            };
            let at = info.location().map_or(String::new(), |l| {
                let file = l.file().rsplit(['/', '\\']).next().unwrap_or_default();
                format!(" at {file}:{}", l.line())
            });
            eprintln!("{short}\n(panicked{at}; `full_errors(true);` shows libtorch's report and a backtrace)");
        }));
    }
    install
};

/// `full_errors(true)`: a panic prints all it knows again, libtorch's C++ frames and a Rust
/// backtrace; `full_errors(false)`: one line (the default).
fn full_errors(on: bool) {
    // SAFETY: the kernel runs one cell at a time; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("MAKEMORE_SHORT_PANICS", if on { "0" } else { "1" }) }
}

/// One build per cell instead of two. evcxr compiles a cell that ends in an expression as
/// `(expr).evcxr_display();` and, when the type has no such method, compiles the whole cell again
/// with `format!("{:?}", &(expr))` in its place: about 0.2 s more for a cell like `words.len()`
/// (BENCHMARKS.md, "Phase by phase"). This gives every `Debug` type the method, printing what
/// that second build prints (text/plain, `{:?}`). A type with its own `evcxr_display` (the
/// crate's `Png`) keeps it: an inherent method comes before a trait's.
trait EvcxrDisplayDebug {
    fn evcxr_display(&self);
}
impl<T: std::fmt::Debug + ?Sized> EvcxrDisplayDebug for T {
    fn evcxr_display(&self) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "EVCXR_BEGIN_CONTENT text/plain\n{self:?}\nEVCXR_END_CONTENT\n");
    }
}

// evcxr lets `?` into cells only after one fails to build with it (E0277), then builds it again;
// when that first cell ends in `expr?`, the second build also shows the value with `{:?}`: a
// learner's first plot came out as `Png(800x450, 20135 bytes)`. One `?` here, when the kernel
// starts, lets it in before any cell.
Ok::<(), std::fmt::Error>(())?;
