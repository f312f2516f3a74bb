"""Questions as customers and support staff type them into the search box, each with the
section that answers it: search must put that section first, and Enter must open it.

The set is kept apart from the site: no page, keyword or boost names these questions, so the
hit rate ``make bench`` prints says how search does on questions nobody tuned it for.
"""

from __future__ import annotations

from playwright.sync_api import Page

QUESTIONS = {
    # Opening conversations
    "how do I start a conversation with a customer": "/faq/opening-conversations/#how-a-conversation-opens",
    "how long is a conversation open": "/faq/opening-conversations/#conversation-length",
    "what is the 24 hour window": "/faq/opening-conversations/#customer-service-window",
    "is the service window the same thing as a conversation": "/faq/opening-conversations/#two-timers",
    "customer came from a facebook ad, is it free": "/faq/opening-conversations/#free-entry-point",
    "replied to an ad lead two days later": "/faq/opening-conversations/#answering-an-ad-late",
    "do incoming messages from customers cost money": "/faq/opening-conversations/#customer-messages-are-free",
    "how do I know whether the window is open": "/faq/opening-conversations/#is-the-window-open",
    # Pricing
    "why am I charged for replies": "/faq/pricing/#service-messages-charged",
    "price of a marketing message in India": "/faq/pricing/#cost-today",
    "what do AI agent messages cost": "/faq/pricing/#meta-business-agent-messages",
    "is an order update free if the customer just wrote": "/faq/pricing/#utility-in-service-window",
    "we were billed twice for the same customer": "/faq/pricing/#charged-twice",
    "which country rate applies to a customer number": "/faq/pricing/#which-market",
    "where can I download the rate card": "/faq/pricing/#rate-cards",
    "what happened to the 1000 free conversations": "/faq/pricing/#free-tier",
    "discounts for sending a lot of messages": "/faq/pricing/#volume-tiers",
    "is the whatsapp business api free": "/faq/pricing/#is-it-free",
    "can we pay in rupees instead of dollars": "/faq/pricing/#billing-currency",
    "how much does our BSP add on top of meta": "/faq/pricing/#provider-fees",
    "which webhook status has the pricing": "/faq/pricing/#which-status-has-the-price",
    # Conversation categories
    "what categories of templates are there": "/faq/categories/#four-categories",
    "template with a coupon in a shipping update": "/faq/categories/#mixed-content",
    "meta changed my template from utility to marketing": "/faq/categories/#recategorized-templates",
    "OTP sent to a foreign number costs more": "/faq/categories/#authentication-international",
    # Business account types
    "how do I get the green tick": "/faq/account-types/#apply-for-official-business-account",
    "what can I show in my business profile": "/faq/account-types/#business-profile",
    # Platform or Business app
    "can I keep using the whatsapp business app with the api number": "/faq/platform-vs-app/#coexistence",
    # Cloud API or On-Premises API
    "how long to send 100000 messages": "/faq/cloud-vs-on-premises/#campaign-time",
    "when was on premises api shut down": "/faq/cloud-vs-on-premises/#on-premises-sunset",
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
