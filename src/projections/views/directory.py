"""The customer directory: one row per customer for search and lists (personal, erasable).

Name, e-mail and phone are held in clear so that search can match parts of a name; the
search terms are the same three folded for matching (lower case, accents removed, the phone
as digits in its national and international forms), so they hold nothing the row does not. On
erasure the customer's row is DELETED, and the erasure use case then VACUUMs this view's
tables (`projections.engine.vacuum`), so no live or dead row version holds them. What remains
outside this table: the bytes of the freed row versions until PostgreSQL reuses the space,
the write-ahead log until its segments are recycled (and any WAL archive), and backups taken
before the erasure, for as long as they are kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from crm.domain import events as ev
from projections.engine.view import Batch, View

Sort = Literal["relevance", "name", "-name", "first_seen", "-first_seen"]
SORTS: tuple[Sort, ...] = ("relevance", "name", "-name", "first_seen", "-first_seen")
ORDER_BY: dict[Sort, str] = {
    "relevance": "length(name), name, customer_id",
    "name": "lower(name), customer_id",
    "-name": "lower(name) DESC, customer_id",
    "first_seen": "first_seen, customer_id",
    "-first_seen": "first_seen DESC, customer_id",
}
COLUMNS = "customer_id, kind, name, email, sector, account_manager, first_seen, merged_into"
"""What a list shows of each customer."""
PHONE_QUERY = re.compile(r"^[\d\s+()./-]+$")


MATCH_SEPARATORS = " ._'\u2019,-\t\n"
"""What duplicate matching folds out of names and e-mail local parts
(`projections.duplicates.candidates`), as SQL's `translate` drops it."""
PHONE_PUNCTUATION = " +-()./"
"""What the phone key drops before its country code or leading zeros."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


NAME_KEY_SQL = f"translate(name_terms, {_literal(MATCH_SEPARATORS)}, '')"
"""A row's folded name without separators: one of the keys probable duplicates of a few
customers are looked up by (indexed; `projections.duplicates.flags`)."""
EMAIL_STEM_SQL = (
    "rtrim(translate(split_part(split_part(lower(email), '@', 1), '+', 1),"
    f" {_literal(MATCH_SEPARATORS)}, ''), '0123456789')"
)
"""A row's e-mail local part without a +tag, separators and trailing digits (indexed)."""
_DIGITS = f"translate(phone, {_literal(PHONE_PUNCTUATION)}, '')"
PHONE_KEY_SQL = (
    f"CASE WHEN {_DIGITS} ~ '^(00358|358)'"
    f" THEN regexp_replace({_DIGITS}, '^(00358|358)', '') ELSE ltrim({_DIGITS}, '0') END"
)
"""A row's phone number without punctuation and its country code or leading zeros
(indexed)."""


def folded(text: str | None) -> str:
    """Text as search compares it: accents removed and case folded ("Yrjö" is "yrjo")."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def phone_digits(phone: str | None) -> list[str]:
    """A phone number's digits, and its national form when written with the country code."""
    digits = re.sub(r"\D", "", phone or "")
    if not digits:
        return []
    forms = [digits]
    if digits.startswith("358"):
        forms.append("0" + digits[3:])
    elif digits.startswith("0"):
        forms.append("358" + digits[1:])
    return forms


def search_terms(name: str | None, email: str | None, phone: str | None) -> str:
    """The folded name, e-mail and phone digits one search pattern is matched against."""
    return " ".join(part for part in (folded(name), folded(email), *phone_digits(phone)) if part)


def query_pattern(query: str) -> str:
    """The LIKE pattern of a search query: a phone number as its digits, else folded text."""
    text = query.strip()
    if PHONE_QUERY.match(text) and sum(c.isdigit() for c in text) >= 3:
        digits = phone_digits(text)
        text = digits[-1] if len(digits) > 1 and digits[0].startswith("358") else digits[0]
    text = folded(text)
    return "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _profile(event: ev.Absorbed | ev.MergeUndone) -> dict[str, str | None]:
    return {
        "name": event.name,
        "email": event.email,
        "phone": event.phone,
        "sector": event.sector,
    }


