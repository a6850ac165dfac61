"""A converted lead follows its project: 落地 when the project reaches 开工, 投产 when it goes into
production (investment/conversion.py, ``follow_project``). Connected in ``InvestmentConfig.ready``."""

from __future__ import annotations


def connect() -> None:
    pass
