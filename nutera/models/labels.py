"""StrEnum members that carry their Indonesian label: ``HIDUP = "hidup", "Tinggal di sini"``."""

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A StrEnum (members equal their stored strings) whose members know their label."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[str, str]:
        """{member: label} in declaration order, for select fields and templates."""
        return {member: member.label for member in cls}