class CustomerDirectory(View):
    """Names, e-mails and owners of customers, searchable by part of a name."""

    name = "directory"
    # 3: folded search terms (accents, case, phone digits). 4: merges (a merged record
    # points at its survivor; the survivor takes the chosen values).
    version = 4
    topics = (
        ev.Registered,
        ev.ProfileCorrected,
        ev.AccountManagerAssigned,
        ev.Erased,
        ev.MergedInto,
        ev.Absorbed,
        ev.MergeUndone,
    )
    needs_personal_data = True

    def ddl(self) -> list[str]:
        return [
            "CREATE TABLE IF NOT EXISTS {p}customers ("
            " customer_id uuid PRIMARY KEY,"
            " kind text NOT NULL,"
            " customer_type text NOT NULL,"
            " name text, email text, phone text, sector text,"
            " account_manager text,"
            " institution text NOT NULL,"
            " first_seen timestamptz NOT NULL,"
            " name_terms text NOT NULL DEFAULT '',"
            " search_terms text NOT NULL DEFAULT '',"
            " merged_into uuid)",
            "CREATE INDEX IF NOT EXISTS {p}customers_name"
            " ON {p}customers (lower(name) text_pattern_ops)",
            "CREATE INDEX IF NOT EXISTS {p}customers_manager"
            " ON {p}customers (account_manager, lower(name))",
            # Probable duplicates of a few customers are looked up by these keys.
            f"CREATE INDEX IF NOT EXISTS {{p}}customers_name_key ON {{p}}customers"
            f" (({NAME_KEY_SQL}))",
            f"CREATE INDEX IF NOT EXISTS {{p}}customers_email_stem ON {{p}}customers"
            f" (({EMAIL_STEM_SQL})) WHERE email IS NOT NULL",
            f"CREATE INDEX IF NOT EXISTS {{p}}customers_phone_key ON {{p}}customers"
            f" (({PHONE_KEY_SQL})) WHERE phone IS NOT NULL",
        ]

    def write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        # Pipelined: the statements run one after another in the transaction as before, but
        # without a round trip each.
        with cursor.connection.pipeline():
            self._write(cursor, batch)

    def _write(self, cursor: Cursor[DictRow], batch: Batch) -> None:
        p = self.prefix
        for _, event in batch:
            params: dict[str, Any] = {"id": event.originator_id}
            if isinstance(event, ev.Registered):
                cursor.execute(
                    f"INSERT INTO {p}customers (customer_id, kind, customer_type, name, email,"
                    " phone, sector, account_manager, institution, first_seen, name_terms,"
                    " search_terms) VALUES (%(id)s, %(kind)s, %(type)s, %(name)s, %(email)s,"
                    " %(phone)s, %(sector)s, %(manager)s, %(institution)s, %(at)s,"
                    " %(name_terms)s, %(terms)s)"
                    " ON CONFLICT DO NOTHING",
                    {
                        **params,
                        "kind": event.customer_kind,
                        "type": event.customer_type,
                        "name": event.name,
                        "email": event.email,
                        "phone": event.phone,
                        "sector": event.sector,
                        "manager": event.account_manager,
                        "institution": event.institution,
                        "at": event.occurred_at,
                        "name_terms": folded(event.name),
                        "terms": search_terms(event.name, event.email, event.phone),
                    },
                )
            elif isinstance(event, ev.ProfileCorrected):
                cursor.execute(
                    f"UPDATE {p}customers SET name = coalesce(%(name)s, name),"
                    " email = coalesce(%(email)s, email), phone = coalesce(%(phone)s, phone),"
                    " sector = coalesce(%(sector)s, sector) WHERE customer_id = %(id)s",
                    {
                        **params,
                        "name": event.name,
                        "email": event.email,
                        "phone": event.phone,
                        "sector": event.sector,
                    },
                )
                self._refold(cursor, params)
            elif isinstance(event, ev.AccountManagerAssigned):
                cursor.execute(
                    f"UPDATE {p}customers SET account_manager = %(manager)s"
                    " WHERE customer_id = %(id)s",
                    {**params, "manager": event.account_manager},
                )
            elif isinstance(event, ev.MergedInto):
                cursor.execute(
                    f"UPDATE {p}customers SET merged_into = %(survivor)s"
                    " WHERE customer_id = %(id)s",
                    {**params, "survivor": event.survivor_id},
                )
            elif isinstance(event, ev.Absorbed):
                # The survivor takes the values the merge chose.
                cursor.execute(
                    f"UPDATE {p}customers SET name = %(name)s, email = %(email)s,"
                    " phone = %(phone)s, sector = %(sector)s WHERE customer_id = %(id)s",
                    {**params, **_profile(event)},
                )
                self._refold(cursor, params)
            elif isinstance(event, ev.MergeUndone):
                # On the absorbed record (still pointing at the other) the pointer ends; on
                # the survivor, its values return to those the undo carries.
                cursor.execute(
                    f"UPDATE {p}customers SET"
                    " merged_into = CASE WHEN merged_into = %(other)s THEN NULL::uuid END,"
                    " name = CASE WHEN merged_into = %(other)s THEN name ELSE %(name)s END,"
                    " email = CASE WHEN merged_into = %(other)s THEN email ELSE %(email)s END,"
                    " phone = CASE WHEN merged_into = %(other)s THEN phone ELSE %(phone)s END,"
                    " sector = CASE WHEN merged_into = %(other)s THEN sector ELSE %(sector)s END"
                    " WHERE customer_id = %(id)s",
                    {**params, **_profile(event), "other": event.other_id},
                )
                self._refold(cursor, params)
            elif isinstance(event, ev.Erased):
                cursor.execute(f"DELETE FROM {p}customers WHERE customer_id = %(id)s", params)

    def _refold(self, cursor: Cursor[DictRow], params: dict[str, Any]) -> None:
        """Fold a changed row's search terms again (corrections and merges are rare: one
        more round trip each)."""
        cursor.execute(
            f"SELECT name, email, phone FROM {self.prefix}customers WHERE customer_id = %(id)s",
            params,
        )
        changed = cursor.fetchone()
        if changed is not None:
            cursor.execute(
                f"UPDATE {self.prefix}customers SET name_terms = %(name_terms)s,"
                " search_terms = %(terms)s WHERE customer_id = %(id)s",
                {**params, "name_terms": folded(changed["name"]), "terms": search_terms(**changed)},
            )

    def search(
        self,
        query: str,
        *,
        affiliations: View | None = None,
        by_contacts: bool = True,
        kind: str | None = None,
        account_manager: str | None = None,
        sort: Sort = "relevance",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[DictRow], int]:
        """A page of customers matching the query, and how many match in all.

        The query matches part of the folded name, and with `by_contacts` (for readers who
        may see contact details) of the e-mail or phone digits; given the `Organisations` view
        as `affiliations`, an organisation's name also finds its current people. An empty
        query matches everyone (the kind and owner filters still apply)."""
        terms = "search_terms" if by_contacts else "name_terms"
        params: dict[str, Any] = {
            "kind": kind,
            "manager": account_manager,
            "offset": offset,
            "limit": limit,
        }
        filters = (
            "(%(kind)s::text IS NULL OR kind = %(kind)s)"
            " AND (%(manager)s::text IS NULL OR account_manager = %(manager)s)"
            " AND merged_into IS NULL"
        )
        if query.strip():
            params["pattern"] = query_pattern(query)
            # One pass over the table: the customers the query names; then the current
            # people of the organisations among them whose name it matches.
            found = (
                f"WITH named AS MATERIALIZED (SELECT {COLUMNS}, name_terms, true AS named"
                f" FROM {{p}}customers WHERE {terms} LIKE %(pattern)s)"
            )
            if affiliations is not None:
                found += (
                    f", people AS (SELECT {COLUMNS}, name_terms, false AS named"
                    " FROM {p}customers WHERE customer_id IN (SELECT a.person_id FROM"
                    f" {affiliations.prefix}affiliations a WHERE a.active AND a.organisation_id"
                    " IN (SELECT customer_id FROM named WHERE kind = 'organisation'"
                    " AND name_terms LIKE %(pattern)s))"
                    " AND customer_id NOT IN (SELECT customer_id FROM named))"
                    ", found AS (SELECT * FROM named UNION ALL SELECT * FROM people)"
                )
            else:
                found += ", found AS (SELECT * FROM named)"
            source = f"{found} SELECT {COLUMNS}, count(*) OVER () AS total FROM found"
        else:
            if sort == "relevance":
                sort = "name"
            source = f"SELECT {COLUMNS}, count(*) OVER () AS total FROM {{p}}customers"
        order = ORDER_BY[sort]
        if sort == "relevance":
            # Customers the query names come before the people of an organisation it names.
            order = f"NOT named, {order}"
        rows = self.query(
            f"{source} WHERE {filters} ORDER BY {order} OFFSET %(offset)s LIMIT %(limit)s",
            params,
        )
        if rows:
            return rows, int(rows[0]["total"])
        if offset == 0:
            return [], 0
        # Past the end: the page is empty, but the list still says how long it is.
        counted = self.query(f"{source} WHERE {filters} LIMIT 1", params)
        return [], int(counted[0]["total"]) if counted else 0

    def similar(self, name: str, limit: int, kind: str | None = None) -> list[DictRow]:
        """Customers (of the kind) whose name contains this one or is contained in it,
        ignoring case: the candidates a duplicate warning and a name picker show."""
        text = name.strip().lower()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        return self.query(
            "SELECT customer_id, kind, name, email, account_manager FROM {p}customers"
            " WHERE (lower(name) LIKE %s OR (length(name) >= 5 AND strpos(%s, lower(name)) > 0))"
            " AND (%s::text IS NULL OR kind = %s) AND merged_into IS NULL"
            " ORDER BY length(name), name LIMIT %s",
            (pattern, text, kind, kind, limit),
        )

    def rows(self, customer_ids: list[UUID]) -> dict[UUID, DictRow]:
        """The directory rows of the given customers, by id."""
        found = self.query(
            "SELECT customer_id, kind, name, email, account_manager FROM {p}customers"
            " WHERE customer_id = ANY(%s)",
            (customer_ids,),
        )
        return {row["customer_id"]: row for row in found}

    def matching_rows(self, account_manager: str | None) -> list[DictRow]:
        """What duplicate matching reads: every customer's kind, name, e-mail and phone, or
        only those the account manager owns (records merged into others are left out)."""
        return self.query(
            "SELECT customer_id, kind, name, email, phone, account_manager FROM {p}customers"
            " WHERE merged_into IS NULL"
            " AND (%(manager)s::text IS NULL OR account_manager = %(manager)s)",
            {"manager": account_manager},
        )

    def names(self, customer_ids: list[UUID]) -> dict[UUID, str | None]:
        """The names of the given customers, by id (an erased customer has no entry)."""
        rows = self.query(
            "SELECT customer_id, name FROM {p}customers WHERE customer_id = ANY(%s)",
            (customer_ids,),
        )
        return {row["customer_id"]: row["name"] for row in rows}
