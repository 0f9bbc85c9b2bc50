#!/usr/bin/env bash
# Sealer throughput and `audit verify` speed on N audit events (default 1,000,000) in a
# scratch PostgreSQL database. Usage: benchmarks/audit_chain.sh [N]
set -euo pipefail
EVENTS="${1:-1000000}"
BASE_URL="${CUSTOMER_REGISTRY_BENCH_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/postgres}"
DATABASE="cr_bench_chain_$$"
PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -q)

"${PSQL[@]}" -d postgres -c "CREATE DATABASE $DATABASE"
trap '"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)"' EXIT
export CUSTOMER_REGISTRY_DATABASE_URL="${BASE_URL%/*}/$DATABASE"
export CUSTOMER_REGISTRY_SECRET_KEY="benchmark-secret-key-that-is-long-enough-0123"
customer-registry migrate >/dev/null

"${PSQL[@]}" -d "$DATABASE" -c "
INSERT INTO audit_events (occurred_at, action, actor_type, actor_id, actor_role, entity,
                          entity_id, customer_id, fields, request_id, client_address, purpose)
SELECT now() - make_interval(secs => $EVENTS - n), 'read', 'user', 'actor-' || (n % 50),
       'staff', 'customer', gen_random_uuid()::text, gen_random_uuid(),
       '[\"email\", \"first_name\", \"last_name\"]', md5(n::text), '10.0.0.' || (n % 250), NULL
FROM generate_series(1, $EVENTS) AS n"
"${PSQL[@]}" -d "$DATABASE" -c "ANALYZE audit_events"

echo "== seal $EVENTS events"
start=$(date +%s.%N)
customer-registry audit seal
end=$(date +%s.%N)
python3 -c "print(f'sealer: {$EVENTS / ($end - $start):,.0f} events/s ({$end - $start:.1f} s, CLI start included)')"

echo "== verify"
customer-registry audit verify --quiet
