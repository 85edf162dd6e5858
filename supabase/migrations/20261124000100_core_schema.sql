-- Core schema: who we talk to, what was said, what we sell, and where the money is.
--
-- Money is integer rupiah (bigint). State changes go through the SQL functions of the later
-- migrations; the constraints here are the last line of defence if anything else writes.

-- ---------------------------------------------------------------------------------------------
-- Customers and conversations
-- ---------------------------------------------------------------------------------------------

create table public.customers (
  id            bigint generated always as identity primary key,
  wa_id         text unique check (wa_id ~ '^[1-9][0-9]{6,14}$'),      -- E.164 digits, no '+'
  wa_user_id    text unique check (length(wa_user_id) between 1 and 128), -- business-scoped user id
  name          text check (length(name) <= 200),
  saldo         bigint not null default 0 check (saldo >= 0),
  blocked       boolean not null default false,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  last_seen_at  timestamptz,
  constraint customers_identified check (wa_id is not null or wa_user_id is not null)
);
comment on table public.customers is
  'A WhatsApp customer, known by phone (wa_id) and/or business-scoped user id. saldo = sum(ledger.amount).';

create table public.conversations (
  id            bigint generated always as identity primary key,
  customer_id   bigint not null unique references public.customers (id) on delete cascade,
  state         jsonb not null default '{}'::jsonb check (jsonb_typeof(state) = 'object'),
  summary       text,
  version       bigint not null default 0,
  lease_token   uuid,
  lease_until   timestamptz,
  tokens_day    date,                          -- the shop's day (TIMEZONE) tokens_today counts
  tokens_today  integer not null default 0 check (tokens_today >= 0),  -- model tokens spent that day
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint conversations_lease_pair check ((lease_token is null) = (lease_until is null))
);
comment on column public.conversations.lease_token is
  'Held by the turn that is answering; expires at lease_until so a crashed turn never locks a customer out.';

create table public.messages (
  id               bigint generated always as identity primary key,
  conversation_id  bigint not null references public.conversations (id) on delete cascade,
  direction        text not null check (direction in ('in', 'out')),
  wamid            text unique,
  kind             text not null default 'text' check (kind in (
                     'text', 'image', 'audio', 'video', 'document', 'sticker', 'location',
                     'contacts', 'interactive', 'button', 'reaction', 'system', 'unsupported')),
  body             text check (length(body) <= 65536),
  media_uri        text,
  payload          jsonb not null default '{}'::jsonb,
  tokens           integer check (tokens >= 0),
  sent_at          timestamptz,                 -- WhatsApp's timestamp of an inbound message
  created_at       timestamptz not null default now(),
  -- inbound processing: the lease that claimed it, how often, and when a turn finished it
  turn_token       uuid,
  attempts         smallint not null default 0,
  handled_at       timestamptz,
  constraint messages_outbound_unclaimed check (direction = 'in' or turn_token is null)
);
create index messages_conversation_recent on public.messages (conversation_id, id desc);
-- begin_turn counts the inbound messages of the last minute from here (a few rows, however long the
-- conversation); model tokens are counted on the conversation itself (tokens_today)
create index messages_conversation_time on public.messages (conversation_id, created_at);
create index messages_unhandled on public.messages (conversation_id, id)
  where direction = 'in' and handled_at is null;

create table public.outbox (
  id               bigint generated always as identity primary key,
  message_id       bigint not null unique references public.messages (id) on delete cascade,
  customer_id      bigint not null references public.customers (id) on delete cascade,
  status           text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  last_error       text,
  wamid            text,
  sent_at          timestamptz,
  created_at       timestamptz not null default now()
);
create index outbox_pending on public.outbox (next_attempt_at) where status = 'pending';
comment on table public.outbox is
  'Outbound WhatsApp messages not yet acknowledged by the send API; the reconciler retries pending rows.';

-- ---------------------------------------------------------------------------------------------
-- Catalog and pricing
-- ---------------------------------------------------------------------------------------------

create table public.products (
  id             bigint generated always as identity primary key,
  code           text not null unique,                 -- Atlantic's product code
  name           text not null,
  category       text not null check (category in
                   ('pulsa', 'data', 'ewallet', 'pln', 'game', 'voucher', 'bill', 'other')),
  provider       text not null,                        -- canonical upper case: TELKOMSEL, DANA, PLN, ...
  type           text not null default 'prabayar' check (type in ('prabayar', 'pascabayar')),
  cost           bigint not null check (cost >= 0),    -- what Atlantic charges us
  price          bigint not null,                      -- what the customer pays
  nominal        bigint check (nominal > 0),           -- face value, where it has one
  quota_gb       numeric(8, 2) check (quota_gb >= 0),
  validity_days  integer check (validity_days > 0),
  status         text not null default 'available' check (status in ('available', 'empty', 'unavailable')),
  description    text,
  raw            jsonb not null default '{}'::jsonb,   -- Atlantic's row as last synced
  search         tsvector generated always as (
                   to_tsvector('simple', coalesce(name, '') || ' ' || category || ' ' || provider
                                         || ' ' || coalesce(description, ''))) stored,
  synced_at      timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint products_price_covers_cost check (price >= cost)
);
create index products_browse on public.products (category, provider, price) where status = 'available';
create index products_search on public.products using gin (search);

