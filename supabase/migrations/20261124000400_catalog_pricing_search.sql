-- Catalog: pricing rules → sell prices, price-list sync, and product search.
--
-- Refusals (SQLSTATE, see shared/errors.py):
--   BJ004 invalid_argument  malformed input
--   BJ007 catalog_shrank    a sync would mark too much of the catalog unavailable (an Atlantic
--                           glitch returning a short list must not empty the shop); DETAIL:
--                           {"type", "incoming", "available"}

alter table public.products add column units integer check (units > 0);
comment on column public.products.units is 'Items in the product, e.g. diamonds of a game top-up.';


-- The shop's default markup until the seller sets their own: +2% and Rp500, rounded up to Rp100.
insert into public.pricing_rules (category, provider, percent, flat, round_to)
values (null, null, 2.0, 500, 100)
on conflict on constraint pricing_rules_scope do nothing;

-- The active rule for a category and provider: category + provider, then provider, then category,
-- then the default (all nulls when there is none).
create function private.price_rule(p_category text, p_provider text) returns public.pricing_rules
language sql stable
set search_path = pg_catalog, public
as $$
  select r.* from public.pricing_rules r
   where r.active
     and (r.category is null or r.category = p_category)
     and (r.provider is null or r.provider = p_provider)
   order by (r.provider is not null) desc, (r.category is not null) desc
   limit 1
$$;

-- A cost marked up by a rule, rounded up to the rule's step; never below cost (no rule: the cost).
-- Arithmetic only, so it is inlined into the statement that uses it.
create function private.marked_up(p_cost bigint, p_percent numeric, p_flat bigint, p_round_to integer)
returns bigint
language sql immutable
as $$
  select greatest(p_cost, coalesce((ceil((p_cost * (1 + p_percent / 100) + p_flat) / p_round_to) * p_round_to)::bigint,
                                   p_cost))
$$;

-- Each (category, provider) pair of the catalog with its rule: looked up once per pair, not per row.
create function private.catalog_rules() returns table (category text, provider text, percent numeric, flat bigint,
                                                      round_to integer)
language sql stable
set search_path = pg_catalog, public
as $$
  select c.category, c.provider, r.percent, r.flat, r.round_to
    from (select distinct p.category, p.provider from public.products p) c
    left join lateral private.price_rule(c.category, c.provider) r on true
$$;

-- A change of rules re-prices the catalog at once, without a re-sync.
create function private.reprice_products() returns trigger
language plpgsql
set search_path = pg_catalog, public
as $$
begin
  update public.products p
     set price = private.marked_up(p.cost, r.percent, r.flat, r.round_to), updated_at = now()
    from private.catalog_rules() r
   where r.category = p.category and r.provider = p.provider
     and p.price is distinct from private.marked_up(p.cost, r.percent, r.flat, r.round_to);
  return null;
end
$$;

create trigger pricing_rules_reprice
  after insert or update or delete on public.pricing_rules
  for each statement execute function private.reprice_products();

-- After a large sync: merge the full-text index's pending entries and refresh the statistics, so
-- search stays on its indexes. Both need the table's owner; the service role may ask for exactly
-- this, nothing more.
create function private.analyze_catalog() returns void
language plpgsql security definer
set search_path = pg_catalog, public
as $$
begin
  perform gin_clean_pending_list('public.products_search'::regclass);  -- the sync's new terms, indexed now
  analyze public.products;
end
$$;

