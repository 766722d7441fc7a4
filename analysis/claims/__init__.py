"""Claims: article specs (a frozen IR), the wording rules, and the engine that checks them."""
