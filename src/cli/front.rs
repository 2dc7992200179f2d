//! `makemore`, the command a user types. `makemore bpe ...` runs here, in a process that never
//! loads libtorch: a tokenizer has no use for it, and loading it (hundreds of megabytes of shared
//! libraries) takes longer than training a tokenizer on a book. Every other command is the
//! program beside this one, `makemore-torch` (src/cli/main.rs), which this process becomes
//! (`exec`: the same process id, arguments, standard streams and exit status).
//!
//! Nothing here may use the `makemore` crate (it links libtorch): only `makemore_bpe`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bpe;

/// The `bpe` command alone (its help and errors are those of `makemore-torch bpe`).
#[derive(Parser)]
#[command(name = "makemore", version)]
struct Front {
    #[command(subcommand)]
    command: FrontCommand,
}

#[derive(Subcommand)]
enum FrontCommand {
    #[command(about = bpe::ABOUT)]
    Bpe(bpe::BpeArgs),
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).is_none_or(|a| a != "bpe") {
        return torch(&args);
    }
    let FrontCommand::Bpe(a) = Front::parse().command;
    match bpe::run(&a.command, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_closed_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Becomes `makemore-torch`, the program beside this one (cargo builds and installs both there),
/// with the same arguments and the same name in its usage lines (`args[0]`); elsewhere than on
/// Unix, runs it and passes its exit status on.
fn torch(args: &[OsString]) -> ExitCode {
    let name = format!("makemore-torch{}", std::env::consts::EXE_SUFFIX);
    let program =
        std::env::current_exe().map_or(PathBuf::from(&name), |me| me.with_file_name(&name));
    let mut command = std::process::Command::new(&program);
    command.args(args.iter().skip(1));
    #[cfg(unix)]
    let e = {
        use std::os::unix::process::CommandExt;
        command.arg0(args.first().map_or(OsString::from("makemore"), OsString::clone)).exec()
    };
    #[cfg(not(unix))]
    let e = match command.status() {
        Ok(status) => return ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => e,
    };
    let hint = "`cargo build` and `cargo install --path .` put it beside makemore";
    eprintln!("error: cannot run {}: {e} (hint: {hint})", program.display());
    ExitCode::FAILURE
}
