-- The hold transaction as PostgreSQL alone runs it (pgbench): lock two seat rows in id order,
-- insert the hold, point the seats at it, commit. Run by bench/pgbench_hold.sh.
\set first random(:min_id, :max_id - 1)
BEGIN;
SELECT id FROM booking_showseat WHERE id IN (:first, :first + 1) ORDER BY id FOR UPDATE;
WITH hold AS (
  INSERT INTO booking_hold (id, show_id, token_hash, state, created_at, expires_at, seats,
                            total, currency, session_key, client)
  VALUES (gen_random_uuid(), :show, 'pgbench', 'active', now(), now() + interval '5 minutes',
          '[]', 20, 'USD', '', '127.0.0.1')
  RETURNING id
)
UPDATE booking_showseat SET hold_id = (SELECT id FROM hold),
                            held_until = now() + interval '5 minutes'
 WHERE id IN (:first, :first + 1) AND booking_id IS NULL;
COMMIT;
