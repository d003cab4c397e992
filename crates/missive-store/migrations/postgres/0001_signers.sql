-- Public co-signers of letters. One row per signer; withdrawing or deleting removes the row,
-- and nothing of the signer remains. No IP address is ever stored.
-- Timestamps are integer milliseconds since the Unix epoch (UTC), as on SQLite.
-- A row is confirmed (counted) when confirmed_at_ms is set; until then it waits for the
-- email confirmation identified by confirm_token (a SHA-256 of the secret in the mail).
CREATE TABLE signers (
    id                    BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    letter                TEXT    NOT NULL,
    lang                  TEXT    NOT NULL,
    name                  TEXT,
    affiliation           TEXT,
    country               TEXT,
    email                 TEXT,
    email_key             BYTEA   CHECK (email_key IS NULL OR octet_length(email_key) = 32),
    edit_token            BYTEA   NOT NULL CHECK (octet_length(edit_token) = 32),
    confirm_token         BYTEA   CHECK (confirm_token IS NULL OR octet_length(confirm_token) = 32),
    confirm_expires_at_ms BIGINT,
    created_at_ms         BIGINT  NOT NULL,
    confirmed_at_ms       BIGINT,
    CHECK ((confirm_token IS NULL) = (confirm_expires_at_ms IS NULL)),
    CHECK (confirm_token IS NOT NULL OR confirmed_at_ms IS NOT NULL)
);

-- One signature per email address per letter (email_key = SHA-256 of the normalized address).
-- NULL keys (no email given) never conflict.
CREATE UNIQUE INDEX signers_letter_email_key ON signers (letter, email_key);
CREATE UNIQUE INDEX signers_edit_token ON signers (edit_token);
CREATE UNIQUE INDEX signers_confirm_token ON signers (confirm_token);
-- The count of confirmed signers per letter.
CREATE INDEX signers_letter_confirmed ON signers (letter, confirmed_at_ms);
-- The public list: confirmed signers who chose to show their name, oldest first.
CREATE INDEX signers_public ON signers (letter, confirmed_at_ms, id)
    WHERE confirmed_at_ms IS NOT NULL AND name IS NOT NULL;
