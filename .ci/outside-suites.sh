# Outside test suites against a real server on a throw-away database (sourced by .ci/run
# after the Rust tests; usable by hand: `source .ci/outside-suites.sh; run_outside_suites`).
# Tools install from their registries at the versions pinned in .ci/tools/package-lock.json.

run_outside_suites() {
  local root suite_dir port pid url rc=0
  root=$(pwd)
  echo "== installing pinned outside suites (npm ci)"
  npm ci --prefix .ci/tools --no-audit --no-fund --loglevel=error
  cargo build --locked --quiet
  suite_dir=$(mktemp -d /tmp/colophon-suites.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  (cd "$suite_dir" && COLOPHON_JWT_SECRET=outside-suites-secret-outside-suites \
    exec "$root/target/debug/colophon" serve --demo --addr "127.0.0.1:$port" >"$suite_dir/server.log" 2>&1) &
  pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "== graphql-http audit (GraphQL over HTTP)"
  node .ci/tools/graphql-audit.mjs "$url/graphql" || rc=1
  echo "== SDL drift (graphql-js)"
  node .ci/tools/sdl-drift.mjs "$url/graphql" schema.graphql || rc=1
  lint_openapi || rc=1
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  rm -rf "$suite_dir"
  return $rc
}

# The OpenAPI document through three linters: openapi-spec-validator (PyPI, in a venv),
# Spectral's `spectral:oas` rules and Redocly's recommended-strict rules, warnings failing.
lint_openapi() {
  local rc=0
  echo "== openapi-spec-validator"
  if [ ! -x .ci/tools/.venv/bin/openapi-spec-validator ]; then
    python3 -m venv .ci/tools/.venv
    .ci/tools/.venv/bin/pip install --quiet --disable-pip-version-check openapi-spec-validator==0.9.0
  fi
  .ci/tools/.venv/bin/openapi-spec-validator openapi.yaml || rc=1
  echo "== spectral (spectral:oas)"
  .ci/tools/node_modules/.bin/spectral lint openapi.yaml --ruleset .ci/tools/spectral.yaml --fail-severity warn || rc=1
  echo "== redocly (recommended-strict)"
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    .ci/tools/node_modules/.bin/redocly lint openapi.yaml --config .ci/tools/redocly.yaml || rc=1
  return $rc
}
