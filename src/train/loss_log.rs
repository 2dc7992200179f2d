//! The loss log of a training run in its work dir: `losses.csv` and the curve `losses.png`.

use std::path::{Path, PathBuf};

use super::Losses;
use crate::error::Result;
use crate::plot::{line_plot, Png, Series};

/// The losses of a training run in its work dir: `losses.csv` (step, train and test loss) and
/// `losses.png`, the curve drawn from it; both rewritten atomically at every row.
#[derive(Debug)]
pub struct LossLog {
    csv: PathBuf,
    png: PathBuf,
    title: String,
    rows: Vec<(usize, Losses)>,
}

impl LossLog {
    /// The log in `dir`, with the rows of the steps before `step` that it holds (a resumed run
    /// continues it; a new run, `step` 0, starts it afresh).
    pub fn open(dir: &Path, title: &str, step: usize) -> LossLog {
        let csv = dir.join("losses.csv");
        let rows = std::fs::read_to_string(&csv)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split(',');
                let s: usize = f.next()?.parse().ok()?;
                let train = f.next()?.parse().ok()?;
                let test = f.next()?.parse().ok();
                (s < step).then_some((s, Losses { train, test }))
            })
            .collect();
        LossLog { csv, png: dir.join("losses.png"), title: title.to_string(), rows }
    }

    /// Adds a row and writes both files.
    ///
    /// # Errors
    /// As [`crate::io::write_atomic`] and [`line_plot`].
    pub fn push(&mut self, step: usize, losses: Losses) -> Result<()> {
        self.rows.push((step, losses));
        let mut text = "step,train_loss,test_loss\n".to_string();
        for (step, l) in &self.rows {
            let test = l.test.map_or(String::new(), |t| t.to_string());
            text += &format!("{step},{},{test}\n", l.train);
        }
        crate::io::write_atomic(&self.csv, text.as_bytes())?;
        self.plot()?.save(&self.png)
    }

    /// The curve: the train loss and, with a test set, the test loss, against the step.
    ///
    /// # Errors
    /// As [`line_plot`] (an empty log).
    pub fn plot(&self) -> Result<Png> {
        let steps: Vec<f64> = self.rows.iter().map(|(s, _)| *s as f64).collect();
        let column =
            |f: fn(&Losses) -> Option<f64>| self.rows.iter().filter_map(move |(_, l)| f(l));
        let mut series =
            vec![Series::new("train", steps.clone(), column(|l| Some(l.train)).collect())];
        if self.rows.iter().all(|(_, l)| l.test.is_some()) {
            series.push(Series::new("test", steps, column(|l| l.test).collect()));
        }
        let title = format!("{}: loss (mean negative log likelihood)", self.title);
        line_plot(&series, title.trim_start_matches(": "), "step", "loss", false)
    }
}
