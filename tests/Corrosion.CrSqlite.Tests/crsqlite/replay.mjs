// Replays multi-replica scenarios through cr-sqlite 0.16 (the extension Corrosion uses), the
// reference side of the differential test. Usage: node replay.mjs scenarios.json > results.json
//
// Every replica is an in-memory database with crsql_as_crr on each table. A round runs each
// write (a transaction of SQL statements) on its replica in isolation, then does a full
// exchange: every replica's crsql_changes rows are copied into every other replica. After each
// round the dump queries run on every replica. Values cross between replicas as SQL literals
// built by SQLite itself, so storage classes and bytes survive (JavaScript numbers would turn a
// REAL 2.0 into an INTEGER 2, and text with a NUL would be cut).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as SQLite from "@vlcn.io/wa-sqlite";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "node_modules", "@vlcn.io", "crsqlite-wasm", "dist");
// The package's initWasm() locates the .wasm by URL, which fails under Node: hand the emscripten
// factory the bytes instead.
const { default: factory } = await import(pathToFileURL(path.join(dist, "crsqlite.mjs")).href);
const sqlite3 = SQLite.Factory(await factory({ wasmBinary: readFileSync(path.join(dist, "crsqlite.wasm")) }));

async function rows(db, sql) {
  const out = [];
  for await (const stmt of sqlite3.statements(db, sql)) {
    while ((await sqlite3.step(stmt)) === SQLite.SQLITE_ROW) {
      out.push(sqlite3.row(stmt));
    }
  }
  return out;
}

const changesSql = `SELECT quote("table"), quote(pk), quote(cid),
  CASE typeof(val) WHEN 'text' THEN 'CAST(X''' || hex(val) || ''' AS TEXT)' WHEN 'real' THEN printf('%!.17g', val) ELSE quote(val) END,
  col_version, db_version, quote(site_id), cl, seq FROM crsql_changes`;

async function changes(db) {
  return await rows(db, changesSql);
}

async function apply(db, changeRows) {
  if (changeRows.length === 0) {
    return;
  }
  await rows(db, "BEGIN");
  for (const c of changeRows) {
    await rows(db, `INSERT INTO crsql_changes ("table", pk, cid, val, col_version, db_version, site_id, cl, seq) VALUES (${c.join(", ")})`);
  }
  await rows(db, "COMMIT");
}

async function write(db, statements) {
  await rows(db, "BEGIN");
  try {
    for (const sql of statements) {
      await rows(db, sql);
    }
    await rows(db, "COMMIT");
    return null;
  } catch (e) {
    await rows(db, "ROLLBACK");
    return String(e.message ?? e);
  }
}

// A cell of a dump query: text as is, a real (the only number a dump query returns) as its
// IEEE 754 bits, as CorrosionReplay.cs renders it.
function cell(value) {
  if (typeof value === "number") {
    const bits = Buffer.alloc(8);
    bits.writeDoubleBE(value);
    return bits.toString("hex").toUpperCase();
  }
  return String(value);
}

async function replay(scenario) {
  const dbs = [];
  for (let i = 0; i < scenario.replicas; i++) {
    const db = await sqlite3.open_v2(":memory:");
    await rows(db, scenario.schema);
    for (const table of scenario.tables) {
      await rows(db, `SELECT crsql_as_crr('${table}')`);
    }
    dbs.push(db);
  }
  const rounds = [];
  for (const round of scenario.rounds) {
    const errors = [];
    for (const w of round.writes) {
      errors.push(await write(dbs[w.replica], w.statements));
    }
    const snapshots = [];
    for (const db of dbs) {
      snapshots.push(await changes(db));
    }
    for (let i = 0; i < dbs.length; i++) {
      for (let j = 0; j < dbs.length; j++) {
        if (i !== j) {
          await apply(dbs[i], snapshots[j]);
        }
      }
    }
    const tables = [];
    for (const db of dbs) {
      const dump = [];
      for (const query of scenario.dumps) {
        dump.push((await rows(db, query)).map((r) => r.map(cell).join("|")));
      }
      tables.push(dump);
    }
    rounds.push({ errors, tables });
  }
  for (const db of dbs) {
    await rows(db, "SELECT crsql_finalize()");
    await sqlite3.close(db);
  }
  return { name: scenario.name, rounds };
}

const input = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];
for (const scenario of input.scenarios) {
  results.push(await replay(scenario));
}
const pkg = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8"));
process.stdout.write(JSON.stringify({ crsqlite: pkg.version, sqlite: sqlite3.libversion(), results }));
