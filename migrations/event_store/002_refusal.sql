-- Ends a statement, and so its transaction, with SQLSTATE RF001: the message
-- is `reason`, the detail `subject`. A check written in SQL refuses through it,
-- so a transaction can send its statements and COMMIT together: a refusal
-- aborts it, and the COMMIT behind it then rolls back (see
-- shared/db/transaction.ts, transactionAtOnce). Volatile, so a CASE calls it
-- only in the branch that is taken.
CREATE FUNCTION es_refuse(reason text, subject text DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'RF001', MESSAGE = reason, DETAIL = coalesce(subject, '');
END
$$;
