-- Email addresses are no longer stored: only the duplicate key is, now an HMAC-SHA256 under a
-- secret kept outside the database (a file beside a SQLite database, or the operator's
-- MISSIVE_EMAIL_SECRET), so a copy of the database alone cannot test whether an address signed.
ALTER TABLE signers DROP COLUMN email;

-- Keys made before this migration are unkeyed SHA-256 hashes of the address: anyone holding
-- the database could test a known address against them, and new keys never match them. They
-- are removed; duplicate detection starts afresh for earlier signers.
UPDATE signers SET email_key = NULL WHERE email_key IS NOT NULL;
