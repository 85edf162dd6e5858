-- Per-turn usage figures for the seller's limits (messages per minute, model tokens per day).
--
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
