-- Orders and money: confirm → pay (saldo or QRIS) → processing → success | failed → refunded,
-- deposits to saldo, notifications outside a turn, and the reconciler's claims.
--
-- The LLM proposes, deterministic code disposes: a quote takes its price and cost from products
-- (never from the caller) and only confirm_orders — called by code on the customer's own "ya" —
-- moves it on. Every transition is a function that checks the current state, so replays, races
-- and out-of-order callbacks are harmless. Money moves only through post_ledger (idempotent keys:
-- pay:<order ref>, credit:<payment ref>, refund:<order ref>, fee-refund:<order ref>), so saldo = Σ
-- ledger always holds. Locks follow the order at the top of the first migration: the customer
-- first, then payments, then orders by ref; the reconciler's sweeps skip locked rows.
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

alter table public.payments
  add column fee_payer text not null default 'customer' check (fee_payer in ('customer', 'seller')),
  add column credited bigint check (credited >= 0),
  add column url text,
  add column next_check_at timestamptz,
  add column finished_at timestamptz;
create index payments_reconcile on public.payments (status, next_check_at) where status = 'pending';

create table public.jobs (
  name         text primary key,
  last_run_at  timestamptz not null default '-infinity'
);
comment on table public.jobs is 'Periodic work claimed by one reconciler at a time (catalog sync, alerts).';

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
-- confirm and pay
-- ---------------------------------------------------------------------------------------------

create function public.confirm_orders(p_customer_id bigint, p_refs jsonb, p_method text default 'saldo')
returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_order    public.orders;
  v_orders   jsonb := '[]'::jsonb;
  v_ready    bigint[] := '{}';
  v_total    bigint := 0;
  v_saldo    bigint;
  v_outcome  text;
  v_ref      text;
  v_done     integer := 0;      -- already paid for: paid, processing, success, failed, refunded
  v_waiting  text;              -- a pending checkout these orders already have
  v_pay      text;
  v_refs     text[];
begin
  if p_refs is null or jsonb_typeof(p_refs) <> 'array' or jsonb_array_length(p_refs) = 0 then
    raise exception 'p_refs must be a non-empty JSON array' using errcode = 'BJ004';
  end if;
  if p_method not in ('saldo', 'qris') then
    raise exception 'p_method must be saldo or qris' using errcode = 'BJ004';
  end if;
  -- a ref named twice is one order (never charged twice)
  select array_agg(distinct r order by r) into v_refs from jsonb_array_elements_text(p_refs) r;
  -- lock order 2 then 5: the customer, then the orders by ref
  select saldo into v_saldo from public.customers where id = p_customer_id for no key update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'BJ003';
  end if;
  foreach v_ref in array v_refs loop
    select * into v_order from public.orders where ref = v_ref and customer_id = p_customer_id for update;
    if not found then
      raise exception 'order % not found', v_ref using errcode = 'BJ003';
    end if;
    if v_order.status = 'quoted' and v_order.quote_expires_at <= now() then
      update public.orders set status = 'expired', updated_at = now(), finished_at = now()
       where id = v_order.id returning * into v_order;
    elsif v_order.status = 'quoted' then
      update public.orders set status = 'confirmed', confirmed_at = now(), updated_at = now()
       where id = v_order.id returning * into v_order;
    elsif v_order.status = 'confirmed' and v_order.quote_expires_at <= now() - interval '5 minutes'
          and not exists (select from public.payments p where p.id = v_order.payment_id and p.status = 'pending') then
      -- confirmed long ago and never paid: its price lapsed, as expire_quotes would find
      update public.orders set status = 'expired', updated_at = now(), finished_at = now()
       where id = v_order.id returning * into v_order;
    end if;
    if v_order.status = 'confirmed' then
      -- a QRIS already waiting for these orders is shown again, never a second checkout
      select ref into v_pay from public.payments
       where id = v_order.payment_id and status = 'pending' and p_method = 'qris';
      if found then
        v_waiting := v_pay;
      else
        v_ready := v_ready || v_order.id;
        v_total := v_total + v_order.price;
      end if;
    elsif v_order.status in ('paid', 'processing', 'success', 'failed', 'refunded') then
      v_done := v_done + 1;
    end if;
  end loop;

  if cardinality(v_ready) > 0 and p_method = 'qris' then
    update public.orders set payment_method = 'qris', updated_at = now() where id = any(v_ready);
    v_outcome := 'awaiting_qris';
  elsif cardinality(v_ready) > 0 and v_saldo < v_total then
    v_outcome := 'insufficient_saldo';
  elsif cardinality(v_ready) > 0 then
    for v_order in select * from public.orders where id = any(v_ready) order by ref loop
      perform public.post_ledger(p_customer_id, 'debit', v_order.price, 'pay:' || v_order.ref, v_order.id, null,
                                 'bayar ' || v_order.ref);
    end loop;
    update public.orders set status = 'paid', payment_method = 'saldo', paid_at = now(), updated_at = now()
     where id = any(v_ready);
    v_outcome := 'paid';
  elsif v_waiting is not null then
    v_outcome := 'awaiting_payment';
  elsif v_done > 0 then
    v_outcome := 'already_paid';
  else
    v_outcome := 'expired';
  end if;

  select coalesce(jsonb_agg(private.order_json(o) order by o.ref), '[]'::jsonb) into v_orders
    from public.orders o
   where o.customer_id = p_customer_id and o.ref = any(v_refs);
  return jsonb_build_object('outcome', v_outcome, 'orders', v_orders, 'total', v_total, 'payment', v_waiting,
                            'saldo', (select saldo from public.customers where id = p_customer_id));
