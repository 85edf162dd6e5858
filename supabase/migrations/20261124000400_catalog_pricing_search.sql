-- Catalog: pricing rules → sell prices, price-list sync, and product search.
--
-- Refusals (SQLSTATE, see shared/errors.py):
--   BJ004 invalid_argument  malformed input
--   BJ007 catalog_shrank    a sync would mark too much of the catalog unavailable (an Atlantic
--                           glitch returning a short list must not empty the shop); DETAIL:
--                           {"type", "incoming", "available"}

alter table public.products add column units integer check (units > 0);
comment on column public.products.units is 'Items in the product, e.g. diamonds of a game top-up.';

create index products_type_status on public.products (type, status);

-- The shop's default markup until the seller sets their own: +2% and Rp500, rounded up to Rp100.
insert into public.pricing_rules (category, provider, percent, flat, round_to)
values (null, null, 2.0, 500, 100)
on conflict on constraint pricing_rules_scope do nothing;

-- Sell price for a cost under the most specific active rule: category + provider, then provider,
-- then category, then the default. Rounded up to the rule's step; never below cost.
create function private.sell_price(p_cost bigint, p_category text, p_provider text) returns bigint
language sql stable
set search_path = pg_catalog, public
as $$
  select greatest(
           p_cost,
           coalesce(
             (select (ceil((p_cost * (1 + r.percent / 100) + r.flat) / r.round_to) * r.round_to)::bigint
                from public.pricing_rules r
               where r.active
                 and (r.category is null or r.category = p_category)
                 and (r.provider is null or r.provider = p_provider)
               order by (r.provider is not null) desc, (r.category is not null) desc
               limit 1),
             p_cost))
$$;

-- A change of rules re-prices the catalog at once, without a re-sync.
create function private.reprice_products() returns trigger
language plpgsql
set search_path = pg_catalog, public
as $$
begin
  update public.products p
     set price = s.price, updated_at = now()
    from (select id, private.sell_price(cost, category, provider) as price from public.products) s
   where s.id = p.id and p.price is distinct from s.price;
  return null;
end
$$;

create trigger pricing_rules_reprice
  after insert or update or delete on public.pricing_rules
  for each statement execute function private.reprice_products();

create function public.sync_products(
  p_items      jsonb,
  p_types      jsonb,
  p_min_keep   numeric default 0.5,
  p_force      boolean default false
) returns jsonb
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_types     text[];
  v_type      text;
  v_codes     text[];
  v_incoming  integer;
  v_available integer;
  v_new       integer;
  v_changed   integer;
  v_gone      integer;
begin
  if p_items is null or jsonb_typeof(p_items) <> 'array' then
    raise exception 'p_items must be a JSON array' using errcode = 'BJ004';
  end if;
  if p_types is null or jsonb_typeof(p_types) <> 'array' then
    raise exception 'p_types must be a JSON array' using errcode = 'BJ004';
  end if;
  v_types := array(select jsonb_array_elements_text(p_types));
  if cardinality(v_types) = 0 or not v_types <@ array['prabayar', 'pascabayar'] then
    raise exception 'p_types must list prabayar and/or pascabayar' using errcode = 'BJ004';
  end if;
  if exists (select from jsonb_array_elements(p_items) e
              where e ->> 'code' is null or not (e ->> 'type') = any(v_types)) then
    raise exception 'every item needs a code and a type listed in p_types' using errcode = 'BJ004';
  end if;
  v_codes := array(select e ->> 'code' from jsonb_array_elements(p_items) e);

  -- a short list is a glitch at the provider, not a catalog change
  if not p_force then
    foreach v_type in array v_types loop
      select count(*) into v_incoming from jsonb_array_elements(p_items) e where e ->> 'type' = v_type;
      select count(*) into v_available from public.products where type = v_type and status <> 'unavailable';
      if v_available > 0 and v_incoming < v_available * p_min_keep then
        raise exception 'the % price list has % products and we sell %: refusing to drop the rest',
                        v_type, v_incoming, v_available
          using errcode = 'BJ007',
                detail = jsonb_build_object('type', v_type, 'incoming', v_incoming, 'available', v_available)::text;
      end if;
    end loop;
  end if;

  with incoming as (
    select * from jsonb_to_recordset(p_items) as x(
      code text, name text, category text, provider text, type text, cost bigint, status text,
      nominal bigint, quota_gb numeric, validity_days integer, units integer, description text, raw jsonb)
  ), changes as (
    select i.*, p.id is null as is_new
      from incoming i
      left join public.products p on p.code = i.code
     where p.id is null
        or (p.name, p.category, p.provider, p.type, p.cost, p.status, p.nominal, p.quota_gb,
            p.validity_days, p.units, p.description)
           is distinct from
           (i.name, i.category, i.provider, i.type, i.cost, i.status, i.nominal, i.quota_gb,
            i.validity_days, i.units, i.description)
  ), written as (
    insert into public.products as p (code, name, category, provider, type, cost, price, status, nominal,
                                      quota_gb, validity_days, units, description, raw, synced_at)
    select code, name, category, provider, type, cost, private.sell_price(cost, category, provider), status,
           nominal, quota_gb, validity_days, units, description, coalesce(raw, '{}'::jsonb), now()
      from changes
    on conflict (code) do update
       set name = excluded.name, category = excluded.category, provider = excluded.provider,
           type = excluded.type, cost = excluded.cost, price = excluded.price, status = excluded.status,
           nominal = excluded.nominal, quota_gb = excluded.quota_gb, validity_days = excluded.validity_days,
           units = excluded.units, description = excluded.description, raw = excluded.raw,
           synced_at = now(), updated_at = now()
    returning 1
  )
  select count(*) filter (where is_new), count(*) filter (where not is_new)
    into v_new, v_changed
    from changes;

  update public.products p
     set status = 'unavailable', synced_at = now(), updated_at = now()
   where p.type = any(v_types) and p.status <> 'unavailable'
     and p.code not in (select unnest(v_codes));
  get diagnostics v_gone = row_count;

  return jsonb_build_object('received', cardinality(v_codes), 'new', v_new, 'changed', v_changed,
                            'unavailable', v_gone);
