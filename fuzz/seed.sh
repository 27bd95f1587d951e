#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the test fixtures (tests/fixtures/events.ndjson, plan.json,
# plans/*.json). The corpora are generated, never committed: run this once before fuzzing,
# again after the fixtures change. Needs bash, jq, split and gzip.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../tests/fixtures"
corpus="$here/corpus"
events="$fixtures/events.ndjson"

for target in collector pretty filter plan reader pii; do
    mkdir -p "$corpus/$target"
done

# collector: one byte picking the endpoint (its index in ENDPOINTS, tests/invariants/mod.rs),
# then the body.
endpoint_byte() {
    case "$1" in
        track) printf '\x00' ;; identify) printf '\x01' ;; page) printf '\x02' ;;
        screen) printf '\x03' ;; group) printf '\x04' ;; alias) printf '\x05' ;;
        batch) printf '\x06' ;; *) printf '\x0f' ;;
    esac
}
n=0
while IFS= read -r line; do
    n=$((n + 1))
    type=$(jq -r '.type' <<<"$line")
    if ((n % 4 == 0)); then
        { endpoint_byte "$type"; printf '%s' "$line"; } >"$corpus/collector/single-$n"
    fi
    if ((n % 40 == 0)); then
        # Pretty-printed, as curl and Postman users send it.
        { endpoint_byte "$type"; jq . <<<"$line"; } >"$corpus/collector/pretty-$n"
    fi
    if ((n % 10 == 0)); then
        printf '%s' "$line" >"$corpus/pretty/line-$n"
    fi
    if ((n % 60 == 0)); then
        jq . <<<"$line" >"$corpus/pretty/indented-$n"
    fi
    if ((n % 3 == 0)); then
        printf '%s' "$line" >"$corpus/pii/line-$n"
    fi
done <"$events"
# Batches of 10 messages, one with a batch-level context and sentAt.
for start in 1 101 201 301 401 501; do
    { endpoint_byte batch; sed -n "${start},$((start + 9))p" "$events" | jq -cs '{batch: .}'; } \
        >"$corpus/collector/batch-$start"
done
{ endpoint_byte batch
  sed -n '1,5p' "$events" | jq -cs '{batch: ., context: {library: {name: "seed"}}, sentAt: "2026-11-22T12:00:00.000Z", writeKey: "wk_seed_0123456789"}'
} >"$corpus/collector/batch-envelope"

# filter: the examples of the filter language (src/filter/mod.rs) and event names.
i=0
while IFS= read -r query; do
    i=$((i + 1))
    printf '%s' "$query" >"$corpus/filter/query-$i"
done <<'EOF'
checkout
"Order Completed"
type:track
event:"Order Completed"
event:Order*  event:*Viewed
user:u_42
id:8a6a63ec-*
key:abcd…wxyz
key:abcd
has:rejected
a b        a or b
-a         not a
(a or b) c
jq: .properties.total > 10
"say \"hi\" \\ there" -type:page or (event:Sign* user:u_1)
https://shop.example.com/cart
not (type:identify or type:group) "or"
EOF
jq -r '.event // .name // empty' "$events" | sort -u | head -40 | while IFS= read -r name; do
    i=$((i + 1))
    printf 'event:"%s"' "$name" >"$corpus/filter/event-$(printf '%s' "$name" | tr -c 'A-Za-z0-9' _)"
done

# plan: the whole plan, each rule as a plan of its own, and the other plan shapes.
cp "$fixtures/plan.json" "$corpus/plan/plan.json"
cp "$fixtures"/plans/*.json "$corpus/plan/"
rules=$(jq '.rules | length' "$fixtures/plan.json")
for ((r = 0; r < rules; r++)); do
    jq -c "{name: .name, rules: [.rules[$r]]}" "$fixtures/plan.json" >"$corpus/plan/rule-$r.json"
done

# reader: chunks of 20 lines, one of them gzipped, and frames of every type.
split -l 20 -d -a 2 "$events" "$corpus/reader/chunk-"
gzip -c <"$corpus/reader/chunk-00" >"$corpus/reader/chunk-00.gz"
head -n 3 "$events" | jq -c '{type: "event", seq: input_line_number, receivedAt: "2026-11-22T12:00:00.000Z", source: {path: "/v1/track", ip: "127.0.0.1"}, message: .}' \
    >"$corpus/reader/frames"
cat >>"$corpus/reader/frames" <<'EOF'
{"type":"hello","version":1,"server":"eventscope 0.1.0","instance":"abc","lastSeq":3,"oldestSeq":1}
{"type":"rejected","seq":4,"receivedAt":"2026-11-22T12:00:00.000Z","source":{"path":"/v1/track"},"status":400,"code":"invalid_json","message":"Invalid JSON","body":"{nope","bodyBytes":5}
{"type":"gap","from":5,"to":9,"reason":"evicted"}
{"batch":[{"type":"track","event":"A"},{"type":"identify","userId":"u"}]}
EOF

echo "seeded $(find "$corpus" -type f | wc -l) files under $corpus"