end
$$;

comment on function public.confirm_orders is
  'The customer''s own confirmation of one or more quotes (each ref once). With p_method saldo and '
  'enough saldo, the ledger debit happens in the same transaction (paid); otherwise the orders wait '
  'confirmed. outcome: paid | insufficient_saldo | awaiting_qris (make a checkout) | awaiting_payment '
  '(a checkout is already waiting: payment) | already_paid (paid before: being processed or done) | '
  'expired (nothing left to pay).';

-- A QRIS / e-wallet / VA checkout at Atlantic: for orders (kind order) or for saldo (kind deposit).
create function public.create_payment(
  p_customer_id  bigint,
  p_kind         text,
  p_method       text,
  p_amount       bigint,
  p_fee          bigint,
  p_fee_payer    text,
  p_refs         jsonb default '[]'::jsonb
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_payment public.payments;
begin
  if p_kind not in ('order', 'deposit') or p_amount is null or p_amount <= 0 or p_fee < 0 then
    raise exception 'bad payment: kind %, amount %, fee %', p_kind, p_amount, p_fee using errcode = 'BJ004';
  end if;
  -- lock order 2, then 5: the customer, then the orders it pays for (by ref)
  perform 1 from public.customers where id = p_customer_id for no key update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'BJ003';
  end if;
  perform 1 from public.orders
   where customer_id = p_customer_id and ref in (select jsonb_array_elements_text(p_refs))
   order by ref for update;
  for attempt in 1..5 loop
    insert into public.payments (ref, customer_id, kind, method, amount, fee, fee_payer, status)
    values (private.new_ref('PY'), p_customer_id, p_kind, upper(p_method), p_amount, p_fee, p_fee_payer, 'pending')
    on conflict (ref) do nothing
    returning * into v_payment;
    exit when v_payment.id is not null;
  end loop;
  if v_payment.id is null then
    raise exception 'could not draw a free payment ref' using errcode = 'BJ004';
  end if;
  if p_kind = 'order' then
    update public.orders set payment_id = v_payment.id, payment_method = 'qris', updated_at = now()
     where customer_id = p_customer_id and status = 'confirmed'
       and ref in (select jsonb_array_elements_text(p_refs));
  end if;
  return private.payment_json(v_payment);
end
$$;

create function private.payment_json(p public.payments) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select jsonb_build_object(
    'payment_id', p.id, 'ref', p.ref, 'customer_id', p.customer_id, 'kind', p.kind, 'method', p.method,
    'amount', p.amount, 'fee', p.fee, 'fee_payer', p.fee_payer, 'status', p.status,
    'atlantic_id', p.atlantic_id, 'qr_string', p.qr_string, 'url', p.url, 'expires_at', p.expires_at,
    'paid_at', p.paid_at, 'credited', p.credited, 'created_at', p.created_at,
    'orders', (select coalesce(jsonb_agg(o.ref order by o.ref), '[]'::jsonb) from public.orders o where o.payment_id = p.id))
$$;

create function public.attach_deposit(
  p_payment_ref  text,
  p_atlantic_id  text,
  p_qr_string    text default null,
  p_url          text default null,
  p_expires_at   timestamptz default null,
  p_payload      jsonb default '{}'::jsonb
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_payment public.payments;
begin
  update public.payments
     set atlantic_id = coalesce(atlantic_id, p_atlantic_id), qr_string = p_qr_string, url = p_url,
         expires_at = p_expires_at, payload = coalesce(p_payload, '{}'::jsonb), updated_at = now()
   where ref = p_payment_ref
  returning * into v_payment;
  if v_payment.id is null then
    raise exception 'payment % not found', p_payment_ref using errcode = 'BJ003';
  end if;
  return private.payment_json(v_payment);
end
$$;

-- Atlantic's *re-queried* status of a deposit, applied once. success: credit saldo, then pay the
-- payment's orders that are still confirmed (what can't be paid stays in saldo, never lost);
-- expired / cancel: close the payment and expire its unpaid orders; failed: close it and let its
-- orders wait confirmed for another checkout. The fee the customer
-- paid on top is shared over the payment's orders (orders.fee_paid, by price), so an order that is
-- not delivered gives back everything the customer paid for it: price and fee.
create function public.settle_payment(
  p_payment_ref  text,
  p_status       text,
  p_net          bigint default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer bigint;
  v_payment  public.payments;
  v_order    public.orders;
  v_credit   bigint;
  v_fee      bigint;
  v_sum      bigint;
  v_left     bigint;
  v_share    bigint;
  v_count    integer;
  v_i        integer := 0;
  v_paid     jsonb := '[]'::jsonb;
  v_stranded jsonb := '[]'::jsonb;
  v_outcome  text;
begin
  -- lock order 2, 4, 5: the customer, the payment, then its orders by ref
  select customer_id into v_customer from public.payments where ref = p_payment_ref;
  if not found then
    raise exception 'payment % not found', p_payment_ref using errcode = 'BJ003';
  end if;
  perform 1 from public.customers where id = v_customer for no key update;
  select * into v_payment from public.payments where ref = p_payment_ref for update;
  if v_payment.status <> 'pending' then
    return private.payment_json(v_payment) || jsonb_build_object('outcome', 'already', 'paid', '[]'::jsonb,
                                                                  'stranded', '[]'::jsonb);
  end if;

  if p_status = 'success' then
    -- what the customer paid us: the whole amount when the seller pays Atlantic's fee, net of it otherwise
    v_credit := case when v_payment.fee_payer = 'seller' then v_payment.amount
                     else least(v_payment.amount, coalesce(p_net, v_payment.amount - v_payment.fee)) end;
    perform public.post_ledger(v_payment.customer_id, 'credit', v_credit, 'credit:' || v_payment.ref, null,
                               v_payment.id, v_payment.method || ' ' || v_payment.ref);
    update public.payments set status = 'paid', paid_at = now(), credited = v_credit, finished_at = now(),
                               updated_at = now()
     where id = v_payment.id returning * into v_payment;
    v_fee := greatest(0, v_payment.amount - v_credit);
    select coalesce(sum(price), 0), count(*) into v_sum, v_count from public.orders where payment_id = v_payment.id;
    v_left := v_fee;
    for v_order in select * from public.orders where payment_id = v_payment.id order by ref for update loop
      v_i := v_i + 1;
      v_share := case when v_i = v_count then v_left
                      when v_sum > 0 then v_fee * v_order.price / v_sum else 0 end;
      v_left := v_left - v_share;
      update public.orders set fee_paid = v_share where id = v_order.id;
      if v_order.status = 'confirmed'
         and (select saldo from public.customers where id = v_order.customer_id) >= v_order.price then
        perform public.post_ledger(v_order.customer_id, 'debit', v_order.price, 'pay:' || v_order.ref, v_order.id,
                                   v_payment.id, 'bayar ' || v_order.ref);
        update public.orders set status = 'paid', paid_at = now(), updated_at = now() where id = v_order.id;
        v_paid := v_paid || to_jsonb(v_order.ref);
      else
        -- paid too late (expired or cancelled meanwhile): the price is in saldo; so is its fee
        if v_share > 0 then
          perform public.post_ledger(v_order.customer_id, 'fee_refund', v_share, 'fee-refund:' || v_order.ref,
                                     v_order.id, v_payment.id, 'refund biaya ' || v_payment.method || ' ' || v_order.ref);
        end if;
        v_stranded := v_stranded || to_jsonb(v_order.ref);
      end if;
    end loop;
    v_outcome := 'paid';
  elsif p_status in ('expired', 'cancel', 'cancelled', 'failed') then
    update public.payments
       set status = case p_status when 'failed' then 'failed' when 'expired' then 'expired' else 'cancelled' end,
           finished_at = now(), updated_at = now()
     where id = v_payment.id returning * into v_payment;
    if p_status = 'failed' then
      -- the checkout itself failed (it could not be made, or the payer's payment failed): the
      -- orders wait confirmed for another try while their quote holds
      update public.orders set payment_id = null, updated_at = now()
       where payment_id = v_payment.id and status = 'confirmed';
    else
      update public.orders set status = 'expired', updated_at = now(), finished_at = now()
       where payment_id = v_payment.id and status = 'confirmed';
    end if;
    v_outcome := 'closed';
  else
    v_outcome := 'pending';
  end if;
  return private.payment_json(v_payment)
         || jsonb_build_object('outcome', v_outcome, 'paid', v_paid, 'stranded', v_stranded,
                               'saldo', (select saldo from public.customers where id = v_payment.customer_id));
end
$$;

comment on function public.settle_payment is
  'Apply the re-queried Atlantic status of a deposit once: success credits saldo and pays the still-'
  'confirmed orders (stranded ones keep the money in saldo); expired/cancel/failed closes it.';

-- ---------------------------------------------------------------------------------------------
-- fulfilment
-- ---------------------------------------------------------------------------------------------

-- paid → processing before the provider is called; a processing order without an Atlantic id may
-- be resubmitted (same reff_id) by the reconciler. outcome: submit | resubmit | skip.
create function public.start_processing(p_ref text, p_resubmit boolean default false) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_order   public.orders;
  v_outcome text := 'skip';
begin
  select * into v_order from public.orders where ref = p_ref for update;
  if not found then
    raise exception 'order % not found', p_ref using errcode = 'BJ003';
  end if;
  if v_order.status = 'paid' then
    update public.orders set status = 'processing', processing_at = now(), submit_attempts = submit_attempts + 1,
                             last_submit_at = now(), updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'submit';
  elsif v_order.status = 'processing' and v_order.atlantic_id is null and p_resubmit then
    update public.orders set submit_attempts = submit_attempts + 1, last_submit_at = now(), updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'resubmit';
  end if;
  return private.order_json(v_order) || jsonb_build_object('outcome', v_outcome);
end
$$;

create function public.record_submission(p_ref text, p_atlantic_id text, p_provider_status text default null)
returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_order public.orders;
begin
  update public.orders
     set atlantic_id = coalesce(atlantic_id, p_atlantic_id),
         supplier_status = coalesce(p_provider_status, supplier_status), updated_at = now()
   where ref = p_ref and status in ('processing', 'success', 'refunded', 'failed')
  returning * into v_order;
  if v_order.id is null then
    raise exception 'order % is not being processed', p_ref using errcode = 'BJ003';
  end if;
  return private.order_json(v_order)
         || jsonb_build_object('id_conflict', p_atlantic_id is not null and v_order.atlantic_id <> p_atlantic_id);
end
$$;

-- The provider's final answer (from a status query, never from a callback body): success stores the
-- SN; failed refunds the price to saldo, and the QRIS fee the customer paid for it as a fee_refund.
-- A final status that contradicts ours (Atlantic reversed success → failed, or refunded → success)
-- moves no money: it is recorded on the order (flipped_to) for a human, once.
-- outcome: success | refunded | already | conflict (a new reversal) | conflict_known | pending.
create function public.finish_order(
  p_ref          text,
  p_status       text,
  p_sn           text default null,
  p_reason       text default null,
  p_atlantic_id  text default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_customer bigint;
  v_order    public.orders;
  v_outcome  text;
begin
  -- lock order 2 then 5: the customer (a refund posts to its ledger), then the order
  select customer_id into v_customer from public.orders where ref = p_ref;
  if not found then
    raise exception 'order % not found', p_ref using errcode = 'BJ003';
  end if;
  perform 1 from public.customers where id = v_customer for no key update;
  select * into v_order from public.orders where ref = p_ref for update;
  if p_atlantic_id is not null and v_order.atlantic_id is null then
    update public.orders set atlantic_id = p_atlantic_id where id = v_order.id returning * into v_order;
  end if;
  if v_order.status = 'processing' and p_status = 'success' then
    update public.orders set status = 'success', sn = p_sn, supplier_status = p_status, finished_at = now(),
                             updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'success';
  elsif v_order.status = 'processing' and p_status = 'failed' then
    update public.orders set status = 'failed', supplier_status = p_status, failure_reason = left(p_reason, 300),
                             updated_at = now()
     where id = v_order.id;
    perform public.post_ledger(v_order.customer_id, 'refund', v_order.price, 'refund:' || v_order.ref, v_order.id,
                               null, 'refund ' || v_order.ref);
    -- its QRIS fee, unless it went back already (its QRIS came after it was paid from saldo)
    if v_order.fee_paid > 0 and not exists (select from public.ledger
                                             where order_id = v_order.id and kind = 'fee_refund') then
      perform public.post_ledger(v_order.customer_id, 'fee_refund', v_order.fee_paid, 'fee-refund:' || v_order.ref,
                                 v_order.id, null, 'refund biaya QRIS ' || v_order.ref);
    end if;
    update public.orders set status = 'refunded', refunded_at = now(), finished_at = now(), updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'refunded';
  elsif (v_order.status = 'success' and p_status = 'success') or (v_order.status = 'refunded' and p_status = 'failed') then
    v_outcome := 'already';
  elsif v_order.status in ('success', 'refunded') and p_status in ('success', 'failed') then
    -- Atlantic changed its mind about a final state: record it, move no money, a human decides
    if v_order.flipped_to is distinct from p_status then
      update public.orders set flipped_to = p_status, flipped_at = now(), supplier_status = p_status,
                               updated_at = now()
       where id = v_order.id returning * into v_order;
      v_outcome := 'conflict';
    else
      v_outcome := 'conflict_known';
    end if;
  else
    v_outcome := 'pending';
  end if;
  return private.order_json(v_order) || jsonb_build_object('outcome', v_outcome);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- lookups, history, expiry
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
  else
    v_outcome := 'too_late';
  end if;
  return private.order_json(v_order) || jsonb_build_object('outcome', v_outcome);
end
$$;

comment on function public.cancel_order is
  'Cancel an order that has not been paid: quoted | confirmed → cancelled. outcome: cancelled | '
  'already_cancelled | too_late.';

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

create function public.find_payment(p_ref text default null, p_atlantic_id text default null) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select private.payment_json(p) from public.payments p
   where (p_ref is not null and p.ref = p_ref) or (p_atlantic_id is not null and p.atlantic_id = p_atlantic_id)
   limit 1
$$;

create function public.recent_ledger(p_customer_id bigint, p_limit integer default 5) returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select coalesce(jsonb_agg(jsonb_build_object('kind', l.kind, 'amount', l.amount, 'balance_after', l.balance_after,
                                               'note', l.note, 'at', l.created_at) order by l.id desc), '[]'::jsonb)
    from (select * from public.ledger where customer_id = p_customer_id order by id desc
           limit least(greatest(p_limit, 1), 20)) l
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

-- ---------------------------------------------------------------------------------------------
-- the reconciler's claims: each row goes to one reconciler at a time (SKIP LOCKED + a lease)
-- ---------------------------------------------------------------------------------------------

create function public.reconcile_claim(
  p_kind           text,
  p_limit          integer default 50,
  p_lease_seconds  integer default 60,
  p_min_age        integer default 30,
  p_window         integer default 86400
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_rows   jsonb;
  v_age    interval := make_interval(secs => p_min_age);
  v_window interval := make_interval(secs => p_window);
begin
  if p_kind = 'recheck' then
    -- finished orders of the last p_window seconds, each re-checked once (a reversal shows up here)
    with due as (
      select id from public.orders
       where status in ('success', 'refunded') and rechecked_at is null and atlantic_id is not null
         and finished_at > now() - v_window and finished_at <= now() - v_age
       order by finished_at limit p_limit for update skip locked
    ), claimed as (
      update public.orders o set rechecked_at = now() from due where o.id = due.id returning o.*
    )
    select coalesce(jsonb_agg(private.order_json(c)), '[]'::jsonb) into v_rows from claimed c;
  elsif p_kind = 'events' then
    -- Atlantic callbacks that could not be checked against Atlantic yet (it was unreachable)
    with due as (
      select id from public.webhook_events
       where source = 'atlantic' and applied_at is null and attempts < 20
         and received_at > now() - v_window and received_at <= now() - v_age
         and (next_check_at is null or next_check_at <= now())
       order by received_at limit p_limit for update skip locked
    ), claimed as (
      update public.webhook_events e set next_check_at = now() + make_interval(secs => p_lease_seconds)
        from due where e.id = due.id returning e.*
    )
    select coalesce(jsonb_agg(jsonb_build_object('id', c.id, 'payload', c.payload, 'attempts', c.attempts)
                              order by c.received_at), '[]'::jsonb) into v_rows from claimed c;
  elsif p_kind = 'payments' then
    with due as (
      select id from public.payments
       where status = 'pending' and atlantic_id is not null and created_at <= now() - v_age
         and (next_check_at is null or next_check_at <= now())
       order by created_at limit p_limit for update skip locked
    ), claimed as (
      update public.payments p set next_check_at = now() + make_interval(secs => p_lease_seconds)
        from due where p.id = due.id returning p.*
    )
    select coalesce(jsonb_agg(private.payment_json(c)), '[]'::jsonb) into v_rows from claimed c;
  elsif p_kind in ('submit', 'check', 'pending_notice', 'escalate') then
    with due as (
      select id from public.orders
       where case p_kind
               when 'submit' then status = 'paid'
                                  or (status = 'processing' and atlantic_id is null and last_submit_at <= now() - v_age)
               when 'check' then status = 'processing' and atlantic_id is not null and processing_at <= now() - v_age
               when 'pending_notice' then status = 'processing' and notified_pending_at is null
                                          and processing_at <= now() - v_age
               else status = 'processing' and escalated_at is null and processing_at <= now() - v_age
             end
         and (p_kind in ('pending_notice', 'escalate') or next_check_at is null or next_check_at <= now())
       order by updated_at limit p_limit for update skip locked
    ), claimed as (
      update public.orders o
         set next_check_at = case when p_kind in ('submit', 'check') then now() + make_interval(secs => p_lease_seconds)
                                  else o.next_check_at end,
             notified_pending_at = case when p_kind = 'pending_notice' then now() else o.notified_pending_at end,
             escalated_at = case when p_kind = 'escalate' then now() else o.escalated_at end
        from due where o.id = due.id returning o.*
    )
    select coalesce(jsonb_agg(private.order_json(c)), '[]'::jsonb) into v_rows from claimed c;
  else
    raise exception 'unknown claim kind %', p_kind using errcode = 'BJ004';
  end if;
  return v_rows;
end
$$;

comment on function public.reconcile_claim is
  'Claim work for one reconciler (SKIP LOCKED, leased by next_check_at): payments to poll, orders to '
  'submit or resubmit, orders to check, pending notices and escalations (each claimed once), finished '
  'orders to re-check once (recheck), callbacks that still need Atlantic''s word (events).';

create function public.claim_job(p_name text, p_every_seconds integer) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_claimed boolean;
begin
  insert into public.jobs (name) values (p_name) on conflict do nothing;
  update public.jobs set last_run_at = now()
   where name = p_name and last_run_at <= now() - make_interval(secs => p_every_seconds);
  v_claimed := found;
  return jsonb_build_object('claimed', v_claimed);
end
$$;

-- ---------------------------------------------------------------------------------------------
-- messages outside a turn: notifications, alerts, and the outbox sweep
-- ---------------------------------------------------------------------------------------------

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
