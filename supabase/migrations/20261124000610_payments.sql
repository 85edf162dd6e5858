-- Paying: the customer's confirmation (saldo in the same transaction, or a checkout), QRIS /
-- e-wallet / VA checkouts at Atlantic, and applying a deposit's re-queried status once.
--
-- Money moves only through post_ledger (idempotent keys: pay:<order ref>, credit:<payment ref>,
-- refund:<order ref>, fee-refund:<order ref>), so saldo = Σ ledger always holds. Locks: the
-- customer first, then payments, then orders by ref.

alter table public.payments
  add column fee_payer text not null default 'customer' check (fee_payer in ('customer', 'seller')),
  add column credited bigint check (credited >= 0),
  add column url text,
  add column next_check_at timestamptz,
  add column finished_at timestamptz;
create index payments_reconcile on public.payments (status, next_check_at) where status = 'pending';

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
-- lookups
-- ---------------------------------------------------------------------------------------------

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

select private.secure_public_schema();
