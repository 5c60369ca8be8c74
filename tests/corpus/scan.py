"""Scanned versions of corpus reports: the tables drawn as a page image, then put through
what a scanner and an office do to it (slight rotation, noise, blur, JPEG), and packed as
an image-only PDF, a PNG or JPG file (the pages one below the other, as portals post
"长图"), or a DOCX whose body is the page pictures.

    from tests.corpus.scan import build_scans
    docs = build_scans(tmp_dir, {"pdf": 1, "png": 1, "jpg": 1, "docx": 1})

Each scan is drawn from its own seeded generator (``make_scan(form, n)``), its values and
layout quirks from the same model as the text corpus, so ``tests.corpus.score`` applies.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .build import Document, make_spec
from .model import Spec
from .render import cell_text, label, place, tables, title_of

FORMS = ("pdf", "png", "jpg", "docx")
FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # fonts-wqy-zenhei (tools/system-deps.sh)
WIDTH, HEIGHT, MARGIN = 1240, 1754, 90  # A4 at 150 dpi
SIZE = 19  # px: 9 pt at 150 dpi, as the tables print
PAD = 6


def _font(size: int = SIZE) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def _wrap(text: str, width: int, font: ImageFont.FreeTypeFont) -> list[str]:
    """Lines of ``text`` within ``width`` pixels (CJK breaks anywhere, as Word does)."""
    lines, line = [], ""
    for ch in text:
        if line and font.getlength(line + ch) > width:
            lines.append(line)
            line = ""
        line += ch
    return lines + [line] if line else lines or [""]


def _table_block(spec: Spec, rows, width: int):
    """Column widths, row heights and each cell's lines for one table."""
    font = _font()
    grid = place(rows)
    ncols = max(c + cell.colspan for _r, c, cell in grid)
    nrows = len(rows)
    texts = [(r, c, cell, cell_text(spec, cell)) for r, c, cell in grid]
    # Value columns as wide as their widest number (numbers never wrap), the label
    # columns share the rest by the length of their labels.
    numbers = [0.0] * ncols
    wanted = [0.0] * ncols
    for _r, c, cell, text in texts:
        if cell.colspan == 1:
            width_of = font.getlength(text) + 2 * PAD
            if cell.key is None:
                wanted[c] = max(wanted[c], min(width_of, 9 * SIZE))
            else:
                numbers[c] = max(numbers[c], width_of, 2 * SIZE + 2 * PAD)
    fixed = sum(numbers)
    rest = [w if not numbers[c] else 0.0 for c, w in enumerate(wanted)]
    scale = (width - fixed) / (sum(rest) or 1)
    widths = [numbers[c] or max(rest[c] * scale, 2 * SIZE) for c in range(ncols)]
    squeeze = width / sum(widths)
    widths = [w * squeeze for w in widths]
    lefts = [sum(widths[:i]) for i in range(ncols + 1)]
    line_height = SIZE + 6
    heights = [line_height + 2 * PAD] * nrows
    laid = []
    for r, c, cell, text in texts:
        inner = lefts[c + cell.colspan] - lefts[c] - 2 * PAD
        lines = _wrap(text, int(inner), font)
        laid.append((r, c, cell, lines))
        if cell.rowspan == 1:
            heights[r] = max(heights[r], len(lines) * line_height + 2 * PAD)
    tops = [sum(heights[:i]) for i in range(nrows + 1)]
    return lefts, tops, laid, line_height


def _draw_table(draw: ImageDraw.ImageDraw, x0: int, y0: int, block) -> None:
    lefts, tops, laid, line_height = block
    font = _font()
    for r, c, cell, lines in laid:
        left, right = x0 + lefts[c], x0 + lefts[c + cell.colspan]
        top, bottom = y0 + tops[r], y0 + tops[r + cell.rowspan]
        draw.rectangle([left, top, right, bottom], outline=0, width=2)
        y = (top + bottom) / 2 - len(lines) * line_height / 2 + 3
        for line in lines:
            w = font.getlength(line)
            draw.text(((left + right) / 2 - w / 2, y), line, fill=0, font=font)
            y += line_height


