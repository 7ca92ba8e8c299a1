"""Companies and the people in them: firmographics, personas and the hidden fit.

Everything is drawn with numpy from one random generator per block, so the same seed gives the
same people. Strings are built with Arrow kernels, never one Python call per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadscore.demo import vocab as v
from leadscore.demo.columns import compute, join, numbered, strings, text

if TYPE_CHECKING:
    import numpy as np

    from leadscore.demo.columns import Column

DAY_US = 86_400_000_000
NEVER_US = 2**62  # "no such time" in int64 arrays (later than any real timestamp)

# Hidden fit: how much each trait adds (the example model only sees the attributes).
SENIORITY_FIT = (0.9, 0.8, 0.7, 0.6, 0.35, 0.0, -1.2)
DEPARTMENT_FIT = (0.45, 0.4, 0.5, 0.4, 0.0, 0.1, -0.1, -0.3, 0.0, 0.1, -0.1)
INDUSTRY_FIT = (0.5, 0.4, 0.4, 0.25, 0.1, -0.2, 0.1, 0.1, 0.2, 0.0, -0.3, -0.3, 0.0, -0.1)
COUNTRY_FIT_SERVED, COUNTRY_FIT_OTHER = 0.25, -0.25
COMPANY_TYPE_FIT = (0.0, 0.3, -0.2, 0.0, -0.1)
NO_COMPANY_FIT, FREE_MAIL_FIT = -0.4, -0.4


@dataclass(frozen=True)
class Window:
    """The period the data covers: events fall in ``[start_us, end_us]``."""

    start_us: int
    end_us: int

    @property
    def days(self) -> float:
        return (self.end_us - self.start_us) / DAY_US


@dataclass(frozen=True)
class Accounts:
    ids: Column
    name: Column
    domain: Column
    employees: np.ndarray
    industry: np.ndarray
    country: np.ndarray
    company_type: np.ndarray
    created_us: np.ndarray
    fit: np.ndarray  # the company's part of the hidden fit
    cdf: np.ndarray  # cumulative share of contacts, to draw contacts' companies


@dataclass(frozen=True)
class People:
    """One chunk of contacts (index ``i`` is contact number ``first + i``)."""

    ids: Column
    account: np.ndarray  # account index, -1 for none
    created_us: np.ndarray
    seniority: np.ndarray
    department: np.ndarray
    country: np.ndarray
    free_mail: np.ndarray
    employees: np.ndarray  # of the company, 0 without one
    company_type: np.ndarray  # index into vocab.COMPANY_TYPES, -1 without a company
    attributes: Column  # stored JSON text
    fit: np.ndarray  # hidden fit (about 0 for a poor lead, 2.5 for an ideal one)


def _choice(rng: np.random.Generator, weights: tuple[int, ...], n: int) -> np.ndarray:
    import numpy as np

    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype(np.int16)


def make_accounts(rng: np.random.Generator, n: int, window: Window) -> Accounts:
    import numpy as np
    import pyarrow as pa

    pc = compute()

    employees = np.clip(np.rint(rng.lognormal(np.log(60), 1.7, n)), 1, 250_000).astype(np.int64)
    industry = _choice(rng, v.INDUSTRY_WEIGHTS, n)
    country = _choice(rng, v.COUNTRY_WEIGHTS, n)
    company_type = _choice(rng, v.COMPANY_TYPE_WEIGHTS, n)
    old = rng.random(n) < 0.7
    created = np.where(
        old,
        window.start_us - (rng.random(n) * 3 * 365 * DAY_US).astype(np.int64),
        window.start_us + (rng.random(n) * (window.end_us - window.start_us)).astype(np.int64),
    )
    size_fit = np.select(
        [employees < 10, employees < 50, employees <= 1000], [-0.6, -0.1, 0.5], default=0.35
    )
    served = np.isin(country, [v.COUNTRIES.index(c) for c in v.SERVED_COUNTRIES])
    fit = (
        size_fit
        + np.asarray(INDUSTRY_FIT)[industry]
        + np.where(served, COUNTRY_FIT_SERVED, COUNTRY_FIT_OTHER)
        + np.asarray(COMPANY_TYPE_FIT)[company_type]
    )
    weight = employees.astype(float) ** 0.35 * rng.lognormal(0.0, 0.5, n)
    cdf = np.cumsum(weight) / weight.sum()

    # Unique names while they last: a bijection onto word x word x noun combinations.
    words, nouns = len(v.COMPANY_WORDS), len(v.COMPANY_NOUNS)
    space = words * words * nouns
    index = np.arange(n, dtype=np.int64)
    combo = (index * 7919 + int(rng.integers(space))) % space
    w1, w2, noun = combo // (words * nouns), (combo // nouns) % words, combo % nouns
    lower_words = [w.lower() for w in v.COMPANY_WORDS]
    second = pc.if_else(pa.array(w1 == w2), "", strings(lower_words, w2))
    stem = join(strings(v.COMPANY_WORDS, w1), second)
    noun_text = strings(v.COMPANY_NOUNS, noun)
    form = strings(v.COMPANY_FORMS, rng.integers(len(v.COMPANY_FORMS), size=n))
    name = join(stem, " ", noun_text, form)
    repeat = index // space
    suffix = pc.if_else(pa.array(repeat > 0), join("-", text(repeat + 1)), "")
    tlds = [v.TLDS.get(c, ".com") for c in v.COUNTRIES]
    domain = pc.utf8_lower(join(stem, noun_text, suffix, strings(tlds, country)))
    return Accounts(
        ids=numbered("acc-", 1, n, 6),
        name=name,
        domain=domain,
        employees=employees,
        industry=industry,
        country=country,
        company_type=company_type,
        created_us=created,
        fit=fit,
        cdf=cdf,
    )


def account_attributes(accounts: Accounts) -> Column:
    from leadscore.demo.jsontext import json_objects

    return json_objects(
        {
            "name": accounts.name,
            "domain": accounts.domain,
            "employees": text(accounts.employees),
            "industry": strings(v.INDUSTRIES, accounts.industry),
            "country": strings(v.COUNTRIES, accounts.country),
            "company_type": strings(v.COMPANY_TYPES, accounts.company_type),
        }
    )


def _titles() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every job title, and the offset and count of each (seniority, department) block."""
    import numpy as np

    titles: list[str] = []
    shape = (len(v.SENIORITIES), len(v.DEPARTMENTS))
    offset, count = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for s, seniority in enumerate(v.SENIORITIES):
        for d, department in enumerate(v.DEPARTMENTS):
            block = v.job_titles(seniority, department)
            offset[s, d], count[s, d] = len(titles), len(block)
            titles.extend(block)
    return titles, offset, count


