package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/starlingmq/starling/internal/jsonx"
)

// migrationBatch is the number of documents re-encoded per statement.
const migrationBatch = 500

// migrationLock is the advisory lock key the nodes opening one database
// take while they bring its tables up to date, so that one does it.
const migrationLock = 0x5374726c // "Strl"

// migrate brings the collection tables of a database written by an older
// Starling up to date: a table without column src (the text of the
// documents as written) gets one, filled with the engine's encoding of
// each JSONB document (the text it would have written: keys sorted, numbers
// as float64 writes them; only Kuzzle's metadata, which a create appends
// last, moves to its sorted place).
// A database without a catalogue yet has nothing to migrate.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate the tables: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate the tables: take the lock: %w", err)
	}
	var catalogue bool
	if err := tx.QueryRowContext(ctx, `SELECT to_regclass('starling_collections') IS NOT NULL`).Scan(&catalogue); err != nil {
		return fmt.Errorf("migrate the tables: %w", err)
	}
	if !catalogue {
		return nil
	}
	tables, err := tablesWithoutSource(ctx, tx)
	if err != nil {
		return err
	}
	for _, table := range tables {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ADD COLUMN src TEXT`); err != nil {
			return fmt.Errorf("migrate table %s: %w", table, err)
		}
		n, err := fillSource(ctx, tx, table)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+table+` ALTER COLUMN src SET NOT NULL`); err != nil {
			return fmt.Errorf("migrate table %s: %w", table, err)
		}
		log.Info("store: added the documents' text column", "table", table, "documents", n)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate the tables: %w", err)
	}
	return nil
}

// tablesWithoutSource lists the collection tables that lack column src.
func tablesWithoutSource(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.tbl FROM starling_collections c WHERE to_regclass(c.tbl) IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM information_schema.columns s
			WHERE s.table_schema = current_schema() AND s.table_name = c.tbl AND s.column_name = 'src')`)
	if err != nil {
		return nil, fmt.Errorf("migrate the tables: list them: %w", err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("migrate the tables: list them: %w", err)
		}
		tables = append(tables, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate the tables: list them: %w", err)
	}
	return tables, nil
}

// fillSource sets column src of every document of table lacking it, in
// batches, and returns their count.
func fillSource(ctx context.Context, tx *sql.Tx, table string) (int, error) {
	total := 0
	for {
		ids, srcs, err := unfilled(ctx, tx, table)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` AS t SET src = u.src FROM unnest($1::text[], $2::text[]) AS u(id, src) `+
			`WHERE t.id = u.id`, ids, srcs); err != nil {
			return total, fmt.Errorf("migrate table %s: %w", table, err)
		}
		total += len(ids)
	}
}

// unfilled reads a batch of documents of table without src, and encodes
// them as the engine does.
func unfilled(ctx context.Context, tx *sql.Tx, table string) (ids, srcs []string, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, doc::text FROM `+table+` WHERE src IS NULL LIMIT $1`, migrationBatch)
	if err != nil {
		return nil, nil, fmt.Errorf("migrate table %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var raw []byte
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, nil, fmt.Errorf("migrate table %s: %w", table, err)
		}
		var doc map[string]any
		if err := jsonx.Unmarshal(raw, &doc); err != nil {
			return nil, nil, fmt.Errorf("migrate table %s: decode %q: %w", table, id, err)
		}
		src, err := jsonx.Marshal(doc)
		if err != nil {
			return nil, nil, fmt.Errorf("migrate table %s: encode %q: %w", table, id, err)
		}
		ids, srcs = append(ids, id), append(srcs, string(src))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("migrate table %s: %w", table, err)
	}
	return ids, srcs, nil
}
