# Outside test suites against a real server on a throw-away database (sourced by .ci/run
# after the Rust tests; usable by hand: `source .ci/outside-suites.sh; run_outside_suites`).
# Tools install from their registries at pinned versions: npm from .ci/tools/package-lock.json,
# PyPI from .ci/tools/requirements.txt (in .ci/tools/.venv).
#
# The server runs on PostgreSQL when $PG_URL names one (as in .ci/run), else on a temporary
# SQLite file. With the corpus (COLOPHON_CORPUS, or ../shared/fixtures/blog-corpus.json) the
# database starts empty and the front-end script loads the 111 articles through the
# GraphQL mutations before anything else runs; without it the server serves its demo content.

SUITE_SECRET=outside-suites-secret-outside-suites

run_outside_suites() {
  local root suite_dir port pid url db_url corpus token demo="" rc=0
  root=$(pwd)
  echo "== installing pinned outside suites (npm ci, pip)"
  npm ci --prefix .ci/tools --no-audit --no-fund --loglevel=error
  python_tools
  # .ci/run has the binary from `cargo test`; by hand, build it.
  if [ -z "${COLOPHON_BINARY_BUILT:-}" ] || [ ! -x "$root/target/debug/colophon" ]; then
    cargo build --locked --quiet
  fi
  suite_dir=$(mktemp -d /tmp/colophon-suites.XXXXXX)
  if [ -n "${PG_URL:-}" ]; then
    local db="colophon_suites_$$"
    "$PG_BIN/psql" -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    db_url="${PG_URL%/*}/$db"
  else
    db_url="sqlite://$suite_dir/suites.db?mode=rwc"
  fi
  corpus=${COLOPHON_CORPUS:-$root/../shared/fixtures/blog-corpus.json}
  if [ ! -f "$corpus" ]; then
    echo "corpus not found at $corpus (set COLOPHON_CORPUS): the suites run on the demo content"
    corpus="" demo="--demo"
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The suites are one client hammering from 127.0.0.1: the per-client rate limits (tested in
  # tests/api/hardening.rs) would turn their requests into 429s.
  (cd "$suite_dir" && COLOPHON_JWT_SECRET=$SUITE_SECRET \
    COLOPHON_RATE_LIMIT_READS=off COLOPHON_RATE_LIMIT_AUTH=off exec "$root/target/debug/colophon" serve $demo --database-url "$db_url" --addr "127.0.0.1:$port" \
    >"$suite_dir/server.log" 2>&1) &
  pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$url/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  echo "== server on ${db_url%%:*} at $url"
  token=$(COLOPHON_JWT_SECRET=$SUITE_SECRET "$root/target/debug/colophon" token --sub outside-suites --role editor --ttl 2h)

  echo "== front-end operations are valid against schema.graphql (graphql-inspector)"
  .ci/tools/node_modules/.bin/graphql-inspector validate 'examples/operations/*.graphql' schema.graphql || rc=1
  echo "== front-end operations through @apollo/client${corpus:+ (loading the corpus first)}"
  node .ci/tools/frontend.mjs "$url/graphql" "$token" $corpus || rc=1
  echo "== live updates through the graphql-ws client (GraphQL over WebSocket)"
  node .ci/tools/live-client.mjs "$url" "$token" || rc=1
  echo "== graphql-http audit (GraphQL over HTTP)"
  node .ci/tools/graphql-audit.mjs "$url/graphql" || rc=1
  echo "== SDL drift (graphql-js)"
  node .ci/tools/sdl-drift.mjs "$url/graphql" schema.graphql || rc=1
  lint_openapi || rc=1
  # Last: schemathesis writes (and deletes) whatever it can.
  run_schemathesis "$url" "$token" || rc=1

  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if grep -q "panicked" "$suite_dir/server.log"; then
    echo "FAIL the server panicked during the suites:"; grep -A3 "panicked" "$suite_dir/server.log" | head -40; rc=1
  fi
  rm -rf "$suite_dir"
  return $rc
}

# The PyPI tools, in a venv that is rebuilt when requirements.txt changes.
python_tools() {
  local venv=.ci/tools/.venv
  if ! cmp -s .ci/tools/requirements.txt "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/tools/requirements.txt
    cp .ci/tools/requirements.txt "$venv/requirements.txt"
  fi
}

# schemathesis against openapi.yaml (every check, an editor token) and against /graphql.
# Runs are bounded by --max-examples, and by `timeout` in case the server hangs.
run_schemathesis() {
  local url=$1 token=$2 rc=0
  local st=(.ci/tools/.venv/bin/schemathesis --no-color --config-file .ci/tools/schemathesis.toml)
  local common=(--checks all -H "Authorization: Bearer $token" --max-examples 50 --seed 1
    --generation-database none)
  echo "== schemathesis: REST (openapi.yaml)"
  timeout 900 "${st[@]}" run openapi.yaml --url "$url" "${common[@]}" || rc=1
  echo "== schemathesis: GraphQL"
  PYTHONPATH=.ci/tools SCHEMATHESIS_HOOKS=schemathesis_hooks \
    timeout 900 "${st[@]}" run "$url/graphql" "${common[@]}" --exclude-checks positive_data_acceptance || rc=1
  return $rc
}

# The OpenAPI document through three linters: openapi-spec-validator (PyPI), Spectral's
# `spectral:oas` rules and Redocly's recommended-strict rules, warnings failing.
lint_openapi() {
  local rc=0
  python_tools
  echo "== openapi-spec-validator"
  .ci/tools/.venv/bin/openapi-spec-validator openapi.yaml || rc=1
  echo "== spectral (spectral:oas)"
  .ci/tools/node_modules/.bin/spectral lint openapi.yaml --ruleset .ci/tools/spectral.yaml --fail-severity warn || rc=1
  echo "== redocly (recommended-strict)"
  REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
    .ci/tools/node_modules/.bin/redocly lint openapi.yaml --config .ci/tools/redocly.yaml || rc=1
  return $rc
}
