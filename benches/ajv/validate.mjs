// ajv's whole process over the same input as `eventscope check`: read NDJSON (a file or `-`),
// parse each line, pick the plan's rule by type and event as eventscope does (COMMON plus
// TRACK by event, IDENTIFY, GROUP, PAGE/SCREEN by name; the oldest version) and validate.
// Plan rules only: no spec rules, no PII. Prints `ajv: N messages, M invalid` on stderr.
// Usage: node validate.mjs PLAN.json FILE|-
import { readFileSync, createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import Ajv from "ajv";
import addFormats from "ajv-formats";

const [planPath, input] = process.argv.slice(2);
const plan = JSON.parse(readFileSync(planPath, "utf8"));
const rules = Array.isArray(plan) ? plan : plan.rules ?? plan.data?.rules ?? [];
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

const oldest = new Map();
for (const rule of rules) {
  const id = `${rule.type}\u0000${rule.key ?? ""}`;
  const seen = oldest.get(id);
  if (!seen || rule.version < seen.version) oldest.set(id, rule);
}
const compiled = new Map();
for (const [id, rule] of oldest) compiled.set(id, ajv.compile(rule.jsonSchema));

function validators(message) {
  const out = [];
  const common = compiled.get("COMMON\u0000");
  if (common) out.push(common);
  const type = String(message.type ?? "").toUpperCase();
  const key = type === "TRACK" ? message.event : type === "PAGE" || type === "SCREEN" ? message.name ?? "" : "";
  const rule = compiled.get(`${type}\u0000${key ?? ""}`);
  if (rule) out.push(rule);
  return out;
}

const stream = input === "-" || !input ? process.stdin : createReadStream(input);
const lines = createInterface({ input: stream, crlfDelay: Infinity });
let messages = 0;
let invalid = 0;
for await (const line of lines) {
  if (!line) continue;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    invalid++;
    continue;
  }
  messages++;
  let ok = true;
  for (const validate of validators(message)) ok = validate(message) && ok;
  if (!ok) invalid++;
}
console.error(`ajv: ${messages} messages, ${invalid} invalid`);
