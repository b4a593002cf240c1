"""Make samples/webpage.png, a screenshot of a documentation page, and its expected text.

What the page holds is what makes screenshots hard beyond paragraphs: a link
underlined in colour, light code on a dark code block, a table ruled with a grid,
a coloured button with white text and an icon beside a line.  The text is written
for this sample (not taken from any benchmark source) and rendered in faces held out
of training: WenQuanYi Zen Hei, its monospaced cut for the code, and Liberation Serif
for Latin words.  Run: python samples/make_webpage.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
WQY = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"  # face 0 Zen Hei, 1 Zen Hei Mono
LATIN = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
SIZE = 18


def main() -> None:
    cjk = ImageFont.truetype(WQY, SIZE, index=0)
    mono = ImageFont.truetype(WQY, SIZE - 2, index=1)
    latin = ImageFont.truetype(LATIN, SIZE)
    img = Image.new("RGB", (620, 470), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    lines: list[str] = []

    def text(x: float, y: int, s: str, fill=(33, 33, 33), underline: bool = False) -> float:
        start = x
        for ch in s:
            font = latin if ch.isascii() else cjk
            draw.text((x, y), ch, font=font, fill=fill, anchor="ls")
            x += font.getlength(ch)
        if underline:
            draw.line((start, y + 3, x, y + 3), fill=fill, width=1)
        return x

    # an icon beside the heading: a ring with two eyes and a smile
    draw.ellipse((20, 14, 66, 60), outline=(40, 120, 200), width=5)
    draw.ellipse((32, 28, 38, 34), fill=(40, 120, 200))
    draw.ellipse((48, 28, 54, 34), fill=(40, 120, 200))
    draw.arc((32, 30, 54, 50), 20, 160, fill=(40, 120, 200), width=3)
    text(80, 46, "安装与使用说明")
    lines.append("安装与使用说明")

    x = text(20, 100, "详细的说明请见")
    x = text(x, 100, "项目主页", fill=(20, 80, 200), underline=True)
    text(x, 100, "，这里只列出常用的命令。")
    lines.append("详细的说明请见项目主页，这里只列出常用的命令。")

    draw.rounded_rectangle((20, 120, 600, 200), radius=8, fill=(40, 44, 52))
    for n, code in enumerate(["pip install pageocr", "pageocr read page.png"]):
        draw.text((40, 150 + 32 * n), code, font=mono, fill=(220, 220, 220), anchor="ls")
        lines.append(code)

    rows = [("命令", "作用"), ("read", "读出图像中的文字"), ("segment", "切出每个字的图像")]
    xs, top, pitch = (20, 200, 600), 225, 40
    for r, (a, b) in enumerate(rows):
        y = top + r * pitch
        draw.line((xs[0], y, xs[2], y), fill=(120, 120, 120))
        text(xs[0] + 12, y + 27, a)
        text(xs[1] + 12, y + 27, b)
        lines.append(f"{a} {b}")  # one cell after the other
    bottom = top + len(rows) * pitch
    draw.line((xs[0], bottom, xs[2], bottom), fill=(120, 120, 120))
    for x in xs:
        draw.line((x, top, x, bottom), fill=(120, 120, 120))

    draw.rounded_rectangle((20, 370, 150, 410), radius=6, fill=(30, 110, 230))
    draw.text((40, 397), "立即下载", font=cjk, fill=(255, 255, 255), anchor="ls")
    text(170, 397, "版本 1.0，不需要联网。", fill=(90, 90, 90))
    lines.append("立即下载版本 1.0，不需要联网。")

    img.save(HERE / "webpage.png")
    (HERE / "webpage.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
