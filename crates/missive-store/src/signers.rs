//! The signer operations of [`Store`]. Each SQL statement is written once, with `$n`
//! placeholders that both SQLite and PostgreSQL accept, and runs on either backend through the
//! `with_writer!` / `with_reader!` dispatch. Every write is one transaction (or one statement)
//! and returns only after it is committed.

use std::collections::HashMap;

use sqlx::{QueryBuilder, Row};

use crate::{
    ConfirmOutcome, InsertOutcome, NewSigner, PendingConfirmation, PublicSigner, Signer,
    SignerSelector, SignerStatus, SignerUpdate, Store, StoreError, TokenHash, email,
};

/// Rows per INSERT statement: 11 parameters each stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535 bind parameters.
const ROWS_PER_STATEMENT: usize = 500;

const INSERT_HEAD: &str = "INSERT INTO signers (letter, lang, name, affiliation, country, \
     email_key, edit_token, confirm_token, confirm_expires_at_ms, created_at_ms, confirmed_at_ms) ";
const INSERT_TAIL: &str = " ON CONFLICT (letter, email_key) DO NOTHING RETURNING id, edit_token";

const SIGNER_COLUMNS: &str = "SELECT id, letter, lang, name, affiliation, country, \
     email_key IS NOT NULL AS email_given, created_at_ms, confirmed_at_ms FROM signers ";

/// A [`NewSigner`] as bind values.
struct Insert<'a> {
    signer: &'a NewSigner,
    email_key: Option<Vec<u8>>,
    edit_token: Vec<u8>,
    confirm_token: Option<Vec<u8>>,
    confirm_expires_at_ms: Option<i64>,
    created_at_ms: i64,
    confirmed_at_ms: Option<i64>,
}

impl<'a> Insert<'a> {
    fn new(signer: &'a NewSigner) -> Self {
        let created_at_ms = signer.created_at.as_millisecond();
        Insert {
            signer,
            email_key: signer.email_key.map(|key| key.to_vec()),
            edit_token: signer.edit_token.0.to_vec(),
            confirm_token: signer.confirmation.as_ref().map(|c| c.token.0.to_vec()),
            confirm_expires_at_ms: signer
                .confirmation
                .as_ref()
                .map(|c| c.expires_at.as_millisecond()),
            created_at_ms,
            confirmed_at_ms: match signer.confirmation {
                None => Some(created_at_ms),
                Some(_) => None,
            },
        }
    }
}

/// Push one row's values, in `INSERT_HEAD`'s column order.
macro_rules! push_row {
    ($b:expr, $row:expr) => {{
        let row = $row;
        $b.push_bind(row.signer.letter.as_str())
            .push_bind(row.signer.lang.as_str())
            .push_bind(row.signer.name.as_deref())
            .push_bind(row.signer.affiliation.as_deref())
            .push_bind(row.signer.country.as_deref())
            .push_bind(row.email_key.clone())
            .push_bind(row.edit_token.clone())
            .push_bind(row.confirm_token.clone())
            .push_bind(row.confirm_expires_at_ms)
            .push_bind(row.created_at_ms)
            .push_bind(row.confirmed_at_ms);
    }};
}

/// Read a [`Signer`] from a row selected with `SIGNER_COLUMNS`.
macro_rules! signer_from_row {
    ($row:expr) => {{
        let row = $row;
        let id: i64 = row.try_get("id")?;
        let created_at_ms: i64 = row.try_get("created_at_ms")?;
        let confirmed_at_ms: Option<i64> = row.try_get("confirmed_at_ms")?;
        Signer {
            id,
            letter: row.try_get("letter")?,
            lang: row.try_get("lang")?,
            name: row.try_get("name")?,
            affiliation: row.try_get("affiliation")?,
            country: row.try_get("country")?,
            email_given: row.try_get("email_given")?,
            status: match confirmed_at_ms {
                Some(_) => SignerStatus::Confirmed,
                None => SignerStatus::Pending,
            },
            created_at: timestamp(id, "created_at_ms", created_at_ms)?,
            confirmed_at: confirmed_at_ms
                .map(|ms| timestamp(id, "confirmed_at_ms", ms))
                .transpose()?,
        }
    }};
}

