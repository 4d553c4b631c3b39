//! Prints `docs/options.md`; run through `scripts/gen-docs`.

fn main() {
    print!("{}", emperor_options::docs::options_markdown());
}
