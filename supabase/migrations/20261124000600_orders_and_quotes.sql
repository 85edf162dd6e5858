-- Orders and their quotes: the order columns, our references, quoting (prices from products,
-- duplicates warned, batches, bills), cancelling, lookups and expiry. Paying is the next
-- migration, fulfilment the one after, the reconciler's claims the one after that.
--
-- The LLM proposes, deterministic code disposes: a quote takes its price and cost from products
-- (never from the caller) and only confirm_orders — called by code on the customer's own "ya" —
-- moves it on. Every transition is a function that checks the current state, so replays, races
-- and out-of-order callbacks are harmless. Locks follow the order at the top of the first
-- migration: the customer first, then payments, then orders by ref; sweeps skip locked rows.
-- Refusals (SQLSTATE, see shared/errors.py): BJ003 not_found, BJ004 invalid_argument,
-- BJ008 product_unavailable (the product is empty or no longer sold).

alter table public.orders
  add column kind text not null default 'prabayar' check (kind in ('prabayar', 'pascabayar')),
  add column batch text,
  add column bill jsonb,
  add column submit_attempts integer not null default 0,
  add column last_submit_at timestamptz,
  add column next_check_at timestamptz,
  add column notified_pending_at timestamptz,
  add column escalated_at timestamptz,
  add column refunded_at timestamptz,
  add column fee_paid bigint not null default 0 check (fee_paid >= 0),  -- the QRIS fee the customer paid for it
  add column flipped_to text,          -- Atlantic's final status when it contradicts ours (a reversal)
  add column flipped_at timestamptz,
  add column rechecked_at timestamptz; -- the reconciler's one re-check of a finished order
create index orders_recheck on public.orders (finished_at)
  where status in ('success', 'refunded') and rechecked_at is null;
create index orders_batch on public.orders (batch) where batch is not null;
create index orders_duplicates on public.orders (customer_id, product_code, target, created_at desc);
create index orders_reconcile on public.orders (status, next_check_at) where status in ('paid', 'processing');

-- ---------------------------------------------------------------------------------------------
-- quotes: prices from products, duplicates warned, batches, bills
-- ---------------------------------------------------------------------------------------------

