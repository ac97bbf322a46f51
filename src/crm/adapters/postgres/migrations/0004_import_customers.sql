-- Which customers each import recorded events for, so that erasing a customer also removes
-- the source name (a file name staff chose, which may name the person) of every import that
-- held them. Imports before this migration have no links; their names stay as they are.
CREATE TABLE IF NOT EXISTS crm_import_customers (
    customer_id uuid NOT NULL,
    import_id text NOT NULL,
    PRIMARY KEY (customer_id, import_id)
);
