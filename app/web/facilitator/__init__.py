"""The facilitator's side: one blueprint, "facilitator", with a module per area.

`account` is signing up, logging in and deleting the account; `password` a forgotten password;
`games` is the list of games, a game's details, its page, the draw, drop-off points and ideas;
`roster` is who plays: adding, fixing and removing people, exclusions, late joiners and
withdrawals.
"""

from app.web.facilitator import account, games, password, roster
from app.web.facilitator.blueprint import bp

__all__ = ["account", "bp", "games", "password", "roster"]
