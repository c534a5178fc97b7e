"""The ledger's rules, kept by the database whatever the code does:

- the postings of a transaction sum to zero (checked at the end of each statement that writes
  postings: ``ledger_post`` writes a transaction's postings in one INSERT);
- a buyer, escrow, merchant, refunds, suspense, commission or payouts-in-transit account never
  goes below zero (no balance from nowhere);
- a transaction has at least two postings (checked at commit);
- postings are never changed or deleted."""

from django.db import migrations

NEVER_NEGATIVE = (
    "'buyer', 'escrow', 'merchant', 'refunds', 'payouts_in_transit', 'suspense', 'commission'"
)

FORWARD = f"""
CREATE FUNCTION payments_posting_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    overdrawn record;
BEGIN
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM payments_posting WHERE transaction_id = NEW.transaction_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: its postings sum to %',
            NEW.transaction_id, total USING ERRCODE = '23514';
    END IF;
    -- Credit-normal accounts hold what the network owes or earned: their postings sum to <= 0.
    SELECT a.id, a.kind, SUM(p.amount) AS total INTO overdrawn
      FROM payments_ledgeraccount a JOIN payments_posting p ON p.account_id = a.id
     WHERE a.id = NEW.account_id AND a.kind IN ({NEVER_NEGATIVE})
     GROUP BY a.id, a.kind HAVING SUM(p.amount) > 0;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger account % (%) would go below zero (%)',
            overdrawn.id, overdrawn.kind, -overdrawn.total USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER payments_posting_balanced
    AFTER INSERT ON payments_posting
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION payments_posting_check();

CREATE FUNCTION payments_posting_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger postings are never changed or deleted' USING ERRCODE = '23514';
END $$;

CREATE TRIGGER payments_posting_append_only
    BEFORE UPDATE OR DELETE ON payments_posting
    FOR EACH ROW EXECUTE FUNCTION payments_posting_immutable();

CREATE FUNCTION payments_transaction_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT COUNT(*) FROM payments_posting WHERE transaction_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'ledger transaction % has fewer than two postings', NEW.id
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER payments_transaction_has_postings
    AFTER INSERT ON payments_ledgertransaction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION payments_transaction_check();
"""

BACKWARD = """
DROP TRIGGER payments_transaction_has_postings ON payments_ledgertransaction;
DROP FUNCTION payments_transaction_check();
DROP TRIGGER payments_posting_append_only ON payments_posting;
DROP FUNCTION payments_posting_immutable();
DROP TRIGGER payments_posting_balanced ON payments_posting;
DROP FUNCTION payments_posting_check();
"""


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
