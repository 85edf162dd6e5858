-- Money and external events: post_ledger, record_event, mark_event_applied.
--
-- Refusals (SQLSTATE, see shared/errors.py):
--   BJ001 insufficient_saldo    a debit would make saldo negative  (DETAIL: {"saldo", "needed"})
--   BJ003 not_found             unknown customer or event
--   BJ004 invalid_argument      malformed input
--   BJ005 idempotency_conflict  the key was already used for a different posting
--   BJ006 refund_exceeds_debit  a refund would return more than the order was charged (or a fee
--                               refund more than the QRIS fee the customer paid for it)
-- Kinds: credit (money in: a deposit, a QRIS payment), debit (paying an order), refund (an order's
-- price back), fee_refund (the QRIS fee a customer paid for an order that was not delivered).
-- Locks: post_ledger takes only the customer row (lock order 2), before anything else.

create function public.post_ledger(
  p_customer_id  bigint,
  p_kind         text,
  p_amount       bigint,
  p_idem_key     text,
  p_order_id     bigint default null,
  p_payment_id   bigint default null,
  p_note         text default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_saldo     bigint;
  v_signed    bigint;
  v_existing  public.ledger;
  v_row       public.ledger;
  v_net       bigint;
begin
  if p_kind is null or p_kind not in ('credit', 'debit', 'refund', 'fee_refund') then
    raise exception 'p_kind must be credit, debit, refund or fee_refund' using errcode = 'BJ004';
  end if;
  if p_amount is null or p_amount <= 0 then
    raise exception 'p_amount must be a positive number of rupiah' using errcode = 'BJ004';
  end if;
  if p_idem_key is null or length(p_idem_key) not between 1 and 200 then
    raise exception 'p_idem_key must be 1..200 characters' using errcode = 'BJ004';
  end if;
  if p_kind in ('refund', 'fee_refund') and p_order_id is null then
    raise exception 'a refund must name the order it returns money for' using errcode = 'BJ004';
  end if;

  -- The customer row lock serialises every posting of this customer, and makes a committed
  -- posting with the same key visible to the check below. NO KEY UPDATE: inserts that reference
  -- the customer (FOR KEY SHARE) are not blocked by it.
  select saldo into v_saldo from public.customers where id = p_customer_id for no key update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'BJ003';
  end if;

  select * into v_existing from public.ledger where idem_key = p_idem_key;
  if found then
    if v_existing.customer_id <> p_customer_id or v_existing.kind <> p_kind
       or abs(v_existing.amount) <> p_amount
       or v_existing.order_id is distinct from p_order_id
       or v_existing.payment_id is distinct from p_payment_id then
      raise exception 'idempotency key % was already used for a different posting', p_idem_key
        using errcode = 'BJ005';
    end if;
    return jsonb_build_object(
      'id', v_existing.id, 'customer_id', v_existing.customer_id, 'kind', v_existing.kind,
      'amount', v_existing.amount, 'balance_after', v_existing.balance_after,
      'saldo', v_saldo, 'replayed', true);
  end if;

  v_signed := case when p_kind = 'debit' then -p_amount else p_amount end;

  if v_saldo + v_signed < 0 then
    raise exception 'saldo % is not enough for a debit of %', v_saldo, p_amount
      using errcode = 'BJ001',
            detail = jsonb_build_object('saldo', v_saldo, 'needed', p_amount)::text;
  end if;

  if p_kind = 'refund' then
    select coalesce(sum(amount), 0) into v_net from public.ledger
     where order_id = p_order_id and kind in ('debit', 'refund');
    if v_net + v_signed > 0 then
      raise exception 'refund of % for order % exceeds what it was charged', p_amount, p_order_id
        using errcode = 'BJ006',
              detail = jsonb_build_object('refundable', greatest(0, -v_net))::text;
    end if;
  elsif p_kind = 'fee_refund' then
    -- at most the QRIS fee the customer paid for this order (orders.fee_paid), once
    select coalesce((select fee_paid from public.orders where id = p_order_id and customer_id = p_customer_id), 0)
           - coalesce(sum(amount), 0) into v_net
      from public.ledger where order_id = p_order_id and kind = 'fee_refund';
    if p_amount > v_net then
      raise exception 'fee refund of % for order % exceeds the fee it was charged', p_amount, p_order_id
        using errcode = 'BJ006',
              detail = jsonb_build_object('refundable', greatest(0, v_net))::text;
    end if;
  end if;

  update public.customers set saldo = saldo + v_signed, updated_at = now()
   where id = p_customer_id
  returning saldo into v_saldo;

  insert into public.ledger (customer_id, kind, amount, balance_after, idem_key, order_id, payment_id, note)
  values (p_customer_id, p_kind, v_signed, v_saldo, p_idem_key, p_order_id, p_payment_id, left(p_note, 500))
  on conflict (idem_key) do nothing
  returning * into v_row;
  if v_row.id is null then
    -- the same key was committed meanwhile for another customer: nothing of ours may stick
    raise exception 'idempotency key % was already used for a different posting', p_idem_key
      using errcode = 'BJ005';
  end if;

  return jsonb_build_object(
    'id', v_row.id, 'customer_id', p_customer_id, 'kind', p_kind, 'amount', v_signed,
    'balance_after', v_saldo, 'saldo', v_saldo, 'replayed', false);
end
$$;

comment on function public.post_ledger is
  'Credit, debit or refund a customer''s saldo atomically; idempotent on p_idem_key; refuses an '
  'overdraft (BJ001) and a refund larger than the order''s charges (BJ006).';

create function public.record_event(
  p_source     text,
  p_event_key  text,
  p_payload    jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_event   public.webhook_events;
  v_created boolean := true;
begin
  if p_source is null or p_source !~ '^[a-z][a-z0-9_.-]{1,40}$' then
    raise exception 'p_source must be a short lower-case name' using errcode = 'BJ004';
  end if;
  if p_event_key is null or length(p_event_key) not between 1 and 300 then
    raise exception 'p_event_key must be 1..300 characters' using errcode = 'BJ004';
  end if;

  insert into public.webhook_events (source, event_key, payload)
  values (p_source, p_event_key, coalesce(p_payload, '{}'::jsonb))
  on conflict (source, event_key) do nothing
  returning * into v_event;

  if v_event.id is null then
    v_created := false;
    select * into v_event from public.webhook_events
     where source = p_source and event_key = p_event_key;
  end if;

  return jsonb_build_object(
    'id', v_event.id, 'created', v_created, 'applied_at', v_event.applied_at,
    'attempts', v_event.attempts, 'payload', v_event.payload);
end
$$;

comment on function public.record_event is
  'Store an external event once per (source, key); a replay returns the stored row with created = false.';

create function public.mark_event_applied(p_event_id bigint, p_error text default null,
                                          p_retry boolean default true) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_event public.webhook_events;
begin
  update public.webhook_events
     set attempts = attempts + 1,
         applied_at = case when p_error is null or not p_retry then coalesce(applied_at, now()) else applied_at end,
         last_error = left(p_error, 1000),
         next_check_at = null
   where id = p_event_id
  returning * into v_event;
  if v_event.id is null then
    raise exception 'event % not found', p_event_id using errcode = 'BJ003';
  end if;
  return jsonb_build_object('id', v_event.id, 'applied_at', v_event.applied_at, 'attempts', v_event.attempts);
end
$$;

comment on function public.mark_event_applied is
  'Record that an event was acted on (or, with p_error, that an attempt failed and may be retried; '
  'with p_error and p_retry false, that it is done with and why).';

select private.secure_public_schema();
