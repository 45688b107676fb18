"""The report as one self-contained HTML page: figures embedded as PNG data, no scripts,
no fonts or styles fetched from anywhere, so it can be emailed and opened offline."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field

import pandas as pd

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a;
       max-width: 70rem; margin: 0 auto; padding: 1.5rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2rem;
       margin-top: 2.2rem; } h3 { margin-top: 1.4rem; }
.meta { color: #555; font-size: 0.9rem; }
nav ol { columns: 2; font-size: 0.95rem; }
figure { margin: 1.2rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
figcaption { font-size: 0.9rem; color: #333; margin-top: 0.3rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 0 1.2rem; }
table { border-collapse: collapse; font-size: 0.82rem; margin: 0.8rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; } thead th { background: #f2f2f2; }
.note { background: #fff7e0; border-left: 4px solid #E69F00; padding: 0.5rem 0.8rem; }
.warning { background: #fdeae3; border-left: 6px solid #D55E00; padding: 0.5rem 0.8rem; font-weight: 600; }
#warning h2 { color: #A33A00; border-bottom-color: #D55E00; }
.scroll { overflow-x: auto; }
"""


@dataclass
class ReportFigure:
    """One figure: the table it plots, the picture, and the words that go with it."""

    key: str
    title: str
    caption: str
    alt: str
    data: pd.DataFrame = field(repr=False)
    png: bytes = field(repr=False, default=b"")

    def html(self) -> str:
        src = "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")
        return (f'<figure id="fig-{html.escape(self.key)}"><img src="{src}" alt="{html.escape(self.alt)}">'
                f"<figcaption><strong>{html.escape(self.title)}.</strong> {html.escape(self.caption)}</figcaption>"
                "</figure>")


@dataclass
class Section:
    """A titled part of the report: HTML blocks in order."""

    key: str
    title: str
    blocks: list[str] = field(default_factory=list)

    def add(self, *blocks: str) -> "Section":
        self.blocks.extend(blocks)
        return self

    def html(self) -> str:
        return f'<section id="{self.key}"><h2>{html.escape(self.title)}</h2>{"".join(self.blocks)}</section>'


def para(text: str, cls: str | None = None) -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def heading(text: str) -> str:
    return f"<h3>{html.escape(text)}</h3>"


def grid(items: list[str]) -> str:
    return f'<div class="grid">{"".join(items)}</div>'


def table(df: pd.DataFrame, caption: str, formats: dict[str, str] | None = None) -> str:
    """An HTML table of ``df`` (the index is not shown); ``formats`` maps column -> format spec."""
    formats = formats or {}
    head = "".join(f"<th scope=\"col\">{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for values in df.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_cell(v, formats.get(c)))}</td>" for c, v in zip(df.columns, values))
        rows.append(f"<tr>{cells}</tr>")
    return (f'<div class="scroll"><table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _cell(value, spec: str | None) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if spec and isinstance(value, (int, float)):
        return format(value, spec)
    return str(value)


def document(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole page: title, contents, sections."""
    toc = "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>' for s in sections)
    body = "".join(s.html() for s in sections)
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f'<header><h1>{html.escape(title)}</h1><p class="meta">{html.escape(subtitle)}</p></header>'
            f'<nav aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>'
            f"<main>{body}</main></body></html>\n")