-- Our references: a prefix (BJ for orders, which are Atlantic's reff_id; PY for payments) and 8
-- random characters of Crockford's base 32 (no I, L, O, U), e.g. BJ7KQ2M9XH: 40 bits from the
-- server's CSPRNG, so a callback cannot guess a live ref, and short enough to read out. Inserts
-- retry on the (unlikely) collision.
create function private.new_ref(p_prefix text) returns text
language sql volatile
set search_path = pg_catalog, public
as $$
  select p_prefix || string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(u.b, i) % 32 + 1, 1), ''
                                order by i)
    from (select uuid_send(gen_random_uuid()) as b) u,
         unnest(array[0, 1, 2, 3, 4, 5, 7, 9]) as i   -- bytes with 5 random low bits (not the version's)
$$;

create function private.next_order_ref() returns text
language sql volatile
set search_path = pg_catalog, public
as $$ select private.new_ref('BJ') $$;

create function private.order_json(o public.orders) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select jsonb_build_object(
    'order_id', o.id, 'ref', o.ref, 'code', o.product_code, 'name', o.product_name, 'target', o.target,
    'price', o.price, 'cost', o.cost, 'status', o.status, 'expires_at', o.quote_expires_at,
    'created_at', o.created_at, 'confirmed_at', o.confirmed_at, 'finished_at', o.finished_at, 'sn', o.sn,
    'kind', o.kind, 'batch', o.batch, 'bill', o.bill, 'atlantic_id', o.atlantic_id,
    'payment_method', o.payment_method, 'customer_id', o.customer_id,
    'submit_attempts', o.submit_attempts, 'failure_reason', o.failure_reason, 'fee_paid', o.fee_paid,
    'flipped_to', o.flipped_to, 'supplier_status', o.supplier_status,
    'payment', (select jsonb_build_object('ref', y.ref, 'status', y.status) from public.payments y
                 where y.id = o.payment_id),
    'category', (select category from public.products p where p.id = o.product_id),
    'provider', (select provider from public.products p where p.id = o.product_id))
$$;

create function public.reserve_order_ref() returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$ select jsonb_build_object('ref', private.next_order_ref()) $$;

create function public.create_quote(
  p_customer_id    bigint,
  p_product_code   text,
  p_target         text,
  p_ttl_seconds    integer default 900,
  p_replace_ref    text default null,
  p_batch          text default null,
  p_dup_seconds    integer default 600,
  p_ref            text default null,
  p_bill           jsonb default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_product public.products;
  v_order   public.orders;
  v_recent  public.orders;
  v_price   bigint;
  v_cost    bigint;
  v_due     bigint;
begin
  if p_target is null or length(p_target) not between 1 and 64 then
    raise exception 'p_target must be 1..64 characters' using errcode = 'BJ004';
  end if;
  if p_ttl_seconds not between 60 and 86400 then
    raise exception 'p_ttl_seconds must be between 60 and 86400' using errcode = 'BJ004';
  end if;
  select * into v_product from public.products where code = p_product_code;
  if not found then
    raise exception 'product % not found', p_product_code using errcode = 'BJ003';
  end if;
  if v_product.status <> 'available' then
    raise exception 'product % is %', p_product_code, v_product.status
      using errcode = 'BJ008', detail = jsonb_build_object('code', v_product.code, 'status', v_product.status)::text;
  end if;
  -- lock order 2: the customer, before the replaced quote and the new order
  perform 1 from public.customers where id = p_customer_id for no key update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'BJ003';
  end if;

  v_price := v_product.price;
  v_cost := v_product.cost;
  if v_product.type = 'pascabayar' then
    -- a bill: Atlantic charges the bill's total; we add the margin our pricing puts on its admin fee
    v_due := (p_bill ->> 'total')::bigint;
    if p_bill is null or v_due is null or v_due <= 0 or p_ref is null then
      raise exception 'a bill quote needs the inquiry (p_bill.total) and its reference' using errcode = 'BJ004';
    end if;
    v_cost := v_due;
    v_price := v_due + (v_product.price - v_product.cost);
  end if;

  if p_replace_ref is not null then
    update public.orders set status = 'cancelled', updated_at = now(), finished_at = now()
     where ref = p_replace_ref and customer_id = p_customer_id and status = 'quoted';
  end if;

  select * into v_recent from public.orders
   where customer_id = p_customer_id and product_code = p_product_code and target = p_target
     and created_at > now() - make_interval(secs => p_dup_seconds)
     and status in ('confirmed', 'paid', 'processing', 'success')
   order by created_at desc limit 1;

  for attempt in 1..5 loop
    insert into public.orders (ref, customer_id, product_id, product_code, product_name, target, price, cost,
                               status, quote_expires_at, kind, batch, bill)
    values (coalesce(p_ref, private.next_order_ref()), p_customer_id, v_product.id, v_product.code, v_product.name,
            p_target, v_price, v_cost, 'quoted', now() + make_interval(secs => p_ttl_seconds), v_product.type,
            p_batch, p_bill)
    on conflict (ref) do nothing
    returning * into v_order;
    exit when v_order.id is not null;
    if p_ref is not null then
      raise exception 'order ref % is taken', p_ref using errcode = 'BJ004';
    end if;
  end loop;
  if v_order.id is null then
    raise exception 'could not draw a free order ref' using errcode = 'BJ004';
  end if;
  return private.order_json(v_order)
         || jsonb_build_object('recent_duplicate',
              case when v_recent.id is null then null
                   else jsonb_build_object('ref', v_recent.ref, 'status', v_recent.status,
                                           'minutes', floor(extract(epoch from now() - v_recent.created_at) / 60)) end);
end
$$;

comment on function public.create_quote is
  'Quote a product for a target (price and cost from products, or a bill''s total plus our margin), '
  'with an expiry; warns of the same product and target bought minutes ago; may replace a quote.';

-- ---------------------------------------------------------------------------------------------
-- cancelling, lookups, expiry
-- ---------------------------------------------------------------------------------------------

create function public.cancel_order(p_customer_id bigint, p_ref text) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_order   public.orders;
  v_outcome text;
begin
  select * into v_order from public.orders where ref = p_ref and customer_id = p_customer_id for update;
  if not found then
    raise exception 'order % not found', p_ref using errcode = 'BJ003';
  end if;
  if v_order.status in ('quoted', 'confirmed') then
    update public.orders set status = 'cancelled', updated_at = now(), finished_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'cancelled';
  elsif v_order.status = 'cancelled' then
    v_outcome := 'already_cancelled';
  elsif v_order.status = 'expired' then
    v_outcome := 'expired';  -- lapsed unpaid: nothing to cancel, nothing was charged
  else
    v_outcome := 'too_late';
  end if;
  return private.order_json(v_order) || jsonb_build_object('outcome', v_outcome);
end
$$;

comment on function public.cancel_order is
  'Cancel an order that has not been paid: quoted | confirmed → cancelled. outcome: cancelled | '
  'already_cancelled | expired (lapsed unpaid) | too_late (paid: being processed or done).';

create function public.recent_orders(p_customer_id bigint, p_ref text default null, p_limit integer default 3)
returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select coalesce(jsonb_agg(private.order_json(o) order by o.created_at desc), '[]'::jsonb)
    from (select * from public.orders
           where customer_id = p_customer_id and (p_ref is null or ref = upper(p_ref))
           order by created_at desc
           limit least(greatest(p_limit, 1), 20)) o
$$;

comment on function public.recent_orders is 'A customer''s latest orders (or the one with p_ref), newest first.';

create function public.find_order(p_ref text default null, p_atlantic_id text default null) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select private.order_json(o) from public.orders o
   where (p_ref is not null and o.ref = p_ref) or (p_atlantic_id is not null and o.atlantic_id = p_atlantic_id)
   order by (o.ref = p_ref) desc nulls last limit 1
$$;

create function public.expire_quotes() returns jsonb
language sql volatile
set search_path = pg_catalog, public
as $$
  with due as (  -- a sweep: rows a confirmation holds are left for the next pass (lock order note)
    select o.id from public.orders o
     where (o.status = 'quoted' and o.quote_expires_at <= now())
        -- confirmed but never paid (saldo too low, no checkout made): the quoted price lapses too,
        -- a little later, so a checkout being made right now is not cut off
        or (o.status = 'confirmed' and o.quote_expires_at <= now() - interval '5 minutes'
            and not exists (select from public.payments p where p.id = o.payment_id and p.status = 'pending'))
     for update of o skip locked
  ), expired as (
    update public.orders o set status = 'expired', updated_at = now(), finished_at = now()
      from due where o.id = due.id
    returning 1
  )
  select jsonb_build_object('expired', count(*)) from expired
$$;

select private.secure_public_schema();
