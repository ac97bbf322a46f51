"""Candidate duplicates from directory rows: each kind of evidence, the score, the limits."""

from __future__ import annotations

from uuid import UUID, uuid4

from projections.duplicates.candidates import (
    Candidates,
    CustomerRow,
    Evidence,
    email_parts,
    find_candidates,
    normalised_phone,
)


def person(name: str | None, email: str | None = None, phone: str | None = None) -> CustomerRow:
    return CustomerRow(uuid4(), "person", name, email, phone)


def evidence_between(found: Candidates, a: CustomerRow, b: CustomerRow) -> set[Evidence]:
    first, second = sorted([a.customer_id, b.customer_id])
    for pair in found.pairs:
        if (pair.first, pair.second) == (first, second):
            return set(pair.evidence)
    return set()


def test_e_mail_variants_of_one_local_part_match_on_any_domain() -> None:
    work = person("Tapio Virtanen", "tapio.virtanen@yritys.fi")
    private = person("T. Virtanen", "tapio.virtanen2@gmail.com")
    found = find_candidates([work, private], {})
    assert Evidence.EMAIL_LOCAL_PART_VARIANT in evidence_between(found, work, private)


def test_one_local_part_on_two_domains_scores_higher_than_a_variant() -> None:
    a = person("Aino Lehto", "aino.lehto@tuni.fi")
    b = person("Aino Lehto", "aino.lehto@gmail.com")
    c = person("Aino Lehto", "aino.lehto7@hotmail.com")
    found = find_candidates([a, b, c], {})
    assert evidence_between(found, a, b) >= {
        Evidence.EMAIL_LOCAL_PART_VARIANT,
        Evidence.SAME_LOCAL_PART_OTHER_DOMAIN,
        Evidence.SAME_NAME,
    }
    scores = {frozenset({p.first, p.second}): p.score for p in found.pairs}
    assert (
        scores[frozenset({a.customer_id, b.customer_id})]
        > scores[frozenset({a.customer_id, c.customer_id})]
    )


def test_the_same_phone_written_two_ways_matches() -> None:
    a = person("Matti Mäki", phone="+358 40 123 4567")
    b = person("M Mäki", phone="040-1234567")
    assert normalised_phone("+358 40 123 4567") == normalised_phone("040-1234567") == "0401234567"
    assert evidence_between(find_candidates([a, b], {}), a, b) == {Evidence.SAME_PHONE}


def test_the_same_name_matches_in_one_organisation_but_a_name_alone_lists_nobody() -> None:
    a, b, c = person("Liisa Koski"), person("liisa  koski"), person("Liisa Koski")
    organisation = uuid4()
    found = find_candidates(
        [a, b, c], {a.customer_id: [organisation], b.customer_id: [organisation]}
    )
    assert evidence_between(found, a, b) == {
        Evidence.SAME_NAME_SAME_ORGANISATION,
        Evidence.SAME_NAME,
    }
    assert evidence_between(found, a, c) == set()
    assert len(found.pairs) == 1


def test_a_name_agrees_with_the_others_e_mail() -> None:
    a = person("Pekka Nieminen", "pn@firma.fi")
    b = person("P. N.", "pekka.nieminen@gmail.com")
    assert evidence_between(find_candidates([a, b], {}), a, b) == {Evidence.NAME_MATCHES_EMAIL}


def test_people_never_pair_with_organisations() -> None:
    a = person("Nokia", phone="0101234567")
    b = CustomerRow(uuid4(), "organisation", "Nokia", None, "0101234567")
    assert find_candidates([a, b], {}).pairs == []


def test_a_key_shared_by_too_many_is_left_out_and_counted() -> None:
    switchboard = [person(f"Person {i}", phone="0201234567") for i in range(6)]
    found = find_candidates(switchboard, {}, max_group=5)
    assert found.pairs == [] and found.keys_left_out == 1
    assert found.customers_compared == 6


def test_e_mail_parts_fold_separators_tags_and_trailing_digits() -> None:
    assert email_parts("Tapio.Virtanen2+fair@Gmail.com") == (
        "tapio.virtanen2",
        "tapiovirtanen",
        "gmail.com",
    )
    assert email_parts("not-an-address") is None
    assert email_parts("a1@x.fi") is None  # too short a stem to mean anything


def test_the_score_is_capped_at_one_and_pairs_come_best_first() -> None:
    a = person("Sari Salo", "sari.salo@a.fi", "0501112222")
    b = person("Sari Salo", "sari.salo@b.fi", "0501112222")
    c = person("Other", "sari.salo3@c.fi")
    found = find_candidates([a, b, c], {a.customer_id: [UUID(int=1)], b.customer_id: [UUID(int=1)]})
    assert found.pairs[0].score == 1.0
    assert [p.score for p in found.pairs] == sorted((p.score for p in found.pairs), reverse=True)
