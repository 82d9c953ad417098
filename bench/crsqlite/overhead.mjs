// cr-sqlite's own CRR write overhead, measured as bench/Corrosion.Bench's `store` measures ours: the same table
// (StoreBench's items), transactions of 1 / 10 / 100 inserted rows, plain SQLite against the same table made a CRR
// (`SELECT crsql_as_crr('items')`). In one process, blocks of transactions alternate between the two databases
// (2000 / 300 / 40 transactions per block at 1 / 10 / 100 rows, as crr13's in-process harness for our store); each
// block's CPU time is taken with process.cpuUsage() (the wasm runs on this one thread; the figure also holds V8's
// helper threads, which have little to do: the loop allocates almost nothing), and the figure is the median over the
// blocks after the first 20 % (warm-up) of the per-block CRR/plain ratios.
//
// Usage: npm ci && node overhead.mjs [blocks=30] [--db file|memory|both]
//
// SQLite is cr-sqlite 0.16.0's wasm build (@vlcn.io/crsqlite-wasm, SQLite 3.44.0 with the extension linked in), the
// one tests/Corrosion.CrSqlite.Tests replays scenarios against. Native cr-sqlite (@vlcn.io/crsqlite 0.16.3) is a
// source package that builds its Rust part with cargo, which needs crates from crates.io: not reachable here.
// Databases: `file` is a named database in WAL mode with synchronous=NORMAL (the store bench's pragmas) on
// emscripten's default file system, MEMFS, through SQLite's built-in "unix" VFS: the pager, WAL frames, checksums and
// checkpoints all run, but a write is a copy into wasm memory (no system call, no page cache, fsync a no-op). `memory`
// is ":memory:" (journal_mode=memory: no WAL at all).
// Rows are bound through the C API (prepared once; bind, step, reset per row; BEGIN / COMMIT with sqlite3_exec per
// transaction), called directly on the module's exports, as StoreBench's plain side does through P/Invoke.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as SQLite from "@vlcn.io/wa-sqlite";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "node_modules", "@vlcn.io", "crsqlite-wasm", "dist");
// The package's initWasm() locates the .wasm by URL, which fails under Node: hand the emscripten factory the bytes.
const { default: factory } = await import(pathToFileURL(path.join(dist, "crsqlite.mjs")).href);
const Module = await factory({ wasmBinary: readFileSync(path.join(dist, "crsqlite.wasm")) });
const sqlite3 = SQLite.Factory(Module);

const args = process.argv.slice(2);
const dbAt = args.indexOf("--db");
const dbKinds = dbAt >= 0 ? (args[dbAt + 1] === "both" ? ["file", "memory"] : [args[dbAt + 1]]) : ["file", "memory"];
const numbers = args.filter((a, i) => !a.startsWith("--") && (dbAt < 0 || i !== dbAt + 1));
const blocks = numbers.length > 0 ? Number(numbers[0]) : 30;
const sizes = [
  { rows: 1, transactions: 2000 },
  { rows: 10, transactions: 300 },
  { rows: 100, transactions: 40 },
];

const TableSql = "CREATE TABLE items (id INTEGER NOT NULL PRIMARY KEY, name TEXT, region TEXT, score INTEGER)";
const InsertSql = "INSERT INTO items (id, name, region, score) VALUES (?, ?, ?, ?)";
const SQLITE_TRANSIENT = -1;

// A NUL-terminated UTF-8 copy of `text` in wasm memory (kept for the process's life).
function cString(text) {
  const bytes = Module.lengthBytesUTF8(text) + 1;
  const ptr = Module._sqlite3_malloc(bytes);
  Module.stringToUTF8(text, ptr, bytes);
  return ptr;
}

const begin = cString("BEGIN");
const commit = cString("COMMIT");
const region = cString("ams");
const nameBuffer = Module._sqlite3_malloc(64);
const statementOut = Module._sqlite3_malloc(8);

function check(db, rc, what) {
  if (rc !== SQLite.SQLITE_OK && rc !== SQLite.SQLITE_DONE) {
    throw new Error(`${what}: ${rc} ${Module.UTF8ToString(Module._sqlite3_errmsg(db))}`);
  }
}

