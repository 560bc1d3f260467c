"""Services: the only code that touches both the database session and the domain; they commit."""


class ServiceError(Exception):
    """A refusal the user can act on; str(exc) is shown on the page as it is."""
