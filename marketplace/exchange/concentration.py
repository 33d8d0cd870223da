"""Supplier concentration: a lab's spend share per vendor group and the
Herfindahl-Hirschman index (HHI) over those shares.

The HHI is the sum of the squared percentage shares: 10,000 when one group has all the
spend, near 0 when it is spread thinly. The bands are the US merger guidelines' classic
thresholds (DOJ/FTC 2010): below 1,500 unconcentrated, 1,500 to 2,500 moderately
concentrated, above 2,500 highly concentrated. Computation only; the spend comes from
selectors.spend_by_vendor_group_for_lab.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

HUNDRED = Decimal(100)
MODERATE_FROM = Decimal(1500)
HIGH_ABOVE = Decimal(2500)


@dataclass(frozen=True, slots=True)
class Band:
    code: str  # "unconcentrated" | "moderate" | "high"
    label: str
    explanation: str


BANDS = {
    "unconcentrated": Band(
        "unconcentrated",
        "Unconcentrated",
        "Below 1,500: your spend is spread across several independent vendor groups.",
    ),
    "moderate": Band(
        "moderate",
        "Moderately concentrated",
        "Between 1,500 and 2,500: a few vendor groups hold much of your spend.",
    ),
    "high": Band(
        "high",
        "Highly concentrated",
        "Above 2,500: one or two vendor groups hold most of your spend; losing one would hurt.",
    ),
}


def herfindahl_hirschman_index(shares_percent: Iterable[Decimal]) -> Decimal:
    """Sum of the squared shares, each in percent (0-100): 0 to 10,000."""
    return sum((Decimal(share) ** 2 for share in shares_percent), Decimal(0))


def hhi_band(hhi: Decimal) -> Band:
    if hhi < MODERATE_FROM:
        return BANDS["unconcentrated"]
    if hhi <= HIGH_ABOVE:
        return BANDS["moderate"]
    return BANDS["high"]


@dataclass(frozen=True, slots=True)
class VendorGroupSpend:
    """What a lab has awarded to one vendor group in one currency."""

    currency: str
    group_name: str  # the group's ultimate parent
    vendor_names: tuple[str, ...]
    total: Decimal
    contracts: int


@dataclass(frozen=True, slots=True)
class GroupShare:
    group_name: str
    vendor_names: tuple[str, ...]
    total: Decimal
    contracts: int
    share_percent: Decimal


@dataclass(frozen=True, slots=True)
class Concentration:
    """The spend in one currency: amounts in different currencies are never added."""

    currency: str
    total: Decimal
    groups: list[GroupShare]  # largest share first
    hhi: Decimal
    band: Band

    @property
    def hhi_text(self) -> str:
        return f"{self.hhi:,.0f}"


def concentration_by_currency(groups: Sequence[VendorGroupSpend]) -> list[Concentration]:
    """Shares of each vendor group in its currency's total, and the HHI of those shares."""
    by_currency: dict[str, list[VendorGroupSpend]] = {}
    for group in groups:
        by_currency.setdefault(group.currency, []).append(group)
    result = []
    for currency in sorted(by_currency):
        rows = by_currency[currency]
        total = sum((row.total for row in rows), Decimal(0))
        shares = [
            GroupShare(
                group_name=row.group_name,
                vendor_names=tuple(row.vendor_names),
                total=row.total,
                contracts=row.contracts,
                share_percent=(row.total / total * HUNDRED) if total else Decimal(0),
            )
            for row in rows
        ]
        shares.sort(key=lambda s: (-s.share_percent, s.group_name))
        hhi = herfindahl_hirschman_index(s.share_percent for s in shares)
        result.append(
            Concentration(
                currency=currency, total=total, groups=shares, hhi=hhi, band=hhi_band(hhi)
            )
        )
    return result
