# bipscope — `make serve` serves the app at http://127.0.0.1:8080; `make test` runs every check.
# Both install what is missing first, and skip what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(PATH)

WASM_TARGET := wasm32-unknown-unknown
# The wasm-bindgen-cli version must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = { version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
TRUNK_VERSION := 0.21.14
APT_PACKAGES := chromium chromium-driver clang
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TEST_LOG := target/make-test.log

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER := wasm-bindgen-test-runner
# The browser suite runs ~40 tests in one page; the runner's default 20 s is too tight on a
# loaded 2-core machine.
export WASM_BINDGEN_TEST_TIMEOUT := 180
export CHROMEDRIVER := /usr/bin/chromedriver

.PHONY: serve test build setup-web setup-test rust-tools wasm-bindgen trunk apt-packages \
	fmt core-deps clippy test-native test-wasm release clean

serve: setup-web
	trunk serve

build: setup-web
	trunk build --release

test: setup-test
	@mkdir -p target && : > $(TEST_LOG)
	$(MAKE) --no-print-directory fmt core-deps clippy test-native test-wasm release
	@scripts/test-summary.sh $(TEST_LOG)

# ---- installs (idempotent) -------------------------------------------------------------

setup-web: rust-tools wasm-bindgen trunk
setup-test: setup-web apt-packages

rust-tools:
	@rustup target list --installed | grep -qx '$(WASM_TARGET)' || rustup target add $(WASM_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

wasm-bindgen:
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "wasm-bindgen $(WASM_BINDGEN_VERSION): present"; \
	else \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi

trunk:
	@if [ "$$(trunk --version 2>/dev/null)" = "trunk $(TRUNK_VERSION)" ]; then \
		echo "trunk $(TRUNK_VERSION): present"; \
	else \
		echo "installing trunk $(TRUNK_VERSION) (about 8 minutes)"; \
		cargo install trunk --version $(TRUNK_VERSION) --locked --force; \
	fi

apt-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
		echo "Debian packages present: $(APT_PACKAGES)"; \
	fi

# ---- checks ------------------------------------------------------------------------------

fmt:
	cargo fmt --check

# The protocol core must not pull any web crate. Two shims are pruned from the check:
# getrandom (ring needs a random source to compile for wasm32) and web-time (rustls'
# clock); the TLS sessions take their randomness and time from the world instead and
# never call them (src/net/tls.rs).
core-deps:
	@if cargo tree --no-default-features -e normal --target all --prefix none --prune getrandom --prune web-time | grep -E '^(yew|web-sys|gloo|wasm-bindgen)( |-)' ; then \
		echo "error: the protocol core depends on a web crate (above)"; exit 1; \
	else \
		echo "core dependency tree holds no web crate"; \
	fi

clippy:
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets --no-default-features -- -D warnings
	cargo clippy --target $(WASM_TARGET) --all-targets -- -D warnings

test-native:
	cargo test --no-default-features 2>&1 | tee -a $(TEST_LOG)
	cargo test 2>&1 | tee -a $(TEST_LOG)

test-wasm:
	cargo test --target $(WASM_TARGET) --test web 2>&1 | tee -a $(TEST_LOG)

release:
	trunk build --release
	@scripts/wasm-size.sh dist

clean:
	cargo clean
	rm -rf dist
