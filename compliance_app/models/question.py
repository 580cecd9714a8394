"""The rule an Evidence row answers; synced from the check catalog in code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from compliance_app.models.types import JSONType, enum_column, ts_column, utcnow
from compliance_app.vocabulary import SEVERITY_WEIGHT, Provider, Severity


class Question(SQLModel, table=True):
    __tablename__ = "question"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True, index=True)
    title: str = Field(max_length=300)
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    provider: Provider = Field(sa_column=enum_column(Provider, nullable=False))
    service: str = Field(default="", max_length=60)
    severity: Severity = Field(sa_column=enum_column(Severity, nullable=False))
    #: {"SOC 2": ["CC6.1"], "CIS": ["1.5"], "ISO 27001": ["5.17", "8.5"]}
    frameworks: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=sa.Column(JSONType, nullable=False)
    )
    rationale: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    remediation: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False, server_default=""))
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column(nullable=False))

    def framework_list(self) -> list[str]:
        return sorted(self.frameworks)

    @property
    def weight(self) -> int:
        return SEVERITY_WEIGHT[Severity(self.severity)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "provider": str(self.provider),
            "service": self.service,
            "severity": str(self.severity),
            "frameworks": self.frameworks,
        }