create table public.pricing_rules (
  id          bigint generated always as identity primary key,
  category    text check (category in
                ('pulsa', 'data', 'ewallet', 'pln', 'game', 'voucher', 'bill', 'other')),
  provider    text,
  percent     numeric(6, 3) not null default 0 check (percent >= 0),
  flat        bigint not null default 0 check (flat >= 0),
  round_to    integer not null default 100 check (round_to > 0),
  active      boolean not null default true,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint pricing_rules_scope unique nulls not distinct (category, provider)
);
comment on table public.pricing_rules is
  'Markup per category/provider (null = any). The most specific active rule wins; (null, null) is the default.';

-- ---------------------------------------------------------------------------------------------
-- Orders, payments, ledger
-- ---------------------------------------------------------------------------------------------

create table public.orders (
  id                bigint generated always as identity primary key,
  ref               text not null unique check (ref ~ '^[A-Z0-9][A-Z0-9-]{5,39}$'),  -- our reff_id
  customer_id       bigint not null references public.customers (id),
  product_id        bigint references public.products (id),
  product_code      text not null,
  product_name      text not null,
  target            text not null check (length(target) between 1 and 64),
  price             bigint not null check (price >= 0),   -- fixed at the quote
  cost              bigint not null check (cost >= 0),    -- limit_price sent to Atlantic
  status            text not null default 'quoted' check (status in (
                      'quoted', 'confirmed', 'paid', 'processing', 'success', 'failed',
                      'refunded', 'expired', 'cancelled')),
  payment_method    text check (payment_method in ('saldo', 'qris')),
  payment_id        bigint,
  atlantic_id       text unique,
  sn                text,
  supplier_status   text,
  failure_reason    text,
  quote_expires_at  timestamptz,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  confirmed_at      timestamptz,
  paid_at           timestamptz,
  processing_at     timestamptz,
  finished_at       timestamptz
);
create index orders_customer_recent on public.orders (customer_id, created_at desc);
create index orders_in_flight on public.orders (status, updated_at)
  where status in ('quoted', 'confirmed', 'paid', 'processing');

create table public.payments (
  id           bigint generated always as identity primary key,
  ref          text not null unique check (ref ~ '^[A-Z0-9][A-Z0-9-]{5,39}$'),
  customer_id  bigint not null references public.customers (id),
  kind         text not null check (kind in ('deposit', 'order')),
  method       text not null,                      -- QRIS, or a deposit/metode code
  atlantic_id  text unique,
  amount       bigint not null check (amount > 0), -- what reaches saldo / pays the order
  fee          bigint not null default 0 check (fee >= 0),
  status       text not null default 'pending' check (status in
                 ('pending', 'paid', 'expired', 'cancelled', 'failed')),
  qr_string    text,
  payload      jsonb not null default '{}'::jsonb,
  expires_at   timestamptz,
  paid_at      timestamptz,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now()
);
create index payments_pending on public.payments (status, expires_at) where status = 'pending';
create index payments_customer_recent on public.payments (customer_id, created_at desc);

alter table public.orders
  add constraint orders_payment_fk foreign key (payment_id) references public.payments (id);

create table public.ledger (
  id             bigint generated always as identity primary key,
  customer_id    bigint not null references public.customers (id),
  kind           text not null check (kind in ('credit', 'debit', 'refund', 'fee_refund')),
  amount         bigint not null,                  -- signed: debits negative
  balance_after  bigint not null check (balance_after >= 0),
  idem_key       text not null unique check (length(idem_key) between 1 and 200),
  order_id       bigint references public.orders (id),
  payment_id     bigint references public.payments (id),
  note           text check (length(note) <= 500),
  created_at     timestamptz not null default now(),
  constraint ledger_sign check ((kind = 'debit' and amount < 0) or (kind <> 'debit' and amount > 0))
);
create index ledger_customer on public.ledger (customer_id, id);
create index ledger_order on public.ledger (order_id) where order_id is not null;
comment on table public.ledger is
  'Every saldo movement. customers.saldo always equals the sum of amount, and the last balance_after.';

-- saldo may change only together with a ledger row: checked at commit, against the *current*
-- saldo (a transaction may post several rows for one customer: credit a QRIS, then debit orders).
create function private.check_saldo_matches_ledger() returns trigger
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_last  bigint;
  v_saldo bigint;
begin
  select saldo into v_saldo from public.customers where id = new.id;
  select balance_after into v_last
    from public.ledger where customer_id = new.id order by id desc limit 1;
  if v_saldo <> coalesce(v_last, 0) then
    raise exception 'saldo of customer % changed without a ledger posting', new.id
      using errcode = 'BJ009';
  end if;
  return null;
end
$$;

create constraint trigger customers_saldo_matches_ledger
  after insert or update of saldo on public.customers
  deferrable initially deferred
  for each row execute function private.check_saldo_matches_ledger();

-- ---------------------------------------------------------------------------------------------
-- External events
-- ---------------------------------------------------------------------------------------------

create table public.webhook_events (
  id           bigint generated always as identity primary key,
  source       text not null check (source ~ '^[a-z][a-z0-9_.-]{1,40}$'),
  event_key    text not null check (length(event_key) between 1 and 300),
  payload      jsonb not null default '{}'::jsonb,
  received_at  timestamptz not null default now(),
  applied_at   timestamptz,
  attempts     integer not null default 0,
  last_error   text,
  next_check_at timestamptz,                     -- the reconciler's lease on an event it re-checks
  constraint webhook_events_once unique (source, event_key)
);
create index webhook_events_unapplied on public.webhook_events (received_at) where applied_at is null;

select private.secure_public_schema();
