//! A network's hyperparameters, by name. Each type declares its own in its [`super::Spec`]
//! ([`Hyper`]: a name, a default, what values it takes); a [`ModelConfig`] holds values by name,
//! and [`ModelConfig::for_type`] makes the config a type is built with: its defaults, the values
//! given for the names it declares, checked. Model files store them by name too.

use std::collections::BTreeMap;

use super::ModelType;
use crate::error::{Error, Result};

/// One hyperparameter a type of model declares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyper {
    /// Its name in configs, model files and (with dashes) flags: `"n_embd"`.
    pub name: &'static str,
    /// Its value unless told otherwise.
    pub default: f64,
    /// What values it takes.
    pub range: Range,
}

/// The values a [`Hyper`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// A whole number, at least 1: a width, a count of layers.
    Size,
    /// A probability in [0, 1): dropout's.
    Probability,
}

impl Hyper {
    /// A size of `default`.
    pub const fn size(name: &'static str, default: usize) -> Hyper {
        Hyper { name, default: default as f64, range: Range::Size }
    }

    /// The same hyperparameter with another default (part 5's wavenet: `N_LAYER.or(3)`).
    pub const fn or(self, default: usize) -> Hyper {
        Hyper { default: default as f64, ..self }
    }

    fn check(&self, value: f64) -> Result<()> {
        let (ok, why, hint) = match self.range {
            Range::Size => (
                value >= 1.0 && value.fract() == 0.0,
                "it must be a whole number, at least 1",
                "leave it out for the type's default",
            ),
            Range::Probability => (
                (0.0..1.0).contains(&value),
                "it is a probability below 1",
                "use 0 (none) to 0.5; gpt.py's is 0.2",
            ),
        };
        match ok {
            true => Ok(()),
            false => Err(Error::param(self.name, value, why, hint)),
        }
    }
}

/// makemore.py's `ModelConfig`, shared by its networks (each uses the sizes it needs), with its
/// defaults.
pub const N_LAYER: Hyper = Hyper::size("n_layer", 4);
pub const N_HEAD: Hyper = Hyper::size("n_head", 4);
pub const N_EMBD: Hyper = Hyper::size("n_embd", 64);
pub const N_EMBD2: Hyper = Hyper::size("n_embd2", 64);
/// The chance that dropout zeroes a value in training (the GPT lecture's); 0 turns it off.
pub const DROPOUT: Hyper = Hyper { name: "dropout", default: 0.0, range: Range::Probability };

/// makemore.py's sizes: a type without one of them ignores a value given for it, as
/// makemore.py's networks ignore the sizes they do not use.
const SHARED: [&str; 4] = [N_LAYER.name, N_HEAD.name, N_EMBD.name, N_EMBD2.name];

/// Hyperparameters by name. Empty (the default) means every type's own defaults.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelConfig(BTreeMap<&'static str, f64>);

impl ModelConfig {
    /// The values a model of `kind` has unless told otherwise: its type's defaults.
    pub fn of(kind: ModelType) -> ModelConfig {
        ModelConfig(kind.spec().hypers.iter().map(|h| (h.name, h.default)).collect())
    }

    /// This config with `name` set to `value` (checked when a type is built with it).
    #[must_use]
    pub fn with(mut self, name: &'static str, value: impl Into<f64>) -> ModelConfig {
        self.0.insert(name, value.into());
        self
    }

    /// The values given: `(name, Some(value))`; `None` is a value left to the type.
    pub fn given(values: impl IntoIterator<Item = (&'static str, Option<f64>)>) -> ModelConfig {
        ModelConfig(values.into_iter().filter_map(|(n, v)| Some((n, v?))).collect())
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.get(name).copied()
    }

    /// The size `name` (0 if not set: a type is built with a config of its own names).
    pub fn size(&self, name: &str) -> usize {
        self.get(name).map_or(0, |v| v as usize)
    }

    /// Every value, by name in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.0.iter().map(|(&n, &v)| (n, v))
    }

    /// The config a model of `kind` is built with: its type's defaults, replaced by the values
    /// given here for the names it declares, each checked, then the type's own check.
    ///
    /// # Errors
    /// [`Error::Param`] for a value outside its range, a hyperparameter the type does not have
    /// (but makemore.py's sizes, which its networks ignore when unused, as makemore.py does), or
    /// what the type's own check refuses.
    pub fn for_type(&self, kind: ModelType) -> Result<ModelConfig> {
        let spec = kind.spec();
        let mut cfg = ModelConfig::of(kind);
        for (name, value) in self.iter() {
            match spec.hypers.iter().find(|h| h.name == name) {
                Some(h) => {
                    h.check(value)?;
                    cfg.0.insert(h.name, value);
                }
                None if SHARED.contains(&name) => {}
                None => {
                    let has: Vec<_> = ModelType::all()
                        .filter(|k| k.spec().hypers.iter().any(|h| h.name == name))
                        .map(ModelType::name)
                        .collect();
                    return Err(Error::Param {
                        name,
                        value: value.to_string(),
                        why: "the model type has no such hyperparameter",
                        hint: format!("it is one of {}'s; leave it out for {kind}", has.join(", ")),
                    });
                }
            }
        }
        (spec.check)(&cfg)?;
        Ok(cfg)
    }

    /// The defaults of `name` across the types, for help texts: `"4; wavenet: 3"` (the most
    /// common value first, then the types that differ).
    pub fn defaults_of(name: &str) -> String {
        let mut by_value: Vec<(f64, Vec<&str>)> = Vec::new();
        for kind in ModelType::all() {
            if let Some(h) = kind.spec().hypers.iter().find(|h| h.name == name) {
                match by_value.iter_mut().find(|(v, _)| *v == h.default) {
                    Some((_, kinds)) => kinds.push(kind.name()),
                    None => by_value.push((h.default, vec![kind.name()])),
                }
            }
        }
        by_value.sort_by_key(|(_, kinds)| std::cmp::Reverse(kinds.len()));
        let mut parts = by_value.iter().map(|(v, kinds)| format!("{}: {v}", kinds.join(", ")));
        let first = by_value.first().map(|(v, _)| v.to_string()).unwrap_or_default();
        parts.next();
        std::iter::once(first).chain(parts).collect::<Vec<_>>().join("; ")
    }
}

/// No checks but each hyperparameter's own.
pub(super) fn no_check(_: &ModelConfig) -> Result<()> {
    Ok(())
}

/// Attention's check: the heads split `n_embd` evenly.
pub(super) fn heads_split(cfg: &ModelConfig) -> Result<()> {
    let n_head = cfg.size("n_head");
    match cfg.size("n_embd").is_multiple_of(n_head) {
        true => Ok(()),
        false => Err(Error::param(
            "n_head",
            n_head,
            "the heads must split n_embd evenly",
            "pick n_head dividing n_embd, e.g. 4 heads for n_embd 64",
        )),
    }
}
