-- Fulfilment: paid → processing → success | failed → refunded. The supplier's answer is always
-- re-queried (a status call, never a callback body); a refund gives back the price and the fee
-- the customer paid for the order; a final status that contradicts ours moves no money.

-- paid → processing before Atlantic is called; a processing order without an Atlantic id may
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

-- Atlantic's answer to a submission: its id (the first one sticks) and its status so far.
create function public.record_submission(p_ref text, p_atlantic_id text, p_supplier_status text default null)
returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_order public.orders;
begin
  update public.orders
     set atlantic_id = coalesce(atlantic_id, p_atlantic_id),
         supplier_status = coalesce(p_supplier_status, supplier_status), updated_at = now()
   where ref = p_ref and status in ('processing', 'success', 'refunded', 'failed')
  returning * into v_order;
  if v_order.id is null then
    raise exception 'order % is not being processed', p_ref using errcode = 'BJ003';
  end if;
  return private.order_json(v_order);
end
$$;

-- Atlantic's final answer (from a status query, never from a callback body): success stores the
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

select private.secure_public_schema();
