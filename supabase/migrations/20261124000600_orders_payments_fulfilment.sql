-- Orders and money: confirm → pay (saldo or QRIS) → processing → success | failed → refunded,
-- deposits to saldo, notifications outside a turn, and the reconciler's claims.
--
-- The LLM proposes, deterministic code disposes: a quote takes its price and cost from products
-- (never from the caller) and only confirm_orders — called by code on the customer's own "ya" —
-- moves it on. Every transition is a function that checks the current state, so replays, races
-- and out-of-order callbacks are harmless. Money moves only through post_ledger (idempotent keys:
-- pay:<order ref>, credit:<payment ref>, refund:<order ref>), so saldo = Σ ledger always holds.
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
  add column refunded_at timestamptz;
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

create sequence public.order_ref_seq;

-- Our reff_id: BJ + date (WIB) + a counter, e.g. BJ251124-000042. Short enough to type back.
create function private.next_order_ref() returns text
language sql volatile
set search_path = pg_catalog, public
as $$
  select 'BJ' || to_char(now() at time zone 'Asia/Jakarta', 'YYMMDD') || '-'
         || lpad((nextval('public.order_ref_seq') % 1000000)::text, 6, '0')
$$;

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
    'submit_attempts', o.submit_attempts, 'failure_reason', o.failure_reason,
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
  if not exists (select from public.customers where id = p_customer_id) then
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

  insert into public.orders (ref, customer_id, product_id, product_code, product_name, target, price, cost,
                             status, quote_expires_at, kind, batch, bill)
  values (coalesce(p_ref, private.next_order_ref()), p_customer_id, v_product.id, v_product.code, v_product.name,
          p_target, v_price, v_cost, 'quoted', now() + make_interval(secs => p_ttl_seconds), v_product.type,
          p_batch, p_bill)
  returning * into v_order;
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
begin
  if p_refs is null or jsonb_typeof(p_refs) <> 'array' or jsonb_array_length(p_refs) = 0 then
    raise exception 'p_refs must be a non-empty JSON array' using errcode = 'BJ004';
  end if;
  if p_method not in ('saldo', 'qris') then
    raise exception 'p_method must be saldo or qris' using errcode = 'BJ004';
  end if;
  -- lock the customer first, then the orders in ref order: confirmations never deadlock
  select saldo into v_saldo from public.customers where id = p_customer_id for update;
  if not found then
    raise exception 'customer % not found', p_customer_id using errcode = 'BJ003';
  end if;
  for v_ref in select r from jsonb_array_elements_text(p_refs) r order by r loop
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
    end if;
    if v_order.status = 'confirmed' then
      v_ready := v_ready || v_order.id;
      v_total := v_total + v_order.price;
    end if;
  end loop;

  if cardinality(v_ready) = 0 then
    v_outcome := 'nothing_to_pay';
  elsif p_method = 'qris' then
    update public.orders set payment_method = 'qris', updated_at = now() where id = any(v_ready);
    v_outcome := 'awaiting_qris';
  elsif v_saldo < v_total then
    v_outcome := 'insufficient_saldo';
  else
    for v_order in select * from public.orders where id = any(v_ready) order by ref loop
      perform public.post_ledger(p_customer_id, 'debit', v_order.price, 'pay:' || v_order.ref, v_order.id, null,
                                 'bayar ' || v_order.ref);
    end loop;
    update public.orders set status = 'paid', payment_method = 'saldo', paid_at = now(), updated_at = now()
     where id = any(v_ready);
    v_outcome := 'paid';
  end if;

  select coalesce(jsonb_agg(private.order_json(o) order by o.ref), '[]'::jsonb) into v_orders
    from public.orders o
   where o.customer_id = p_customer_id and o.ref in (select jsonb_array_elements_text(p_refs));
  return jsonb_build_object('outcome', v_outcome, 'orders', v_orders, 'total', v_total,
                            'saldo', (select saldo from public.customers where id = p_customer_id));
end
$$;

