//! `bipscope`: in the browser (wasm32 with the `web` feature) it starts the Yew app;
//! natively it is the command line.
#![forbid(unsafe_code)]

#[cfg(all(target_arch = "wasm32", feature = "web"))]
fn main() {
    bipscope::ui::start();
}

#[cfg(all(target_arch = "wasm32", not(feature = "web")))]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}
