-- Quotes and confirmations (the first steps of the order state machine), and per-turn usage
-- figures for the seller's limits.
--
-- The LLM proposes, deterministic code disposes: a quote takes its price and cost from
-- `products` (never from the caller), and only confirm_order — called by code on the
-- customer's own "ya" — moves it on. Refusals (SQLSTATE, see shared/errors.py):
--   BJ003 not_found            unknown product, or an order that is not this customer's
--   BJ004 invalid_argument     malformed input
--   BJ008 product_unavailable  the product is empty or no longer sold

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
    'price', o.price, 'status', o.status, 'expires_at', o.quote_expires_at, 'created_at', o.created_at,
    'confirmed_at', o.confirmed_at, 'sn', o.sn,
    'category', (select category from public.products p where p.id = o.product_id),
    'provider', (select provider from public.products p where p.id = o.product_id))
$$;

create function public.create_quote(
  p_customer_id   bigint,
  p_product_code  text,
  p_target        text,
  p_ttl_seconds   integer default 900,
  p_replace_ref   text default null
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_product public.products;
  v_order   public.orders;
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

  -- a corrected quote ("eh ganti nomornya") replaces the one it corrects
  if p_replace_ref is not null then
    update public.orders set status = 'cancelled', updated_at = now(), finished_at = now()
     where ref = p_replace_ref and customer_id = p_customer_id and status = 'quoted';
  end if;

  insert into public.orders (ref, customer_id, product_id, product_code, product_name, target, price, cost,
                             status, quote_expires_at)
  values (private.next_order_ref(), p_customer_id, v_product.id, v_product.code, v_product.name, p_target,
          v_product.price, v_product.cost, 'quoted', now() + make_interval(secs => p_ttl_seconds))
  returning * into v_order;
  return private.order_json(v_order);
end
$$;

comment on function public.create_quote is
  'Quote a product for a target: an orders row in state quoted with the price and cost of products '
  '(never the caller''s) and an expiry; optionally cancels the quote it corrects.';

create function public.confirm_order(p_customer_id bigint, p_ref text) returns jsonb
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
  if v_order.status = 'quoted' and v_order.quote_expires_at <= now() then
    update public.orders set status = 'expired', updated_at = now(), finished_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'expired';
  elsif v_order.status = 'quoted' then
    update public.orders set status = 'confirmed', confirmed_at = now(), updated_at = now()
     where id = v_order.id returning * into v_order;
    v_outcome := 'confirmed';
  elsif v_order.status = 'confirmed' then
    v_outcome := 'already_confirmed';
  else
    v_outcome := 'not_confirmable';
  end if;
  return private.order_json(v_order) || jsonb_build_object('outcome', v_outcome);
end
$$;

comment on function public.confirm_order is
  'The customer''s own confirmation: quoted (and not expired) → confirmed. Replays are harmless; an '
  'expired quote becomes expired. outcome: confirmed | already_confirmed | expired | not_confirmable.';

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

-- begin_turn also reports what the seller's limits need: inbound messages in the last minute and
-- model tokens spent today (WIB) in this conversation. Same signature, same single round trip: the
-- original body moves to private.begin_turn_core and the public function wraps it.
alter function public.begin_turn(text, text, text, text, text, text, text, jsonb, timestamptz, integer, integer, jsonb)
  rename to begin_turn_core;
alter function public.begin_turn_core(text, text, text, text, text, text, text, jsonb, timestamptz, integer, integer, jsonb)
  set schema private;

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
  p_acks           jsonb default '[]'::jsonb
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_result jsonb;
  v_conv   bigint;
begin
  v_result := private.begin_turn_core(p_wamid, p_wa_id, p_user_id, p_name, p_kind, p_body, p_media_uri, p_payload,
                                      p_sent_at, p_lease_seconds, p_history_limit, p_acks);
  if v_result ->> 'status' <> 'leased' then
    return v_result;
  end if;
  v_conv := (v_result ->> 'conversation_id')::bigint;
  return v_result || jsonb_build_object('usage', jsonb_build_object(
    'messages_last_minute',
      (select count(*) from public.messages
        where conversation_id = v_conv and direction = 'in' and created_at > now() - interval '1 minute'),
    'tokens_today',
      (select coalesce(sum(tokens), 0) from public.messages
        where conversation_id = v_conv and direction = 'out'
          and created_at >= (date_trunc('day', now() at time zone 'Asia/Jakarta') at time zone 'Asia/Jakarta'))));
end
$$;

comment on function public.begin_turn is
  'Drop a duplicate wamid, upsert the customer, append the message, take the conversation lease '
  '(or queue the message), and return state + history + the messages to answer + usage. One round trip.';

select private.secure_public_schema();
