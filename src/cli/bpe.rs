//! `makemore bpe`: the tokenizer lecture's byte-pair encoding on the command line. `train` writes
//! minbpe's `.model` and `.vocab` files; `encode` prints the ids of a text, `decode` writes the
//! bytes of ids, with a trained tokenizer or GPT-4's / GPT-2's (`cl100k_base`, `r50k_base`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
// makemore_bpe only, never makemore: this module is also the `makemore` front (src/cli/front.rs),
// which must not link libtorch
use makemore_bpe::files::{check_folder, parse_ids, read_stdin, read_stdin_text};
use makemore_bpe::{read_text, AllowedSpecial, BpeError, Result, Tokenizer};

/// The one-line help of `makemore bpe`, in both programs' usage (src/cli/front.rs, args.rs).
pub const ABOUT: &str =
    "Byte-pair encoding, as the tokenizer lecture's minbpe: train a tokenizer, encode, decode.";

#[derive(Debug, Args)]
pub struct BpeArgs {
    #[command(subcommand)]
    pub command: BpeCommand,
}

#[derive(Debug, Subcommand)]
pub enum BpeCommand {
    /// Train a tokenizer on a text; write PREFIX.model and PREFIX.vocab (minbpe's files).
    Train {
        /// The text to train on: UTF-8
        #[arg(short, long, value_name = "FILE")]
        input: PathBuf,
        /// Tokens in the vocabulary: the 256 bytes, then one per merge
        #[arg(long, value_name = "N")]
        vocab_size: usize,
        /// How the text is split before merging (merges never cross chunks): GPT-4's pattern
        /// (minbpe's RegexTokenizer default), GPT-2's, or none, the whole text as one sequence
        /// of bytes (minbpe's BasicTokenizer)
        #[arg(long, value_parser = Tokenizer::PATTERNS, default_value = Tokenizer::PATTERNS[0])]
        pattern: String,
        /// Where to write: PREFIX.model (to load) and PREFIX.vocab (to read)
        #[arg(short, long, value_name = "PREFIX")]
        output: PathBuf,
    },
    /// Print the ids of a text (a file, or standard input), separated by spaces.
    Encode {
        /// A .model file written by `makemore bpe train` (or minbpe), or cl100k_base (GPT-4) or
        /// r50k_base (GPT-2)
        #[arg(long, value_name = "MODEL")]
        tokenizer: String,
        /// The text to encode: UTF-8 [default: standard input]
        #[arg(short, long, value_name = "FILE")]
        input: Option<PathBuf>,
        /// Special tokens in the text (GPT-4's <|endoftext|>, ...): each encoded as its id, as
        /// ordinary text, or an error
        #[arg(long, value_parser = AllowedSpecial::NAMES, default_value = "none-raise")]
        allowed_special: String,
    },
    /// Read ids from standard input (separated by spaces or lines); write the text's bytes.
    Decode {
        /// The tokenizer the ids came from: a .model file, cl100k_base or r50k_base
        #[arg(long, value_name = "MODEL")]
        tokenizer: String,
    },
}

/// Runs a `bpe` command: what it prints goes to `out`.
pub fn run(command: &BpeCommand, out: &mut impl Write) -> Result<()> {
    match command {
        BpeCommand::Train { input, vocab_size, pattern, output } => {
            check_folder(&output.with_extension("model"))?;
            let text = read_text(input)?;
            let mut tokenizer = Tokenizer::with_pattern(pattern)?;
            // a bar on a terminal, for trainings long enough to watch (a large text or vocab)
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new(vocab_size.saturating_sub(256) as u64);
                let style = ProgressStyle::with_template("{bar:25} {pos}/{len} merges ({elapsed})");
                bar.set_style(style.unwrap_or_else(|_| ProgressStyle::default_bar()));
                bar
            });
            let trained = tokenizer.train_with_progress(&text, *vocab_size, |done, _| {
                bar.iter().for_each(|bar| bar.set_position(done as u64));
            });
            bar.iter().for_each(ProgressBar::finish_and_clear);
            trained?;
            tokenizer.save(output)?;
            let (merges, prefix) = (tokenizer.merges().len(), output.display());
            writeln!(out, "{merges} merges: wrote {prefix}.model and {prefix}.vocab")
                .map_err(BpeError::output)
        }
        BpeCommand::Encode { tokenizer, input, allowed_special } => {
            let tokenizer = Tokenizer::named(tokenizer)?;
            let text = match input {
                Some(path) => read_text(path)?,
                None => read_stdin_text()?,
            };
            let ids = tokenizer.encode(&text, &AllowedSpecial::named(allowed_special)?)?;
            let line: Vec<String> = ids.iter().map(u32::to_string).collect();
            writeln!(out, "{}", line.join(" ")).map_err(BpeError::output)
        }
        BpeCommand::Decode { tokenizer } => {
            let tokenizer = Tokenizer::named(tokenizer)?;
            let ids = parse_ids(&String::from_utf8_lossy(&read_stdin()?))?;
            out.write_all(&tokenizer.decode_bytes(&ids)?).map_err(BpeError::output)
        }
    }
}
