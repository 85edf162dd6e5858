-- Messages outside a turn: notifications and alerts go through the outbox like a turn's replies,
-- and the outbox sweep re-sends what a dead sender left pending.

-- [{"customer_id": 1 | "wa_id": "628…", "text": "...", "kind": "text", "payload": {...}}]
create function public.enqueue_messages(p_items jsonb) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_item     jsonb;
  v_ids      bigint[] := '{}';
  v_customer bigint;
  v_conv     bigint;
  v_message  public.messages;
  v_outbox   public.outbox;
  v_out      jsonb := '[]'::jsonb;
begin
  if p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception 'p_items must be a JSON array' using errcode = 'BJ004';
  end if;
  -- who: customers by id, or admins by number (created when new)
  for v_item in select * from jsonb_array_elements(p_items) loop
    v_customer := (v_item ->> 'customer_id')::bigint;
    if v_customer is null then
      insert into public.customers as c (wa_id) values (v_item ->> 'wa_id')
      on conflict (wa_id) do nothing
      returning c.id into v_customer;
      if v_customer is null then
        select id into v_customer from public.customers where wa_id = v_item ->> 'wa_id';
      end if;
    end if;
    v_ids := v_ids || v_customer;
  end loop;
  -- lock order 2 then 3: every customer by id, then each conversation
  perform 1 from public.customers where id = any(v_ids) order by id for no key update;
  for i in 1 .. coalesce(array_length(v_ids, 1), 0) loop
    v_item := p_items -> (i - 1);
    insert into public.conversations as c (customer_id) values (v_ids[i])
    on conflict (customer_id) do update set updated_at = now()
    returning c.id into v_conv;
    insert into public.messages (conversation_id, direction, kind, body, payload)
    values (v_conv, 'out', coalesce(v_item ->> 'kind', 'text'), v_item ->> 'text', coalesce(v_item -> 'payload', '{}'::jsonb))
    returning * into v_message;
    insert into public.outbox (message_id, customer_id) values (v_message.id, v_ids[i]) returning * into v_outbox;
    v_out := v_out || private.outbox_json(v_outbox.id);
  end loop;
  return v_out;
end
$$;

create function private.outbox_json(p_outbox_id bigint) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select jsonb_build_object('id', o.id, 'message_id', m.id, 'kind', m.kind, 'text', m.body, 'payload', m.payload,
                            'wa_id', c.wa_id, 'user_id', c.wa_user_id)
    from public.outbox o join public.messages m on m.id = o.message_id join public.customers c on c.id = o.customer_id
   where o.id = p_outbox_id
$$;

-- Pending outbox rows old enough that their sender is presumed gone; leased so two sweeps don't
-- send the same row.
create function public.claim_outbox(p_limit integer default 50, p_older_than integer default 60,
                                    p_lease_seconds integer default 120) returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (
    select id from public.outbox
     where status = 'pending' and next_attempt_at <= now() and created_at <= now() - make_interval(secs => p_older_than)
     order by id limit p_limit for update skip locked
  ), claimed as (
    update public.outbox o set next_attempt_at = now() + make_interval(secs => p_lease_seconds)
      from due where o.id = due.id returning o.id
  )
  select coalesce(jsonb_agg(private.outbox_json(id) order by id), '[]'::jsonb) from claimed
$$;

select private.secure_public_schema();
