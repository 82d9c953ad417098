-- Fleet state: which machine runs where, which service is healthy. Also the demo schema a node
-- uses when db.schema_paths is empty and db.demo_schema is true.
CREATE TABLE machines (
    id TEXT NOT NULL PRIMARY KEY,
    region TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'created',
    updated_at INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE services (
    name TEXT NOT NULL,
    machine_id TEXT NOT NULL,
    port INTEGER NOT NULL DEFAULT 0,
    healthy INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (name, machine_id)
);

CREATE INDEX services_by_machine ON services (machine_id);
