"""Generated units directories of a province, for the unit picker's tests and bench."""

from __future__ import annotations

DISTRICTS = ("Đan Phượng", "Hoài Đức", "Thạch Thất", "Quốc Oai", "Chương Mỹ", "Thanh Oai", "Mỹ Đức", "Ứng Hòa",
             "Phú Xuyên", "Thường Tín", "Gia Lâm", "Đông Anh", "Sóc Sơn", "Mê Linh", "Ba Vì", "Phúc Thọ")
# Commune names repeat from one district to the next, as they do in Vietnam.
COMMUNES = ("Tân Lập", "Đồng Tâm", "Bình Minh", "Hòa Bình", "Quang Trung", "Thắng Lợi", "Tiến Thắng", "An Phú",
            "Phú Thịnh", "Hưng Đạo", "Nghĩa Hưng", "Trường Xuân", "Đại Đồng", "Minh Khai", "Yên Sơn", "Liên Hiệp",
            "Hồng Phong", "Thượng Mỗ", "Đức Thượng", "Vân Côn")


def district_code(number: int) -> str:
    return f"HN-{number:02d}"


def commune_code(district: int, number: int) -> str:
    return f"HN-{district:02d}-{number:04d}"


def province_csv(total: int, districts: int) -> bytes:
    """A units file of ``total`` units: the province Hà Nội, ``districts`` districts and the
    rest communes spread evenly over them (names with diacritics, repeating across districts)."""
    rows = ["code,name,parent_code,headcount", "HN,Thành phố Hà Nội,,"]
    communes = total - 1 - districts
    for district in range(1, districts + 1):
        base = DISTRICTS[(district - 1) % len(DISTRICTS)]
        round_ = (district - 1) // len(DISTRICTS)
        rows.append(f"{district_code(district)},Huyện {base}{f' {round_ + 1}' if round_ else ''},HN,")
    for number in range(communes):
        district = number % districts + 1
        within = number // districts
        base = COMMUNES[within % len(COMMUNES)]
        round_ = within // len(COMMUNES)
        rows.append(f"{commune_code(district, within + 1)},Xã {base}{f' {round_ + 1}' if round_ else ''},"
                    f"{district_code(district)},{100 + number % 900}")
    return ("\n".join(rows) + "\n").encode()
