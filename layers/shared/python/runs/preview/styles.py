"""Cell styles of an xlsx workbook: what each style index looks like, and whether it formats dates.

Colours resolve to `#RRGGBB` from ARGB values, the indexed palette (or the workbook's own), and the
theme's colour scheme with its tint, as Excel shows them. A text colour counts as formatting only when
it differs from the workbook's default font colour.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from normalizer.sparse_sheet import classify_number_format
from runs.preview.window import Look

# Excel's built-in date and time formats (ids without a <numFmt> of their own).
_BUILTIN_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 47})
# The legacy 64-colour palette that `indexed` colours point into (64 and up are system colours).
DEFAULT_INDEXED_COLORS = (
    ("000000", "FFFFFF", "FF0000", "00FF00", "0000FF", "FFFF00", "FF00FF", "00FFFF") * 2
    + ("800000", "008000", "000080", "808000", "800080", "008080", "C0C0C0", "808080")
    + ("9999FF", "993366", "FFFFCC", "CCFFFF", "660066", "FF8080", "0066CC", "CCCCFF")
    + ("000080", "FF00FF", "FFFF00", "00FFFF", "800080", "800000", "008080", "0000FF")
    + ("00CCFF", "CCFFFF", "CCFFCC", "FFFF99", "99CCFF", "FF99CC", "CC99FF", "FFCC99")
    + ("3366FF", "33CCCC", "99CC00", "FFCC00", "FF9900", "FF6600", "666699", "969696")
    + ("003366", "339966", "003300", "333300", "993300", "993366", "333399", "333333")
)
# A theme lists dk1 lt1 dk2 lt2 accent1-6 hlink folHlink; cells number them with light and dark swapped.
_THEME_ORDER = (1, 0, 3, 2, 4, 5, 6, 7, 8, 9, 10, 11)
_NO_HORIZONTAL_ALIGNMENT = ("", "general")


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [child for child in element if local_name(child.tag) == name]


def _child(element: Element | None, name: str) -> Element | None:
    found = _children(element, name)
    return found[0] if found else None


def _flag(element: Element | None) -> bool:
    """An on/off element such as `<b/>` or `<b val="0"/>`."""
    return element is not None and element.get("val", "1").lower() not in ("0", "false")


def _int(text: str | None, default: int = 0) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def theme_colors(theme: Element | None) -> list[str]:
    """The theme's colour scheme in the order cells number it, as RRGGBB."""
    if theme is None:
        return []
    scheme = next((element for element in theme.iter() if local_name(element.tag) == "clrScheme"), None)
    declared: list[str] = []
    for slot in list(scheme) if scheme is not None else []:
        value = next(
            (
                colour.get("val") if local_name(colour.tag) == "srgbClr" else colour.get("lastClr")
                for colour in slot
                if local_name(colour.tag) in ("srgbClr", "sysClr")
            ),
            None,
        )
        declared.append((value or "000000").upper()[-6:])
    return [declared[position] for position in _THEME_ORDER if position < len(declared)]


def _tinted(rgb: str, tint: float) -> str:
    red, green, blue = (int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4))
    hue, lightness, saturation = colorsys.rgb_to_hls(red, green, blue)
    lightness = lightness * (1 + tint) if tint < 0 else lightness * (1 - tint) + tint
    channels = colorsys.hls_to_rgb(hue, min(max(lightness, 0.0), 1.0), saturation)
    return "".join(f"{round(channel * 255):02X}" for channel in channels)


