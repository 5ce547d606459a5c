-- The sample's business tables, next to the outbox schema (sql/). Applied by the app at start
-- (SampleSchema), in one transaction; re-applying is harmless.
CREATE SCHEMA IF NOT EXISTS sample;

-- Order service ------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS sample.products (
    sku  text PRIMARY KEY,
    name text NOT NULL
);
COMMENT ON TABLE sample.products IS 'Catalog of the order service: an order line must name one of these SKUs.';

CREATE TABLE IF NOT EXISTS sample.orders (
    id         uuid PRIMARY KEY,
    customer   text NOT NULL,
    email      text NOT NULL,
    status     text NOT NULL CHECK (status IN ('PLACED', 'CANCELLED')),
    version    int  NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON COLUMN sample.orders.version IS 'Aggregate version: 1 when placed, +1 per change; every event carries the version it produced.';

CREATE TABLE IF NOT EXISTS sample.order_lines (
    order_id uuid NOT NULL REFERENCES sample.orders ON DELETE CASCADE,
    line_no  int  NOT NULL,
    -- Deferred: an unknown SKU is found at commit, after the order and its event were inserted,
    -- so the whole transaction (event included) rolls back. See OrderService.place.
    sku      text NOT NULL REFERENCES sample.products DEFERRABLE INITIALLY DEFERRED,
    quantity int  NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    PRIMARY KEY (order_id, line_no)
);

-- Inventory consumer -------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS sample.stock (
    sku       text PRIMARY KEY,
    available int NOT NULL CHECK (available >= 0),
    reserved  int NOT NULL CHECK (reserved >= 0)
);
COMMENT ON TABLE sample.stock IS 'Inventory: units free to reserve and units reserved by orders; never negative.';

CREATE TABLE IF NOT EXISTS sample.inventory_orders (
    order_id     uuid PRIMARY KEY,
    last_version int  NOT NULL,
    status       text NOT NULL CHECK (status IN ('RESERVED', 'CANCELLED'))
);
COMMENT ON TABLE sample.inventory_orders IS 'Inventory''s view of each order: the last version applied, so that late or early events are reconciled.';

CREATE TABLE IF NOT EXISTS sample.reservations (
    order_id    uuid NOT NULL,
    sku         text NOT NULL,
    reserved    int  NOT NULL CHECK (reserved >= 0),
    backordered int  NOT NULL CHECK (backordered >= 0),
    PRIMARY KEY (order_id, sku)
);
COMMENT ON TABLE sample.reservations IS 'Per order line: units reserved, or backordered when the stock was short.';

-- Notifications consumer ---------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS sample.sent_emails (
    event_id  uuid PRIMARY KEY,
    order_id  uuid NOT NULL,
    recipient text NOT NULL,
    subject   text NOT NULL,
    sent_at   timestamptz NOT NULL DEFAULT now()
);

-- Demo catalog and stock ---------------------------------------------------------------------
INSERT INTO sample.products (sku, name) VALUES
    ('A-1', 'Espresso cup'), ('B-2', 'Moka pot'), ('C-3', 'Coffee beans 1 kg')
ON CONFLICT DO NOTHING;
INSERT INTO sample.stock (sku, available, reserved) VALUES
    ('A-1', 10, 0), ('B-2', 3, 0), ('C-3', 100, 0)
ON CONFLICT DO NOTHING;