async function exec(db, sql) {
  const out = [];
  for await (const stmt of sqlite3.statements(db, sql)) {
    while ((await sqlite3.step(stmt)) === SQLite.SQLITE_ROW) {
      out.push(sqlite3.row(stmt));
    }
  }
  return out;
}

let databases = 0;

async function open(kind, crr) {
  const name = kind === "memory" ? ":memory:" : `/overhead-${databases++}.db`;
  const db = await sqlite3.open_v2(name);
  if (kind === "file") {
    await exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL");
  }

  await exec(db, TableSql);
  if (crr) {
    await exec(db, "SELECT crsql_as_crr('items')");
  }

  check(db, Module._sqlite3_prepare_v2(db, cString(InsertSql), -1, statementOut, 0), "prepare");
  const insert = Module.getValue(statementOut, "*");
  const journal = (await exec(db, "PRAGMA journal_mode"))[0][0];
  return { db, insert, next: 0, journal };
}

// `transactions` transactions of `rows` rows each, ids continuing from the last block's; CPU and wall time in µs.
function block(side, rows, transactions) {
  const { db, insert } = side;
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  for (let t = 0; t < transactions; t++) {
    check(db, Module._sqlite3_exec(db, begin, 0, 0, 0), "BEGIN");
    for (let r = 0; r < rows; r++) {
      const i = side.next++;
      Module._sqlite3_bind_int64(insert, 1, i, 0);
      Module.stringToUTF8(`name-${i}`, nameBuffer, 64);
      Module._sqlite3_bind_text(insert, 2, nameBuffer, -1, SQLITE_TRANSIENT);
      Module._sqlite3_bind_text(insert, 3, region, -1, SQLITE_TRANSIENT);
      Module._sqlite3_bind_int64(insert, 4, i * 7, 0);
      check(db, Module._sqlite3_step(insert), "INSERT");
      Module._sqlite3_reset(insert);
    }

    check(db, Module._sqlite3_exec(db, commit, 0, 0, 0), "COMMIT");
  }

  const used = process.cpuUsage(cpu);
  return { cpu: (used.user + used.system) / transactions, wall: Number(process.hrtime.bigint() - wall) / 1000 / transactions };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fixed = (x, digits = 1) => x.toFixed(digits);
console.log(`## cr-sqlite 0.16.0 (wasm, SQLite ${(await exec(await sqlite3.open_v2(":memory:"), "SELECT sqlite_version()"))[0][0]}) under Node ${process.version}: CRR write overhead, ${blocks} alternating blocks, median after the first ${Math.floor(blocks / 5)}`);
console.log();
console.log("| database | rows per tx | plain CPU µs/tx | CRR CPU µs/tx | CPU overhead (median of block ratios) | wall overhead | clock rows per row |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const kind of dbKinds) {
  for (const { rows, transactions } of sizes) {
    const plain = await open(kind, false);
    const crr = await open(kind, true);
    const results = [];
    for (let b = 0; b < blocks; b++) {
      // Alternate which side goes first, so a drift of the machine's speed within a round falls on both.
      let p, c;
      if (b % 2 === 0) {
        p = block(plain, rows, transactions);
        c = block(crr, rows, transactions);
      } else {
        c = block(crr, rows, transactions);
        p = block(plain, rows, transactions);
      }

      results.push({ plain: p, crr: c });
    }

    const kept = results.slice(Math.floor(blocks / 5));
    const clockRows = (await exec(crr.db, "SELECT count(*) FROM items__crsql_clock"))[0][0];
    const written = (await exec(crr.db, "SELECT count(*) FROM items"))[0][0];
    console.log(`| ${kind} (${plain.journal}) | ${rows} | ${fixed(median(kept.map(r => r.plain.cpu)))} | ${fixed(median(kept.map(r => r.crr.cpu)))} | **${fixed(median(kept.map(r => r.crr.cpu / r.plain.cpu)), 2)}x** | ${fixed(median(kept.map(r => r.crr.wall / r.plain.wall)), 2)}x | ${fixed(clockRows / written, 2)} |`);
    for (const side of [plain, crr]) {
      Module._sqlite3_finalize(side.insert);
      // cr-sqlite's own prepared statements (it is loaded on every connection), finalized before the close.
      await exec(side.db, "SELECT crsql_finalize()");

      await sqlite3.close(side.db);
    }
  }
}
