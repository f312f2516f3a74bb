"""Questions as customers and support staff type them into the search box, each with the
section that answers it: search must put that section first, and Enter must open it.

The set is kept apart from the site: no page, keyword or boost names these questions, so the
hit rate ``make bench`` prints says how search does on questions nobody tuned it for.
"""

from __future__ import annotations

from playwright.sync_api import Page

BY_PAGE = {
    # Opening conversations
    "/faq/opening-conversations/": {
        "how do I start a conversation with a customer": "how-a-conversation-opens",
        "how long is a conversation open": "conversation-length",
        "what is the 24 hour window": "customer-service-window",
        "is the service window the same thing as a conversation": "two-timers",
        "customer came from a facebook ad, is it free": "free-entry-point",
        "replied to an ad lead two days later": "answering-an-ad-late",
        "do incoming messages from customers cost money": "customer-messages-are-free",
        "how do I know whether the window is open": "is-the-window-open",
        "which webhook status has the pricing": "which-status-has-the-price",
    },
    # Pricing
    "/faq/pricing/": {
        "why am I charged for replies": "service-messages-charged",
        "price of a marketing message in India": "cost-today",
        "what do AI agent messages cost": "meta-business-agent-messages",
        "is an order update free if the customer just wrote": "utility-in-service-window",
        "we were billed twice for the same customer": "charged-twice",
        "which country rate applies to a customer number": "which-market",
        "where can I download the rate card": "rate-cards",
        "what happened to the 1000 free conversations": "free-tier",
        "discounts for sending a lot of messages": "volume-tiers",
    },
    # Conversation categories
    "/faq/categories/": {
        "what categories of templates are there": "four-categories",
        "template with a coupon in a shipping update": "mixed-content",
        "meta changed my template from utility to marketing": "recategorized-templates",
        "OTP sent to a foreign number costs more": "authentication-international",
    },
    # Business account types
    "/faq/account-types/": {
        "how do I get the green tick": "apply-for-official-business-account",
        "what can I show in my business profile": "business-profile",
    },
    # Platform or Business app
    "/faq/platform-vs-app/": {
        "can I keep using the whatsapp business app with the api number": "coexistence",
        "is the whatsapp business api free": "is-it-free",
        "can we pay in rupees instead of dollars": "billing-currency",
        "how much does our BSP add on top of meta": "provider-fees",
    },
    # Cloud API or On-Premises API
    "/faq/cloud-vs-on-premises/": {
        "how long to send 100000 messages": "campaign-time",
        "when was on premises api shut down": "on-premises-sunset",
    },
}
QUESTIONS = {
    question: f"{page}#{anchor}"
    for page, questions in BY_PAGE.items()
    for question, anchor in questions.items()
}


def enter_opens(page: Page, site: str, question: str) -> str:
    """Where pressing Enter after typing a question into the search box leads (path#anchor)."""
    page.goto(site + "/", wait_until="networkidle")
    page.click("input.md-search__input")
    page.fill("input.md-search__input", question)
    # Material searches on keyup: one keyup asks for the whole question at once, so the first
    # results drawn are the question's.
    page.dispatch_event("input.md-search__input", "keyup")
    page.wait_for_function(
        "document.querySelector('.md-search-result__list').children.length > 0"
        " || /No matching/.test(document.querySelector('.md-search-result__meta').textContent)"
    )
    before = page.url
    page.press("input.md-search__input", "Enter")
    page.wait_for_function("address => location.href !== address", arg=before)
    address = page.evaluate("location.pathname + location.hash")
    return address.split("?")[0] if "#" not in address else address


def hit_rate(page: Page, site: str) -> tuple[int, list[tuple[str, str, str]]]:
    """How many questions Enter answers with their section, and the misses (question, wanted,
    found)."""
    misses = []
    for question, wanted in QUESTIONS.items():
        found = enter_opens(page, site, question)
        if found != wanted:
            misses.append((question, wanted, found))
    return len(QUESTIONS) - len(misses), misses
