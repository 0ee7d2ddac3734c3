# The browser test's tools (sourced by .ci/run; usable by hand: `source .ci/browser.sh;
# install_browser`): Debian's Chromium, and playwright-core pinned in tests/e2e/package-lock.json.

install_browser() {
  if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "Chromium not found; installing the Debian package" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "Chromium not found at ${CHROMIUM:-/usr/bin/chromium}; install it (Debian: chromium)" >&2
      return 1
    fi
  fi
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
}
