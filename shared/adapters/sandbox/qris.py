"""Dynamic QRIS payloads (EMVCo merchant-presented QR, Indonesian profile) for the sandbox.

The string has the shape of a real one — tag/length/value fields, the QRIS GUID, amount, IDR,
country, merchant name and city, the reference in the additional data, and a CRC-16/CCITT-FALSE
checksum — so a bank app's scanner would parse it; the merchant is fictional.
"""

from __future__ import annotations


def _tlv(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def qris_payload(amount: int, reference: str, merchant: str = "ATLANTIC PEDIA SANDBOX",
                 city: str = "JAKARTA") -> str:
    merchant_account = (
        _tlv("00", "ID.CO.QRIS.WWW")
        + _tlv("01", "936009140000000000"[:18])
        + _tlv("02", "ID1025000000001")
        + _tlv("03", "UMI")
    )
    body = (
        _tlv("00", "01")                # payload format
        + _tlv("01", "12")              # dynamic: one payment
        + _tlv("26", merchant_account)
        + _tlv("52", "5999")            # merchant category
        + _tlv("53", "360")             # IDR
        + _tlv("54", str(amount))
        + _tlv("58", "ID")
        + _tlv("59", merchant[:25])
        + _tlv("60", city[:15])
        + _tlv("62", _tlv("01", reference[:25]))
        + "6304"
    )
    return body + f"{crc16_ccitt(body.encode()):04X}"
