-- The customer's language (issue #12, family 9 "English"): a customer who writes in English gets
-- English replies, also from outside a turn (receipts, refunds, payment notices).
--
-- The turn keeps the language it reads in conversations.state ('lang', absent for Indonesian);
-- a trigger copies it to customers.lang whenever end_turn saves a state that changes it, so the
-- messages sent by callbacks and the reconciler can ask customer_lang() without reading state.

alter table public.customers add column lang text not null default 'id' check (lang in ('id', 'en'));
comment on column public.customers.lang is
  'The language the customer writes in (id | en), as the last turn read it; notices outside a '
  'turn are written in it.';

create function private.remember_lang() returns trigger
language plpgsql
set search_path = pg_catalog, public
as $$
declare
  v_lang text := case when new.state->>'lang' = 'en' then 'en' else 'id' end;
begin
  if v_lang is distinct from (case when old.state->>'lang' = 'en' then 'en' else 'id' end) then
    update public.customers set lang = v_lang where id = new.customer_id and lang is distinct from v_lang;
  end if;
  return null;
end
$$;
revoke all on function private.remember_lang() from public;

create trigger conversations_remember_lang
  after update of state on public.conversations
  for each row execute function private.remember_lang();

create function public.customer_lang(p_customer_id bigint) returns text
language sql stable
set search_path = pg_catalog, public
as $$
  select coalesce((select lang from public.customers where id = p_customer_id), 'id')
$$;

select private.secure_public_schema();
