"""Demo data of this part of deals."""


def seed() -> str:
    return ""
