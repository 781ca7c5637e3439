-- A message stored with its conversation's next seq in one statement (one round trip, auto-committed),
-- called by MessagesRepository.insertNext. Inside a PL/pgSQL function each statement takes a new
-- snapshot (READ COMMITTED), so the members are read after the seq UPDATE holds the conversation's
-- row lock: they are the members as committed when this send got its seq. Any failure (not a
-- member: SQLSTATE BC001; a duplicate clientMessageId or media id: 23505) aborts the statement,
-- and the seq increment with it, so no seq is ever skipped. No row: the conversation is gone or
-- archived. `recipients` is a JSON array of the active members' ids.
CREATE FUNCTION chat_send_message(
  p_id uuid,
  p_conversation_id uuid,
  p_sender_id uuid,
  p_client_message_id text,
  p_body text,
  p_reply_to_id uuid,
  p_attachment_ids uuid[]
) RETURNS TABLE (
  id uuid,
  conversation_id uuid,
  seq bigint,
  sender_id uuid,
  client_message_id text,
  body text,
  reply_to_id uuid,
  edited_at timestamptz,
  deleted_at timestamptz,
  created_at timestamptz,
  recipients json
)
LANGUAGE plpgsql
VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_seq bigint;
  v_at timestamptz;
  v_members uuid[];
BEGIN
  UPDATE conversations c
     SET last_seq = c.last_seq + 1, last_message_at = clock_timestamp(), updated_at = clock_timestamp()
   WHERE c.id = p_conversation_id AND c.archived_at IS NULL
  RETURNING c.last_seq, c.last_message_at INTO v_seq, v_at;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  SELECT coalesce(array_agg(m.user_id), '{}') INTO v_members
    FROM conversation_members m
   WHERE m.conversation_id = p_conversation_id AND m.left_at IS NULL;
  IF NOT (p_sender_id = ANY (v_members)) THEN
    RAISE EXCEPTION 'the sender is not a member of the conversation' USING ERRCODE = 'BC001';
  END IF;

  INSERT INTO messages (id, conversation_id, seq, sender_id, client_message_id, body, reply_to_id, created_at)
  VALUES (p_id, p_conversation_id, v_seq, p_sender_id, p_client_message_id, p_body, p_reply_to_id, v_at);

  INSERT INTO message_attachments (message_id, media_id, position)
  SELECT p_id, a.media_id, (a.ordinality - 1)::smallint
    FROM unnest(p_attachment_ids) WITH ORDINALITY AS a(media_id, ordinality);

  UPDATE conversation_members m
     SET last_read_seq = greatest(m.last_read_seq, v_seq)
   WHERE m.conversation_id = p_conversation_id AND m.user_id = p_sender_id;

  RETURN QUERY
  SELECT msg.id, msg.conversation_id, msg.seq, msg.sender_id, msg.client_message_id, msg.body,
         msg.reply_to_id, msg.edited_at, msg.deleted_at, msg.created_at, to_json(v_members)
    FROM messages msg
   WHERE msg.id = p_id;
END
$$;
