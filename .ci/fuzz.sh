# Fuzzing (sourced by .ci/run; usable by hand: `source .ci/fuzz.sh; run_fuzz 60`).
# cargo-fuzz (libFuzzer) targets in fuzz/: Markdown rendering, excerpts, slugs, cursor
# decoding and search-query building, each with properties beyond "does not panic" (see
# the targets). CI runs each briefly; a longer run by hand finds more.
#
# The machine has one toolchain, stable; cargo-fuzz passes a few unstable compiler flags,
# which RUSTC_BOOTSTRAP=1 lets the stable compiler take. Without a sanitizer (Rust's own
# checks catch what ASan would in safe code), so no nightly runtime is needed.

CARGO_FUZZ_VERSION=0.13.2

run_fuzz() {
  local seconds=${1:-20} root rc=0
  root=$(pwd)
  # Built once per machine and version, outside the clone: a fresh clone would otherwise
  # spend minutes compiling it on every run. Installed into a directory of its own, then
  # renamed into place, so a run stopped half-way leaves nothing that looks finished.
  local cache=${COLOPHON_CI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/colophon-ci}
  local bin="$cache/cargo-fuzz-$CARGO_FUZZ_VERSION"
  if [ -x "$bin/bin/cargo-fuzz" ]; then
    echo "== cargo-fuzz $CARGO_FUZZ_VERSION from the cache ($bin)"
  else
    echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION into the cache ($bin)"
    mkdir -p "$cache"
    local partial
    partial=$(mktemp -d "$cache/cargo-fuzz.XXXXXX")
    cargo install --quiet --locked --root "$partial" cargo-fuzz --version "$CARGO_FUZZ_VERSION"
    mv -T "$partial" "$bin" 2>/dev/null || rm -rf "$partial" # another run got there first
  fi
  export PATH="$bin/bin:$PATH"
  echo "== fuzz: building the targets"
  # cargo-fuzz has no --locked; this refuses a fuzz/Cargo.lock that would need to change,
  # so CI builds the versions that are committed (and leaves the clone clean).
  (cd fuzz && cargo metadata --locked --format-version 1 >/dev/null) || {
    echo "FAIL fuzz/Cargo.lock is out of date: run \`cargo update --workspace\` in fuzz/ and commit it"
    return 1
  }
  (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none --dev) || return 1
  local log
  log=$(mktemp /tmp/colophon-fuzz.XXXXXX)
  for target in $(cd fuzz && cargo fuzz list); do
    echo "== fuzz: $target for ${seconds}s"
    rm -rf "fuzz/artifacts/$target"
    if (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --dev "$target" -- \
        -max_total_time="$seconds" >"$log" 2>&1); then
      grep -E "^Done" "$log"
    else
      echo "FAIL fuzz target $target broke on an input kept in fuzz/artifacts/$target:"
      grep -E -A8 "panicked|ERROR" "$log" | head -40
      rc=1
    fi
  done
  rm -f "$log"
  return $rc
}
