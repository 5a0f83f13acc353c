#!/usr/bin/env bash
# Smoke test against real Dapr: builds the services once, starts the five apps with
# `dapr run -f .` (dapr.yaml, the default Redis components, so `dapr init` must have run),
# drives one order of each outcome with curl, checks where each one ends, prints a table and
# stops everything again.
# Exit 0 when every outcome matches (or when the Dapr CLI is not installed: "skipped"),
# 1 on a mismatch, 2 when the build fails or the apps do not come up.
#
#   scripts/smoke.sh                # from anywhere; it runs from the repository root
#   SMOKE_TIMEOUT=300 scripts/smoke.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v dapr >/dev/null 2>&1; then
  echo "smoke: the Dapr CLI (dapr) is not on PATH, so there is nothing to run against."
  echo "smoke: install it (https://docs.dapr.io/getting-started/install-dapr-cli/) and run 'dapr init'."
  echo "skipped"
  exit 0
fi
if ! command -v curl >/dev/null 2>&1; then
  echo "smoke: curl is needed to drive the apps" >&2
  exit 2
fi

# Seconds to wait for the apps to come up and for each order to end; real brokers and cron
# ticks (the outbox sweep runs every 5 s) take real time.
startup_timeout="${SMOKE_TIMEOUT:-300}"
order_timeout="${SMOKE_ORDER_TIMEOUT:-120}"

order_url=http://localhost:5101
inventory_url=http://localhost:5102
payment_url=http://localhost:5103
delivery_url=http://localhost:5104
process_url=http://localhost:5105

log_file="$(mktemp -t daprsaga-smoke.XXXXXX.log)"
body_file="$(mktemp -t daprsaga-smoke-body.XXXXXX)"
dapr_pid=""

stop_everything() {
  # Stops the apps and sidecars of this run file only; then our own `dapr run` if still there.
  dapr stop -f . >/dev/null 2>&1 || true
  if [[ -n "$dapr_pid" ]] && kill -0 "$dapr_pid" 2>/dev/null; then
    kill "$dapr_pid" 2>/dev/null || true
    wait "$dapr_pid" 2>/dev/null || true
  fi
  rm -f "$body_file"
}
trap stop_everything EXIT

# field JSON NAME: the top-level string field NAME of a JSON object ("" when absent or null).
field() {
  if command -v jq >/dev/null 2>&1; then
    jq -r --arg name "$2" '.[$name] // empty | tostring' <<<"$1" 2>/dev/null || true
  else
    # No jq: good enough for the flat string fields read here (status, cancellationReason, orderId).
    sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" <<<"$1" | head -n 1
  fi
}

# get URL: the body of a GET ("" when it does not answer 2xx).
get() {
  curl -sf --max-time 10 "$1" 2>/dev/null || true
}

# post URL [JSON]: prints the status code (000 when nothing answered); the body is left in $body_file.
post() {
  local code
  : >"$body_file"
  if [[ -n "${2:-}" ]]; then
    code=$(curl -s --max-time 10 -o "$body_file" -w '%{http_code}' -X POST "$1" -H 'Content-Type: application/json' -d "$2") || true
  else
    code=$(curl -s --max-time 10 -o "$body_file" -w '%{http_code}' -X POST "$1") || true
  fi
  echo "${code:-000}"
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND once a second until it succeeds.
wait_until() {
  local seconds="$1" what="$2"
  local deadline=$((SECONDS + seconds))
  shift 2
  until "$@"; do
    if ((SECONDS >= deadline)); then
      echo "smoke: gave up waiting for $what after ${seconds} s" >&2
      return 1
    fi
    sleep 1
  done
}

# answers URL: whether a GET of URL answers 2xx.
answers() { curl -sf --max-time 5 -o /dev/null "$1"; }

# As the README runs it: daprd takes its tokens from this shell's environment (the run file's
# `env` reaches only the apps), and the apps inherit the same two.
if [[ -z "${DAPR_API_TOKEN:-}" ]]; then DAPR_API_TOKEN=$(openssl rand -hex 16); fi
if [[ -z "${APP_API_TOKEN:-}" ]]; then APP_API_TOKEN=$(openssl rand -hex 16); fi
export DAPR_API_TOKEN APP_API_TOKEN

# Built once here, as the README's run command does: dapr.yaml starts the apps without building,
# since five concurrent builds of the shared projects collide.
echo "smoke: dotnet build DaprSaga.Services.slnf"
if ! dotnet build DaprSaga.Services.slnf >"$log_file" 2>&1; then
  tail -n 40 "$log_file" >&2 || true
  echo "smoke: the build failed; see $log_file" >&2
  exit 2
fi

echo "smoke: dapr run -f . (log: $log_file)"
dapr run -f . >>"$log_file" 2>&1 &
dapr_pid=$!

apps_up() {
  kill -0 "$dapr_pid" 2>/dev/null || { echo "smoke: dapr run exited; see $log_file" >&2; exit 2; }
  for url in "$order_url" "$inventory_url" "$payment_url" "$delivery_url" "$process_url"; do
    answers "$url/healthz" || return 1
  done
  # Each service seeds its demo data at start (docs/architecture.md, Demo data).
  answers "$inventory_url/products/unobtainium" && answers "$payment_url/customers/carol" &&
    answers "$delivery_url/couriers/c-east-1"
}
if ! wait_until "$startup_timeout" "the five apps and their demo data" apps_up; then
  tail -n 40 "$log_file" >&2 || true
  exit 2
fi
echo "smoke: all five apps are up"

# order BASE PATH CUSTOMER PRODUCT QUANTITY PRICE ZONE AUTO: starts an order, prints its id.
order() {
  local json code
  json=$(printf '{"customerId":"%s","items":[{"productId":"%s","quantity":%s,"unitPrice":%s}],"deliveryZone":"%s","autoConfirmPayment":%s}' \
    "$3" "$4" "$5" "$6" "$7" "$8")
  code=$(post "$1$2" "$json")
  if [[ "$code" != 202 ]]; then
    echo "smoke: POST $1$2 answered $code: $(cat "$body_file")" >&2
    echo ""
    return
  fi
  field "$(cat "$body_file")" orderId
}

# outcome URL: "Status/Reason" of an order or order process ("Status" alone without a reason).
outcome() {
  local body status reason
  body=$(get "$1")
  status=$(field "$body" status)
  reason=$(field "$body" cancellationReason)
  if [[ -n "$reason" ]]; then echo "$status/$reason"; else echo "$status"; fi
}

is_terminal() {
  case "$(outcome "$1")" in Completed | Cancelled*) return 0 ;; *) return 1 ;; esac
}