def render_pages(spec: Spec, rng: random.Random) -> list[Image.Image]:
    """The report as clean page images (grayscale, 150 dpi)."""
    body = WIDTH - 2 * MARGIN
    blocks: list[tuple[str, object]] = [
        ("title", title_of(spec)),
        ("para", f"本报告根据《中华人民共和国政府信息公开条例》要求编制，所列数据统计期限自"
                 f"{spec.year}年1月1日起至{spec.year}年12月31日止。"),
    ]
    for heading, rows, _header in tables(spec, rng):
        blocks.append(("head", label(spec, heading)))
        blocks.append(("table", _table_block(spec, rows, body)))
    blocks.append(("para", "五、存在的主要问题及改进情况"))
    pages: list[Image.Image] = []
    page = draw = None
    y = HEIGHT
    for kind, content in blocks:
        if kind == "table":
            height = content[1][-1]
        else:
            size = 30 if kind == "title" else SIZE + 2
            lines = _wrap(content, body, _font(size))
            height = len(lines) * (size + 10) + 14
        if y + height > HEIGHT - MARGIN:
            # a table taller than a page gets a longer page (the scans are of tables)
            page = Image.new("L", (WIDTH, max(HEIGHT, int(height) + 2 * MARGIN)), 255)
            draw = ImageDraw.Draw(page)
            pages.append(page)
            y = MARGIN
        if kind == "table":
            _draw_table(draw, MARGIN, y, content)
        else:
            font = _font(size)
            for line in lines:
                x = (WIDTH - font.getlength(line)) / 2 if kind == "title" else MARGIN
                draw.text((x, y), line, fill=0, font=font)
                y += size + 10
        y += height + 14 if kind == "table" else 14
    return pages


def degrade(page: Image.Image, rng: random.Random) -> Image.Image:
    """What scanning does: a slight rotation, speckle, softness."""
    import numpy as np

    angle = rng.uniform(-1.5, 1.5)
    out = page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if rng.random() < 0.5:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    pixels = np.asarray(out, dtype=np.int16)
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(4, 14),
                                                                   pixels.shape)
    pixels = np.clip(pixels + noise - rng.uniform(0, 25), 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L")


def _jpeg(page: Image.Image, rng: random.Random) -> bytes:
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=rng.randint(55, 85))
    return buf.getvalue()


def _docx(jpegs: list[bytes]) -> bytes:
    import docx
    from docx.shared import Mm

    document = docx.Document()
    for data in jpegs:
        document.add_picture(io.BytesIO(data), width=Mm(170))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_scan(form: str, n: int) -> tuple[Spec, bytes]:
    """One scanned report: its answer key and the file's bytes."""
    spec, rng = make_spec("pdf", 1000 + 100 * FORMS.index(form) + n)
    spec.id, spec.form = f"scan-{form}-{n:03d}", f"scan-{form}"
    pages = [degrade(p, rng) for p in render_pages(spec, rng)]
    jpegs = [_jpeg(p, rng) for p in pages]
    if form == "docx":
        return spec, _docx(jpegs)
    if form == "pdf":
        images = [Image.open(io.BytesIO(j)) for j in jpegs]
        buf = io.BytesIO()
        images[0].save(buf, "PDF", resolution=150, save_all=True, append_images=images[1:])
        return spec, buf.getvalue()
    # a PNG or JPG file: the pages one below the other
    tall = Image.new("L", (WIDTH, sum(p.height for p in pages)), 255)
    for i, jpeg in enumerate(jpegs):
        tall.paste(Image.open(io.BytesIO(jpeg)), (0, sum(p.height for p in pages[:i])))
    buf = io.BytesIO()
    if form == "png":
        tall.save(buf, "PNG")
    else:
        tall.save(buf, "JPEG", quality=rng.randint(70, 90))
    return spec, buf.getvalue()


def build_scans(directory: Path, counts: dict[str, int]) -> list[Document]:
    docs = []
    for form, count in counts.items():
        for n in range(count):
            spec, data = make_scan(form, n)
            path = directory / f"{spec.id}.{form}"
            path.write_bytes(data)
            docs.append(Document(spec, path))
    return docs