comment on function public.confirm_orders is
  'The customer''s own confirmation of one or more quotes. With p_method saldo and enough saldo, the '
  'ledger debit happens in the same transaction (paid); otherwise the orders wait confirmed. '
  'outcome: paid | insufficient_saldo | awaiting_qris | nothing_to_pay.';

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
  insert into public.payments (ref, customer_id, kind, method, amount, fee, fee_payer, status)
  values ('PY' || substr(private.next_order_ref(), 3), p_customer_id, p_kind, upper(p_method), p_amount, p_fee,
          p_fee_payer, 'pending')
  returning * into v_payment;
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
-- expired / cancel / failed: close the payment and expire its unpaid orders.
create function public.settle_payment(
  p_payment_ref  text,
  p_status       text,
  p_net          bigint default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_payment  public.payments;
  v_order    public.orders;
  v_credit   bigint;
  v_paid     jsonb := '[]'::jsonb;
  v_stranded jsonb := '[]'::jsonb;
  v_outcome  text;
begin
  select * into v_payment from public.payments where ref = p_payment_ref for update;
  if not found then
    raise exception 'payment % not found', p_payment_ref using errcode = 'BJ003';
  end if;
  if v_payment.status <> 'pending' then
    return private.payment_json(v_payment) || jsonb_build_object('outcome', 'already', 'paid', '[]'::jsonb,
                                                                  'stranded', '[]'::jsonb);
  end if;

  if p_status = 'success' then
    -- what the customer paid us: the whole amount when the seller pays Atlantic's fee, net of it otherwise
    v_credit := case when v_payment.fee_payer = 'seller' then v_payment.amount
                     else coalesce(p_net, v_payment.amount - v_payment.fee) end;
    perform public.post_ledger(v_payment.customer_id, 'credit', v_credit, 'credit:' || v_payment.ref, null,
                               v_payment.id, v_payment.method || ' ' || v_payment.ref);
    update public.payments set status = 'paid', paid_at = now(), credited = v_credit, finished_at = now(),
                               updated_at = now()
     where id = v_payment.id returning * into v_payment;
    for v_order in select * from public.orders where payment_id = v_payment.id order by ref for update loop
      if v_order.status = 'confirmed'
         and (select saldo from public.customers where id = v_order.customer_id) >= v_order.price then
        perform public.post_ledger(v_order.customer_id, 'debit', v_order.price, 'pay:' || v_order.ref, v_order.id,
                                   v_payment.id, 'bayar ' || v_order.ref);
        update public.orders set status = 'paid', paid_at = now(), updated_at = now() where id = v_order.id;
        v_paid := v_paid || to_jsonb(v_order.ref);
      else
        v_stranded := v_stranded || to_jsonb(v_order.ref);
      end if;
    end loop;
    v_outcome := 'paid';
  elsif p_status in ('expired', 'cancel', 'cancelled', 'failed') then
    update public.payments
       set status = case p_status when 'failed' then 'failed' when 'expired' then 'expired' else 'cancelled' end,
           finished_at = now(), updated_at = now()
     where id = v_payment.id returning * into v_payment;
    update public.orders set status = 'expired', updated_at = now(), finished_at = now()
     where payment_id = v_payment.id and status = 'confirmed';
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
         provider_status = coalesce(p_provider_status, provider_status), updated_at = now()
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
-- SN; failed refunds the price to saldo. outcome: success | refunded | already | conflict | pending.
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
  v_order   public.orders;
  v_outcome text;
begin
  select * into v_order from public.orders where ref = p_ref for update;
  if not found then
    raise exception 'order % not found', p_ref using errcode = 'BJ003';
  end if;
  if p_atlantic_id is not null and v_order.atlantic_id is null then
    update public.orders set atlantic_id = p_atlantic_id where id = v_order.id returning * into v_order;
  end if;
  if v_order.status = 'processing' and p_status = 'success' then
    update public.orders set status = 'success', sn = p_sn, provider_status = p_status, finished_at = now(),
                             updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'success';
  elsif v_order.status = 'processing' and p_status = 'failed' then
    update public.orders set status = 'failed', provider_status = p_status, failure_reason = left(p_reason, 300),
                             updated_at = now()
     where id = v_order.id;
    perform public.post_ledger(v_order.customer_id, 'refund', v_order.price, 'refund:' || v_order.ref, v_order.id,
                               null, 'refund ' || v_order.ref);
    update public.orders set status = 'refunded', refunded_at = now(), finished_at = now(), updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'refunded';
  elsif (v_order.status = 'success' and p_status = 'success') or (v_order.status = 'refunded' and p_status = 'failed') then
    v_outcome := 'already';
  elsif v_order.status in ('success', 'refunded') then
    v_outcome := 'conflict';  -- the provider changed its mind about a final state: a human looks at it
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
  with expired as (
    update public.orders set status = 'expired', updated_at = now(), finished_at = now()
     where status = 'quoted' and quote_expires_at <= now()
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
  p_min_age        integer default 30
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_rows jsonb;
  v_age  interval := make_interval(secs => p_min_age);
begin
  if p_kind = 'payments' then
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
  'submit or resubmit, orders to check, pending notices and escalations (each claimed once).';

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
  v_customer bigint;
  v_conv     bigint;
  v_message  public.messages;
  v_outbox   public.outbox;
  v_out      jsonb := '[]'::jsonb;
begin
  if p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception 'p_items must be a JSON array' using errcode = 'BJ004';
  end if;
  for v_item in select * from jsonb_array_elements(p_items) loop
    v_customer := (v_item ->> 'customer_id')::bigint;
    if v_customer is null then
      insert into public.customers as c (wa_id) values (v_item ->> 'wa_id')
      on conflict (wa_id) do update set updated_at = now()
      returning c.id into v_customer;
    end if;
    insert into public.conversations as c (customer_id) values (v_customer)
    on conflict (customer_id) do update set updated_at = now()
    returning c.id into v_conv;
    insert into public.messages (conversation_id, direction, kind, body, payload)
    values (v_conv, 'out', coalesce(v_item ->> 'kind', 'text'), v_item ->> 'text', coalesce(v_item -> 'payload', '{}'::jsonb))
    returning * into v_message;
    insert into public.outbox (message_id, customer_id) values (v_message.id, v_customer) returning * into v_outbox;
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