fn timestamp(id: i64, column: &str, ms: i64) -> Result<jiff::Timestamp, StoreError> {
    jiff::Timestamp::from_millisecond(ms).map_err(|err| StoreError::CorruptRow {
        id,
        what: format!("{column} = {ms} is not a valid time: {err}"),
    })
}

impl Store {
    /// Store a batch of signers in one transaction; returns only after the commit is durable.
    /// One outcome per input, in order. An email key already used for the letter (earlier in
    /// the batch, or by a stored signer who is confirmed or still within the confirmation
    /// window) gives [`InsertOutcome::DuplicateEmail`]; a pending signer whose confirmation
    /// expired is replaced. On error nothing of the batch is stored.
    pub async fn insert_batch(
        &self,
        batch: &[NewSigner],
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<Insert<'_>> = batch.iter().map(Insert::new).collect();
        let mut outcomes: Vec<Option<InsertOutcome>> = vec![None; rows.len()];
        with_writer!(self, |pool, begin| {
            let mut tx = pool.begin_with(begin).await?;
            for (chunk_index, chunk) in rows.chunks(ROWS_PER_STATEMENT).enumerate() {
                let offset = chunk_index * ROWS_PER_STATEMENT;
                let mut query = QueryBuilder::new(INSERT_HEAD);
                query.push_values(chunk, |mut b, row| push_row!(b, row));
                query.push(INSERT_TAIL);
                let returned = query.build().fetch_all(&mut *tx).await?;
                let by_token: HashMap<&[u8], usize> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, row)| (row.edit_token.as_slice(), offset + i))
                    .collect();
                for stored in returned {
                    let id: i64 = stored.try_get("id")?;
                    let edit_token: Vec<u8> = stored.try_get("edit_token")?;
                    let Some(&index) = by_token.get(edit_token.as_slice()) else {
                        return Err(StoreError::CorruptRow {
                            id,
                            what: "the database returned an edit token that was not inserted"
                                .into(),
                        });
                    };
                    outcomes[index] = Some(InsertOutcome::Stored { id });
                }
            }
            // Rows the INSERT skipped collided on (letter, email_key). Replace a collision with
            // a pending signer whose confirmation expired; anything else is a duplicate.
            for (index, row) in rows.iter().enumerate() {
                if outcomes[index].is_some() {
                    continue;
                }
                let Some(email_key) = &row.email_key else {
                    return Err(StoreError::Conflict(format!(
                        "signer {index} of the batch was not stored and has no email key"
                    )));
                };
                let replaced = sqlx::query(
                    "DELETE FROM signers WHERE letter = $1 AND email_key = $2 \
                     AND confirmed_at_ms IS NULL AND confirm_expires_at_ms <= $3",
                )
                .bind(row.signer.letter.as_str())
                .bind(email_key.as_slice())
                .bind(row.created_at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let outcome = if replaced == 0 {
                    InsertOutcome::DuplicateEmail
                } else {
                    let mut query = QueryBuilder::new(INSERT_HEAD);
                    query.push_values([row], |mut b, row| push_row!(b, row));
                    query.push(INSERT_TAIL);
                    match query.build().fetch_optional(&mut *tx).await? {
                        Some(stored) => InsertOutcome::Stored {
                            id: stored.try_get("id")?,
                        },
                        None => InsertOutcome::DuplicateEmail,
                    }
                };
                outcomes[index] = Some(outcome);
            }
            tx.commit().await?;
        });
        Ok(outcomes
            .into_iter()
            .map(|outcome| outcome.unwrap_or(InsertOutcome::DuplicateEmail))
            .collect())
    }

    /// Confirm the signer whose pending confirmation has this token, at `now`. The token stays
    /// recorded, so a second attempt is told [`ConfirmOutcome::AlreadyConfirmed`]. A
    /// confirmation is expired when `now >= expires_at`.
    pub async fn confirm(
        &self,
        token: &TokenHash,
        now: jiff::Timestamp,
    ) -> Result<ConfirmOutcome, StoreError> {
        let now_ms = now.as_millisecond();
        let confirmed = with_writer!(self, |pool, _begin| {
            match sqlx::query(
                "UPDATE signers SET confirmed_at_ms = $1 WHERE confirm_token = $2 \
                 AND confirmed_at_ms IS NULL AND confirm_expires_at_ms > $1 \
                 RETURNING id, letter",
            )
            .bind(now_ms)
            .bind(token.0.as_slice())
            .fetch_optional(pool)
            .await?
            {
                Some(row) => Some((row.try_get::<i64, _>("id")?, row.try_get("letter")?)),
                None => None,
            }
        });
        if let Some((id, letter)) = confirmed {
            return Ok(ConfirmOutcome::Confirmed { id, letter });
        }
        // Why not: unknown token, already confirmed, or expired. Read through the writer so the
        // answer reflects every commit made before this call.
        let state: Option<Option<i64>> = with_writer!(self, |pool, _begin| {
            sqlx::query_scalar("SELECT confirmed_at_ms FROM signers WHERE confirm_token = $1")
                .bind(token.0.as_slice())
                .fetch_optional(pool)
                .await?
        });
        Ok(match state {
            None => ConfirmOutcome::NotFound,
            Some(Some(_)) => ConfirmOutcome::AlreadyConfirmed,
            Some(None) => ConfirmOutcome::Expired,
        })
    }

    /// Give the pending signer of `letter` with this email key new links: a new confirmation
    /// token and expiry, and a new edit token (both were in the mail that may have been lost;
    /// the old links stop working). The signer's values are kept: whoever sent the second
    /// form cannot change what the address's owner confirms. Returns `false`, changing
    /// nothing, when there is no such signer that is still pending and unexpired at `now`
    /// (a confirmed one stays as it is).
    pub async fn renew_confirmation(
        &self,
        letter: &str,
        email_key: &[u8; 32],
        confirmation: &PendingConfirmation,
        edit_token: &TokenHash,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let renewed = with_writer!(self, |pool, _begin| {
            sqlx::query(
                "UPDATE signers SET confirm_token = $1, confirm_expires_at_ms = $2, \
                 edit_token = $3 WHERE letter = $4 AND email_key = $5 \
                 AND confirmed_at_ms IS NULL AND confirm_expires_at_ms > $6",
            )
            .bind(confirmation.token.0.as_slice())
            .bind(confirmation.expires_at.as_millisecond())
            .bind(edit_token.0.as_slice())
            .bind(letter)
            .bind(email_key.as_slice())
            .bind(now.as_millisecond())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(renewed > 0)
    }

    /// The signer whose private edit link has this token.
    pub async fn signer_by_edit_token(
        &self,
        token: &TokenHash,
    ) -> Result<Option<Signer>, StoreError> {
        with_reader!(self, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SIGNER_COLUMNS} WHERE edit_token = $1"
            )))
            .bind(token.0.as_slice())
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Ok(Some(signer_from_row!(row))),
                None => Ok(None),
            }
        })
    }

    /// Replace a signer's name, affiliation and country. [`StoreError::NotFound`] when no
    /// signer has this edit token.
    pub async fn update_signer(
        &self,
        token: &TokenHash,
        update: &SignerUpdate,
    ) -> Result<(), StoreError> {
        let updated = with_writer!(self, |pool, _begin| {
            sqlx::query(
                "UPDATE signers SET name = $1, affiliation = $2, country = $3 \
                 WHERE edit_token = $4",
            )
            .bind(update.name.as_deref())
            .bind(update.affiliation.as_deref())
            .bind(update.country.as_deref())
            .bind(token.0.as_slice())
            .execute(pool)
            .await?
            .rows_affected()
        });
        match updated {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// Withdraw a signature: delete the row, so nothing of the signer remains.
    /// [`StoreError::NotFound`] when no signer has this edit token (e.g. already withdrawn).
    pub async fn withdraw(&self, token: &TokenHash) -> Result<(), StoreError> {
        let deleted = with_writer!(self, |pool, _begin| {
            sqlx::query("DELETE FROM signers WHERE edit_token = $1")
                .bind(token.0.as_slice())
                .execute(pool)
                .await?
                .rows_affected()
        });
        match deleted {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// How many confirmed signers a letter has.
    pub async fn count(&self, letter: &str) -> Result<u64, StoreError> {
        let count: i64 = with_reader!(self, |pool| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM signers WHERE letter = $1 AND confirmed_at_ms IS NOT NULL",
            )
            .bind(letter)
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Confirmed signers of a letter who chose to show their name, oldest first (by
    /// confirmation time, then id): `limit` of them after skipping `offset`.
    pub async fn public_signers(
        &self,
        letter: &str,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<PublicSigner>, StoreError> {
        let Ok(offset) = i64::try_from(offset) else {
            return Ok(Vec::new());
        };
        with_reader!(self, |pool| {
            let rows = sqlx::query(
                "SELECT id, name, affiliation, country, confirmed_at_ms FROM signers \
                 WHERE letter = $1 AND confirmed_at_ms IS NOT NULL AND name IS NOT NULL \
                 ORDER BY confirmed_at_ms, id LIMIT $2 OFFSET $3",
            )
            .bind(letter)
            .bind(i64::from(limit))
            .bind(offset)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<PublicSigner, StoreError> {
                    let id: i64 = row.try_get("id")?;
                    let confirmed_at_ms: i64 = row.try_get("confirmed_at_ms")?;
                    Ok(PublicSigner {
                        name: row.try_get("name")?,
                        affiliation: row.try_get("affiliation")?,
                        country: row.try_get("country")?,
                        confirmed_at: timestamp(id, "confirmed_at_ms", confirmed_at_ms)?,
                    })
                })
                .collect()
        })
    }

    /// Every signer of a letter, pending and confirmed, in id order (for the coalition).
    pub async fn export(&self, letter: &str) -> Result<Vec<Signer>, StoreError> {
        with_reader!(self, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SIGNER_COLUMNS} WHERE letter = $1 ORDER BY id"
            )))
            .bind(letter)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| -> Result<Signer, StoreError> { Ok(signer_from_row!(row)) })
                .collect()
        })
    }

    /// Delete a signer's data on request. Returns how many rows were deleted (0 when nothing
    /// matched, which is not an error here). An email is matched through normalization, so
    /// `Ann.Smith+x@Example.org` finds `ann.smith@example.org`.
    pub async fn delete_signer(
        &self,
        letter: &str,
        who: &SignerSelector,
    ) -> Result<u64, StoreError> {
        let deleted = match who {
            SignerSelector::Id(id) => with_writer!(self, |pool, _begin| {
                sqlx::query("DELETE FROM signers WHERE letter = $1 AND id = $2")
                    .bind(letter)
                    .bind(*id)
                    .execute(pool)
                    .await?
                    .rows_affected()
            }),
            SignerSelector::Email { address, secret } => {
                let key = email::key(secret, &email::normalize(address)?);
                with_writer!(self, |pool, _begin| {
                    sqlx::query("DELETE FROM signers WHERE letter = $1 AND email_key = $2")
                        .bind(letter)
                        .bind(key.as_slice())
                        .execute(pool)
                        .await?
                        .rows_affected()
                })
            }
        };
        Ok(deleted)
    }

    /// Delete pending signers whose confirmation expired before `now`; returns how many.
    /// Housekeeping for the server (e.g. hourly): expired rows are never counted, and a new
    /// signature with the same email replaces one anyway.
    pub async fn purge_expired(&self, now: jiff::Timestamp) -> Result<u64, StoreError> {
        Ok(with_writer!(self, |pool, _begin| {
            sqlx::query(
                "DELETE FROM signers WHERE confirmed_at_ms IS NULL AND confirm_expires_at_ms <= $1",
            )
            .bind(now.as_millisecond())
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}