declare -a rows=()
failures=0

# check NAME ID URL EXPECTED: waits for a terminal outcome at URL and records a table row.
check() {
  local name="$1" id="$2" url="$3" expected="$4" actual
  if [[ -z "$id" ]]; then
    actual="(not started)"
  else
    wait_until "$order_timeout" "$name to end" is_terminal "$url" || true
    actual=$(outcome "$url")
  fi
  if [[ "$actual" == "$expected" ]]; then
    rows+=("$(printf '%-20s %-36s %-30s %-30s %s' "$name" "${id:--}" "$expected" "$actual" ok)")
  else
    rows+=("$(printf '%-20s %-36s %-30s %-30s %s' "$name" "${id:--}" "$expected" "${actual:-(none)}" MISMATCH)")
    failures=$((failures + 1))
  fi
}

# Demo data and outcomes of docs/architecture.md. Choreography orders go to order-service.
happy=$(order "$order_url" /orders alice widget 2 10.00 north true)
out_of_stock=$(order "$order_url" /orders alice unobtainium 1 500.00 north true)
price_changed=$(order "$order_url" /orders alice widget 2 9.00 north true)
no_credit=$(order "$order_url" /orders bob gizmo 1 99.00 north true)
no_courier=$(order "$order_url" /orders alice widget 2 10.00 west true)
customer_cancel=$(order "$order_url" /orders alice widget 1 10.00 north false)
# The orchestrated flow: order-process-service drives the participants itself.
orchestrated=$(order "$process_url" /order-processes alice widget 2 10.00 north true)

# The customer cancels once the order waits for the payment.
awaiting_payment() { [[ "$(outcome "$order_url/orders/$1")" == AwaitingPayment ]]; }
if [[ -n "$customer_cancel" ]]; then
  if wait_until "$order_timeout" "order $customer_cancel to await its payment" awaiting_payment "$customer_cancel"; then
    code=$(post "$order_url/orders/$customer_cancel/cancel")
    [[ "$code" == 202 ]] || echo "smoke: POST /orders/$customer_cancel/cancel answered $code: $(cat "$body_file")" >&2
  fi
fi

check "happy" "$happy" "$order_url/orders/$happy" Completed
check "out of stock" "$out_of_stock" "$order_url/orders/$out_of_stock" Cancelled/OutOfStock
check "price changed" "$price_changed" "$order_url/orders/$price_changed" Cancelled/PriceChanged
check "insufficient credit" "$no_credit" "$order_url/orders/$no_credit" Cancelled/InsufficientCredit
check "no courier" "$no_courier" "$order_url/orders/$no_courier" Cancelled/NoCourierAvailable
check "customer cancel" "$customer_cancel" "$order_url/orders/$customer_cancel" Cancelled/CustomerCancelled
check "orchestrated happy" "$orchestrated" "$process_url/order-processes/$orchestrated" Completed
check "orchestrated order" "$orchestrated" "$order_url/orders/$orchestrated" Completed

# A customer who reaches payment-service's port directly cannot void (refund) a completed order:
# participant commands are served only to order-process-service's calls through Dapr.
if [[ -n "$happy" ]]; then
  code=$(post "$payment_url/payments/$happy/void" '{}')
  payment=$(outcome "$payment_url/payments/$happy")
  if [[ ("$code" == 401 || "$code" == 403) && "$payment" == Confirmed ]]; then
    rows+=("$(printf '%-20s %-36s %-30s %-30s %s' "direct void refused" "$happy" "401|403, Confirmed" "$code, $payment" ok)")
  else
    rows+=("$(printf '%-20s %-36s %-30s %-30s %s' "direct void refused" "$happy" "401|403, Confirmed" "$code, $payment" MISMATCH)")
    failures=$((failures + 1))
  fi
fi

echo
printf '%-20s %-36s %-30s %-30s %s\n' case "order id" expected actual result
printf '%s\n' "${rows[@]}"
echo

if ((failures > 0)); then
  echo "smoke: $failures mismatch(es); dapr run log: $log_file" >&2
  exit 1
fi
echo "smoke: all outcomes as expected"
rm -f "$log_file"
