-- The demo schema a node creates when db.schema_paths is empty and db.demo_schema is true:
-- fleet state of the kind Corrosion is used for.
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
