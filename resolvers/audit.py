"""The ledger audit: recompute every balance from the entries and check the invariants."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

# Each query returns one row per violation: a description of it.
_CHECKS: dict[str, str] = {
    "transfer without exactly two entries that cancel out": """
        SELECT 'transfer ' || t.id FROM transfer t
        LEFT JOIN ledger_entry e ON e.transfer_id = t.id
        GROUP BY t.id, t.amount, t.debit_account_id, t.credit_account_id
        HAVING COUNT(e.id) <> 2
            OR SUM(e.amount) <> 0
            OR SUM(CASE WHEN e.account_id = t.debit_account_id THEN e.amount END) <> -t.amount
            OR SUM(CASE WHEN e.account_id = t.credit_account_id THEN e.amount END) <> t.amount
    """,
    "entry of an account of another asset than its transfer": """
        SELECT 'entry ' || e.id FROM ledger_entry e
        JOIN transfer t ON t.id = e.transfer_id
        JOIN account a ON a.id = e.account_id
        WHERE a.asset <> t.asset
    """,
    "asset whose accounts do not sum to zero": """
        SELECT asset || ' sums to ' || SUM(balance) FROM account
        GROUP BY asset HAVING SUM(balance) <> 0
    """,
    "balance that differs from the sum of its entries": """
        SELECT 'account ' || a.id || ': balance ' || a.balance
            || ', entries ' || COALESCE(SUM(e.amount), 0)
        FROM account a LEFT JOIN ledger_entry e ON e.account_id = a.id
        GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)
    """,
    "entry whose balanceAfter is not the running sum": """
        SELECT 'entry ' || id FROM (
            SELECT id, balance_after,
                SUM(amount) OVER (PARTITION BY account_id ORDER BY id) AS running
            FROM ledger_entry
        ) entries WHERE balance_after <> running
    """,
    "member account below zero or holding more than its balance": """
        SELECT 'account ' || id || ': balance ' || balance || ', held ' || held
        FROM account
        WHERE held < 0 OR (member_id IS NOT NULL AND (balance < 0 OR held > balance))
    """,
    "account whose held differs from the holds of its exchanges": """
        SELECT 'account ' || a.id || ': held ' || a.held || ', exchanges hold '
            || COALESCE(SUM(CASE WHEN a.asset = 'DIGO'
                THEN x.held_digos ELSE x.held_goodvibes END), 0)
        FROM account a LEFT JOIN exchange x ON x.beneficiary_id = a.member_id
        GROUP BY a.id, a.held, a.asset
        HAVING a.held <> COALESCE(SUM(CASE WHEN a.asset = 'DIGO'
            THEN x.held_digos ELSE x.held_goodvibes END), 0)
    """,
    "exchange whose provider was not paid exactly its reward on completion": """
        SELECT 'exchange ' || x.id || ' (' || x.status || ')' FROM exchange x
        LEFT JOIN transfer t ON t.exchange_id = x.id
        LEFT JOIN account a ON a.id = t.credit_account_id AND a.member_id = x.provider_id
            AND a.asset = CASE WHEN x.listing_type = 'APPEAL' THEN 'GOODVIBE' ELSE 'DIGO' END
        GROUP BY x.id, x.status, x.digos
        HAVING COALESCE(SUM(CASE WHEN a.id IS NOT NULL THEN t.amount END), 0)
                <> CASE WHEN x.status = 'COMPLETED' THEN x.digos ELSE 0 END
            OR (x.status <> 'COMPLETED' AND COUNT(t.id) > 0)
    """,
    "completed exchange not paid as its terms say (who paid what)": """
        SELECT 'exchange ' || x.id FROM exchange x
        LEFT JOIN transfer t ON t.exchange_id = x.id
        LEFT JOIN account d ON d.id = t.debit_account_id
        LEFT JOIN account c ON c.id = t.credit_account_id
        WHERE x.status = 'COMPLETED'
        GROUP BY x.id, x.listing_type, x.digos, x.discount_digos, x.goodvibes_applied
        HAVING COALESCE(SUM(CASE WHEN t.kind = 'EXCHANGE_PAYMENT' THEN t.amount END), 0)
                <> CASE WHEN x.listing_type = 'APPEAL' THEN 0
                    ELSE x.digos - x.discount_digos END
            OR COALESCE(SUM(CASE WHEN t.kind = 'DISCOUNT' THEN t.amount END), 0)
                <> x.discount_digos
            OR COALESCE(SUM(CASE WHEN t.kind = 'GOODVIBES_SPENT' THEN t.amount END), 0)
                <> x.goodvibes_applied
            OR COALESCE(SUM(CASE WHEN t.kind = 'APPEAL_REWARD' THEN t.amount END), 0)
                <> CASE WHEN x.listing_type = 'APPEAL' THEN x.digos ELSE 0 END
            OR SUM(CASE WHEN t.id IS NOT NULL AND NOT (
                (t.kind = 'EXCHANGE_PAYMENT' AND d.member_id = x.beneficiary_id
                    AND c.member_id = x.provider_id)
                OR (t.kind = 'DISCOUNT' AND d.member_id IS NULL AND c.member_id = x.provider_id)
                OR (t.kind = 'GOODVIBES_SPENT' AND d.member_id = x.beneficiary_id
                    AND c.member_id IS NULL)
                OR (t.kind = 'APPEAL_REWARD' AND d.member_id IS NULL
                    AND c.member_id = x.provider_id)
            ) THEN 1 ELSE 0 END) > 0
    """,
}


async def audit(session: AsyncSession) -> list[str]:
    """Every violation found, as `check: detail` lines; an empty list means a whole ledger."""
    violations: list[str] = []
    for check, query in _CHECKS.items():
        rows = (await session.execute(text(query))).scalars().all()
        violations.extend(f"{check}: {row}" for row in rows)
    return violations
