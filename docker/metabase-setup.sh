#!/bin/sh
# One-shot: first-run setup of Metabase with the warehouse marts as its only database,
# connected as the read-only swdw_bi role. Idempotent: does nothing once Metabase is set up.
set -eu
MB="${MB_URL:-http://metabase:3000}"

props=$(curl -fsS "$MB/api/session/properties")
case "$props" in
  *'"has-user-setup":true'*) echo "metabase already set up"; exit 0 ;;
esac
token=$(printf '%s' "$props" | sed -n 's/.*"setup-token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "metabase: no setup token" >&2; exit 1; }

# values are interpolated into JSON: keep passwords free of double quotes and backslashes
body=$(cat <<JSON
{"token": "$token",
 "user": {"first_name": "swdw", "last_name": "admin", "email": "$MB_ADMIN_EMAIL",
          "password": "$MB_ADMIN_PASSWORD", "site_name": "swdw"},
 "prefs": {"site_name": "swdw social-work marts", "site_locale": "zh", "allow_tracking": false},
 "database": {"engine": "postgres", "name": "swdw marts", "is_full_sync": true,
              "details": {"host": "postgres", "port": 5432, "dbname": "swdw",
                          "user": "swdw_bi", "password": "$SWDW_BI_PASSWORD", "ssl": false,
                          "schema-filters-type": "inclusion", "schema-filters-patterns": "marts"}}}
JSON
)
curl -fsS -X POST -H 'Content-Type: application/json' --data "$body" "$MB/api/setup" > /dev/null
echo "metabase set up: database 'swdw marts' (schema marts, role swdw_bi)"
