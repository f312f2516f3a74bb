"""A customer's names: linked by the lines that carry several, released when nothing needs them."""

from whatsapp_pricing.identities import ContactBook

HOUR = 3600.0
KENYA, KENYA_ID, KENYA_PARENT = "+254751578687", "KE.1502576394655843", "KE.ENT.9081726354"


def test_a_line_with_two_names_links_them_to_the_number() -> None:
    names = ContactBook(keep=100 * HOUR)
    assert names.named(KENYA_ID, KENYA_ID, "", 0) == KENYA_ID  # no number known yet
    assert names.named(KENYA, KENYA_ID, KENYA_PARENT, 10) == KENYA
    assert names.named(KENYA_ID, KENYA_ID, "", 20) == KENYA
    assert names.named(KENYA_PARENT, "", KENYA_PARENT, 30) == KENYA
    assert names.name_of(KENYA_PARENT) == KENYA
    assert names.user_id_of(KENYA) == KENYA_ID  # the business-scoped id before the parent


def test_a_parent_id_joins_the_user_ids_of_two_portfolios() -> None:
    names = ContactBook(keep=100 * HOUR)
    other_portfolio = "KE.77001122"
    names.named(other_portfolio, other_portfolio, KENYA_PARENT, 0)
    names.named(KENYA, KENYA_ID, KENYA_PARENT, 10)
    assert names.name_of(other_portfolio) == KENYA


def test_ids_that_join_a_customer_known_by_number_keep_the_number() -> None:
    """A line with ids alone can join a customer known by number to one known only by ids (their
    parent id): the one customer is still called by the number, as every other line calls it."""
    names = ContactBook(keep=100 * HOUR)
    other_portfolio = "KE.77001122"
    names.named(KENYA, KENYA_ID, "", 0)
    names.named(other_portfolio, other_portfolio, KENYA_PARENT, 10)
    assert names.named(KENYA_ID, KENYA_ID, KENYA_PARENT, 20) == KENYA
    assert names.name_of(KENYA) == names.name_of(other_portfolio) == KENYA
    assert names.user_id_of(KENYA) == KENYA_ID


def test_ids_in_the_old_national_forms_are_their_e164_numbers() -> None:
    names = ContactBook(keep=100 * HOUR)
    assert names.named("+5215512345678", "", "", 0) == "+525512345678"
    assert names.named("+551187654321", "", "", 0) == "+5511987654321"
    assert names.named("+5215512345678", "MX.42", "", 0) == "+525512345678"
    assert names.name_of("MX.42") == "+525512345678"


def test_a_new_number_takes_the_user_id_from_the_old_one() -> None:
    """Meta gives a new number a new user id; a line that says otherwise is the newer word."""
    names = ContactBook(keep=100 * HOUR)
    names.named(KENYA, KENYA_ID, "", 0)
    names.named("+254700000001", KENYA_ID, "", 10)
    assert names.name_of(KENYA_ID) == "+254700000001"
    assert names.user_id_of(KENYA) == ""


def test_a_number_alone_is_not_stored() -> None:
    names = ContactBook(keep=100 * HOUR)
    for number in range(1000):
        names.named(f"+2547{number:08d}", "", "", number)
    assert len(names) == 0


def test_links_of_customers_gone_quiet_are_released() -> None:
    names = ContactBook(keep=10 * HOUR)
    names.named(KENYA, KENYA_ID, "", 0)
    names.named("+27821234567", "ZA.1", "", 5 * HOUR)
    names.named(KENYA, "", "", 8 * HOUR)  # the number alone keeps Kenya's link in use
    names.named("+919812345678", "IN.1", "", 16 * HOUR)
    assert names.name_of(KENYA_ID) == KENYA
    assert names.name_of("ZA.1") == "ZA.1"
    assert len(names) == 4
