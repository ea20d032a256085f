"""What a standard code stands for: ISO 4217 currencies and ISO 3166 countries (pycountry), IATA airports
(airportsdata). A request that says "200 US dollars" or "flying out of Los Angeles" supports "USD" and
"LAX": the code is what the field asks for, the name is what people say. Data from the packages, read
from disk; nothing is fetched."""

from functools import cache

import airportsdata
import pycountry


@cache
def _airports() -> dict[str, dict]:
    return airportsdata.load("IATA")


def code_names(value: str) -> list[str]:
    """The names a code of two or three capital letters stands for ([] for anything else)."""
    code = value.strip()
    if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha() and code.isupper()):
        return []
    names: list[str] = []
    if len(code) == 3 and (currency := pycountry.currencies.get(alpha_3=code)) is not None:
        names.append(currency.name)
    country = pycountry.countries.get(**{"alpha_2" if len(code) == 2 else "alpha_3": code})
    if country is not None:
        names += [country.name, *([country.common_name] if hasattr(country, "common_name") else [])]
    if len(code) == 3 and (airport := _airports().get(code)) is not None:
        names += [airport["city"], airport["name"]]
    return names
