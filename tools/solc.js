#!/usr/bin/env node
// A native-`solc`-compatible command line over solcjs (the npm `solc` package).
//
// Why hand-written: no native solc is reachable offline (see README, "Toolchain"),
// and solcjs's own CLI prints a line about SMT solvers on stdout before the
// --standard-json output, which breaks py-solc-x and brownie. This wrapper
// speaks the three things those tools use:
//   solc --version                        -> two lines, "Version: X+commit..."
//   solc --standard-json [--allow-paths ..] [--base-path ..] [--include-path ..]
//                                         -> JSON from stdin to stdout
//   solc --combined-json abi,bin,... [prefix=path ...] FILE...
//                                         -> objects for abi/hashes/userdoc/devdoc as native solc 0.8
//   solc --help                           -> the --combined-json line (py-solc-x reads it)
// Imports are read from disk: relative to the base path, the include paths and
// the allowed paths, after the compiler has applied the input's remappings.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

function parseArgs(argv) {
  const opts = { basePath: process.cwd(), includePaths: [], allowPaths: [], files: [], remappings: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => argv[++i];
    if (a === "--version") opts.version = true;
    else if (a === "--standard-json") opts.standardJson = true;
    else if (a === "--combined-json") opts.combinedJson = next();
    else if (a === "--base-path") opts.basePath = path.resolve(next());
    else if (a === "--include-path") opts.includePaths.push(path.resolve(next()));
    else if (a === "--allow-paths") opts.allowPaths.push(...next().split(",").map((p) => path.resolve(p)));
    else if (a === "--optimize") opts.optimize = true;
    else if (a === "--optimize-runs") opts.optimizeRuns = parseInt(next(), 10);
    else if (a === "--evm-version") opts.evmVersion = next();
    else if (a.startsWith("--")) {
      // Flags that only change native solc's output format are accepted and ignored.
      if (!["--no-color", "--pretty-json"].includes(a)) {
        process.stderr.write(`solc wrapper: unsupported option ${a}\n`);
        process.exit(1);
      }
    } else if (a.includes("=")) opts.remappings.push(a);
    else opts.files.push(a);
  }
  return opts;
}

function importReader(opts) {
  const roots = [opts.basePath, ...opts.includePaths, ...opts.allowPaths, path.join(__dirname, "..", "node_modules")];
  return (importPath) => {
    const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
    for (const candidate of candidates) {
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, "utf8") };
      }
    }
    return { error: `File not found: ${importPath} (searched ${roots.join(", ")})` };
  };
}

function standardJson(opts) {
  const input = fs.readFileSync(0, "utf8");
  process.stdout.write(solc.compile(input, { import: importReader(opts) }));
}

const COMBINED_TO_STANDARD = {
  abi: "abi",
  bin: "evm.bytecode.object",
  "bin-runtime": "evm.deployedBytecode.object",
  "srcmap": "evm.bytecode.sourceMap",
  "srcmap-runtime": "evm.deployedBytecode.sourceMap",
  hashes: "evm.methodIdentifiers",
  metadata: "metadata",
  userdoc: "userdoc",
  devdoc: "devdoc",
  "storage-layout": "storageLayout",
};

function pick(obj, dotted) {
  return dotted.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function combinedJson(opts) {
  const wanted = opts.combinedJson.split(",");
  const selection = wanted.filter((w) => w !== "ast").map((w) => {
    if (!(w in COMBINED_TO_STANDARD)) throw new Error(`unsupported --combined-json field ${w}`);
    return COMBINED_TO_STANDARD[w];
  });
  const sources = {};
  for (const f of opts.files) sources[f] = { content: fs.readFileSync(f, "utf8") };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      remappings: opts.remappings,
      optimizer: { enabled: !!opts.optimize, runs: opts.optimizeRuns || 200 },
      outputSelection: { "*": { "*": selection, "": wanted.includes("ast") ? ["ast"] : [] } },
    },
  };
  if (opts.evmVersion) input.settings.evmVersion = opts.evmVersion;
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: importReader(opts) }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) process.stderr.write(e.formattedMessage || e.message);
    process.exit(1);
  }
  const contracts = {};
  for (const [file, byName] of Object.entries(output.contracts || {})) {
    for (const [name, c] of Object.entries(byName)) {
      const entry = {};
      for (const w of wanted) {
        if (w === "ast") continue;
        const v = pick(c, COMBINED_TO_STANDARD[w]);
        // native solc >= 0.8 prints abi, hashes, userdoc, devdoc and storage-layout as JSON objects and
        // metadata as a string (crytic-compile / slither read them so); solcjs gives the same types
        entry[w] = v;
      }
      contracts[`${file}:${name}`] = entry;
    }
  }
  const result = { contracts, version: solc.version() };
  if (wanted.includes("ast")) {
    result.sources = {};
    for (const [file, s] of Object.entries(output.sources || {})) result.sources[file] = { AST: s.ast };
  }
  process.stdout.write(JSON.stringify(result));
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.includes("--help")) {
    // py-solc-x reads the --combined-json line of native solc's help to learn the supported fields
    process.stdout.write(`  --combined-json abi,ast,bin,bin-runtime,devdoc,hashes,metadata,srcmap,srcmap-runtime,storage-layout,userdoc\n`);
    return;
  }
  const opts = parseArgs(argv);
  if (opts.version) {
    process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  } else if (opts.standardJson) {
    standardJson(opts);
  } else if (opts.combinedJson) {
    combinedJson(opts);
  } else {
    process.stderr.write("usage: solc --version | --standard-json | --combined-json FIELDS FILE...\n");
    process.exit(1);
  }
}

main();
