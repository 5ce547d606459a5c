-- An application's own first migration, as a Flyway user has it: version 1, like the outbox's.
CREATE TABLE orders (
    id       bigint PRIMARY KEY,
    customer text NOT NULL
);
