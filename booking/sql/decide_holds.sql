-- booking.holds.decide_holds on PostgreSQL, in one round trip: the rule of booking/holds.py
-- (_check_hold, in the same order), run by booking/holds_sql.py. The tests run the same cases
-- against this function and the Python version. Installed by migration 0010; to change it,
-- edit this file and add a migration that runs it again.
--
-- p_requests: [{"id": hold uuid, "token_hash", "client", "session_key", "lock": advisory key,
--               "seats": [seat ids], "admitted": let in by the waiting room}, ...] in arrival
--               order.
-- p_per_show, p_overall: the per-client caps, or NULL when caps are off.
-- p_clock_offset_us: how far the application's clock (django.utils.timezone.now) is from real
-- time, in microseconds: zero in production, moved only by tests that move the clock. The
-- rule's "now" is read after the locks, as clock_timestamp() plus this.
-- Returns {"now", "expires_at", "version", "waiting", "currency", "outcomes": [...]} (or
-- {"no_show": true}), one outcome per
-- request: {"held": receipt, "total"} or {"refused": "started" | "cancelled" | "not_on_sale" |
-- "queue_required" | "unknown" |
-- "waiting" | "taken" | "companion" | "strands" | "limit", "seats": [...], "suggestion": [...],
-- "retry_after": seconds}.

