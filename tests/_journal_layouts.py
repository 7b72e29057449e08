"""Earlier releases' PostgreSQL layouts, as they created them: for the upgrade tests, which load old rows into them."""

from __future__ import annotations

# Release 0.1.0's PostgreSQL layout, as it created it.
TABLES_0_1_0 = """
CREATE TABLE {s}.journal (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    application    text    NOT NULL,
    format         integer NOT NULL
);
CREATE TABLE {s}.events (
    seq            bigint  PRIMARY KEY CHECK (seq >= 1),
    format         integer NOT NULL,
    number         text    COLLATE "C" NOT NULL,
    customer_id    text    COLLATE "C" NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    kind           text    COLLATE "C" NOT NULL,
    state          text    COLLATE "C" NOT NULL,
    actor          text    COLLATE "C" NOT NULL,
    at             text    COLLATE "C" NOT NULL,
    key            text    COLLATE "C" NOT NULL UNIQUE,
    request        text    COLLATE "C" NOT NULL,
    data           text    COLLATE "C" NOT NULL,
    grant_amount   text    COLLATE "C",
    grant_currency text    COLLATE "C",
    callback_due   text    COLLATE "C",
    prev           text    COLLATE "C" NOT NULL,
    hash           text    COLLATE "C" NOT NULL,
    UNIQUE (number, version)
);
CREATE INDEX events_grants ON {s}.events (customer_id, at) WHERE grant_amount IS NOT NULL;
CREATE INDEX events_callbacks ON {s}.events (callback_due) WHERE callback_due IS NOT NULL
"""
COLUMNS_0_1_0 = [
    *("seq", "format", "number", "customer_id", "version", "kind", "state", "actor", "at", "key", "request"),
    *("data", "grant_amount", "grant_currency", "callback_due", "prev", "hash"),
]

# The PostgreSQL layout of schema 2 (the release before event format 3), as it created it.
TABLES_FORMAT_2 = """
CREATE TABLE {s}.journal (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    application    text    NOT NULL,
    format         integer NOT NULL,
    legacy_until   bigint  NOT NULL DEFAULT 0
);
CREATE TABLE {s}.events (
    seq            bigint  PRIMARY KEY CHECK (seq >= 1),
    format         integer NOT NULL,
    number         text    COLLATE "C" NOT NULL,
    customer_id    text    COLLATE "C" NOT NULL,
    version        integer NOT NULL CHECK (version >= 1),
    kind           text    COLLATE "C" NOT NULL,
    state          text    COLLATE "C" NOT NULL,
    actor          text    COLLATE "C" NOT NULL,
    at             text    COLLATE "C" NOT NULL,
    key            text    COLLATE "C" NOT NULL UNIQUE,
    request        text    COLLATE "C" NOT NULL,
    data           text    COLLATE "C" NOT NULL,
    grant_amount   text    COLLATE "C",
    grant_currency text    COLLATE "C",
    callback_due   text    COLLATE "C",
    prev           text    COLLATE "C" NOT NULL,
    hash           text    COLLATE "C" NOT NULL,
    ledger         text    COLLATE "C",
    ledger_at      text    COLLATE "C",
    incident       text    COLLATE "C",
    UNIQUE (number, version)
);
CREATE INDEX events_guest_grants ON {s}.events (customer_id, seq) WHERE grant_amount IS NOT NULL;
CREATE INDEX events_incident_grants ON {s}.events (incident, seq) WHERE incident IS NOT NULL;
CREATE INDEX events_ledger_at ON {s}.events (customer_id, ledger_at, seq) WHERE ledger_at IS NOT NULL;
CREATE TABLE {s}.ledger_heads (
    scope          text    COLLATE "C" NOT NULL,
    key            text    COLLATE "C" NOT NULL,
    seq            bigint  NOT NULL,
    hash           text    COLLATE "C" NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE TABLE {s}.cases (
    number         text    COLLATE "C" PRIMARY KEY,
    customer_id    text    COLLATE "C" NOT NULL,
    version        integer NOT NULL,
    state          text    COLLATE "C" NOT NULL,
    first_seq      bigint  NOT NULL,
    opened_at      text    COLLATE "C" NOT NULL,
    last_seq       bigint  NOT NULL,
    last_hash      text    COLLATE "C" NOT NULL,
    callback_due   text    COLLATE "C"
);
CREATE INDEX cases_callbacks ON {s}.cases (callback_due) WHERE callback_due IS NOT NULL;
CREATE INDEX cases_opened ON {s}.cases (opened_at)
"""
COLUMNS_FORMAT_2 = [*COLUMNS_0_1_0, "ledger", "ledger_at", "incident"]
CASE_COLUMNS = [
    *("number", "customer_id", "version", "state", "first_seq", "opened_at", "last_seq", "last_hash"),
    "callback_due",
]
