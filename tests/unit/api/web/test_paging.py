"""What a paged list says it covers, and its neighbours' links."""

from __future__ import annotations

from api.web.paging import count_text, list_page


def test_counts_are_grouped_the_way_each_language_writes_them() -> None:
    assert count_text(1172, "fi") == "1\u00a0172"
    assert count_text(1172, "en") == "1,172"
    assert count_text(50, "fi") == "50"


def test_a_page_knows_its_range_and_keeps_the_lists_filters_in_its_links() -> None:
    page = list_page({"q": "nen", "sort": "", "offset": "50"}, "offset", 50, 50, 1172, 50)
    assert (page.first, page.last, page.total) == (51, 100, 1172)
    assert page.previous == "q=nen"
    assert page.next == "q=nen&offset=100"
    last = list_page({}, "offset", 1150, 22, 1172, 50)
    assert last.next is None and (last.first, last.last) == (1151, 1172)
    empty = list_page({}, "offset", 0, 0, 0, 50)
    assert (empty.first, empty.last, empty.previous, empty.next) == (0, 0, None, None)
