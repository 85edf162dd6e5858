-- Local development seed (applied by `supabase db reset`, never by `python -m shared migrate`).
-- A default pricing rule so a freshly synced catalog has sell prices: +2% and Rp500, rounded up
-- to Rp100. Sellers set their own rules in production.
insert into public.pricing_rules (category, provider, percent, flat, round_to)
values (null, null, 2.0, 500, 100)
on conflict on constraint pricing_rules_scope do nothing;
