-- booking.holds.decide_holds on PostgreSQL, in one round trip: the rule of booking/holds.py
-- (_check_hold, in the same order), run by booking/holds_sql.py. The tests run the same cases
-- against this function and the Python version. Installed by migration 0010; to change it,
-- edit this file and add a migration that runs it again.
--
-- p_requests: [{"id": hold uuid, "token_hash", "client", "session_key", "lock": advisory key,
--               "seats": [seat ids]}, ...] in arrival order.
-- p_per_show, p_overall: the per-client caps, or NULL when caps are off.
-- p_clock_offset_us: how far the application's clock (django.utils.timezone.now) is from real
-- time, in microseconds: zero in production, moved only by tests that move the clock. The
-- rule's "now" is read after the locks, as clock_timestamp() plus this.
-- Returns {"now", "expires_at", "version", "waiting", "currency", "outcomes": [...]} (or
-- {"no_show": true}), one outcome per
-- request: {"held": receipt, "total"} or {"refused": "started" | "cancelled" | "unknown" |
-- "waiting" | "taken" | "limit", "seats": [...], "retry_after": seconds}.
CREATE OR REPLACE FUNCTION booking_decide_holds(
    p_show bigint, p_requests jsonb, p_ttl_seconds integer,
    p_per_show integer, p_overall integer, p_clock_offset_us bigint
) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
    v_show record;
    v_now timestamptz;
    v_expires timestamptz;
    v_waiting integer;
    v_version bigint;
    v_wanted bigint[];
    v_rows jsonb;          -- seat id -> [row id, label, state, category]
    v_prices jsonb;        -- category -> price
    v_live jsonb := '{}';  -- client -> [holds of this show, holds overall, soonest expiry]
    v_won jsonb := '{}';   -- seat id -> true, taken by an earlier request of this batch
    v_got jsonb := '{}';   -- client -> holds this batch gave them
    v_outcomes jsonb := '[]';
    v_holds jsonb := '[]';
    v_claims jsonb := '[]';
    v_request jsonb;
    v_seat text;
    v_row jsonb;
    v_unknown jsonb;
    v_taken jsonb;
    v_receipt jsonb;
    v_total numeric;
    v_client text;
    v_counts jsonb;
    v_claimed integer;