def make_people(
    rng: np.random.Generator, accounts: Accounts, first: int, n: int, window: Window
) -> People:
    """Contacts number ``first`` .. ``first + n - 1``."""
    import numpy as np
    import pyarrow as pa

    pc = compute()

    seniority = _choice(rng, v.SENIORITY_WEIGHTS, n)
    department = _choice(rng, v.DEPARTMENT_WEIGHTS, n)
    student = seniority == v.SENIORITIES.index("student")
    no_company = rng.random(n) < np.where(student, 0.6, 0.06)
    account = np.where(no_company, -1, np.searchsorted(accounts.cdf, rng.random(n)))
    account = np.minimum(account, len(accounts.cdf) - 1)
    has = account >= 0
    acc = np.where(has, account, 0)
    free_mail = ~has | (rng.random(n) < np.where(student, 0.5, 0.08))

    country = np.where(
        has & (rng.random(n) < 0.9), accounts.country[acc], _choice(rng, v.COUNTRY_WEIGHTS, n)
    )
    lookback = min(window.days / 2, 180.0) * DAY_US
    before = rng.random(n) < 0.2
    created = np.where(
        before,
        window.start_us - (rng.random(n) * lookback).astype(np.int64),
        window.start_us
        + (rng.random(n) ** 0.8 * (window.end_us - window.start_us)).astype(np.int64),
    )
    created = np.where(has, np.maximum(created, accounts.created_us[acc]), created)
    created = np.minimum(created, window.end_us)

    served = np.isin(country, [v.COUNTRIES.index(c) for c in v.SERVED_COUNTRIES])
    company_fit = np.where(has, accounts.fit[acc], NO_COMPANY_FIT + np.where(served, 0.25, -0.25))
    fit = (
        np.asarray(SENIORITY_FIT)[seniority]
        + np.asarray(DEPARTMENT_FIT)[department]
        + company_fit
        + np.where(free_mail, FREE_MAIL_FIT, 0.0)
        + rng.normal(0.0, 0.3, n)
    )

    titles, offset, count = _titles()
    variant = (rng.random(n) * count[seniority, department]).astype(np.int64)
    first_i = rng.integers(len(v.FIRST_NAMES), size=n)
    last_i = rng.integers(len(v.LAST_NAMES), size=n)
    first_name, last_name = strings(v.FIRST_NAMES, first_i), strings(v.LAST_NAMES, last_i)
    first_lower, last_lower = pc.utf8_lower(first_name), pc.utf8_lower(last_name)
    initial = pc.utf8_slice_codeunits(first_lower, 0, 1)
    pattern = rng.integers(3, size=n)
    local = pc.case_when(
        pc.make_struct(pa.array(pattern == 0), pa.array(pattern == 1)),
        join(first_lower, last_lower, sep="."),
        join(initial, last_lower),
        first_lower,
    )
    free_local = join(first_lower, ".", last_lower, text(rng.integers(10, 100, size=n)))
    free_domain = strings(v.FREE_MAIL_DOMAINS, rng.integers(len(v.FREE_MAIL_DOMAINS), size=n))
    email = pc.if_else(
        pa.array(free_mail),
        join(free_local, free_domain, sep="@"),
        join(local, accounts.domain.take(acc), sep="@"),
    )

    def maybe(values: Column, missing: np.ndarray) -> Column:
        out: Column = pc.if_else(pa.array(missing), pa.nulls(n, pa.string()), values)
        return out

    company = ~has
    attributes = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "job_title": maybe(
            strings(titles, offset[seniority, department] + variant), rng.random(n) < 0.03
        ),
        "department": maybe(strings(v.DEPARTMENTS, department), rng.random(n) < 0.08),
        "country": maybe(strings(v.COUNTRIES, country), ~has & (rng.random(n) < 0.3)),
        "lead_source": strings(v.LEAD_SOURCES, _choice(rng, v.LEAD_SOURCE_WEIGHTS, n)),
        "company_size": maybe(text(accounts.employees[acc]), company),
        "industry": maybe(strings(v.INDUSTRIES, accounts.industry[acc]), company),
        "company_type": maybe(strings(v.COMPANY_TYPES, accounts.company_type[acc]), company),
        "company": maybe(accounts.name.take(acc), company),
    }
    from leadscore.demo.jsontext import json_objects

    return People(
        ids=numbered("ct-", first + 1, n, 7),
        account=account,
        created_us=created,
        seniority=seniority,
        department=department,
        country=country,
        free_mail=free_mail,
        employees=np.where(has, accounts.employees[acc], 0),
        company_type=np.where(has, accounts.company_type[acc], -1),
        attributes=json_objects(attributes),
        fit=fit,
    )