end
$$;

comment on function public.sync_products is
  'Upsert normalized price-list rows (cost from Atlantic, price from pricing_rules) and mark '
  'products missing from the listed types unavailable; refuses a suspiciously short list (BJ007).';

create function public.search_products(
  p_category        text default null,
  p_provider        text default null,
  p_nominal         bigint default null,
  p_max_price       bigint default null,
  p_min_quota       numeric default null,
  p_min_validity    integer default null,
  p_units           integer default null,
  p_terms           text default null,
  p_terms_required  boolean default false,
  p_sort            text default 'relevance',
  p_limit           integer default 10,
  p_available_only  boolean default true
) returns jsonb
language plpgsql stable
set search_path = pg_catalog, public
as $$
declare
  v_query  tsquery;
  v_words  text[];
  v_result jsonb;
begin
  if p_sort not in ('relevance', 'price_asc', 'price_desc') then
    raise exception 'p_sort must be relevance, price_asc or price_desc' using errcode = 'BJ004';
  end if;
  if p_limit not between 1 and 50 then
    raise exception 'p_limit must be between 1 and 50' using errcode = 'BJ004';
  end if;

  v_words := array(
    select w from (select regexp_replace(lower(t), '[^a-z0-9]', '', 'g') as w
                     from regexp_split_to_table(coalesce(p_terms, ''), '\s+') t) s
     where length(w) > 0);
  if cardinality(v_words) > 0 then
    v_query := to_tsquery('simple', array_to_string(array(select w || ':*' from unnest(v_words) w), ' | '));
  end if;

  with base as (
    select p.*,
           case when v_query is null then 0 else ts_rank(p.search, v_query) end as rank
      from public.products p
     where (not p_available_only or p.status = 'available')
       and (p_category is null or p.category = p_category)
       and (p_provider is null or p.provider = p_provider)
       and (p_max_price is null or p.price <= p_max_price)
       and (p_min_quota is null or p.quota_gb >= p_min_quota)
       and (p_min_validity is null or p.validity_days >= p_min_validity)
       and (not p_terms_required or v_query is null or p.search @@ v_query)
  ), exact as (
    -- a face value or unit count asked for: those products if any exist, else the nearest ones
    select exists (select from base
                    where (p_nominal is null or nominal = p_nominal)
                      and (p_units is null or units = p_units)) as found
  ), ranked as (
    select b.*
      from base b, exact e
     where not e.found
        or ((p_nominal is null or b.nominal = p_nominal) and (p_units is null or b.units = p_units))
     order by
       case when p_nominal is not null then abs(coalesce(b.nominal, 0) - p_nominal) end,
       case when p_units is not null then abs(coalesce(b.units, 0) - p_units) end,
       case when p_sort = 'price_asc' then b.price end,
       case when p_sort = 'price_desc' then b.price end desc,
       b.rank desc,
       case when p_min_quota is not null then b.quota_gb end,
       case when p_min_validity is not null then b.validity_days end,
       b.price, b.code
     limit p_limit
  )
  select coalesce(jsonb_agg(jsonb_build_object(
           'code', code, 'name', name, 'category', category, 'provider', provider, 'type', type,
           'nominal', nominal, 'price', price, 'status', status, 'quota_gb', quota_gb,
           'validity_days', validity_days, 'units', units)), '[]'::jsonb)
    into v_result
    from ranked;
  return v_result;
end
$$;

comment on function public.search_products is
  'Catalog search: hard filters, exact face value / units when they exist (else the nearest), '
  'full-text terms as a filter or a ranking boost, sorted by relevance or price. At most p_limit rows.';

create function public.catalog_stats() returns jsonb
language sql stable
set search_path = pg_catalog, public
as $$
  select jsonb_build_object(
    'available', count(*) filter (where status = 'available'),
    'empty', count(*) filter (where status = 'empty'),
    'unavailable', count(*) filter (where status = 'unavailable'),
    'last_synced_at', max(synced_at))
  from public.products
$$;

comment on function public.catalog_stats is 'How many products are available, empty and unavailable; the last sync.';

select private.secure_public_schema();
