-- Local development seed (applied by `supabase db reset`, never by `python -m shared migrate`).
-- Example pricing rules on top of the migration's default (+2% and Rp500, rounded up to Rp100):
-- a bigger margin on game top-ups, and e-wallet top-ups at a flat Rp1.000, rounded to Rp500.
insert into public.pricing_rules (category, provider, percent, flat, round_to)
values ('game', null, 5.0, 0, 100),
       ('ewallet', null, 0, 1000, 500)
on conflict on constraint pricing_rules_scope do nothing;