-- a catalog sync rewrites many rows at once: let autovacuum clean up after it sooner
alter table public.products set (autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02);

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
  v_incoming  integer;
  v_available integer;
  v_received  integer;
  v_new       integer;
  v_changed   integer;
  v_gone      integer;
  v_total     bigint;
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

  -- the list, read once (the JSON is parsed a single time, whatever is asked of it below)
  create temp table sync_incoming on commit drop as
    select * from jsonb_to_recordset(p_items) as x(
      code text, name text, category text, provider text, type text, cost bigint, status text,
      nominal bigint, quota_gb numeric, validity_days integer, units integer, description text, raw jsonb);
  if exists (select from sync_incoming where code is null or not type = any(v_types)) then
    raise exception 'every item needs a code and a type listed in p_types' using errcode = 'BJ004';
  end if;
  select count(*) into v_received from sync_incoming;

  -- a short list is a glitch at Atlantic, not a catalog change
  if not p_force then
    foreach v_type in array v_types loop
      select count(*) into v_incoming from sync_incoming where type = v_type;
      select count(*) into v_available from public.products where type = v_type and status <> 'unavailable';
      if v_available > 0 and v_incoming < v_available * p_min_keep then
        raise exception 'the % price list has % products and we sell %: refusing to drop the rest',
                        v_type, v_incoming, v_available
          using errcode = 'BJ007',
                detail = jsonb_build_object('type', v_type, 'incoming', v_incoming, 'available', v_available)::text;
      end if;
    end loop;
  end if;

  -- only new and changed rows are written (a sync that changes nothing writes nothing)
  with changes as (
    select i.*, p.id is null as is_new
      from sync_incoming i
      left join public.products p on p.code = i.code
     where p.id is null
        or (p.name, p.category, p.provider, p.type, p.cost, p.status, p.nominal, p.quota_gb,
            p.validity_days, p.units, p.description)
           is distinct from
           (i.name, i.category, i.provider, i.type, i.cost, i.status, i.nominal, i.quota_gb,
            i.validity_days, i.units, i.description)
  ), rules as (  -- the markup of each (category, provider) pair, looked up once per pair
    select c.category, c.provider, r.percent, r.flat, r.round_to
      from (select distinct category, provider from changes) c
      left join lateral private.price_rule(c.category, c.provider) r on true
  ), written as (
    insert into public.products as p (code, name, category, provider, type, cost, price, status, nominal,
                                      quota_gb, validity_days, units, description, raw, synced_at)
    select i.code, i.name, i.category, i.provider, i.type, i.cost,
           private.marked_up(i.cost, r.percent, r.flat, r.round_to), i.status, i.nominal, i.quota_gb,
           i.validity_days, i.units, i.description, coalesce(i.raw, '{}'::jsonb), now()
      from changes i left join rules r on r.category = i.category and r.provider = i.provider
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
     and not exists (select from sync_incoming i where i.code = p.code);
  get diagnostics v_gone = row_count;
  drop table sync_incoming;

  -- after a large change, fresh statistics keep search on its indexes (autovacuum comes later)
  select count(*) into v_total from public.products;
  if v_new + v_changed + v_gone > greatest(500, v_total / 10) then
    perform private.analyze_catalog();
  end if;

  return jsonb_build_object('received', v_received, 'new', v_new, 'changed', v_changed, 'unavailable', v_gone);
end
$$;

comment on function public.sync_products is
  'Upsert normalized price-list rows (cost from Atlantic, price from pricing_rules) and mark '
  'products missing from the listed types unavailable; refuses a suspiciously short list (BJ007).';

-- The query is written for the request at hand and run with its values inlined, so each one gets an
-- index-driven plan: the equalities it carries (category, provider, face value, units) pick one of
-- the partial indexes below, whose trailing price lets ORDER BY ... LIMIT read rows in index order
-- and stop after p_limit. Only the answer's columns are read; nothing is materialised per matching
-- row. Orders an index cannot give are split into parts that each can, merged at the end:
--   - terms ranked first: rows matching them (GIN, rank computed for those only), then the rest;
--   - the nearest face value (or unit count) when the one asked for is not sold: the values above it
--     ascending, the values below it descending, then products without one.
-- products_browse (category, provider, price) is in the core schema.
create index products_by_price on public.products (category, price) where status = 'available';
create index products_by_face on public.products (category, nominal, price) where status = 'available';
create index products_by_provider_face on public.products (provider, nominal, price) where status = 'available';
create index products_by_units on public.products (provider, units, price) where status = 'available';
create index products_by_quota on public.products (category, provider, quota_gb, price) where status = 'available';
create index products_by_validity on public.products (category, provider, validity_days, price)
  where status = 'available';
-- a sync that moves only costs rewrites rows in place (HOT): no index entry, no dead index tuple
alter table public.products set (fillfactor = 50);

-- One search as SQL: each part is (where, order by, rank expression); their top rows are merged by
-- p_order. Column names are bare, so p_order reads the same in a part and in the merge.
create function private.search_sql(p_parts jsonb, p_order text, p_limit integer) returns text
language sql immutable
as $$
  select format(
    'select coalesce(jsonb_agg(jsonb_build_object(''code'', code, ''name'', name, ''category'', category,'
    ' ''provider'', provider, ''type'', type, ''nominal'', nominal, ''price'', price, ''status'', status,'
    ' ''quota_gb'', quota_gb, ''validity_days'', validity_days, ''units'', units) order by ord), ''[]''::jsonb)'
    ' from (select u.*, row_number() over (order by %1$s) as ord from (%2$s) u order by %1$s limit %3$s) r',
    p_order,
    (select string_agg(format(
       '(select code, name, category, provider, type, nominal, price, status, quota_gb, validity_days, units,'
       ' %3$s as rank from public.products where %1$s order by %2$s limit %4$s)',
       part ->> 'where', part ->> 'order', part ->> 'rank', p_limit), ' union all ')
       from jsonb_array_elements(p_parts) part),
    p_limit)
$$;

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
  v_query   tsquery;
  v_words   text[];
  v_where   text;
  v_match   text;
  v_rank    text := '0::real';
  v_order   text[] := '{}';
  v_rest    text;
  v_parts   jsonb;
  v_col     text;
  v_value   bigint;
  v_result  jsonb;
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

  -- the filters asked for, values quoted in
  v_where := concat_ws(' and ', 'true',
    case when p_available_only then $q$status = 'available'$q$ end,
    case when p_category is not null then format('category = %L', p_category) end,
    case when p_provider is not null then format('provider = %L', p_provider) end,
    case when p_max_price is not null then format('price <= %s', p_max_price) end,
    case when p_min_quota is not null then format('quota_gb >= %s', p_min_quota) end,
    case when p_min_validity is not null then format('validity_days >= %s', p_min_validity) end);
  if v_query is not null then
    v_match := format('search @@ %L::tsquery', v_query::text);
    v_rank := format('ts_rank(search, %L::tsquery)', v_query::text);
    if p_terms_required then v_where := v_where || ' and ' || v_match; end if;
  end if;

  -- sort keys in this order: price when asked for, the terms' rank, the smallest quota / validity
  -- meeting a minimum, then the cheapest
  if p_sort = 'price_asc' then v_order := v_order || 'price'::text; end if;
  if p_sort = 'price_desc' then v_order := v_order || 'price desc'::text; end if;
  if v_query is not null then v_order := v_order || 'rank desc'::text; end if;
  if p_min_quota is not null then v_order := v_order || 'quota_gb'::text; end if;
  if p_min_validity is not null then v_order := v_order || 'validity_days'::text; end if;
  v_order := v_order || 'price'::text || 'code'::text;
  v_rest := array_to_string(v_order, ', ');

  -- 1. the face value / unit count asked for (or everything when none is)
  v_parts := private.search_parts(
    v_where || case when p_nominal is not null then format(' and nominal = %s', p_nominal) else '' end
            || case when p_units is not null then format(' and units = %s', p_units) else '' end,
    v_rest, v_rank, v_match, p_sort = 'relevance' and v_query is not null and not p_terms_required);
  execute private.search_sql(v_parts, v_rest, p_limit) into v_result;
  if jsonb_array_length(v_result) > 0 or (p_nominal is null and p_units is null) then
    return v_result;
  end if;

  -- 2. not sold: the nearest ones, by the distance to it, then the same keys
  v_col := case when p_nominal is not null then 'nominal' else 'units' end;
  v_value := coalesce(p_nominal, p_units);
  if p_nominal is not null and p_units is not null then  -- both asked: one part, ordered in full
    v_parts := jsonb_build_array(jsonb_build_object('where', v_where, 'rank', v_rank,
      'order', format('abs(coalesce(nominal, 0) - %s), abs(coalesce(units, 0) - %s), %s', p_nominal, p_units, v_rest)));
    execute private.search_sql(v_parts, format('abs(coalesce(nominal, 0) - %s), abs(coalesce(units, 0) - %s), %s',
                                               p_nominal, p_units, v_rest), p_limit) into v_result;
    return v_result;
  end if;
  v_parts := jsonb_build_array(
    jsonb_build_object('where', format('%s and %I >= %s', v_where, v_col, v_value), 'rank', v_rank,
                       'order', format('%I, %s', v_col, v_rest)),
    jsonb_build_object('where', format('%s and %I < %s', v_where, v_col, v_value), 'rank', v_rank,
                       'order', format('%I desc, %s', v_col, v_rest)));
  v_rest := format('abs(coalesce(%I, 0) - %s), %s', v_col, v_value, v_rest);
  execute private.search_sql(v_parts, v_rest, p_limit) into v_result;
  if jsonb_array_length(v_result) < p_limit then  -- products without one come last: only when short
    v_parts := v_parts || jsonb_build_object('where', format('%s and %I is null', v_where, v_col),
                                             'rank', v_rank, 'order', array_to_string(v_order, ', '));
    execute private.search_sql(v_parts, v_rest, p_limit) into v_result;
  end if;
  return v_result;
end
$$;

-- The parts of one ordered search: one, or — when the terms' rank comes first — the rows that match
-- the terms (rank computed) and the rows that do not (rank 0, read in price order).
create function private.search_parts(p_where text, p_order text, p_rank text, p_match text, p_split boolean)
returns jsonb
language sql immutable
as $$
  select case when p_split then jsonb_build_array(
      jsonb_build_object('where', p_where || ' and ' || p_match, 'order', p_order, 'rank', p_rank),
      jsonb_build_object('where', p_where || ' and not (' || p_match || ')',
                         'order', regexp_replace(p_order, '^rank desc, ', ''), 'rank', '0::real'))
    else jsonb_build_array(jsonb_build_object('where', p_where, 'order', p_order, 'rank', p_rank)) end
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