-- No stranded seats (booking/stranding.py, line by line): over one row, as the grid columns of
-- its free seats, the columns that taking p_take would leave on their own...
CREATE OR REPLACE FUNCTION booking_stranded(p_free integer[], p_take integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE AS $strand$
    SELECT coalesce(array_agg(c ORDER BY c), '{}')
      FROM unnest(p_free) AS c
     WHERE NOT (c = ANY(p_take))
       AND NOT (c - 1 = ANY(p_free) AND NOT (c - 1 = ANY(p_take)))
       AND NOT (c + 1 = ANY(p_free) AND NOT (c + 1 = ANY(p_take)))
       AND (c - 1 = ANY(p_take) OR c + 1 = ANY(p_take))
$strand$;

-- ...and, when it strands one, the nearest choice of as many seats side by side that strands
-- none (NULL: taking p_take is allowed, as nothing is stranded or every choice would strand).
-- p_allowed: the seats a choice may be made of (those of the hold's categories).
CREATE OR REPLACE FUNCTION booking_better_choice(p_free integer[], p_take integer[],
                                                 p_allowed integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE AS $better$
    SELECT CASE WHEN cardinality(booking_stranded(p_free, p_take)) = 0 THEN NULL ELSE (
        SELECT r.run
          FROM (SELECT s, array(SELECT generate_series(s, s + cardinality(p_take) - 1)) AS run
                  FROM unnest(p_free) AS s) r
         WHERE r.run <@ p_free AND r.run <@ p_allowed
           AND cardinality(booking_stranded(p_free, r.run)) = 0
         ORDER BY abs((SELECT avg(x) FROM unnest(r.run) x)
                      - (SELECT avg(x) FROM unnest(p_take) x)), r.s
         LIMIT 1) END
$better$;

CREATE OR REPLACE FUNCTION booking_decide_holds(
    p_show bigint, p_requests jsonb, p_ttl_seconds integer,
    p_per_show integer, p_overall integer, p_clock_offset_us bigint
) RETURNS jsonb LANGUAGE plpgsql
-- Each statement's plan is made once per connection, not again for every call's values: the
-- plans do not depend on them (every lookup is by key), and planning anew cost about a quarter
-- of the function's time (docs/performance.md).
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
    v_show record;
    v_now timestamptz;
    v_expires timestamptz;
    v_waiting integer;
    v_version bigint;
    v_prices jsonb;
    v_companions_open boolean;
    v_lonely jsonb;
    -- The requests, flattened: request i wants v_seats[v_first[i] .. v_first[i] + v_count[i] - 1].
    v_n integer;
    v_seats bigint[];
    v_first integer[];
    v_count integer[];
    v_client text[];
    -- The wanted rows, by position k; v_index maps a seat id to its k.
    v_index jsonb;
    v_row_id bigint[];
    v_label text[];
    v_row_label text[];
    v_number integer[];
    v_category text[];
    v_grid_row integer[];
    v_grid_col integer[];
    v_state text[];          -- the seat's state now; 'held' once an earlier request won it
    -- No stranded seats: the free seats of the rows the batch touches, as row -> column ->
    -- [seat id, label]; a seat leaves it when an earlier request of the batch wins it.
    v_free jsonb := '{}';
    v_row text;
    v_cols integer[];
    v_allowed integer[];
    v_kinds text[];
    v_take integer[];
    v_better integer[];
    v_alone jsonb;
    v_instead jsonb;
    v_strands boolean;
    v_live jsonb := '{}';    -- client -> [holds of this show, holds overall, soonest expiry]
    v_got jsonb := '{}';     -- client -> holds this batch gave them
    v_outcomes jsonb[] := '{}';
    v_hold_index integer[] := '{}';  -- which requests got a hold
    v_hold_seats jsonb[] := '{}';
    v_hold_total numeric[] := '{}';
    v_claim_row bigint[] := '{}';
    v_claim_hold uuid[] := '{}';
    v_unknown bigint[];
    v_taken jsonb[];
    v_receipt jsonb[];
    v_total numeric;
    v_k integer;
    v_counts jsonb;
    v_mine integer;
    v_claimed integer;
    v_admitted boolean[];
BEGIN

    SELECT count(*)::int, array_agg(r.value->>'client' ORDER BY r.i),
           array_agg(jsonb_array_length(r.value->'seats') ORDER BY r.i),
           array_agg(coalesce((r.value->>'admitted')::boolean, false) ORDER BY r.i)
      INTO v_n, v_client, v_count, v_admitted
      FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS r(value, i);
    SELECT array_agg(seat.value::bigint ORDER BY r.i, seat.j)
      INTO v_seats
      FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS r(value, i),
           jsonb_array_elements_text(r.value->'seats') WITH ORDINALITY AS seat(value, j);
    v_first := array_fill(1, ARRAY[v_n]);
    FOR i IN 2 .. v_n LOOP
        v_first[i] := v_first[i - 1] + v_count[i - 1];
    END LOOP;

    -- Lock exactly the wanted rows, in key order; the clock is read once they are ours.
    PERFORM 1 FROM booking_showseat
      WHERE show_id = p_show AND seat_id = ANY(v_seats) ORDER BY id FOR UPDATE;
    -- The show as it is once the seats are ours (a statement's snapshot is taken at its start).
    SELECT s.starts_at, s.cancelled_at, s.currency, s.price_standard, s.price_premium,
           s.price_accessible, c.no_stranded_seats,
           c.companion_seats_open_minutes AS companions_open_minutes,
           s.on_sale_at AS on_sale_at, s.waiting_room AS waiting_room, c.timezone AS timezone
      INTO v_show FROM catalog_show s JOIN catalog_hall h ON h.id = s.hall_id
                                     JOIN catalog_cinema c ON c.id = h.cinema_id
      WHERE s.id = p_show;
    IF NOT FOUND THEN
        RETURN jsonb_build_object('no_show', true);
    END IF;
    v_prices := jsonb_strip_nulls(jsonb_build_object(
        'standard', v_show.price_standard, 'premium', v_show.price_premium,
        'accessible', v_show.price_accessible,
        'companion', v_show.price_standard));  -- catalog.layout.PRICED_AS
    v_now := clock_timestamp() + make_interval(secs => p_clock_offset_us / 1000000.0);
    v_expires := v_now + make_interval(secs => p_ttl_seconds);
    -- booking.companions.companions_open
    v_companions_open := v_show.companions_open_minutes IS NOT NULL
        AND v_now >= v_show.starts_at - make_interval(mins => v_show.companions_open_minutes);

    SELECT coalesce(jsonb_object_agg(w.seat_id::text, w.k), '{}'), array_agg(w.id ORDER BY w.k),
           array_agg(w.row_label || w.number::text ORDER BY w.k),
           array_agg(w.row_label ORDER BY w.k), array_agg(w.number ORDER BY w.k),
           array_agg(w.category ORDER BY w.k), array_agg(w.state ORDER BY w.k),
           array_agg(w.grid_row ORDER BY w.k), array_agg(w.grid_col ORDER BY w.k)
      INTO v_index, v_row_id, v_label, v_row_label, v_number, v_category, v_state, v_grid_row,
           v_grid_col
      FROM (SELECT ss.id, ss.seat_id, seat.row_label, seat.number::int AS number,
                   seat.category, seat.grid_row, seat.grid_col,
                   CASE WHEN seat.blocked OR ss.house_reason <> '' THEN 'blocked'
                        WHEN ss.booking_id IS NOT NULL THEN 'booked'
                        WHEN ss.hold_id IS NOT NULL AND ss.held_until > v_now THEN 'held'
                        ELSE 'available' END AS state,
                   row_number() OVER (ORDER BY ss.id)::int AS k
              FROM booking_showseat ss JOIN catalog_seat seat ON seat.id = ss.seat_id
              WHERE ss.show_id = p_show AND ss.seat_id = ANY(v_seats)) w;
    SELECT m.waiting INTO v_waiting FROM booking_seatmapstate m WHERE m.show_id = p_show;
    v_waiting := coalesce(v_waiting, 0);
    IF v_show.no_stranded_seats THEN
        -- Seats beside the holds are read, not locked: one batch of this show at a time passes
        -- here (booking.holds.lock_show_for_stranding takes the same lock), so none strands
        -- a seat together with another.
        PERFORM pg_advisory_xact_lock(4242, p_show::integer);
        SELECT coalesce(jsonb_object_agg(f.grid_row::text, f.cols), '{}') INTO v_free
          FROM (SELECT seat.grid_row, jsonb_object_agg(seat.grid_col::text, jsonb_build_array(
                         ss.seat_id, seat.row_label || seat.number::text, seat.category)) AS cols
                  FROM booking_showseat ss JOIN catalog_seat seat ON seat.id = ss.seat_id
                 WHERE ss.show_id = p_show AND seat.grid_row = ANY(v_grid_row)
                   AND NOT seat.blocked AND ss.house_reason = '' AND ss.booking_id IS NULL
                   AND (ss.hold_id IS NULL OR ss.held_until <= v_now)
                 GROUP BY seat.grid_row) f;
    END IF;

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
                  WHERE h.client = ANY(v_client)
                    AND h.state IN ('active', 'paying') AND h.expires_at > v_now
                  GROUP BY h.client) live;
    END IF;

    FOR i IN 1 .. v_n LOOP
        IF v_show.starts_at <= v_now THEN
            v_outcomes := array_append(v_outcomes, '{"refused": "started"}'::jsonb);
            CONTINUE;
        END IF;
        IF v_show.cancelled_at IS NOT NULL THEN
            v_outcomes := array_append(v_outcomes, '{"refused": "cancelled"}'::jsonb);
            CONTINUE;
        END IF;
        IF v_show.on_sale_at IS NOT NULL AND v_now < v_show.on_sale_at THEN
            v_outcomes := array_append(v_outcomes, jsonb_build_object(
                'refused', 'not_on_sale', 'on_sale_at', v_show.on_sale_at,
                'timezone', v_show.timezone));
            CONTINUE;
        END IF;
        IF v_show.waiting_room AND NOT v_admitted[i] THEN
            v_outcomes := array_append(v_outcomes, '{"refused": "queue_required"}'::jsonb);
            CONTINUE;
        END IF;
        v_unknown := '{}';
        FOR j IN v_first[i] .. v_first[i] + v_count[i] - 1 LOOP
            IF NOT v_index ? v_seats[j]::text THEN
                v_unknown := array_append(v_unknown, v_seats[j]);
            END IF;
        END LOOP;
        IF cardinality(v_unknown) > 0 THEN
            v_outcomes := array_append(v_outcomes, jsonb_build_object(
                'refused', 'unknown', 'seats', to_jsonb(v_unknown)));
            CONTINUE;
        END IF;
        IF v_waiting > 0 THEN
            v_outcomes := array_append(v_outcomes, '{"refused": "waiting"}'::jsonb);
            CONTINUE;
        END IF;
        v_taken := '{}';
        FOR j IN v_first[i] .. v_first[i] + v_count[i] - 1 LOOP
            v_k := (v_index->>(v_seats[j]::text))::int;
            IF v_state[v_k] <> 'available' THEN
                v_taken := array_append(v_taken, jsonb_build_array(
                    v_seats[j], v_label[v_k], v_state[v_k]));
            END IF;
        END LOOP;
        IF cardinality(v_taken) > 0 THEN
            v_outcomes := array_append(v_outcomes, jsonb_build_object(
                'refused', 'taken', 'seats', to_jsonb(v_taken)));
            CONTINUE;
        END IF;
        -- A companion seat goes with a wheelchair space (booking.companions).
        IF NOT v_companions_open THEN
            SELECT coalesce(jsonb_agg(jsonb_build_array(v_seats[j],
                                      v_label[(v_index->>(v_seats[j]::text))::int]) ORDER BY j),
                            '[]')
              INTO v_lonely FROM generate_series(v_first[i], v_first[i] + v_count[i] - 1) j
             WHERE v_category[(v_index->>(v_seats[j]::text))::int] = 'companion';
            IF jsonb_array_length(v_lonely) > 0 AND NOT EXISTS (
                   SELECT 1 FROM generate_series(v_first[i], v_first[i] + v_count[i] - 1) j
                    WHERE v_category[(v_index->>(v_seats[j]::text))::int] = 'accessible') THEN
                v_outcomes := array_append(v_outcomes, jsonb_build_object(
                    'refused', 'companion', 'seats', v_lonely));
                CONTINUE;
            END IF;
        END IF;
        v_strands := false;
        IF v_show.no_stranded_seats THEN
            SELECT array_agg(DISTINCT v_category[(v_index->>(v_seats[j]::text))::int])
              INTO v_kinds
              FROM generate_series(v_first[i], v_first[i] + v_count[i] - 1) j;
            FOR v_row IN SELECT g.r::text FROM (
                             SELECT DISTINCT v_grid_row[(v_index->>(v_seats[j]::text))::int] AS r
                               FROM generate_series(v_first[i], v_first[i] + v_count[i] - 1) j
                           ) g ORDER BY g.r LOOP
                SELECT coalesce(array_agg(key::int), '{}') INTO v_cols
                  FROM jsonb_object_keys(coalesce(v_free->v_row, '{}')) key;
                SELECT coalesce(array_agg(e.key::int), '{}') INTO v_allowed
                  FROM jsonb_each(coalesce(v_free->v_row, '{}')) e
                 WHERE e.value->>2 = ANY(v_kinds);
                SELECT array_agg(v_grid_col[(v_index->>(v_seats[j]::text))::int]) INTO v_take
                  FROM generate_series(v_first[i], v_first[i] + v_count[i] - 1) j
                 WHERE v_grid_row[(v_index->>(v_seats[j]::text))::int]::text = v_row;
                v_better := booking_better_choice(v_cols, v_take, v_allowed);
                IF v_better IS NOT NULL THEN
                    SELECT jsonb_agg(jsonb_build_array(v_free->v_row->(c::text)->0,
                                                       v_free->v_row->(c::text)->1) ORDER BY c)
                      INTO v_alone FROM unnest(booking_stranded(v_cols, v_take)) c;
                    SELECT jsonb_agg(jsonb_build_array(v_free->v_row->(c::text)->0,
                                                       v_free->v_row->(c::text)->1) ORDER BY c)
                      INTO v_instead FROM unnest(v_better) c;
                    v_outcomes := array_append(v_outcomes, jsonb_build_object(
                        'refused', 'strands', 'seats', v_alone, 'suggestion', v_instead));
                    v_strands := true;
                    EXIT;
                END IF;
            END LOOP;
        END IF;
        IF v_strands THEN
            CONTINUE;
        END IF;
        IF p_per_show IS NOT NULL THEN
            v_counts := coalesce(v_live->v_client[i], '[0, 0, null]'::jsonb);
            v_mine := coalesce((v_got->>v_client[i])::int, 0);
            IF (v_counts->>0)::int + v_mine >= p_per_show
               OR (v_counts->>1)::int + v_mine >= p_overall THEN
                v_outcomes := array_append(v_outcomes, jsonb_build_object(
                    'refused', 'limit',
                    'retry_after', CASE WHEN v_counts->>2 IS NULL THEN p_ttl_seconds
                        ELSE greatest(1, ceil(extract(epoch FROM
                            (v_counts->>2)::timestamptz - v_now)))::int END));
                CONTINUE;
            END IF;
            v_got := v_got || jsonb_build_object(v_client[i], v_mine + 1);
        END IF;
        -- Granted: its receipt, and its seats are taken for the rest of the batch.
        v_receipt := '{}';
        v_total := 0;
        FOR j IN v_first[i] .. v_first[i] + v_count[i] - 1 LOOP
            v_k := (v_index->>(v_seats[j]::text))::int;
            v_receipt := array_append(v_receipt, jsonb_build_object(
                'id', v_seats[j], 'row', v_row_label[v_k], 'number', v_number[v_k],
                'category', v_category[v_k], 'price', v_prices->>v_category[v_k]));
            v_total := v_total + (v_prices->>v_category[v_k])::numeric;
            v_state[v_k] := 'held';
            IF v_show.no_stranded_seats THEN
                v_free := jsonb_set(v_free, ARRAY[v_grid_row[v_k]::text],
                                    coalesce(v_free->(v_grid_row[v_k]::text), '{}')
                                    - v_grid_col[v_k]::text);
            END IF;
            v_claim_row := array_append(v_claim_row, v_row_id[v_k]);
            v_claim_hold := array_append(v_claim_hold, (p_requests->(i - 1)->>'id')::uuid);
        END LOOP;
        v_hold_index := array_append(v_hold_index, i);
        v_hold_seats := array_append(v_hold_seats, to_jsonb(v_receipt));
        v_hold_total := array_append(v_hold_total, v_total);
        v_outcomes := array_append(v_outcomes, jsonb_build_object(
            'held', to_jsonb(v_receipt), 'total', v_total));
    END LOOP;

    IF cardinality(v_hold_index) > 0 THEN
        INSERT INTO booking_hold (id, show_id, token_hash, state, created_at, expires_at, seats,
                                  total, currency, session_key, client)
        SELECT (r->>'id')::uuid, p_show, r->>'token_hash', 'active', v_now, v_expires,
               h.seats, h.total, v_show.currency, coalesce(r->>'session_key', ''),
               r->>'client'
          FROM unnest(v_hold_index, v_hold_seats, v_hold_total) AS h(i, seats, total),
               LATERAL (SELECT p_requests->(h.i - 1) AS r) req;
        -- Guarded as well as locked: only rows still free are touched.
        UPDATE booking_showseat ss SET hold_id = c.hold_id, held_until = v_expires
          FROM unnest(v_claim_row, v_claim_hold) AS c(row_id, hold_id)
          WHERE ss.id = c.row_id AND ss.booking_id IS NULL
            AND (ss.hold_id IS NULL OR ss.held_until <= v_now);
        GET DIAGNOSTICS v_claimed = ROW_COUNT;
        IF v_claimed <> cardinality(v_claim_row) THEN
            RAISE EXCEPTION 'seats taken under the lock' USING ERRCODE = 'RS409';
        END IF;
        UPDATE booking_seatmapstate SET version = version + 1 WHERE show_id = p_show
          RETURNING version, waiting INTO v_version, v_waiting;
    END IF;
    RETURN jsonb_build_object('now', v_now, 'expires_at', v_expires, 'version', v_version,
                              'waiting', v_waiting, 'currency', v_show.currency,
                              'outcomes', to_jsonb(v_outcomes));
END;
$fn$;
