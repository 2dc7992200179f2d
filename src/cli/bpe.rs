//! `makemore bpe`: the tokenizer lecture's byte-pair encoding on the command line. `train` writes
//! minbpe's `.model` and `.vocab` files; `encode` prints the ids of a text, `decode` writes the
//! bytes of ids, with a trained tokenizer or GPT-4's / GPT-2's (`cl100k_base`, `r50k_base`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
// makemore_bpe only, never makemore: this module is also the `makemore` front (src/cli/front.rs),
// which must not link libtorch
use makemore_bpe::files::{check_folder, parse_ids, read_stdin, read_stdin_text};
use makemore_bpe::{read_text, AllowedSpecial, BpeError, Pattern, Result, Tokenizer};

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
    Train(TrainBpe),
    /// Print the ids of a text (a file, or standard input), separated by spaces.
    Encode(EncodeBpe),
    /// Read ids from standard input (separated by spaces or lines); write the text's bytes.
    Decode(DecodeBpe),
}

/// How a text is split into chunks before merging (merges never cross chunks).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SplitPattern {
    /// GPT-4's split pattern (minbpe's RegexTokenizer default)
    Gpt4,
    /// GPT-2's split pattern
    Gpt2,
    /// no split: the whole text is one sequence of bytes (minbpe's BasicTokenizer)
    None,
}

#[derive(Debug, Args)]
pub struct TrainBpe {
    /// The text to train on: UTF-8
    #[arg(short, long, value_name = "FILE")]
    pub input: PathBuf,
    /// Tokens in the vocabulary: the 256 bytes, then one per merge
    #[arg(long, value_name = "N")]
    pub vocab_size: usize,
    /// How the text is split before merging
    #[arg(long, value_enum, default_value_t = SplitPattern::Gpt4)]
    pub pattern: SplitPattern,
    /// Where to write: PREFIX.model (to load) and PREFIX.vocab (to read)
    #[arg(short, long, value_name = "PREFIX")]
    pub output: PathBuf,
}

/// Which special tokens may appear in the text (minbpe's `allowed_special`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Specials {
    /// every special token of the tokenizer is encoded as its id
    All,
    /// special tokens are encoded as ordinary text
    None,
    /// a special token in the text is an error
    NoneRaise,
}

#[derive(Debug, Args)]
pub struct EncodeBpe {
    /// A .model file written by `makemore bpe train` (or minbpe), or cl100k_base (GPT-4) or
    /// r50k_base (GPT-2)
    #[arg(long, value_name = "MODEL")]
    pub tokenizer: String,
    /// The text to encode: UTF-8 [default: standard input]
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Special tokens in the text (GPT-4's <|endoftext|>, ...)
    #[arg(long, value_enum, default_value_t = Specials::NoneRaise)]
    pub allowed_special: Specials,
}

#[derive(Debug, Args)]
pub struct DecodeBpe {
    /// The tokenizer the ids came from: a .model file, cl100k_base or r50k_base
    #[arg(long, value_name = "MODEL")]
    pub tokenizer: String,
}

/// Runs a `bpe` command: what it prints goes to `out`.
pub fn run(command: &BpeCommand, out: &mut impl Write) -> Result<()> {
    match command {
        BpeCommand::Train(a) => {
            check_folder(&a.output.with_extension("model"))?;
            let text = read_text(&a.input)?;
            let pattern = match a.pattern {
                SplitPattern::Gpt4 => Some(Pattern::Gpt4),
                SplitPattern::Gpt2 => Some(Pattern::Gpt2),
                SplitPattern::None => None,
            };
            let mut tokenizer = Tokenizer::new(pattern)?;
            // a bar on a terminal, for trainings long enough to watch (a large text or vocab)
            let bar = std::io::stderr().is_terminal().then(|| {
                let bar = ProgressBar::new(a.vocab_size.saturating_sub(256) as u64);
                let style = ProgressStyle::with_template("{bar:25} {pos}/{len} merges ({elapsed})");
                bar.set_style(style.unwrap_or_else(|_| ProgressStyle::default_bar()));
                bar
            });
            let trained = tokenizer.train_with_progress(&text, a.vocab_size, |done, _| {
                if let Some(bar) = &bar {
                    bar.set_position(done as u64);
                }
            });
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            trained?;
            tokenizer.save(&a.output)?;
            let prefix = a.output.display();
            let merges = tokenizer.merges().len();
            writeln!(out, "{merges} merges: wrote {prefix}.model and {prefix}.vocab")
                .map_err(BpeError::output)
        }
        BpeCommand::Encode(a) => {
            let tokenizer = Tokenizer::named(&a.tokenizer)?;
            let text = match &a.input {
                Some(path) => read_text(path)?,
                None => read_stdin_text()?,
            };
            let allowed = match a.allowed_special {
                Specials::All => AllowedSpecial::All,
                Specials::None => AllowedSpecial::None,
                Specials::NoneRaise => AllowedSpecial::NoneRaise,
            };
            let ids = tokenizer.encode(&text, &allowed)?;
            let line: Vec<String> = ids.iter().map(u32::to_string).collect();
            writeln!(out, "{}", line.join(" ")).map_err(BpeError::output)
        }
        BpeCommand::Decode(a) => {
            let tokenizer = Tokenizer::named(&a.tokenizer)?;
            let ids = parse_ids(&String::from_utf8_lossy(&read_stdin()?))?;
            out.write_all(&tokenizer.decode_bytes(&ids)?).map_err(BpeError::output)
        }
    }
}
