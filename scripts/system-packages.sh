#!/usr/bin/env bash
# The Debian packages the tests use beyond what uv installs, each with the probe that says it is
# there and what needs it. Run by `make test` (and so by .ci/run): silent and quick when all are
# present; installs the missing ones with apt-get when root; otherwise names them and the command
# to install them, and exits 1.
set -uo pipefail

PACKAGES=(chromium fonts-wqy-zenhei docker-compose dovecot-imapd redis-server)

# present PACKAGE: what the tests use from PACKAGE is on this machine
present() {
  case "$1" in
    chromium) command -v chromium ;;
    fonts-wqy-zenhei) fc-list :lang=zh | grep -q . ;;
    docker-compose) docker compose version || docker-compose version ;;
    dovecot-imapd) command -v dovecot ;;
    redis-server) command -v redis-server ;;
  esac >/dev/null 2>&1
}

# needed_by PACKAGE: why the tests need it
needed_by() {
  case "$1" in
    chromium) echo "the browser tests (validation pages, dashboards) drive Debian's chromium headless" ;;
    fonts-wqy-zenhei) echo "the dashboards are in Chinese: without a CJK font their screenshots show boxes" ;;
    docker-compose) echo "the tests validate docker-compose.yml (neither 'docker compose' nor docker-compose works)" ;;
    dovecot-imapd) echo "the mail intake tests read a real IMAP mailbox (tests/mail_servers.py starts dovecot)" ;;
    redis-server) echo "swdw airflow up --executor celery runs Redis as the Celery broker (tests/test_airflow_celery.py)" ;;
  esac
}

missing() {
  local package
  for package in "${PACKAGES[@]}"; do
    present "$package" || echo "$package"
  done
}

mapfile -t wanted < <(missing)
[ "${#wanted[@]}" -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing system packages for the tests: ${wanted[*]}"
  log=$(mktemp)
  if apt-get update -qq >"$log" 2>&1 \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${wanted[@]}" >>"$log" 2>&1; then
    rm -f "$log"
    mapfile -t wanted < <(missing)
    [ "${#wanted[@]}" -eq 0 ] && exit 0
    echo "apt-get installed them, but still missing: ${wanted[*]}" >&2
  else
    echo "apt-get could not install them:" >&2
    tail -n 20 "$log" >&2
    rm -f "$log"
  fi
fi

{
  echo "The tests need system packages that are missing:"
  for package in "${wanted[@]}"; do
    printf '  %-17s %s\n' "$package" "$(needed_by "$package")"
  done
  if command -v apt-get >/dev/null 2>&1; then
    echo "Install them (as root), then run make test again:"
    echo "  sudo apt-get install -y ${wanted[*]}"
  else
    echo "These are Debian's package names: install the equivalents, then run make test again."
  fi
} >&2
exit 1