BEGIN
    SELECT s.starts_at, s.cancelled_at, s.currency, s.price_standard, s.price_premium,
           s.price_accessible
      INTO v_show FROM catalog_show s WHERE s.id = p_show;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('no_show', true);
    END IF;
    v_prices := jsonb_strip_nulls(jsonb_build_object(
        'standard', v_show.price_standard, 'premium', v_show.price_premium,
        'accessible', v_show.price_accessible));

    SELECT array_agg(DISTINCT seat::bigint ORDER BY seat::bigint) INTO v_wanted
      FROM jsonb_array_elements(p_requests) r, jsonb_array_elements_text(r->'seats') seat;

    -- Lock exactly the wanted rows, in key order; the clock is read once they are ours.
    PERFORM 1 FROM booking_showseat
      WHERE show_id = p_show AND seat_id = ANY(v_wanted) ORDER BY id FOR UPDATE;
    v_now := clock_timestamp() + make_interval(secs => p_clock_offset_us / 1000000.0);
    v_expires := v_now + make_interval(secs => p_ttl_seconds);

    SELECT coalesce(jsonb_object_agg(ss.seat_id::text, jsonb_build_array(
             ss.id, seat.row_label || seat.number::text,
             CASE WHEN seat.blocked THEN 'blocked'
                  WHEN ss.booking_id IS NOT NULL THEN 'booked'
                  WHEN ss.hold_id IS NOT NULL AND ss.held_until > v_now THEN 'held'
                  ELSE 'available' END,
             seat.category, seat.row_label, seat.number)), '{}')
      INTO v_rows
      FROM booking_showseat ss JOIN catalog_seat seat ON seat.id = ss.seat_id
      WHERE ss.show_id = p_show AND ss.seat_id = ANY(v_wanted);
    SELECT coalesce(m.waiting, 0) INTO v_waiting
      FROM booking_seatmapstate m WHERE m.show_id = p_show;
    v_waiting := coalesce(v_waiting, 0);

    IF p_per_show IS NOT NULL THEN
        -- One client's holds are counted one at a time; every client of the batch is locked
        -- up front, in one order, so two batches cannot deadlock.
        PERFORM pg_advisory_xact_lock(k.lock)
          FROM (SELECT DISTINCT r->>'client' AS client, (r->>'lock')::bigint AS lock
                  FROM jsonb_array_elements(p_requests) r) k
          ORDER BY k.client COLLATE "C";
        SELECT coalesce(jsonb_object_agg(live.client, live.counts), '{}') INTO v_live
          FROM (SELECT h.client, jsonb_build_array(
                         count(*) FILTER (WHERE h.show_id = p_show), count(*),
                         min(h.expires_at)) AS counts
                  FROM booking_hold h
                  WHERE h.client IN (SELECT r->>'client' FROM jsonb_array_elements(p_requests) r)
                    AND h.state IN ('active', 'paying') AND h.expires_at > v_now
                  GROUP BY h.client) live;
    END IF;

    FOR v_request IN SELECT value FROM jsonb_array_elements(p_requests) LOOP
        v_client := v_request->>'client';
        IF v_show.starts_at <= v_now THEN
            v_outcomes := v_outcomes || jsonb_build_object('refused', 'started');
            CONTINUE;
        END IF;
        IF v_show.cancelled_at IS NOT NULL THEN
            v_outcomes := v_outcomes || jsonb_build_object('refused', 'cancelled');
            CONTINUE;
        END IF;
        SELECT coalesce(jsonb_agg(seat::bigint), '[]') INTO v_unknown
          FROM jsonb_array_elements_text(v_request->'seats') seat WHERE NOT v_rows ? seat;
        IF jsonb_array_length(v_unknown) > 0 THEN
            v_outcomes := v_outcomes || jsonb_build_object('refused', 'unknown',
                                                           'seats', v_unknown);
            CONTINUE;
        END IF;
        IF v_waiting > 0 THEN
            v_outcomes := v_outcomes || jsonb_build_object('refused', 'waiting');
            CONTINUE;
        END IF;
        v_taken := '[]';
        FOR v_seat IN SELECT jsonb_array_elements_text(v_request->'seats') LOOP
            v_row := v_rows->v_seat;
            IF v_won ? v_seat THEN
                v_taken := v_taken || jsonb_build_array(jsonb_build_array(
                    v_seat::bigint, v_row->>1, 'held'));
            ELSIF v_row->>2 <> 'available' THEN
                v_taken := v_taken || jsonb_build_array(jsonb_build_array(
                    v_seat::bigint, v_row->>1, v_row->>2));
            END IF;
        END LOOP;
        IF jsonb_array_length(v_taken) > 0 THEN
            v_outcomes := v_outcomes || jsonb_build_object('refused', 'taken', 'seats', v_taken);
            CONTINUE;
        END IF;
        IF p_per_show IS NOT NULL THEN
            v_counts := coalesce(v_live->v_client, jsonb_build_array(0, 0, NULL));
            IF (v_counts->>0)::int + coalesce((v_got->>v_client)::int, 0) >= p_per_show
               OR (v_counts->>1)::int + coalesce((v_got->>v_client)::int, 0) >= p_overall THEN
                v_outcomes := v_outcomes || jsonb_build_object('refused', 'limit',
                    'retry_after', CASE WHEN v_counts->>2 IS NULL THEN p_ttl_seconds
                        ELSE greatest(1, ceil(extract(epoch FROM
                            (v_counts->>2)::timestamptz - v_now)))::int END);
                CONTINUE;
            END IF;
        END IF;
        -- Granted: its receipt, and its seats are taken for the rest of the batch.
        v_receipt := '[]';
        v_total := 0;
        FOR v_seat IN SELECT jsonb_array_elements_text(v_request->'seats') LOOP
            v_row := v_rows->v_seat;
            v_receipt := v_receipt || jsonb_build_array(jsonb_build_object(
                'id', v_seat::bigint, 'row', v_row->>4, 'number', (v_row->>5)::int,
                'category', v_row->>3, 'price', (v_prices->>(v_row->>3))));
            v_total := v_total + (v_prices->>(v_row->>3))::numeric;
            v_won := v_won || jsonb_build_object(v_seat, true);
            v_claims := v_claims || jsonb_build_array(jsonb_build_array(
                (v_row->>0)::bigint, v_request->>'id'));
        END LOOP;
        v_got := v_got || jsonb_build_object(
            v_client, coalesce((v_got->>v_client)::int, 0) + 1);
        v_holds := v_holds || jsonb_build_object(
            'id', v_request->>'id', 'token_hash', v_request->>'token_hash',
            'client', v_client, 'session_key', coalesce(v_request->>'session_key', ''),
            'seats', v_receipt, 'total', v_total);
        v_outcomes := v_outcomes || jsonb_build_object('held', v_receipt, 'total', v_total);
    END LOOP;

    IF jsonb_array_length(v_holds) > 0 THEN
        INSERT INTO booking_hold (id, show_id, token_hash, state, created_at, expires_at, seats,
                                  total, currency, session_key, client)
        SELECT (h->>'id')::uuid, p_show, h->>'token_hash', 'active', v_now, v_expires,
               h->'seats', (h->>'total')::numeric, v_show.currency, h->>'session_key',
               h->>'client'
          FROM jsonb_array_elements(v_holds) h;
        -- Guarded as well as locked: only rows still free are touched.
        UPDATE booking_showseat ss SET hold_id = (c->>1)::uuid, held_until = v_expires
          FROM jsonb_array_elements(v_claims) c
          WHERE ss.id = (c->>0)::bigint AND ss.booking_id IS NULL
            AND (ss.hold_id IS NULL OR ss.held_until <= v_now);
        GET DIAGNOSTICS v_claimed = ROW_COUNT;
        IF v_claimed <> jsonb_array_length(v_claims) THEN
            RAISE EXCEPTION 'seats taken under the lock' USING ERRCODE = 'RS409';
        END IF;
        UPDATE booking_seatmapstate SET version = version + 1 WHERE show_id = p_show
          RETURNING version, waiting INTO v_version, v_waiting;
    END IF;
    RETURN jsonb_build_object('now', v_now, 'expires_at', v_expires, 'version', v_version,
                              'waiting', v_waiting, 'currency', v_show.currency,
                              'outcomes', v_outcomes);
END;
$fn$;
