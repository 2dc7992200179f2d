//! Renders the lecture's heatmap of bigram counts to docs/heatmap.png (the README's picture).
//! `cargo run --release --example heatmap` -> "wrote docs/heatmap.png (864x864)".
fn main() -> makemore::Result<()> {
    let words = makemore::read_words("data/names.txt")?;
    let vocab = makemore::Vocab::from_words(&words)?;
    let counts = makemore::count_bigrams(&words, &vocab)?;
    let png = makemore::heatmap(&counts, &vocab)?;
    png.save("docs/heatmap.png")?;
    println!("wrote docs/heatmap.png ({}x{})", png.width, png.height);
    Ok(())
}
