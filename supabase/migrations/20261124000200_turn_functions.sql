-- The conversation turn: begin_turn / end_turn / ack_outbox, extend_lease, claim_stale_turns.
--
-- One call each, so a text turn costs two round trips. Refusals (SQLSTATE, see shared/errors.py):
--   BJ002 lease_lost        end_turn / extend_lease by a turn whose lease was taken over
--   BJ003 not_found         unknown conversation
--   BJ004 invalid_argument  malformed input
-- A turn's lease expires (p_lease_seconds), so a crashed turn never locks a customer out: the next
-- message takes the lease over and re-claims what the crashed turn left unanswered (and the
-- reconciler's claim_stale_turns does the same when no new message comes). A message that has been
-- claimed by three turns without being answered is dropped (marked handled, payload .dropped = true)
-- so one poisonous message cannot wedge a conversation. Locks follow the order at the top of the
-- first migration: outbox acks, then the customer, then the conversation.

-- The shop's calendar day in its time zone (TIMEZONE, which the app passes as p_timezone).
create function private.shop_today(p_timezone text) returns date
language sql stable
set search_path = pg_catalog, public
as $$
  select (now() at time zone p_timezone)::date
$$;

-- Apply send results: [{"outbox_id": 1, "wamid": "wamid.X"} | {"outbox_id": 2, "error": "..."}].
create function private.apply_outbox_acks(p_acks jsonb) returns integer
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_count integer := 0;
  v_n integer;
begin
  if p_acks is null or jsonb_typeof(p_acks) <> 'array' or jsonb_array_length(p_acks) = 0 then
    return 0;
  end if;

  -- lock order 1: the acknowledged outbox rows, by id (two instances acking overlapping rows
  -- never wait on each other in opposite orders)
  perform 1 from public.outbox
   where id in (select (a ->> 'outbox_id')::bigint from jsonb_array_elements(p_acks) a)
   order by id
   for no key update;

  with acks as (
    select distinct on ((a ->> 'outbox_id')::bigint) (a ->> 'outbox_id')::bigint as outbox_id, a ->> 'wamid' as wamid
      from jsonb_array_elements(p_acks) a
     where a ->> 'wamid' is not null
  ), sent as (
    update public.outbox o
       set status = 'sent', wamid = acks.wamid, sent_at = now(),
           attempts = o.attempts + 1, last_error = null
      from acks
     where o.id = acks.outbox_id and o.status <> 'sent'
    returning o.message_id, acks.wamid
  )
  update public.messages m set wamid = sent.wamid
    from sent
   where m.id = sent.message_id and m.wamid is null
     and not exists (select from public.messages d where d.wamid = sent.wamid);
  get diagnostics v_n = row_count;
  v_count := v_count + v_n;

  -- A failed send stays pending with a growing backoff (30 s, 1 min, 2 min, ... capped at 1 h);
  -- after 10 attempts it is marked failed for a human to look at.
  with fails as (
    select distinct on ((a ->> 'outbox_id')::bigint) (a ->> 'outbox_id')::bigint as outbox_id,
           left(a ->> 'error', 500) as error
      from jsonb_array_elements(p_acks) a
     where a ->> 'wamid' is null
  )
  update public.outbox o
     set attempts = o.attempts + 1,
         last_error = fails.error,
         status = case when o.attempts + 1 >= 10 then 'failed' else 'pending' end,
         next_attempt_at = now() + least(interval '1 hour', interval '30 seconds' * power(2, o.attempts))
    from fails
   where o.id = fails.outbox_id and o.status = 'pending';
  get diagnostics v_n = row_count;
  return v_count + v_n;
end
$$;

create function private.message_json(m public.messages) returns jsonb
language sql immutable
as $$
  select jsonb_build_object(
    'id', m.id, 'direction', m.direction, 'wamid', m.wamid, 'kind', m.kind, 'text', m.body,
    'media_uri', m.media_uri, 'payload', m.payload, 'at', coalesce(m.sent_at, m.created_at))
$$;

-- Claim every unanswered inbound message of a conversation for a lease; drop poisonous ones.
create function private.claim_messages(p_conversation_id bigint, p_token uuid) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_claimed jsonb;
begin
  update public.messages
     set handled_at = now(), payload = payload || '{"dropped": true}'::jsonb
   where conversation_id = p_conversation_id and direction = 'in' and handled_at is null
     and attempts >= 3 and turn_token is distinct from p_token;

  with claimed as (
    update public.messages
       set turn_token = p_token, attempts = attempts + 1
     where conversation_id = p_conversation_id and direction = 'in' and handled_at is null
       and turn_token is distinct from p_token
    returning *
  )
  select coalesce(jsonb_agg(private.message_json(c) order by c.id), '[]'::jsonb)
    into v_claimed from claimed c;
  return v_claimed;
end
$$;

-- What the conversation state points at, as the orders table has it now: the state's quotes,
-- awaiting and settled refs, and its awaiting payment. A payment that settled outside a turn (the Atlantic
-- webhook, the reconciler) is seen by the next turn without anyone rewriting its state.
create function private.state_facts(p_customer_id bigint, p_state jsonb) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  with refs as (
    select q ->> 'ref' as ref
      from jsonb_array_elements(case jsonb_typeof(p_state -> 'quotes') when 'array' then p_state -> 'quotes'
                                     else '[]'::jsonb end) q
    union
    select r
      from jsonb_array_elements_text(case jsonb_typeof(p_state #> '{awaiting,refs}') when 'array'
                                          then p_state #> '{awaiting,refs}' else '[]'::jsonb end) r
    union
    select r
      from jsonb_array_elements_text(case jsonb_typeof(p_state -> 'settled') when 'array'
                                          then p_state -> 'settled' else '[]'::jsonb end) r
  )
  select jsonb_build_object(
    'orders', coalesce((
      select jsonb_object_agg(o.ref, jsonb_build_object(
               'status', o.status, 'payment', p.ref, 'payment_status', p.status, 'sn', o.sn,
               'name', o.product_name, 'price', o.price, 'target', o.target))
        from public.orders o left join public.payments p on p.id = o.payment_id
       where o.customer_id = p_customer_id and o.ref in (select ref from refs where ref is not null)), '{}'::jsonb),
    'payment', (
      select jsonb_build_object('ref', p.ref, 'status', p.status, 'kind', p.kind)
        from public.payments p
       where p.customer_id = p_customer_id and p.ref = p_state #>> '{awaiting,payment}'))
$$;

-- Take the lease of a conversation (locked by the caller) and return what a turn needs.
create function private.lease_turn(
  p_customer       public.customers,
  p_conv           public.conversations,
  p_lease_seconds  integer,
  p_history_limit  integer,
  p_timezone       text
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_token     uuid := gen_random_uuid();
  v_until     timestamptz := now() + make_interval(secs => p_lease_seconds);
  v_messages  jsonb;
  v_history   jsonb;
begin
  update public.conversations set lease_token = v_token, lease_until = v_until where id = p_conv.id;

  v_messages := private.claim_messages(p_conv.id, v_token);

  select coalesce(jsonb_agg(private.message_json(h) order by h.id), '[]'::jsonb) into v_history
    from (
      select * from public.messages
       where conversation_id = p_conv.id
         and (direction = 'out' or handled_at is not null)
       order by id desc
       limit greatest(0, least(p_history_limit, 100))
    ) h;

  return jsonb_build_object(
    'status', 'leased',
    'customer', to_jsonb(p_customer),
    'conversation_id', p_conv.id,
    'version', p_conv.version,
    'state', p_conv.state,
    'facts', private.state_facts(p_customer.id, p_conv.state),
    'lease', jsonb_build_object('token', v_token, 'until', v_until),
    'messages', v_messages,
    'history', v_history,
    -- what the seller's limits need: inbound messages in the last minute, model tokens today
    'usage', jsonb_build_object(
      'messages_last_minute',
        (select count(*) from public.messages
          where conversation_id = p_conv.id and direction = 'in' and created_at > now() - interval '1 minute'),
      'tokens_today', case when p_conv.tokens_day = private.shop_today(p_timezone) then p_conv.tokens_today else 0 end));
end
$$;

create function public.begin_turn(
  p_wamid          text,
  p_wa_id          text default null,
  p_user_id        text default null,
  p_name           text default null,
  p_kind           text default 'text',
  p_body           text default null,
  p_media_uri      text default null,
  p_payload        jsonb default '{}'::jsonb,
  p_sent_at        timestamptz default null,
  p_lease_seconds  integer default 60,
  p_history_limit  integer default 12,
  p_acks           jsonb default '[]'::jsonb,
  p_timezone       text default 'Asia/Jakarta'
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer  public.customers;
  v_conv      public.conversations;
  v_msg_id    bigint;
begin
  if p_wamid is null or length(p_wamid) = 0 or length(p_wamid) > 200 then
    raise exception 'p_wamid must be 1..200 characters' using errcode = 'BJ004';
  end if;
  if p_wa_id is null and p_user_id is null then
    raise exception 'a customer needs p_wa_id or p_user_id' using errcode = 'BJ004';
  end if;
  if p_wa_id is not null and p_wa_id !~ '^[1-9][0-9]{6,14}$' then
    raise exception 'p_wa_id must be E.164 digits without +' using errcode = 'BJ004';
  end if;
  if p_user_id is not null and length(p_user_id) not between 1 and 128 then
    raise exception 'p_user_id must be 1..128 characters' using errcode = 'BJ004';
  end if;
  if p_lease_seconds not between 5 and 900 then
    raise exception 'p_lease_seconds must be between 5 and 900' using errcode = 'BJ004';
  end if;

  -- lock order 1: outbox acks
  perform private.apply_outbox_acks(p_acks);

  -- 1. drop a duplicate delivery (the unique index settles races below)
  if exists (select from public.messages where wamid = p_wamid) then
    return jsonb_build_object('status', 'duplicate');
  end if;

  -- 2. lock order 2: upsert and lock the customer, known by phone and/or business-scoped user id
  loop
    select * into v_customer
      from public.customers
     where wa_id = p_wa_id or wa_user_id = p_user_id
     order by (wa_id is not distinct from p_wa_id) desc, id
     limit 1
     for no key update;
    exit when found;
    insert into public.customers (wa_id, wa_user_id, name)
    values (p_wa_id, p_user_id, left(p_name, 200))
    on conflict do nothing;
  end loop;

  update public.customers
     set wa_id = coalesce(wa_id, p_wa_id),
         wa_user_id = case when wa_user_id is null
                            and not exists (select from public.customers c2 where c2.wa_user_id = p_user_id)
                           then p_user_id else wa_user_id end,
         name = coalesce(left(p_name, 200), name),
         last_seen_at = now(),
         updated_at = now()
   where id = v_customer.id
  returning * into v_customer;

  -- 3. lock order 3: the conversation, locked for the rest of this call
  insert into public.conversations as c (customer_id) values (v_customer.id)
  on conflict (customer_id) do update set updated_at = now()
  returning * into v_conv;

  -- 4. append the message (handled at once for a blocked customer)
  insert into public.messages (conversation_id, direction, wamid, kind, body, media_uri, payload, sent_at,
                               handled_at)
  values (v_conv.id, 'in', p_wamid, coalesce(p_kind, 'text'), p_body, p_media_uri,
          coalesce(p_payload, '{}'::jsonb), p_sent_at,
          case when v_customer.blocked then now() end)
  on conflict (wamid) do nothing
  returning id into v_msg_id;
  if v_msg_id is null then
    return jsonb_build_object('status', 'duplicate');
  end if;

  if v_customer.blocked then
    return jsonb_build_object('status', 'blocked', 'customer', to_jsonb(v_customer));
  end if;

  -- 5. take the lease, or leave the message queued for the turn that holds it
  if v_conv.lease_until is not null and v_conv.lease_until > now() then
    return jsonb_build_object('status', 'queued', 'conversation_id', v_conv.id);
  end if;
  return private.lease_turn(v_customer, v_conv, p_lease_seconds, p_history_limit, p_timezone);
end
$$;

comment on function public.begin_turn is
  'Drop a duplicate wamid, upsert the customer, append the message, take the conversation lease '
  '(or queue the message), and return state + what it points at + history + the messages to answer '
  '+ usage. One round trip.';

create function public.end_turn(
  p_conversation_id  bigint,
  p_lease_token      uuid,
  p_state            jsonb,
  p_outbound         jsonb default '[]'::jsonb,
  p_lease_seconds    integer default 60,
  p_acks             jsonb default '[]'::jsonb,
  p_timezone         text default 'Asia/Jakarta'
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer bigint;
  v_conv     public.conversations;
  v_outbox   jsonb;
  v_queued   jsonb;
  v_lease    jsonb := null;
  v_until    timestamptz;
begin
  if p_state is null or jsonb_typeof(p_state) <> 'object' then
    raise exception 'p_state must be a JSON object' using errcode = 'BJ004';
  end if;
  if p_outbound is null or jsonb_typeof(p_outbound) <> 'array' then
    raise exception 'p_outbound must be a JSON array' using errcode = 'BJ004';
  end if;
  if p_lease_seconds not between 5 and 900 then
    raise exception 'p_lease_seconds must be between 5 and 900' using errcode = 'BJ004';
  end if;

  -- lock order 1: outbox acks
  perform private.apply_outbox_acks(p_acks);

  -- lock order 2 then 3: the customer (the outbox insert below references it), then the conversation
  select customer_id into v_customer from public.conversations where id = p_conversation_id;
  if not found then
    raise exception 'conversation % not found', p_conversation_id using errcode = 'BJ003';
  end if;
  perform 1 from public.customers where id = v_customer for no key update;
  select * into v_conv from public.conversations where id = p_conversation_id for update;
  if v_conv.lease_token is distinct from p_lease_token then
    raise exception 'the lease of conversation % is no longer held by this turn', p_conversation_id
      using errcode = 'BJ002';
  end if;

  update public.messages set handled_at = now()
   where conversation_id = v_conv.id and direction = 'in'
     and turn_token = p_lease_token and handled_at is null;

  with outbound as (
    select o, ord
      from jsonb_array_elements(p_outbound) with ordinality as t(o, ord)
  ), written as (
    insert into public.messages (conversation_id, direction, kind, body, payload, tokens)
    select v_conv.id, 'out', coalesce(o ->> 'kind', 'text'), o ->> 'text',
           coalesce(o -> 'payload', '{}'::jsonb), (o ->> 'tokens')::integer
      from outbound order by ord
    returning *
  ), queued as (
    insert into public.outbox (message_id, customer_id)
    select w.id, v_conv.customer_id from written w
    returning id, message_id
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', q.id, 'message_id', w.id, 'kind', w.kind, 'text', w.body, 'payload', w.payload,
           'wa_id', c.wa_id, 'user_id', c.wa_user_id) order by w.id), '[]'::jsonb)
    into v_outbox
    from queued q
    join written w on w.id = q.message_id
    join public.customers c on c.id = v_conv.customer_id;

  v_queued := private.claim_messages(v_conv.id, p_lease_token);
  if jsonb_array_length(v_queued) > 0 then
    v_until := now() + make_interval(secs => p_lease_seconds);
    v_lease := jsonb_build_object('token', p_lease_token, 'until', v_until);
  end if;

  update public.conversations
     set state = p_state, version = version + 1, updated_at = now(),
         lease_token = case when v_until is null then null else p_lease_token end,
         lease_until = v_until,
         tokens_today = case when tokens_day = private.shop_today(p_timezone) then tokens_today else 0 end
                        + coalesce((select sum((o ->> 'tokens')::integer) from jsonb_array_elements(p_outbound) o), 0),
         tokens_day = private.shop_today(p_timezone)
   where id = v_conv.id;

  return jsonb_build_object(
    'version', v_conv.version + 1,
    'outbox', v_outbox,
    'queued', v_queued,
    'lease', v_lease);
end
$$;

comment on function public.end_turn is
  'Save state, write the replies to messages + outbox, mark the turn''s messages handled, and '
  'either release the lease or keep it and return the messages queued meanwhile. One round trip.';

-- A turn that must wait longer than its lease has left (a slow Atlantic call) keeps its lease.
create function public.extend_lease(
  p_conversation_id  bigint,
  p_lease_token      uuid,
  p_lease_seconds    integer default 60
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_until timestamptz;
begin
  if p_lease_seconds not between 5 and 900 then
    raise exception 'p_lease_seconds must be between 5 and 900' using errcode = 'BJ004';
  end if;
  update public.conversations
     set lease_until = greatest(lease_until, now() + make_interval(secs => p_lease_seconds))
   where id = p_conversation_id and lease_token = p_lease_token
  returning lease_until into v_until;
  if v_until is null then
    raise exception 'the lease of conversation % is no longer held by this turn', p_conversation_id
      using errcode = 'BJ002';
  end if;
  return jsonb_build_object('token', p_lease_token, 'until', v_until);
end
$$;

comment on function public.extend_lease is
  'Keep the lease of a turn that is still working (refused with BJ002 once another turn took it over).';

-- Conversations whose inbound messages wait with no turn running (the turn that held them crashed,
-- or its end_turn failed): lease them for the reconciler, which answers them like a new turn.
create function public.claim_stale_turns(
  p_limit          integer default 20,
  p_older_than     integer default 60,
  p_lease_seconds  integer default 60,
  p_history_limit  integer default 12,
  p_timezone       text default 'Asia/Jakarta'
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_candidate bigint;
  v_customer  public.customers;
  v_conv      public.conversations;
  v_out       jsonb := '[]'::jsonb;
begin
  if p_lease_seconds not between 5 and 900 then
    raise exception 'p_lease_seconds must be between 5 and 900' using errcode = 'BJ004';
  end if;
  for v_candidate in
    select distinct m.conversation_id from public.messages m
     where m.direction = 'in' and m.handled_at is null
       and m.created_at <= now() - make_interval(secs => p_older_than)
     order by m.conversation_id
  loop
    exit when jsonb_array_length(v_out) >= greatest(1, least(p_limit, 100));
    -- a sweep never waits (lock order note): skip a customer or conversation another call holds,
    -- and look again under the locks
    select u.* into v_customer from public.customers u
      join public.conversations c on c.customer_id = u.id
     where c.id = v_candidate and not u.blocked
       for no key update of u skip locked;
    continue when not found;
    select * into v_conv from public.conversations
     where id = v_candidate and (lease_until is null or lease_until <= now())
       for update skip locked;
    continue when not found;
    continue when not exists (select from public.messages m
                               where m.conversation_id = v_conv.id and m.direction = 'in' and m.handled_at is null);
    v_out := v_out || private.lease_turn(v_customer, v_conv, p_lease_seconds, p_history_limit, p_timezone);
  end loop;
  return v_out;
end
$$;

comment on function public.claim_stale_turns is
  'Lease conversations whose inbound messages have waited p_older_than seconds with no turn running, '
  'and return each like begin_turn''s leased answer (SKIP LOCKED: safe beside live turns).';

create function public.ack_outbox(p_acks jsonb) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
begin
  if p_acks is null or jsonb_typeof(p_acks) <> 'array' then
    raise exception 'p_acks must be a JSON array' using errcode = 'BJ004';
  end if;
  return jsonb_build_object('updated', private.apply_outbox_acks(p_acks));
end
$$;

comment on function public.ack_outbox is
  'Record send results for outbox rows (for callers with no turn to piggyback on, like the reconciler).';

select private.secure_public_schema();
