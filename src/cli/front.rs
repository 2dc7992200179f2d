//! `makemore`, the command a user types. `makemore bpe ...` runs here, in a process that never
//! loads libtorch: a tokenizer has no use for it, and loading it (hundreds of megabytes of shared
//! libraries) takes longer than training a tokenizer on a book. Every other command is the
//! program beside this one, `makemore-torch` (src/cli/main.rs), which this process becomes
//! (`exec`: the same process id, arguments, standard streams and exit status).
//!
//! Nothing here may use the `makemore` crate (it links libtorch): only `makemore_bpe`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
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

/// Becomes `makemore-torch`, the program beside this one, with the same arguments (and the
/// same name in its usage lines: `args[0]`).
#[cfg(unix)]
fn torch(args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let program = sibling();
    let mut command = std::process::Command::new(&program);
    if let Some(name) = args.first() {
        command.arg0(name);
    }
    let e = command.args(args.iter().skip(1)).exec(); // returns only on failure
    cannot_run(&program, e)
}

/// Runs `makemore-torch`, the program beside this one, with the same arguments.
#[cfg(not(unix))]
fn torch(args: &[OsString]) -> ExitCode {
    let program = sibling();
    match std::process::Command::new(&program).args(args.iter().skip(1)).status() {
        Ok(status) => ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8),
        Err(e) => cannot_run(&program, e),
    }
}

/// `makemore-torch` in this program's folder (cargo builds and installs both there).
fn sibling() -> PathBuf {
    let name = format!("makemore-torch{}", std::env::consts::EXE_SUFFIX);
    match std::env::current_exe() {
        Ok(me) => me.with_file_name(name),
        Err(_) => PathBuf::from(name),
    }
}

fn cannot_run(program: &Path, e: std::io::Error) -> ExitCode {
    let hint = "`cargo build` and `cargo install --path .` put it beside makemore";
    eprintln!("error: cannot run {}: {e} (hint: {hint})", program.display());
    ExitCode::FAILURE
}
