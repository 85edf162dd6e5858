-- The per-minute rate limit counts turns, not raw messages (issue #12, family 10 "Bursts").
--
-- A burst of short messages ("p", "p", "kak") sent while a turn runs is queued and answered with
-- that turn (end_turn hands the queued messages back under the same lease), so it is one question,
-- not three. begin_turn's usage now also carries turns_last_minute: how many turns this customer's
-- messages started in the last minute. RATE_LIMIT_PER_MINUTE is checked against it;
-- messages_last_minute stays in usage (same return shape, old callers keep working).
--
-- A turn is started by the one inbound message for which begin_turn takes the conversation's lease;
-- that message is marked started_turn when it is stored. The decision is made under the
-- conversation's row lock, which begin_turn holds from its upsert to its commit, so of messages
-- arriving at once exactly one starts the turn and the others are queued (started_turn false) and
-- answered by it. Not a turn of the customer's: a message stored while a turn runs, while the seller
-- answers personally (quiet) or for a blocked customer, and a stale conversation the reconciler
-- resumes (claim_stale_turns: the crashed turn it finishes was counted when it started).

-- metadata only: a constant default rewrites no row
alter table public.messages add column started_turn boolean not null default false;
comment on column public.messages.started_turn is
  'This inbound message started a turn: begin_turn took the conversation''s lease for it (the '
  'messages queued into a running turn did not). begin_turn counts them for the per-minute limit.';

-- Take the lease of a conversation (locked by the caller) and return what a turn needs.
create or replace function private.lease_turn(
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
  v_received  bigint;
  v_turns     bigint;
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

  -- what the seller's limits need: the last minute's inbound messages and the turns they started
  -- (one scan of messages_conversation_time), model tokens today
  select count(*), count(*) filter (where started_turn) into v_received, v_turns
    from public.messages
   where conversation_id = p_conv.id and direction = 'in' and created_at > now() - interval '1 minute';

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
    'usage', jsonb_build_object(
      'turns_last_minute', v_turns,
      'messages_last_minute', v_received,
      'tokens_today', case when p_conv.tokens_day = private.shop_today(p_timezone) then p_conv.tokens_today else 0 end));
end
$$;

create or replace function public.begin_turn(
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
  v_quiet     boolean;
  v_running   boolean;
begin
  perform private.check_message_identity(p_wamid, p_wa_id, p_user_id);
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
  v_customer := private.lock_customer(p_wa_id, p_user_id, p_name);

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

  -- 3. lock order 3: the conversation, locked for the rest of this call (so what it says about
  --    the seller answering and about a running turn holds until this call commits)
  insert into public.conversations as c (customer_id) values (v_customer.id)
  on conflict (customer_id) do update set updated_at = now()
  returning * into v_conv;
  v_quiet := v_conv.quiet_until is not null and v_conv.quiet_until > now();
  v_running := v_conv.lease_until is not null and v_conv.lease_until > now();

  -- 4. append the message (handled at once for a blocked customer); it starts a turn when this
  --    call takes the lease for it (step 5)
  insert into public.messages (conversation_id, direction, wamid, kind, body, media_uri, payload, sent_at,
                               handled_at, started_turn)
  values (v_conv.id, 'in', p_wamid, coalesce(p_kind, 'text'), p_body, p_media_uri,
          coalesce(p_payload, '{}'::jsonb), p_sent_at,
          case when v_customer.blocked then now() end,
          not (v_customer.blocked or v_quiet or v_running))
  on conflict (wamid) do nothing
  returning id into v_msg_id;
  if v_msg_id is null then
    return jsonb_build_object('status', 'duplicate');
  end if;

  if v_customer.blocked then
    return jsonb_build_object('status', 'blocked', 'customer', to_jsonb(v_customer));
  end if;

  -- the customer wrote: the 24 h window is open again, so what waited for it may go out
  update public.outbox set status = 'pending', next_attempt_at = now()
   where customer_id = v_customer.id and status = 'held';

  -- the seller answers this customer personally (smb_message_echoes): stored, and no bot turn
  if v_quiet then
    update public.messages set handled_at = now() where id = v_msg_id;
    return jsonb_build_object('status', 'quiet', 'conversation_id', v_conv.id);
  end if;

  -- 5. take the lease, or leave the message queued for the turn that holds it (which answers it
  --    with the messages it is answering: one turn)
  if v_running then
    return jsonb_build_object('status', 'queued', 'conversation_id', v_conv.id);
  end if;
  return private.lease_turn(v_customer, v_conv, p_lease_seconds, p_history_limit, p_timezone);
end
$$;

comment on function public.begin_turn is
  'Drop a duplicate wamid, upsert the customer, append the message, release what waited for the 24 h '
  'window, take the conversation lease (or queue the message, or store it only while the seller answers '
  'personally), and return state + what it points at + history + the messages to answer + usage '
  '(turns started and messages received in the last minute, model tokens today). One round trip.';

select private.secure_public_schema();
