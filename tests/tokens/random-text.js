// random-text.js: records of random text for tests/tokens.bats, made of
// the pieces where a split pattern's alternatives meet: capitals and
// small letters (o200k splits words at their case), contractions in
// either case, white space and line breaks, '/', digits, and the
// characters past ASCII that stand on either side of those edges (a
// small and a capital letter, a title-case letter, a modifier letter, a
// CJK ideograph, a combining mark, an Arabic digit, JavaScript's white
// space, long s and the Kelvin sign that fold to ASCII letters, emoji).
//
//   node random-text.js SEED COUNT > records.jsonl
//
// The same SEED gives the same records.
"use strict";
const seed = Number(process.argv[2] || 1), count = Number(process.argv[3] || 1000);
const atoms = [..."aZeEsSrRvVlLdDmMtTxQ'''   \t\n\r//..,!?-0123456789",
  "\u00e9", "\u00c9", "\u01c5", "\u02b0", "\u4e2d", "\u0301", "\u0663", "\u00a0", "\u2028",
  "\u017f", "\u212a", "\u{1F600}", "\u3000", "\ufeff", "\u00b2", "'s", "'S", "'re", "'LL",
  "'ve", " don't", "HELLO", "Hello", "iPhone", " 123456", "\r\n", "\n\n  "];
// A 32-bit xorshift: the same sequence on every machine.
let x = (seed * 2654435761) >>> 0 || 1;
function next(n) {
  x ^= x << 13; x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5; x >>>= 0;
  return x % n;
}
const out = [];
for (let i = 0; i < count; i++) {
  let text = "";
  for (let k = 1 + next(40); k > 0; k--)
    text += atoms[next(atoms.length)];
  out.push(JSON.stringify({ text }));
}
process.stdout.write(out.join("\n") + "\n");