@dataclass(frozen=True)
class _Palette:
    indexed: tuple[str, ...]
    theme: tuple[str, ...]

    def resolve(self, colour: Element | None) -> str | None:
        """`#RRGGBB` of a `<color>`/`<fgColor>` element; None for automatic, system or unknown colours."""
        if colour is None or colour.get("auto") in ("1", "true"):
            return None
        rgb: str | None = None
        if colour.get("rgb"):
            text = colour.get("rgb", "").upper()
            rgb = text[-6:] if len(text) in (6, 8) and all(ch in "0123456789ABCDEF" for ch in text) else None
        elif colour.get("indexed") is not None:
            index = _int(colour.get("indexed"), -1)
            rgb = self.indexed[index] if 0 <= index < len(self.indexed) else None
        elif colour.get("theme") is not None:
            index = _int(colour.get("theme"), -1)
            rgb = self.theme[index] if 0 <= index < len(self.theme) else None
        if rgb is None:
            return None
        try:
            tint = float(colour.get("tint") or 0)
        except ValueError:
            tint = 0.0
        return "#" + (_tinted(rgb, max(-1.0, min(tint, 1.0))) if tint else rgb)


@dataclass(frozen=True)
class _Font:
    bold: bool
    italic: bool
    color: str | None


class Styles:
    """The looks and date-ness of a workbook's cell styles (`cellXfs`), by style index."""

    def __init__(self, looks: list[Look], dates: list[bool]) -> None:
        self._looks = looks
        self._dates = dates

    @classmethod
    def parse(cls, styles: Element | None, theme: Element | None) -> Styles:
        if styles is None:
            return cls([], [])
        palette = _Palette(_indexed_colors(styles), tuple(theme_colors(theme)))
        formats = {
            _int(element.get("numFmtId"), -1): element.get("formatCode", "")
            for element in _children(_child(styles, "numFmts"), "numFmt")
        }
        fonts = [
            _Font(_flag(_child(font, "b")), _flag(_child(font, "i")), palette.resolve(_child(font, "color")))
            for font in _children(_child(styles, "fonts"), "font")
        ]
        fills = [_fill_color(fill, palette) for fill in _children(_child(styles, "fills"), "fill")]
        default_color = fonts[0].color if fonts else None
        looks: list[Look] = []
        dates: list[bool] = []
        for xf in _children(_child(styles, "cellXfs"), "xf"):
            font_id, fill_id = _int(xf.get("fontId")), _int(xf.get("fillId"))
            font = fonts[font_id] if font_id < len(fonts) else _Font(False, False, None)
            alignment = _child(xf, "alignment")
            horizontal = alignment.get("horizontal", "") if alignment is not None else ""
            looks.append(
                Look(
                    bg_color=fills[fill_id] if fill_id < len(fills) else None,
                    text_color=font.color if font.color != default_color else None,
                    bold=font.bold,
                    italic=font.italic,
                    horizontal_align=None if horizontal in _NO_HORIZONTAL_ALIGNMENT else horizontal,
                    wrap_text=alignment is not None and alignment.get("wrapText", "0").lower() in ("1", "true"),
                )
            )
            number_format = _int(xf.get("numFmtId"))
            if number_format in formats:
                dates.append(classify_number_format(formats[number_format]) == "date")
            else:
                dates.append(number_format in _BUILTIN_DATE_FORMATS)
        return cls(looks, dates)

    def look(self, style: int) -> Look | None:
        """The style's look when it shows anything; None for plain cells and unknown styles."""
        look = self._looks[style] if 0 <= style < len(self._looks) else None
        return look if look is not None and look.visible else None

    def is_date(self, style: int) -> bool:
        return 0 <= style < len(self._dates) and self._dates[style]


def _indexed_colors(styles: Element) -> tuple[str, ...]:
    custom = _children(_child(_child(styles, "colors"), "indexedColors"), "rgbColor")
    if not custom:
        return DEFAULT_INDEXED_COLORS
    return tuple((element.get("rgb") or "FF000000").upper()[-6:] for element in custom)


def _fill_color(fill: Element, palette: _Palette) -> str | None:
    pattern = _child(fill, "patternFill")
    if pattern is None or pattern.get("patternType", "none") == "none":
        return None
    return palette.resolve(_child(pattern, "fgColor"))
